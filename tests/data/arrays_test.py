# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.datasets."""

import gzip
import os
import struct

import numpy as np
import tensorflow as tf

import test_util
from tfvae.data import arrays as datasets_lib
from tfvae.internal import keras


def _write_idx(path, array, compress):
  header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim) + struct.pack(
    f'>{array.ndim}I', *array.shape
  )
  opener = gzip.open if compress else open
  with opener(path, 'wb') as f:
    f.write(header + array.astype(np.uint8).tobytes())


class LoadTest(test_util.TestCase):
  def test_digits(self):
    (x_train, y_train), (x_test, y_test) = datasets_lib.load('digits')
    self.assertEqual(x_train.shape, (1500, 8, 8, 1))
    self.assertEqual(x_test.shape, (297, 8, 8, 1))
    self.assertEqual(x_train.dtype, np.float32)
    self.assertEqual(x_train.min(), 0.0)
    self.assertEqual(x_train.max(), 1.0)
    # 17 grey levels (0..16) / 16.
    self.assertLen(np.unique(np.concatenate([x_train, x_test])), 17)
    self.assertEqual(sorted(set(y_train) | set(y_test)), list(range(10)))

  def test_digits_split_is_seeded(self):
    (a, _), _ = datasets_lib.load('digits', seed=1)
    (b, _), _ = datasets_lib.load('digits', seed=1)
    (c, _), _ = datasets_lib.load('digits', seed=2)
    self.assertAllEqual(a, b)
    self.assertNotAllClose(a, c)

  @test_util.parameterized.parameters(True, False)
  def test_idx_directory(self, compress):
    directory = self.create_tempdir().full_path
    rng = np.random.default_rng(0)
    images = {'train': rng.integers(0, 256, (5, 28, 28)), 't10k': rng.integers(0, 256, (3, 28, 28))}
    for split, array in images.items():
      suffix = '.gz' if compress else ''
      _write_idx(os.path.join(directory, f'{split}-images-idx3-ubyte{suffix}'), array, compress)
      _write_idx(
        os.path.join(directory, f'{split}-labels-idx1-ubyte{suffix}'),
        np.arange(len(array)),
        compress,
      )
    (x_train, y_train), (x_test, y_test) = datasets_lib.load('fashion_mnist', data_dir=directory)
    self.assertEqual(x_train.shape, (5, 28, 28, 1))
    self.assertAllClose(x_train[..., 0], images['train'] / 255.0)
    self.assertAllEqual(y_test, [0, 1, 2])

  def test_debian_fashion_mnist_if_installed(self):
    directory = '/usr/share/datasets/fashion-mnist'
    if not os.path.isdir(directory):
      self.skipTest('dataset-fashion-mnist is not installed')
    (x_train, _), (x_test, _) = datasets_lib.load('fashion_mnist', data_dir=directory)
    self.assertEqual(x_train.shape, (60000, 28, 28, 1))
    self.assertEqual(x_test.shape, (10000, 28, 28, 1))

  def test_truncated_idx_file(self):
    directory = self.create_tempdir().full_path
    for stem in datasets_lib._IDX_FILES.values():
      _write_idx(os.path.join(directory, stem), np.zeros((2, 3)), False)
    with open(os.path.join(directory, 'train-images-idx3-ubyte'), 'ab') as f:
      f.write(b'x')
    with self.assertRaisesRegex(ValueError, 'truncated'):
      datasets_lib.load('mnist', data_dir=directory)

  def test_missing_idx_files(self):
    with self.assertRaisesRegex(ValueError, 'data_dir'):
      datasets_lib.load('mnist', data_dir=self.create_tempdir().full_path)

  def test_npz_with_splits_and_uint8(self):
    path = os.path.join(self.create_tempdir().full_path, 'data.npz')
    x = np.random.default_rng(0).integers(0, 256, (6, 4, 4)).astype(np.uint8)
    np.savez(path, x_train=x[:4], x_test=x[4:], y_train=np.arange(4))
    (x_train, y_train), (x_test, y_test) = datasets_lib.load(path)
    self.assertEqual(x_train.shape, (4, 4, 4, 1))
    self.assertAllClose(x_test[..., 0], x[4:] / 255.0)
    self.assertAllEqual(y_train, np.arange(4))
    self.assertIsNone(y_test)

  def test_npy_single_array_is_split(self):
    path = os.path.join(self.create_tempdir().full_path, 'x.npy')
    np.save(path, np.random.default_rng(0).uniform(size=(20, 3)).astype(np.float32))
    (x_train, _), (x_test, _) = datasets_lib.load(path)
    self.assertEqual((len(x_train), len(x_test)), (18, 2))

  def test_bad_names_and_files(self):
    with self.assertRaisesRegex(ValueError, 'name'):
      datasets_lib.load('cifar10')
    with self.assertRaisesRegex(ValueError, 'no such file'):
      datasets_lib.load('/nonexistent/data.npz')
    path = os.path.join(self.create_tempdir().full_path, 'bad.npy')
    with open(path, 'w') as f:
      f.write('not numpy')
    with self.assertRaisesRegex(ValueError, 'cannot read'):
      datasets_lib.load(path)
    path = os.path.join(self.create_tempdir().full_path, 'nan.npy')
    np.save(path, np.full((4, 2), np.nan, np.float32))
    with self.assertRaisesRegex(ValueError, 'NaN'):
      datasets_lib.load(path)

  def test_download_failure_names_data_dir(self):
    class _Offline:
      @staticmethod
      def load_data():
        raise Exception('URL fetch failure')  # What tf_keras raises offline.

    original = keras.datasets.mnist
    keras.datasets.mnist = _Offline
    try:
      with self.assertRaisesRegex(ValueError, 'data_dir'):
        datasets_lib.load('mnist')
    finally:
      keras.datasets.mnist = original


class BinarizeTest(test_util.TestCase):
  def test_static_binarization_is_seeded_bernoulli(self):
    x = np.full((200, 50), 0.3, np.float32)
    a = datasets_lib.binarize(x, seed=4)
    self.assertAllEqual(a, datasets_lib.binarize(x, seed=4))
    self.assertAllEqual(np.unique(a), [0.0, 1.0])
    self.assertAllClose(a.mean(), 0.3, atol=0.01)

  def test_dynamic_binarization_changes_every_epoch(self):
    x = np.full((64, 10), 0.5, np.float32)
    ds = datasets_lib.make_dataset(x, batch_size=16, shuffle=False, seed=1)
    first = np.concatenate(list(ds.as_numpy_iterator()))
    second = np.concatenate(list(ds.as_numpy_iterator()))
    self.assertEqual(first.shape, (64, 10))
    self.assertAllEqual(np.unique(first), [0.0, 1.0])
    self.assertAllClose(first.mean(), 0.5, atol=0.05)
    self.assertNotAllClose(first, second)

  def test_dynamic_binarization_is_bernoulli_of_the_grey_level(self):
    x = np.tile(np.array([[0.0, 0.3, 1.0, 0.999]], np.float32), (4096, 1))
    ds = datasets_lib.make_dataset(x, batch_size=512, seed=3)
    draws = np.concatenate(list(ds.as_numpy_iterator()))
    self.assertEqual(draws.dtype, np.float32)
    self.assertAllEqual(draws[:, 0], np.zeros(4096))  # Black stays black.
    self.assertAllEqual(draws[:, 2], np.ones(4096))  # White stays white.
    # Binomial standard error at n = 4096 is <= 0.008: allow 4 of them.
    self.assertAllClose(draws[:, 1].mean(), 0.3, atol=0.03)
    self.assertAllClose(draws[:, 3].mean(), 0.999, atol=0.002)

  def test_static_pipeline_is_fixed(self):
    x = np.random.default_rng(0).uniform(size=(20, 3)).astype(np.float32)
    ds = datasets_lib.make_dataset(x, 8, shuffle=False, binarization='static', seed=2)
    batches = np.concatenate(list(ds.as_numpy_iterator()))
    self.assertAllEqual(batches, datasets_lib.binarize(x, seed=2))

  def test_shuffle_keeps_every_example(self):
    x = np.arange(10, dtype=np.float32)[:, None] / 10
    ds = datasets_lib.make_dataset(x, 4, binarization=None)
    self.assertAllClose(np.sort(np.concatenate(list(ds.as_numpy_iterator()))[:, 0]), x[:, 0])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, 'batch_size'):
      datasets_lib.make_dataset(np.zeros((4, 2), np.float32), batch_size=0)
    with self.assertRaisesRegex(ValueError, 'binarization'):
      datasets_lib.make_dataset(np.zeros((4, 2), np.float32), binarization='otsu')
    with self.assertRaisesRegex(ValueError, '`labels` must be 4 integers'):
      datasets_lib.make_dataset(np.zeros((4, 2), np.float32), labels=[0, 1, 2])
    with self.assertRaisesRegex(ValueError, '`labels`'):
      datasets_lib.make_dataset(np.zeros((4, 2), np.float32), labels=np.zeros(4, np.float32))

  @test_util.parameterized.parameters(None, 'dynamic', 'static')
  def test_labels_follow_their_examples(self, binarization):
    # Example i is all ones in column i % 7 and nowhere else, so its draw keeps the column.
    x = np.zeros((23, 7), np.float32)
    x[np.arange(23), np.arange(23) % 7] = 1.0
    labels = np.arange(23) * 10
    ds = datasets_lib.make_dataset(x, 5, binarization=binarization, seed=2, labels=labels)
    self.assertEqual(ds.cardinality(), 5)
    batches = list(ds.as_numpy_iterator())
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    self.assertEqual(ys.dtype, np.int64)
    self.assertAllEqual(np.sort(ys), labels)
    self.assertNotAllEqual(ys, labels)  # Shuffled, together.
    self.assertAllEqual(xs.argmax(axis=1), (ys // 10) % 7)


class StatelessBinarizeTest(test_util.TestCase):
  def test_bernoulli_of_floats_and_of_levels(self):
    x = tf.constant(np.tile([[0.0, 0.3, 1.0]], (5000, 1)), tf.float32)
    draws = datasets_lib.stateless_binarize(x, seed=[3, 4]).numpy()
    self.assertAllEqual(draws[:, 0], np.zeros(5000))
    self.assertAllEqual(draws[:, 2], np.ones(5000))
    # Binomial standard error at n = 5000 is 0.0065: allow 4 of them.
    self.assertAllClose(draws[:, 1].mean(), 0.3, atol=0.026)
    levels = tf.cast(tf.round(x * 65535), tf.uint16)
    self.assertAllEqual(datasets_lib.stateless_binarize(levels, seed=[3, 4]), draws)
    self.assertNotAllEqual(datasets_lib.stateless_binarize(x, seed=[3, 5]), draws)


if __name__ == '__main__':
  test_util.main()
