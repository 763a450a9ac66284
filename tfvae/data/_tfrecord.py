# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""TFRecord files of `tf.train.Example`s: the `image` / `x` layout, writing, reading, checks."""

import math
import os

import numpy as np
import tensorflow as tf
from google.protobuf import message as message_lib

from tfvae.data import _files as file_sources
from tfvae.data import _images as image_files
from tfvae.internal import checks

__all__ = [
  'TFRecordFormat',
  'probe',
  'write',
]


def write(path_prefix, x, labels, num_shards, encoding):
  """Writes `x` (and `labels`) as `<prefix>-00000-of-0000N.tfrecord` shards, in order."""
  checks.check_choice(encoding, ('png', 'raw'), 'encoding')
  num_shards = checks.check_positive_int(num_shards, 'num_shards')
  if encoding == 'png':
    x = checks.check_images(x, 'x')
    if x.ndim != 4 or not 1 <= x.shape[-1] <= 4:
      raise ValueError(
        "`x` must be [n, height, width, channels] images (1 to 4 channels) for encoding='png'; "
        f'got shape {x.shape}.'
      )
  else:
    x = checks.check_real_array(x, 'x')
  if labels is not None:
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
      raise ValueError(f'`labels` must be {len(x)} integers >= 0; got {labels!r}.')
  if num_shards > len(x):
    raise ValueError(f'`num_shards`={num_shards} exceeds the {len(x)} examples.')
  paths = [f'{path_prefix}-{i:05d}-of-{num_shards:05d}.tfrecord' for i in range(num_shards)]
  if os.path.dirname(path_prefix):
    tf.io.gfile.makedirs(os.path.dirname(path_prefix))
  bounds = np.linspace(0, len(x), num_shards + 1).round().astype(int)
  if encoding == 'png':
    pixels = np.round(x * 255).astype(np.uint8)
  for i, path in enumerate(paths):
    with tf.io.TFRecordWriter(path) as writer:
      for j in range(bounds[i], bounds[i + 1]):
        if encoding == 'png':
          feature = {'image': _bytes(tf.io.encode_png(pixels[j]).numpy())}
        else:
          feature = {
            'x': tf.train.Feature(float_list=tf.train.FloatList(value=x[j].ravel())),
            'shape': _int64s(x.shape[1:]),
          }
        if labels is not None:
          feature['label'] = _int64s([labels[j]])
        example = tf.train.Example(features=tf.train.Features(feature=feature))
        writer.write(example.SerializeToString())
  return paths


def probe(paths):
  """The layout of a source from its first record: `(layout, shape, has_label)`.

  `layout` is `'image'` or `'x'`; `shape` the shape of `x` (`None` for images).

  Raises:
    DataError: no records, or a first record of neither layout.
  """
  for path in paths:
    try:
      first = next(iter(tf.data.TFRecordDataset(path).take(1)), None)
    except tf.errors.OpError as e:
      raise file_sources.DataError(
        f'{path}, record 0: not a TFRecord file, or corrupted ({e.message}).'
      ) from None
    if first is None:
      continue
    example = _parse(first.numpy(), path, 0)
    features = example.features.feature
    has_label = 'label' in features
    if 'image' in features and features['image'].WhichOneof('kind') == 'bytes_list':
      return 'image', None, has_label
    if 'x' in features and features['x'].WhichOneof('kind') == 'float_list':
      size = len(features['x'].float_list.value)
      shape = tuple(features['shape'].int64_list.value) if 'shape' in features else (size,)
      if not shape or min(shape) <= 0 or math.prod(shape) != size:
        raise file_sources.DataError(
          f'{path}, record 0: `shape` {list(shape)} does not match the {size} values of `x`.'
        )
      return 'x', shape, has_label
    raise file_sources.DataError(
      f'{path}, record 0: expected a bytes_list feature `image` or a float_list feature '
      f'`x`; found {_describe(features)}.'
    )
  raise file_sources.DataError(f'no records in {", ".join(paths[:5])}.')


class TFRecordFormat(file_sources.RecordFormat):
  """`tf.train.Example` records in the `image` or the `x` layout."""

  def __init__(self, layout, shape, has_label, channels, image_size):
    self.layout, self.shape, self.has_label = layout, shape, has_label
    self.channels, self.image_size = channels, image_size
    self.kind = 'images' if layout == 'image' or len(shape) > 1 else 'table'
    self.vectorized = layout == 'x'  # Parsed a chunk at a time; images one by one.
    self.event_shape = shape
    self._moments = file_sources.Moments()
    self._max_label = -1
    self._checker = image_files.ShapeChecker(channels, image_size)
    if self.kind == 'table' and (channels is not None or image_size is not None):
      raise ValueError(
        '`channels` and `image_size` apply to images; this source is a table of '
        f'{shape[0]} features.'
      )
    if layout == 'x' and len(shape) != 3 and (channels is not None or image_size is not None):
      raise ValueError(
        f'`channels` and `image_size` need `[height, width, channels]` images; got shape {shape}.'
      )

  def reader(self, path):
    return tf.data.TFRecordDataset(path)

  def decode_example(self, element):
    spec = {'image': tf.io.FixedLenFeature([], tf.string)}
    if self.has_label:
      spec['label'] = tf.io.FixedLenFeature([], tf.int64)
    parsed = tf.io.parse_single_example(element['record'], spec)
    image = image_files.decode(parsed['image'], self.channels, self.image_size)
    image.set_shape(self.event_shape)
    example = {'x': image}
    if self.has_label:
      example['y'] = parsed['label']
    if 'id' in element:
      example['id'] = element['id']
    return example

  def decode_batch(self, batch):
    if self.layout == 'image':
      return {key: value for key, value in batch.items() if key in ('x', 'y')}
    spec = {'x': tf.io.FixedLenFeature([math.prod(self.shape)], tf.float32)}
    if self.has_label:
      spec['label'] = tf.io.FixedLenFeature([], tf.int64)
    parsed = tf.io.parse_example(batch['record'], spec)
    x = tf.reshape(parsed['x'], [-1, *self.shape])
    if self.channels is not None or self.image_size is not None:
      x = image_files.convert(x, self.channels, self.image_size)
    decoded = {'x': x}
    if self.has_label:
      decoded['y'] = parsed['label']
    return decoded

  def scan_chunk(self, records, split_ids):
    spec = {'label': tf.io.RaggedFeature(tf.int64)}
    if self.layout == 'image':
      spec['image'] = tf.io.RaggedFeature(tf.string)
    else:
      spec['x'] = tf.io.RaggedFeature(tf.float32)
      spec['shape'] = tf.io.RaggedFeature(tf.int64)
    parsed = tf.io.parse_example(records, spec)
    labels = parsed['label']
    out = {
      'num_labels': labels.row_lengths(),
      'label': labels.to_tensor(default_value=0, shape=[None, 1])[:, 0],
    }
    if self.layout == 'image':
      images = parsed['image']
      out['num_values'] = images.row_lengths()
      out['image_shape'] = tf.map_fn(
        _image_shape,
        images.to_tensor(default_value='', shape=[None, 1])[:, 0],
        fn_output_signature=tf.TensorSpec([3], tf.int32),
      )
      return out
    x, shape = parsed['x'], parsed['shape']
    rank = len(self.shape)
    out['num_values'] = x.row_lengths()
    same_shape = tf.logical_and(
      tf.equal(shape.row_lengths(), rank),
      tf.reduce_all(tf.equal(shape.to_tensor(-1, shape=[None, rank]), self.shape), axis=1),
    )
    if rank == 1:  # A missing `shape` defaults to `[len(x)]`.
      same_shape = tf.logical_or(same_shape, tf.equal(shape.row_lengths(), 0))
    out['same_shape'] = same_shape
    out['finite'] = tf.reduce_all(tf.math.is_finite(x), axis=1)
    if self.kind == 'images':
      out['in_range'] = tf.logical_and(
        tf.reduce_all(x >= 0.0, axis=1), tf.reduce_all(x <= 1.0, axis=1)
      )
    else:
      dense = x.to_tensor(0.0, shape=[None, self.shape[0]])
      out.update(file_sources.chunk_moments(dense, tf.equal(split_ids, 0)))
    return out

  def check_chunk(self, stats, path, first_index):
    where = lambda i: f'{path}, record {first_index + i}'  # noqa: E731
    feature = '`image` (bytes_list, one value)' if self.layout == 'image' else '`x` (float_list)'
    missing = np.flatnonzero(stats['num_values'] == 0)
    if self.layout == 'image':
      missing = np.flatnonzero(stats['num_values'] != 1)
    if len(missing):
      raise file_sources.DataError(
        f'{where(missing[0])}: expected a feature {feature}, as the first record of the source '
        'has (all records must have the same layout).'
      )
    if self.layout == 'image':
      self._checker.check(stats['image_shape'], where)
    else:
      self._check_values(stats, where)
    want = 1 if self.has_label else 0
    bad = np.flatnonzero(stats['num_labels'] != want)
    if len(bad):
      raise file_sources.DataError(
        f'{where(bad[0])}: has {stats["num_labels"][bad[0]]} `label` value(s); expected '
        f'{want}, as record 0 of the source has (a label is one int64 per record).'
      )
    if self.has_label and len(stats['label']):
      bad = np.flatnonzero(stats['label'] < 0)
      if len(bad):
        raise file_sources.DataError(
          f'{where(bad[0])}: label {stats["label"][bad[0]]}; labels must be integers >= 0.'
        )
      self._max_label = max(self._max_label, int(stats['label'].max()))

  def _check_values(self, stats, where):
    size = math.prod(self.shape)
    bad = np.flatnonzero(~stats['same_shape'])
    if len(bad):
      raise file_sources.DataError(
        f'{where(bad[0])}: its `shape` differs from {list(self.shape)}, the shape of record 0 '
        'of the source (every record must have the same shape).'
      )
    bad = np.flatnonzero(stats['num_values'] != size)
    if len(bad):
      raise file_sources.DataError(
        f'{where(bad[0])}: `x` has {stats["num_values"][bad[0]]} values; its shape '
        f'{list(self.shape)} needs {size}.'
      )
    bad = np.flatnonzero(~stats['finite'])
    if len(bad):
      raise file_sources.DataError(f'{where(bad[0])}: `x` holds NaN or Inf values.')
    if self.kind == 'images':
      bad = np.flatnonzero(~stats['in_range'])
      if len(bad):
        raise file_sources.DataError(
          f'{where(bad[0])}: `x` of shape {list(self.shape)} is an image and must hold values '
          'in [0, 1] (a table is rank 1).'
        )
    else:
      self._moments.add(*(stats[k] for k in ('count', 'mean', 'm2', 'low', 'high')))

  def diagnose(self, path, error):
    index = 0
    iterator = iter(tf.data.TFRecordDataset(path))
    while True:
      try:
        record = next(iterator)
      except StopIteration:
        return
      except tf.errors.OpError as e:
        raise file_sources.DataError(
          f'{path}, record {index}: not a TFRecord file, or corrupted ({e.message}).'
        ) from None
      self._diagnose_record(_parse(record.numpy(), path, index), f'{path}, record {index}')
      index += 1

  def _diagnose_record(self, example, where):
    features = example.features.feature
    expected = {'label': 'int64_list', 'shape': 'int64_list'}
    expected.update({'image': 'bytes_list'} if self.layout == 'image' else {'x': 'float_list'})
    for name, kind in expected.items():
      if name in features and features[name].WhichOneof('kind') != kind:
        raise file_sources.DataError(
          f'{where}: feature `{name}` is a {features[name].WhichOneof("kind")}; expected a {kind}.'
        )
    if self.layout == 'image' and len(features['image'].bytes_list.value) == 1:
      try:
        tf.io.decode_image(features['image'].bytes_list.value[0], expand_animations=False)
      except tf.errors.OpError as e:
        raise file_sources.DataError(
          f'{where}: feature `image` is not a readable PNG, JPEG, BMP or GIF image '
          f'({e.message.splitlines()[0]}).'
        ) from None

  def fields(self):
    """The `SourceInfo` fields this scan found."""
    fields = {
      'kind': self.kind,
      'num_classes': self._max_label + 1 if self.has_label else None,
      'value_range': 'unit_interval' if self.kind == 'images' else 'real',
    }
    if self.layout == 'image':
      self.event_shape = self._checker.event_shape()
    elif self.image_size is not None or self.channels is not None:
      height, width, channels = self.shape
      height, width = self.image_size or (height, width)
      self.event_shape = (height, width, self.channels or channels)
    fields['event_shape'] = tuple(self.event_shape)
    if self.kind == 'table':
      fields['loc'], fields['scale'] = self._moments.loc_and_scale()
    return fields


def _image_shape(contents):
  return tf.cond(
    tf.equal(tf.strings.length(contents), 0),
    lambda: tf.constant([-1, -1, -1], tf.int32),
    lambda: tf.shape(tf.io.decode_image(contents, expand_animations=False)),
  )


def _parse(serialized, path, index):
  try:
    return tf.train.Example.FromString(serialized)
  except message_lib.DecodeError:
    raise file_sources.DataError(f'{path}, record {index}: not a tf.train.Example.') from None


def _describe(features):
  if not features:
    return 'no features'
  return ', '.join(f'`{name}` ({features[name].WhichOneof("kind")})' for name in sorted(features))


def _bytes(value):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64s(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))
