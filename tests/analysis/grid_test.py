# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.grid."""

import os

import numpy as np
import tensorflow as tf

import test_util
from tfvae.analysis import grid as grid_lib


class GridTest(test_util.TestCase):
  def test_layout_and_values(self):
    images = np.stack([np.full((2, 3, 1), v, np.float32) for v in (0.0, 0.5, 1.0)])
    grid = grid_lib.make_grid(images, num_columns=2, padding=1)
    self.assertEqual(grid.shape, (2 * 3 + 1, 2 * 4 + 1, 1))
    self.assertEqual(grid.dtype, np.uint8)
    self.assertEqual(grid[1, 1, 0], 0)  # first image
    self.assertEqual(grid[1, 5, 0], 128)  # second image, round(0.5 * 255)
    self.assertEqual(grid[4, 1, 0], 255)  # third image, second row
    self.assertEqual(grid[0, 0, 0], 255)  # padding

  def test_write_png_reads_back(self):
    grid = grid_lib.make_grid(np.random.default_rng(0).uniform(size=(4, 5, 5)), 2)
    path = os.path.join(self.create_tempdir().full_path, 'grid.png')
    grid_lib.write_png(path, grid, scale=3)
    decoded = tf.io.decode_png(tf.io.read_file(path)).numpy()
    self.assertEqual(decoded.shape, (grid.shape[0] * 3, grid.shape[1] * 3, 1))
    self.assertAllEqual(decoded[::3, ::3], grid)
    self.assertEqual(os.listdir(os.path.dirname(path)), ['grid.png'])

  def test_pairs_grid_puts_each_row_of_inputs_above_its_reconstructions(self):
    inputs = np.zeros((5, 2, 3, 1), np.float32)
    reconstructions = np.full((5, 2, 3, 1), 0.5, np.float32)
    grid = grid_lib.make_pairs_grid(inputs, reconstructions, num_columns=3)
    self.assertEqual(grid.shape, (4 * 3 + 1, 3 * 4 + 1, 1))  # 2 rows of pairs, 3 columns.
    cell = lambda row, column: grid[1 + 3 * row, 1 + 4 * column, 0]  # noqa: E731
    self.assertEqual([cell(r, 0) for r in range(4)], [0, 128, 0, 128])
    self.assertEqual([cell(2, 1), cell(3, 1)], [0, 128])  # Pair 5, second row of pairs.
    self.assertEqual([cell(2, 2), cell(3, 2)], [255, 255])  # No pair 6: white.
    wide = grid_lib.make_pairs_grid(inputs[:2], reconstructions[:2], num_columns=8)
    self.assertEqual(wide.shape, (2 * 3 + 1, 2 * 4 + 1, 1))  # At most n columns.
    with self.assertRaisesRegex(ValueError, 'same shape'):
      grid_lib.make_pairs_grid(inputs, reconstructions[:4], num_columns=3)

  def test_bad_images(self):
    with self.assertRaisesRegex(ValueError, 'images'):
      grid_lib.make_grid(np.zeros((0, 2, 2, 1)), 2)


if __name__ == '__main__':
  test_util.main()
