# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Image grids as arrays and PNG files, with TensorFlow alone (no matplotlib)."""

import os

import numpy as np
import tensorflow as tf

__all__ = [
  'make_grid',
  'make_pairs_grid',
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


def make_pairs_grid(inputs, reconstructions, num_columns: int, padding: int = 1) -> np.ndarray:
  """Tiles images and their reconstructions: each row of inputs above its reconstructions.

  Args:
    inputs: `[n, height, width, channels]` images in [0, 1].
    reconstructions: images of the same shape, in the same order.
    num_columns: pairs per row (at most `n` are used).
    padding: pixels of white between images.
      Default value: `1`.

  Returns:
    uint8 array `[2 * rows * (height + padding) + padding,
    columns * (width + padding) + padding, channels]`, with
    `columns = min(n, num_columns)` and `rows = ceil(n / columns)`; a last row
    that is not full is padded with white.

  Raises:
    ValueError: if the shapes differ or `num_columns` is not positive.

  #### Examples

  >>> make_pairs_grid(np.zeros([5, 2, 3, 1]), np.ones([5, 2, 3, 1]), num_columns=4).shape
  (13, 17, 1)
  """
  inputs = np.asarray(inputs, np.float32)
  reconstructions = np.asarray(reconstructions, np.float32)
  if inputs.shape != reconstructions.shape:
    raise ValueError(
      f'`inputs` {inputs.shape} and `reconstructions` {reconstructions.shape} must have the '
      'same shape.'
    )
  if inputs.ndim not in (3, 4) or len(inputs) == 0:
    raise ValueError(
      f'`inputs` must be a non-empty [n, height, width, channels]; got {inputs.shape}.'
    )
  if num_columns <= 0:
    raise ValueError(f'`num_columns` must be positive; got {num_columns}.')
  if inputs.ndim == 3:
    inputs, reconstructions = inputs[..., np.newaxis], reconstructions[..., np.newaxis]
  num_columns = min(int(num_columns), len(inputs))
  rows = []
  for start in range(0, len(inputs), num_columns):
    for images in (inputs, reconstructions):
      row = images[start : start + num_columns]
      blank = np.ones((num_columns - len(row), *row.shape[1:]), np.float32)
      rows.append(np.concatenate([row, blank]))
  return make_grid(np.concatenate(rows), num_columns=num_columns, padding=padding)


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
