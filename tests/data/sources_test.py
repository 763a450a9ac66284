# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.sources: image folders, TFRecords, CSV, splits, sharding, bad data."""

import os
import re
import shutil
import warnings

import numpy as np
import tensorflow as tf

import test_util
from tfvae.data import arrays as datasets_lib
from tfvae.data import sources as sources_lib
from tfvae.data import splits as splits_lib

_SHAPE = (4, 6, 1)


def _images(n, shape=_SHAPE, seed=0, dtype=np.uint8):
  """`n` random (hence distinct) images as integers."""
  high = 256 if dtype == np.uint8 else 65536
  return np.random.default_rng(seed).integers(0, high, (n, *shape)).astype(dtype)


def _write_folder(root, images, labels=None, class_names=('cat', 'dog'), encode=tf.io.encode_png):
  """One file per image, in class folders (the odd ones of class 1 one level deeper)."""
  paths = []
  for i, image in enumerate(images):
    folder = root
    if labels is not None:
      folder = os.path.join(root, class_names[labels[i]], 'more' if labels[i] and i % 2 else '')
    os.makedirs(folder, exist_ok=True)
    paths.append(os.path.join(folder, f'{i:03d}.{"png" if encode is tf.io.encode_png else "jpg"}'))
    tf.io.write_file(paths[-1], encode(image))
  return paths


def _write_examples(path, features):
  """TFRecord file of `tf.train.Example`s from dicts `{name: tf.train.Feature}`."""
  with tf.io.TFRecordWriter(path) as writer:
    for feature in features:
      writer.write(
        tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
      )


def _floats(values):
  return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _ints(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _write_csv(path, header, rows):
  with open(path, 'w') as f:
    f.write(','.join(header) + '\n')
    for row in rows:
      f.write(','.join(str(v) for v in row) + '\n')


def _epoch(ds):
  """One epoch of a dataset of `(x, y)` batches, as two arrays."""
  batches = list(ds.as_numpy_iterator())
  return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])


def _everything(source, split, **kwargs):
  """One epoch of `source.dataset(split, 7, labels=True, ...)` as arrays."""
  return _epoch(source.dataset(split, 7, labels=True, **kwargs))


def _keys(x):
  return [row.tobytes() for row in np.round(np.asarray(x) * 255).astype(np.uint8)]


class SplitTestMixin:
  """Checks shared by the file sources."""

  def assert_partition(self, source, expected_keys):
    """The three splits are disjoint and together hold every example once."""
    seen = []
    for split in sources_lib.SPLITS:
      x, _ = source.take(split, 10**6)
      self.assertLen(x, source.scan().num_examples[split])
      seen += _keys(x)
    self.assertCountEqual(seen, expected_keys)


class ArraySourceTest(test_util.TestCase):
  def test_digits_validation_is_held_out_of_train(self):
    source = sources_lib.open_source('digits', validation_fraction=0.2, seed=3)
    info = source.scan()
    self.assertEqual(info.num_examples, {'train': 1200, 'validation': 300, 'test': 297})
    self.assertEqual((info.kind, info.event_shape, info.num_classes), ('images', (8, 8, 1), 10))
    self.assertIs(source.scan(), info)  # Cached.
    (x_train, y_train), (x_test, y_test) = datasets_lib.load('digits', seed=3)
    train, validation = source.take('train', 2000), source.take('validation', 2000)
    held = np.concatenate([train[0], validation[0]]).reshape(1500, -1)
    self.assertCountEqual(_keys(held), _keys(x_train.reshape(1500, -1)))
    self.assertAllEqual(np.sort(np.concatenate([train[1], validation[1]])), np.sort(y_train))
    x, y = source.take('test', 5)
    self.assertAllEqual(x, x_test[:5])
    self.assertAllEqual(y, y_test[:5])

  def test_dataset_goes_through_make_dataset(self):
    source = sources_lib.open_source('digits')
    x, y = _everything(source, 'test', binarization='static', seed=4)
    (_, _), (x_test, y_test) = datasets_lib.load('digits')
    self.assertAllEqual(x, datasets_lib.binarize(x_test, seed=4))
    self.assertAllEqual(y, y_test)
    self.assertEqual(source.dataset('train', 100).cardinality(), 14)  # 1350 examples.

  def test_npz_with_channels_and_image_size(self):
    path = os.path.join(self.create_tempdir().full_path, 'rgb.npz')
    x = np.random.default_rng(0).uniform(size=(30, 4, 6, 3)).astype(np.float32)
    np.savez(path, x=x)
    source = sources_lib.open_source(path, channels=1, image_size=(2, 3))
    info = source.scan()
    self.assertEqual(info.event_shape, (2, 3, 1))
    self.assertIsNone(info.num_classes)
    (_, _), (x_test, _) = datasets_lib.load(path)
    expected = tf.image.resize(tf.image.rgb_to_grayscale(x_test), (2, 3), antialias=True)
    self.assertAllClose(source.take('test', 10)[0], expected)
    with self.assertRaisesRegex(ValueError, '`labels`'):
      source.dataset('train', 4, labels=True)

  @test_util.parameterized.parameters(2, 3)
  def test_sharding_sees_every_example_once(self, num_shards):
    source = sources_lib.open_source('digits')
    seen = []
    for index in range(num_shards):
      ds = source.dataset('test', 50, shuffle=True, num_shards=num_shards, shard_index=index)
      seen.append(np.concatenate(list(ds.as_numpy_iterator())))
      self.assertEqual(ds.cardinality(), -(-len(seen[-1]) // 50))
    self.assertCountEqual(_keys(np.concatenate(seen)), _keys(source.take('test', 297)[0]))


class ImageFolderTest(SplitTestMixin, test_util.TestCase):
  def test_class_folders_give_labels_and_exact_pixels(self):
    root = self.create_tempdir().full_path
    images, labels = _images(40), np.arange(40) % 2
    _write_folder(root, images, labels)
    source = sources_lib.open_source(root, validation_fraction=0.25, test_fraction=0.25)
    info = source.scan()
    self.assertEqual(info.class_names, ['cat', 'dog'])
    self.assertEqual((info.num_classes, info.event_shape), (2, _SHAPE))
    self.assertEqual((info.kind, info.value_range, info.loc), ('images', 'unit_interval', None))
    self.assertEqual(sum(info.num_examples.values()), 40)
    self.assertEqual(info.num_files, info.num_examples)
    written = dict(zip(_keys(images / 255.0), zip(images, labels)))
    for split in sources_lib.SPLITS:
      x, y = source.take(split, 100)
      for image, label in zip(x, y):
        original, original_label = written[_keys(image[np.newaxis])[0]]
        self.assertAllClose(image, original / 255.0, atol=1e-7)
        self.assertEqual(label, original_label)
    self.assert_partition(source, written)

  def test_hash_split_is_stable_and_follows_the_seed(self):
    root = os.path.join(self.create_tempdir().full_path, 'a')
    images = _images(30)
    _write_folder(root, images)

    def splits_of(path, seed):
      source = sources_lib.open_source(path, seed=seed, validation_fraction=0.3, test_fraction=0.3)
      return {s: sorted(_keys(source.take(s, 100)[0])) for s in sources_lib.SPLITS}

    first = splits_of(root, 0)
    self.assertEqual(first, splits_of(root, 0))
    moved = os.path.join(os.path.dirname(root), 'b')
    shutil.copytree(root, moved)
    self.assertEqual(first, splits_of(moved, 0))  # Paths are relative to the source.
    self.assertNotEqual(first, splits_of(root, 1))

  def test_train_and_test_folders_are_the_splits(self):
    root = self.create_tempdir().full_path
    images = _images(36)
    _write_folder(os.path.join(root, 'train'), images[:24], np.arange(24) % 2)
    _write_folder(os.path.join(root, 'test'), images[24:], np.arange(12) % 2)
    source = sources_lib.open_source(root, validation_fraction=0.25)
    info = source.scan()
    self.assertEqual(info.num_examples['test'], 12)
    self.assertEqual(info.num_examples['train'] + info.num_examples['validation'], 24)
    self.assertCountEqual(_keys(source.take('test', 100)[0]), _keys(images[24:] / 255.0))
    _write_folder(os.path.join(root, 'validation'), images[:6], np.arange(6) % 2)
    info = sources_lib.open_source(root).scan()
    self.assertEqual(info.num_examples, {'train': 24, 'validation': 6, 'test': 12})

  def test_sample_spreads_over_classes_in_folder_order(self):
    root = self.create_tempdir().full_path
    labels = np.repeat([0, 1, 2], [30, 8, 4])  # In folder order, the largest class first.
    _write_folder(root, _images(42), labels, class_names=('ant', 'bee', 'cat'))
    source = sources_lib.open_source(root, validation_fraction=0, test_fraction=0.1)
    self.assertEqual(source.take('train', 9)[1].tolist(), [0] * 9)
    x, y = source.sample('train', 9, seed=3)
    self.assertEqual(y.tolist(), [0, 1, 2] * 3)
    train_x, train_y = source.take('train', 100)
    written = {row.tobytes(): label for row, label in zip(train_x, train_y)}
    self.assertEqual([written[row.tobytes()] for row in x], y.tolist())  # Real examples.
    again, _ = source.sample('train', 9, seed=3)
    self.assertAllEqual(again, x)
    other, _ = source.sample('train', 9, seed=4)
    self.assertNotAllEqual(other, x)
    # A class smaller than its share gives what it has.
    _, y = source.sample('train', 30, seed=3)
    self.assertEqual(np.bincount(y).tolist(), [10, *np.bincount(train_y)[1:].tolist()])
    self.assertLess(np.bincount(train_y)[1], 10)
    # Without labels: a random draw, not the first files.
    unlabeled = self.create_tempdir().full_path
    _write_folder(unlabeled, _images(40))
    source = sources_lib.open_source(unlabeled, validation_fraction=0, test_fraction=0.1)
    first, _ = source.take('train', 8)
    drawn, labels = source.sample('train', 8, seed=0)
    self.assertIsNone(labels)
    self.assertNotAllEqual(drawn, first)
    self.assertLen({row.tobytes() for row in drawn}, 8)

  def test_unlabeled_folder_and_jpeg(self):
    root = self.create_tempdir().full_path
    images = np.repeat(np.repeat(_images(12, (2, 3, 1)), 4, axis=1), 4, axis=2)  # Smooth: 8x12.
    _write_folder(root, images, encode=lambda image: tf.io.encode_jpeg(image, quality=100))
    source = sources_lib.open_source(root, validation_fraction=0.0, test_fraction=0.3)
    self.assertIsNone(source.scan().num_classes)
    x_train, y = source.take('train', 100)
    self.assertIsNone(y)
    x = np.concatenate([x_train, source.take('test', 100)[0]])
    errors = np.abs(x[:, np.newaxis] - images[np.newaxis] / 255.0).max(axis=(2, 3, 4))
    self.assertAllEqual(np.sort(errors.argmin(axis=1)), np.arange(12))  # One original each.
    self.assertLess(errors.min(axis=1).max(), 0.05)
    with self.assertRaisesRegex(ValueError, '`labels`'):
      source.dataset('train', 4, labels=True)

  def test_16_bit_png(self):
    root = self.create_tempdir().full_path
    images = _images(10, dtype=np.uint16)
    _write_folder(root, images)
    source = sources_lib.open_source(root, validation_fraction=0.0, test_fraction=0.3)
    x = np.concatenate([source.take(split, 100)[0] for split in ('train', 'test')])
    self.assertAllClose(np.sort(x, axis=None), np.sort(images / 65535.0, axis=None), atol=1e-7)

  def test_gif_and_bmp(self):
    try:
      from PIL import Image as image_lib  # Pillow comes with matplotlib.
    except ImportError:
      self.skipTest('Pillow is not installed')
    root = self.create_tempdir().full_path
    grey = _images(8, (4, 6))
    for i, image in enumerate(grey):
      image_lib.fromarray(image).save(os.path.join(root, f'{i}.{"gif" if i % 2 else "BMP"}'))
    source = sources_lib.open_source(root, channels=1, test_fraction=0.4, validation_fraction=0)
    self.assertEqual(source.scan().event_shape, (4, 6, 1))
    x = np.concatenate([source.take(s, 10)[0] for s in ('train', 'test')])
    self.assertCountEqual(_keys(x), _keys(grey[..., np.newaxis] / 255.0))
    with self.assertRaisesRegex(sources_lib.DataError, 'channel counts.*`channels`'):
      sources_lib.open_source(root, test_fraction=0.4).scan()  # GIF is RGB, BMP grey.

  def test_channels_and_image_size_convert(self):
    root = self.create_tempdir().full_path
    rgb = _images(10, (4, 6, 3))
    _write_folder(root, rgb)
    options = dict(validation_fraction=0.0, test_fraction=0.3)
    source = sources_lib.open_source(root, channels=1, image_size=(2, 3), **options)
    self.assertEqual(source.scan().event_shape, (2, 3, 1))
    x = np.concatenate([source.take(s, 100)[0] for s in ('train', 'test')])
    expected = tf.image.resize(tf.image.rgb_to_grayscale(rgb / 255.0), (2, 3), antialias=True)
    self.assertAllClose(np.sort(x.ravel()), np.sort(expected.numpy().ravel()), atol=1e-6)
    source = sources_lib.open_source(root, channels=3, **options)
    self.assertEqual(source.scan().event_shape, (4, 6, 3))

  def test_mixed_channels_need_channels(self):
    root = self.create_tempdir().full_path
    _write_folder(root, _images(6))
    tf.io.write_file(os.path.join(root, 'rgb.png'), tf.io.encode_png(_images(1, (4, 6, 3))[0]))
    options = dict(validation_fraction=0, test_fraction=0.4)
    with self.assertRaisesRegex(
      sources_lib.DataError, r'000\.png has 1, .*rgb\.png has 3; pass `channels`'
    ):
      sources_lib.open_source(root, **options).scan()
    self.assertEqual(
      sources_lib.open_source(root, channels=3, **options).scan().event_shape, (4, 6, 3)
    )

  def test_mixed_sizes_need_image_size(self):
    root = self.create_tempdir().full_path
    _write_folder(root, _images(6))
    tf.io.write_file(os.path.join(root, 'wide.png'), tf.io.encode_png(_images(1, (4, 9, 1))[0]))
    with self.assertRaisesRegex(
      sources_lib.DataError, r'000\.png is 4x6, .*wide\.png is 4x9.*`image_size`'
    ):
      sources_lib.open_source(root, test_fraction=0.3).scan()
    source = sources_lib.open_source(
      root, image_size=(4, 6), validation_fraction=0, test_fraction=0.4
    )
    self.assertEqual(sum(source.scan().num_examples.values()), 7)

  def test_bad_folders_and_files(self):
    root = self.create_tempdir().full_path
    with self.assertRaisesRegex(sources_lib.DataError, re.escape(root)):
      sources_lib.open_source(root)  # Empty.
    _write_folder(root, _images(6), np.arange(6) % 2)
    os.makedirs(os.path.join(root, 'zebra'))
    with self.assertRaisesRegex(sources_lib.DataError, 'class folder .*zebra holds no image'):
      sources_lib.open_source(root)
    os.rmdir(os.path.join(root, 'zebra'))
    bad = os.path.join(root, 'cat', 'broken.png')
    with open(bad, 'wb') as f:
      f.write(b'not a png')
    with self.assertRaisesRegex(sources_lib.DataError, f'{re.escape(bad)}: not a readable'):
      sources_lib.open_source(root, test_fraction=0.3).scan()

  def test_split_folders_need_the_same_classes(self):
    root = self.create_tempdir().full_path
    _write_folder(os.path.join(root, 'train'), _images(4), np.arange(4) % 2)
    _write_folder(os.path.join(root, 'test'), _images(4), np.arange(4) % 2, ('cat', 'cow'))
    with self.assertRaisesRegex(sources_lib.DataError, 'different classes'):
      sources_lib.open_source(root)


class TFRecordTest(SplitTestMixin, test_util.TestCase):
  def _write(self, encoding, train_shards=3, num_train=40, num_test=10):
    directory = self.create_tempdir().full_path
    x = np.round(np.random.default_rng(1).uniform(size=(num_train + num_test, *_SHAPE)) * 255) / 255
    x = x.astype(np.float32)
    labels = np.arange(len(x)) % 3
    sources_lib.write_tfrecords(
      os.path.join(directory, 'data-train'),
      x[:num_train],
      labels[:num_train],
      train_shards,
      encoding,
    )
    sources_lib.write_tfrecords(
      os.path.join(directory, 'data-test'), x[num_train:], labels[num_train:], 1, encoding
    )
    return directory, x, labels

  @test_util.parameterized.parameters('png', 'raw')
  def test_shards_round_trip_exactly(self, encoding):
    directory, x, labels = self._write(encoding)
    self.assertLen(
      tf.io.gfile.glob(os.path.join(directory, 'data-train-0000?-of-00003.tfrecord')), 3
    )
    source = sources_lib.open_source(os.path.join(directory, '*.tfrecord'), validation_fraction=0)
    info = source.scan()
    self.assertEqual(info.num_examples, {'train': 40, 'validation': 0, 'test': 10})
    self.assertEqual(info.num_files, {'train': 3, 'validation': 0, 'test': 1})
    self.assertEqual((info.kind, info.event_shape, info.num_classes), ('images', _SHAPE, 3))
    for split, part in (('train', slice(0, 40)), ('test', slice(40, None))):
      got_x, got_y = source.take(split, 100)
      self.assertAllEqual(got_x, x[part])  # Exact: PNG of round(x * 255) is lossless.
      self.assertAllEqual(got_y, labels[part])
      self.assertAllEqual(_everything(source, split)[0], x[part])  # take() is dataset()'s order.

  def test_a_table_of_any_real_values_is_written_raw(self):
    directory = self.create_tempdir().full_path
    x = np.random.default_rng(2).normal(size=(30, 5)).astype(np.float32) * 100
    sources_lib.write_tfrecords(os.path.join(directory, 't-train'), x[:24], np.arange(24) % 2)
    sources_lib.write_tfrecords(os.path.join(directory, 't-test'), x[24:], np.arange(6) % 2)
    source = sources_lib.open_source(os.path.join(directory, '*.tfrecord'), validation_fraction=0)
    info = source.scan()
    self.assertEqual((info.kind, info.event_shape, info.value_range), ('table', (5,), 'real'))
    self.assertAllEqual(source.take('train', 100)[0], x[:24])
    self.assertAllEqual(source.take('test', 100)[0], x[24:])

  def test_validation_is_held_out_of_train_files(self):
    directory, x, _ = self._write('raw', num_train=200)
    source = sources_lib.open_source(os.path.join(directory, '*'), validation_fraction=0.3)
    info = source.scan()
    self.assertEqual(info.num_examples['test'], 10)
    self.assertNear(info.num_examples['validation'], 60, 4 * np.sqrt(200 * 0.3 * 0.7))
    self.assert_partition(source, _keys(x))

  def test_files_without_split_names_are_hashed(self):
    directory = self.create_tempdir().full_path
    x = np.random.default_rng(0).uniform(size=(2000, 3)).astype(np.float32)
    sources_lib.write_tfrecords(os.path.join(directory, 'part'), x, num_shards=2, encoding='raw')
    source = sources_lib.open_source(
      os.path.join(directory, 'part-*'), validation_fraction=0.2, test_fraction=0.1
    )
    info = source.scan()
    self.assertEqual(info.kind, 'table')
    for split, share in (('test', 0.1), ('validation', 0.18), ('train', 0.72)):
      # Binomial standard error at n = 2000: allow 4 of them.
      self.assertNear(
        info.num_examples[split] / 2000, share, 4 * np.sqrt(share * (1 - share) / 2000)
      )
    train = source.take('train', 2000)[0]
    self.assertAllClose(info.loc, train.astype(np.float64).mean(0), atol=1e-6)
    self.assertAllClose(info.scale, train.astype(np.float64).std(0), atol=1e-6)
    self.assertCountEqual(
      [r.tobytes() for s in sources_lib.SPLITS for r in source.take(s, 2000)[0]],
      [r.tobytes() for r in x],
    )

  def test_files_must_all_name_their_split(self):
    directory = self.create_tempdir().full_path
    x = np.zeros((4, 2), np.float32)
    sources_lib.write_tfrecords(os.path.join(directory, 'a-train'), x, encoding='raw')
    sources_lib.write_tfrecords(os.path.join(directory, 'b'), x, encoding='raw')
    with self.assertRaisesRegex(
      sources_lib.DataError, r'a-train-00000.* \(train\).*b-00000.*\(none\)'
    ):
      sources_lib.open_source(os.path.join(directory, '*.tfrecord'))
    with self.assertRaisesRegex(sources_lib.DataError, 'neither a dataset name'):
      sources_lib.open_source(os.path.join(directory, '*.nothing'))
    # Every file names its split, but no test file: the message says what is missing.
    with self.assertRaisesRegex(
      sources_lib.DataError, r'none is a test file: write train and test files.*a-train-00000'
    ):
      sources_lib.open_source(os.path.join(directory, 'a-*.tfrecord'))

  @test_util.parameterized.named_parameters(
    ('no_x', {'y': _floats([1.0, 2.0])}, r'record 2: expected a feature `x`'),
    (
      'wrong_type',
      {'x': _ints([1, 2])},
      r'record 2: feature `x` is a int64_list; expected a float_list',
    ),
    ('length', {'x': _floats([1.0])}, r'record 2: `x` has 1 values; its shape \[2\] needs 2'),
    ('shape', {'x': _floats([1.0, 2.0]), 'shape': _ints([1, 2])}, r'record 2: its `shape` differs'),
    ('nan', {'x': _floats([1.0, np.nan])}, r'record 2: `x` holds NaN'),
    ('label', {'x': _floats([1.0, 2.0]), 'label': _ints([-1])}, r'record 2: label -1'),
    (
      'label_type',
      {'x': _floats([1.0, 2.0]), 'label': _floats([1.0])},
      r'record 2: feature `label` is a float_list',
    ),
  )
  def test_bad_record(self, feature, message):
    path = os.path.join(self.create_tempdir().full_path, 'data.tfrecord')
    good = {'x': _floats([0.5, 0.25])}
    if 'label' in feature:
      good['label'] = _ints([1])
    _write_examples(path, [good, good, feature, good])
    with self.assertRaisesRegex(sources_lib.DataError, re.escape(path) + ', ' + message):
      sources_lib.open_source(path).scan()

  def test_bad_image_record_and_image_values(self):
    directory = self.create_tempdir().full_path
    png = tf.io.encode_png(_images(1)[0]).numpy()
    image = lambda data: {'image': tf.train.Feature(bytes_list=tf.train.BytesList(value=[data]))}  # noqa: E731
    path = os.path.join(directory, 'images.tfrecord')
    _write_examples(path, [image(png)] * 3 + [image(b'garbage')])
    with self.assertRaisesRegex(
      sources_lib.DataError, re.escape(path) + ', record 3: feature `image` is not'
    ):
      sources_lib.open_source(path).scan()
    path = os.path.join(directory, 'grey.tfrecord')
    _write_examples(
      path,
      [{'x': _floats([0.5] * 4), 'shape': _ints([2, 2])}] * 2
      + [{'x': _floats([2.0] * 4), 'shape': _ints([2, 2])}],
    )
    with self.assertRaisesRegex(sources_lib.DataError, re.escape(path) + r', record 2: .*\[0, 1\]'):
      sources_lib.open_source(path).scan()

  def test_corrupt_and_foreign_files(self):
    directory, _, _ = self._write('raw', train_shards=2)
    path = os.path.join(directory, 'data-train-00001-of-00002.tfrecord')
    with open(path, 'r+b') as f:
      f.seek(os.path.getsize(path) // 2)
      f.write(b'\xff' * 8)
    with self.assertRaisesRegex(
      sources_lib.DataError, re.escape(path) + r', record \d+: not a TFRecord file, or corrupted'
    ):
      sources_lib.open_source(os.path.join(directory, '*.tfrecord')).scan()
    text = os.path.join(self.create_tempdir().full_path, 'notes.tfrecord')
    with open(text, 'w') as f:
      f.write('hello, this is not a TFRecord file at all')
    with self.assertRaisesRegex(
      sources_lib.DataError, re.escape(text) + ', record 0: not a TFRecord'
    ):
      sources_lib.open_source(text)


class CsvTest(SplitTestMixin, test_util.TestCase):
  def _table(self, n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0], 4)
    x[:, 2] = 7.0  # A constant column.
    return x, np.arange(n) % 4

  def test_values_labels_and_train_statistics(self):
    directory = self.create_tempdir().full_path
    x, labels = self._table()
    rows = [[*row[:2], label, row[2]] for row, label in zip(x, labels)]
    _write_csv(os.path.join(directory, 'a.csv'), ['u', 'v', 'label', 'w'], rows[:120])
    _write_csv(os.path.join(directory, 'b.csv'), ['u', 'v', 'label', 'w'], rows[120:])
    source = sources_lib.open_source(os.path.join(directory, '*.csv'), validation_fraction=0.2)
    info = source.scan()
    self.assertEqual((info.kind, info.value_range, info.event_shape), ('table', 'real', (3,)))
    self.assertEqual((info.feature_names, info.num_classes), (['u', 'v', 'w'], 4))
    self.assertEqual(info.num_files, {'train': 2, 'validation': 2, 'test': 2})
    train_x, train_y = source.take('train', 1000)
    self.assertLen(train_x, info.num_examples['train'])
    expected = train_x.astype(np.float64)
    self.assertAllClose(info.loc, expected.mean(0), rtol=1e-9)
    self.assertAllClose(info.scale[:2], expected.std(0)[:2], rtol=1e-9)
    self.assertEqual(info.scale[2], 1.0)
    # Raw values (not standardized), each example in exactly one split.
    written = {r.astype(np.float32).tobytes(): y for r, y in zip(x, labels)}
    seen = []
    for split in sources_lib.SPLITS:
      got_x, got_y = source.take(split, 1000)
      seen += [r.tobytes() for r in got_x]
      self.assertEqual([written[r.tobytes()] for r in got_x], got_y.tolist())
    self.assertCountEqual(seen, written)

  def test_relative_glob(self):
    directory = self.create_tempdir().full_path
    _write_csv(os.path.join(directory, 'part-train.csv'), ['a'], [[i] for i in range(8)])
    _write_csv(os.path.join(directory, 'part-test.csv'), ['a'], [[i] for i in range(3)])
    cwd = os.getcwd()
    os.chdir(directory)
    try:
      info = sources_lib.open_source('*.csv', validation_fraction=0).scan()
    finally:
      os.chdir(cwd)
    self.assertEqual(info.num_examples, {'train': 8, 'validation': 0, 'test': 3})

  def test_label_column(self):
    path = os.path.join(self.create_tempdir().full_path, 't.csv')
    _write_csv(path, ['a', 'class'], [[i * 0.5, i % 2] for i in range(40)])
    options = dict(validation_fraction=0.2, test_fraction=0.3)
    self.assertIsNone(sources_lib.open_source(path, **options).scan().num_classes)
    info = sources_lib.open_source(path, label_column='class', **options).scan()
    self.assertEqual((info.event_shape, info.num_classes, info.feature_names), ((1,), 2, ['a']))
    with self.assertRaisesRegex(ValueError, '`label_column`'):
      sources_lib.open_source(path, label_column='nope')

  @test_util.parameterized.named_parameters(
    ('text', '1.5,abc,0', r"line 4, column 'b': 'abc' is not a finite number"),
    ('missing', '1.5,,0', r"line 4, column 'b': missing"),
    ('few', '1.5,2', r"line 4: 2 field\(s\) separated by ','; the header has 3"),
    ('many', '1.5,2,0,9', r'line 4: 4 field\(s\)'),
    ('label', '1.5,2,-1', r"line 4, column 'label': '-1' is not a label"),
    ('float_label', '1.5,2,1.5', r"line 4, column 'label': '1.5' is not a label"),
    ('nan', '1.5,nan,1', r"line 4, column 'b': 'nan' is not a finite number"),
    ('empty_line', '', r'line 4: 0 field\(s\)'),
  )
  def test_bad_line(self, line, message):
    path = os.path.join(self.create_tempdir().full_path, 'bad.csv')
    with open(path, 'w') as f:
      f.write(f'a,b,label\n1,2,0\n3,4,1\n{line}\n5,6,1\n')
    with self.assertRaisesRegex(sources_lib.DataError, re.escape(path) + ', ' + message):
      sources_lib.open_source(path).scan()

  def test_bad_headers(self):
    directory = self.create_tempdir().full_path
    _write_csv(os.path.join(directory, 'a.csv'), ['x', 'y'], [[1, 2]])
    _write_csv(os.path.join(directory, 'b.csv'), ['x', 'z'], [[1, 2]])
    with self.assertRaisesRegex(sources_lib.DataError, r"b\.csv: header \['x', 'z'\] differs"):
      sources_lib.open_source(os.path.join(directory, '*.csv'))
    path = os.path.join(directory, 'headless.csv')
    _write_csv(path, ['1', '2'], [[3, 4]])
    with self.assertRaisesRegex(sources_lib.DataError, 'header row with column names is required'):
      sources_lib.open_source(path)

  def test_columns_to_read_skip_ids_and_text(self):
    path = os.path.join(self.create_tempdir().full_path, 'people.csv')
    rows = [[f'id-{i}', i * 0.5, f'note {i}', -i, i % 2] for i in range(40)]
    _write_csv(path, ['id', 'a', 'note', 'b', 'label'], rows)
    options = dict(validation_fraction=0.2, test_fraction=0.3)
    with self.assertRaisesRegex(sources_lib.DataError, "column 'id': 'id-"):
      sources_lib.open_source(path, **options).scan()
    for columns in (dict(ignore_columns=['id', 'note']), dict(feature_columns='a, b')):
      with self.subTest(**columns):
        source = sources_lib.open_source(path, **columns, **options)
        info = source.scan()
        self.assertEqual((info.feature_names, info.num_classes), (['a', 'b'], 2))
        x, y = source.take('test', 100)
        self.assertAllEqual(x[:, 1], -2 * x[:, 0])
        self.assertAllEqual(y, (x[:, 0] * 2).astype(int) % 2)
    with self.assertRaisesRegex(ValueError, r"`ignore_columns`: no column\(s\) \['ID'\]"):
      sources_lib.open_source(path, ignore_columns=['ID'])
    with self.assertRaisesRegex(ValueError, 'not both'):
      sources_lib.open_source(path, feature_columns=['a'], ignore_columns=['id'])
    with self.assertRaisesRegex(ValueError, '`feature_columns` applies to CSV'):
      sources_lib.open_source('digits', feature_columns=['a'])

  @test_util.parameterized.named_parameters(('semicolon', ';'), ('tab', '\t'), ('bar', '|'))
  def test_the_delimiter_is_the_one_the_header_shows(self, delimiter):
    path = os.path.join(self.create_tempdir().full_path, 'eu.csv')
    with open(path, 'w') as f:
      f.write(delimiter.join(['a', 'b', 'label']) + '\n')
      for i in range(40):
        f.write(delimiter.join([str(i), str(i * 0.25), str(i % 3)]) + '\n')
    source = sources_lib.open_source(path, validation_fraction=0.2, test_fraction=0.3)
    info = source.scan()
    self.assertEqual((info.feature_names, info.num_classes), (['a', 'b'], 3))
    x, y = source.take('train', 100)
    self.assertAllEqual(x[:, 1], x[:, 0] / 4)
    self.assertAllEqual(y, x[:, 0].astype(int) % 3)
    with open(path, 'a') as f:
      f.write('1,2,0\n')  # Another delimiter in one line.
    with self.assertRaisesRegex(
      sources_lib.DataError, re.escape(f'line 42: 1 field(s) separated by {delimiter!r}')
    ):
      sources_lib.open_source(path).scan()

  def test_tables_are_not_binarized_or_resized(self):
    path = os.path.join(self.create_tempdir().full_path, 't.csv')
    _write_csv(path, ['a', 'b'], [[i, -i] for i in range(50)])
    source = sources_lib.open_source(path, validation_fraction=0.2, test_fraction=0.3)
    with self.assertRaisesRegex(ValueError, '`binarization`'):
      source.dataset('train', 8, binarization='dynamic')
    with self.assertRaisesRegex(ValueError, '`channels`'):
      sources_lib.open_source(path, channels=1)


class DatasetTest(test_util.TestCase):
  def _source(self, num_files=4, n=60, encoding='raw', **kwargs):
    """`n` grey images, label = example index, in `num_files` train files and one test file."""
    directory = self.create_tempdir().full_path
    x = np.random.default_rng(2).uniform(size=(n + 10, 3, 2, 1)).astype(np.float32)
    x[:, 0, 0] = 0.0
    x[:, 0, 1] = 1.0
    labels = np.arange(n + 10)
    prefix = os.path.join(directory, 'd-train')
    sources_lib.write_tfrecords(prefix, x[:n], labels[:n], num_files, encoding)
    sources_lib.write_tfrecords(os.path.join(directory, 'd-test'), x[n:], labels[n:], 1, encoding)
    return sources_lib.open_source(os.path.join(directory, '*'), **kwargs), x

  def test_dynamic_binarization_is_fresh_every_epoch(self):
    source, x = self._source(validation_fraction=0)
    ds = source.dataset('train', 16, binarization='dynamic', labels=True, seed=3)
    first, second = (_epoch(ds) for _ in range(2))
    self.assertAllEqual(first[1], np.arange(60))
    self.assertAllEqual(np.unique(first[0]), [0.0, 1.0])
    self.assertAllEqual(first[0][:, 0, 0], np.zeros((60, 1)))  # Black stays black,
    self.assertAllEqual(first[0][:, 0, 1], np.ones((60, 1)))  # white stays white.
    self.assertNotAllClose(first[0], second[0])
    draws = np.stack([_epoch(ds)[0] for _ in range(20)])[:, :, 1:].reshape(20, -1)
    grey = x[:60, 1:].reshape(-1)
    for group in (grey < 0.5, grey >= 0.5):  # About 2,400 draws each: standard error <= 0.01.
      self.assertNear(draws[:, group].mean(), grey[group].mean(), 0.04)

  def test_static_binarization_is_fixed_per_example(self):
    source, x = self._source(validation_fraction=0)
    in_order = _epoch(source.dataset('train', 16, binarization='static', labels=True))
    shuffled = _epoch(source.dataset('train', 7, shuffle=True, binarization='static', labels=True))
    self.assertAllEqual(np.unique(in_order[0]), [0.0, 1.0])
    self.assertAllEqual(in_order[0][np.argsort(in_order[1])], shuffled[0][np.argsort(shuffled[1])])
    self.assertNotAllClose(shuffled[1], np.arange(60))  # Shuffled, and each image kept its draw.
    other_seed = sources_lib.open_source(source.spec, validation_fraction=0, seed=1)
    self.assertNotAllClose(
      in_order[0], _epoch(other_seed.dataset('train', 16, binarization='static', labels=True))[0]
    )

  @test_util.parameterized.parameters('raw', 'png')  # Decoded in chunks, or one by one.
  def test_shuffle_reorders_every_epoch_and_keeps_every_example(self, encoding):
    source, _ = self._source(encoding=encoding, validation_fraction=0)
    ds = source.dataset('train', 8, shuffle=True, labels=True, shuffle_buffer=20, seed=5)
    orders = [_epoch(ds)[1] for _ in range(2)]
    for order in orders:
      self.assertAllEqual(np.sort(order), np.arange(60))
    self.assertNotAllEqual(orders[0], orders[1])
    self.assertEqual(ds.cardinality(), 8)
    ds = source.dataset('train', 8, drop_remainder=True)
    self.assertEqual(ds.cardinality(), 7)
    self.assertEqual(ds.element_spec.shape.as_list(), [8, 3, 2, 1])

  @test_util.parameterized.parameters(
    (2, 4, False, 'raw'), (3, 4, False, 'png'), (2, 1, True, 'png'), (3, 1, True, 'raw')
  )
  def test_shards_see_every_example_once(self, num_shards, num_files, by_record, encoding):
    source, _ = self._source(num_files, encoding=encoding, validation_fraction=0.2)
    expected = source.take('train', 100)[1]
    seen = []
    for index in range(num_shards):
      with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ds = source.dataset(
          'train', 5, shuffle=True, labels=True, num_shards=num_shards, shard_index=index
        )
      self.assertEqual(any('sharding by record' in str(w.message) for w in caught), by_record)
      labels = _epoch(ds)[1]
      self.assertEqual(ds.cardinality(), -(-len(labels) // 5))
      seen += labels.tolist()
    self.assertCountEqual(seen, expected)

  def test_take_is_deterministic(self):
    source, x = self._source(validation_fraction=0)
    a, b = source.take('train', 25), source.take('train', 25)
    self.assertAllEqual(a[0], b[0])
    self.assertAllEqual(a[1], np.arange(25))
    self.assertAllEqual(a[0], x[:25])
    self.assertEqual(source.take('test', 1000)[0].shape, (10, 3, 2, 1))

  def test_source_info_json_round_trip(self):
    source, _ = self._source()
    info = source.scan()
    self.assertEqual(sources_lib.SourceInfo.from_json(info.to_json()), info)
    self.assertIsInstance(info.to_json()['event_shape'], list)

  def test_empty_splits_are_errors(self):
    path = os.path.join(self.create_tempdir().full_path, 'two.csv')
    _write_csv(path, ['a'], [[1], [2]])
    with self.assertRaisesRegex(sources_lib.DataError, 'split is empty'):
      sources_lib.open_source(path, test_fraction=0.01).scan()

  def test_rows_name_file_and_row_in_source_order(self):
    directory = self.create_tempdir().full_path
    for name, start in (('b.csv', 10), ('a.csv', 0)):
      _write_csv(
        os.path.join(directory, name), ['v', 'label'], [[start + i, i % 3] for i in range(4)]
      )
    source = sources_lib.open_source(os.path.join(directory, '*.csv'), test_fraction=0.01)
    data, files = source.rows(None, batch_size=3)  # Whole: too small to split, and fine.
    rows = {k: np.concatenate([b[k].numpy() for b in data]) for k in ('x', 'y', 'file', 'row')}
    self.assertEqual([os.path.basename(f) for f in files], ['a.csv', 'b.csv'])
    self.assertAllEqual(rows['file'], [0] * 4 + [1] * 4)
    self.assertAllEqual(rows['row'], [0, 1, 2, 3] * 2)
    self.assertAllEqual(rows['x'][:, 0], [0, 1, 2, 3, 10, 11, 12, 13])
    self.assertAllEqual(rows['y'], [0, 1, 2, 0] * 2)

  def test_rows_of_arrays_name_the_stored_row(self):
    (x_train, _, rows_train, part), _ = datasets_lib.load_with_rows('digits')
    source = sources_lib.open_source('digits')
    data, files = source.rows(['validation', 'train'], batch_size=500)
    batches = list(data)
    self.assertEqual((files, part), (['digits'], 'x'))
    row = np.concatenate([b['row'].numpy() for b in batches])
    self.assertAllEqual(row, np.sort(rows_train))  # Train and validation, stored order.
    x = np.concatenate([b['x'].numpy() for b in batches])
    self.assertAllEqual(x, x_train[np.argsort(rows_train)])

  def test_top_level_split_folders_name_the_split(self):
    self.assertEqual(splits_lib.path_token('train/part-0.csv'), 0)
    self.assertEqual(splits_lib.path_token('val/part-0.csv'), 1)
    self.assertEqual(splits_lib.path_token('data/x-test.csv'), 2)
    self.assertIsNone(splits_lib.path_token('trainee/part-0.csv'))
    with self.assertRaisesRegex(ValueError, 'test split in a train folder'):
      splits_lib.path_token('train/x-test.csv')

  def test_bad_arguments(self):
    source, _ = self._source()
    for kwargs, name in (
      (dict(split='dev', batch_size=4), 'split'),
      (dict(split='train', batch_size=0), 'batch_size'),
      (dict(split='train', batch_size=4, binarization='otsu'), 'binarization'),
      (dict(split='train', batch_size=4, num_shards=0), 'num_shards'),
      (dict(split='train', batch_size=4, num_shards=2, shard_index=2), 'shard_index'),
      (dict(split='train', batch_size=4, shuffle_buffer=0), 'shuffle_buffer'),
      (dict(split='train', batch_size=100, drop_remainder=True), 'batch_size'),
    ):
      with self.assertRaisesRegex(ValueError, f'`{name}`'):
        source.dataset(**kwargs)
    for kwargs, name in (
      (dict(image_size=(0, 2)), 'image_size'),
      (dict(image_size=(2, 2, 2)), 'image_size'),
      (dict(channels=2), 'channels'),
      (dict(validation_fraction=1.0), 'validation_fraction'),
      (dict(test_fraction=0.0), 'test_fraction'),
      (dict(seed=-1), 'seed'),
      (dict(label_column='y'), 'label_column'),
    ):
      with self.assertRaisesRegex(ValueError, f'`{name}`'):
        sources_lib.open_source('digits', **kwargs)
    with self.assertRaisesRegex(TypeError, '`spec`'):
      sources_lib.open_source(3)


if __name__ == '__main__':
  test_util.main()
