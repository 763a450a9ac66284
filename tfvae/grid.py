# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Image grids as arrays and PNG files, with TensorFlow alone (no matplotlib)."""

import os

import numpy as np
import tensorflow as tf

__all__ = [
  'make_grid',
  'write_png',
]


def make_grid(images, num_columns: int, padding: int = 1) -> np.ndarray:
  """Tiles `[n, height, width, channels]` images in [0, 1] into one image.

  Args:
    images: array `[n, height, width, channels]` (or `[n, height, width]`).
    num_columns: images per row; rows are added as needed.
    padding: pixels of white between images.
      Default value: `1`.

  Returns:
    uint8 array `[rows * (height + padding) + padding,
    num_columns * (width + padding) + padding, channels]`.

  #### Examples

  >>> make_grid(np.zeros([5, 2, 3, 1]), num_columns=2).shape
  (10, 9, 1)
  """
  images = np.asarray(images, np.float32)
  if images.ndim == 3:
    images = images[..., np.newaxis]
  if images.ndim != 4 or len(images) == 0:
    raise ValueError(
      f'`images` must be a non-empty [n, height, width, channels]; got {images.shape}.'
    )
  if num_columns <= 0:
    raise ValueError(f'`num_columns` must be positive; got {num_columns}.')
  n, height, width, channels = images.shape
  num_rows = -(-n // num_columns)
  grid = np.ones(
    (num_rows * (height + padding) + padding, num_columns * (width + padding) + padding, channels),
    np.float32,
  )
  for i, image in enumerate(images):
    top = padding + (i // num_columns) * (height + padding)
    left = padding + (i % num_columns) * (width + padding)
    grid[top : top + height, left : left + width] = image
  return np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)


def write_png(path: str, grid: np.ndarray, scale: int = 1) -> str:
  """Writes a uint8 `[height, width, channels]` image as a PNG, atomically.

  Args:
    path: destination file.
    grid: uint8 image, e.g. from `make_grid`.
    scale: integer upscaling (nearest neighbour), to make small images visible.
      Default value: `1`.

  Returns:
    `path`.
  """
  grid = np.asarray(grid, np.uint8)
  if scale > 1:
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
  tmp = f'{path}.tmp-{os.getpid()}'
  tf.io.write_file(tmp, tf.io.encode_png(grid))
  os.replace(tmp, path)
  return path
