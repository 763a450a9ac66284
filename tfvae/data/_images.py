# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Image files: folders of PNG/JPEG/BMP/GIF files, decoding, channel conversion, resizing."""

import os
import warnings

import numpy as np
import tensorflow as tf

from tfvae.data import _files as file_sources
from tfvae.data import splits

__all__ = [
  'EXTENSIONS',
  'ImageDirectory',
  'ShapeChecker',
  'convert',
  'convert_arrays',
  'decode',
  'list_directory',
  'open_directory',
]

EXTENSIONS = ('.bmp', '.gif', '.jpeg', '.jpg', '.png')
_PNG_MAGIC = b'\x89PNG'
_SPLIT_FOLDERS = {'train': 0, 'validation': 1, 'valid': 1, 'val': 1, 'test': 2}


def decode(contents, channels=None, image_size=None):
  """Decodes one encoded image to float32 in [0, 1] (8-bit / 255, 16-bit / 65535).

  GIFs give their first frame. `channels` (1 or 3) converts grey <-> RGB and
  drops alpha; `image_size` resizes (bilinear, antialiased).
  """
  # 8-bit PNGs decode to 16 bits as v * 257, and v * 257 / 65535 == v / 255.
  image = tf.cond(
    tf.equal(tf.strings.substr(contents, 0, 4), _PNG_MAGIC),
    lambda: tf.cast(tf.io.decode_png(contents, dtype=tf.uint16), tf.float32) / 65535.0,
    lambda: tf.cast(tf.io.decode_image(contents, expand_animations=False), tf.float32) / 255.0,
  )
  return convert(image, channels, image_size)


def convert(images, channels=None, image_size=None):
  """Converts `[..., height, width, c]` images to `channels` and `image_size`."""
  if channels is not None:
    num_channels = tf.shape(images)[-1]

    def from_grey():
      grey = images[..., :1]
      return grey if channels == 1 else tf.concat([grey] * 3, axis=-1)

    def from_color():
      rgb = images[..., :3]
      return tf.image.rgb_to_grayscale(rgb) if channels == 1 else rgb

    images = tf.cond(num_channels < 3, from_grey, from_color)
  if image_size is not None:
    images = tf.image.resize(images, image_size, method='bilinear', antialias=True)
  return images


def convert_arrays(x, channels, image_size):
  """`convert` of an in-memory `[n, height, width, c]` array, in slices; returns NumPy."""
  if x.ndim != 4:
    raise ValueError(
      f'`channels` and `image_size` need [n, height, width, channels] images; got {x.shape}.'
    )
  slices = [convert(x[i : i + 4096], channels, image_size).numpy() for i in range(0, len(x), 4096)]
  return np.concatenate(slices)


class ShapeChecker:
  """Checks that images share one size (unless resized) and channel count (unless converted)."""

  def __init__(self, channels, image_size):
    self._channels, self._image_size = channels, image_size
    self.first = None  # (shape, where)

  def check(self, shapes, where):
    """Checks `shapes` (`[n, 3]`) of images named by `where(i)`; raises `DataError`."""
    shapes = np.asarray(shapes)
    if not len(shapes):
      return
    if self.first is None:
      self.first = (tuple(int(d) for d in shapes[0]), where(0))
    (height, width, channels), first_where = self.first
    if self._image_size is None:
      bad = np.flatnonzero((shapes[:, 0] != height) | (shapes[:, 1] != width))
      if len(bad):
        h, w = shapes[bad[0], :2]
        raise file_sources.DataError(
          f'images of different sizes: {first_where} is {height}x{width}, {where(bad[0])} is '
          f'{h}x{w} (height x width); pass `image_size` to resize every image to one size.'
        )
    if self._channels is None:
      bad = np.flatnonzero(shapes[:, 2] != channels)
      if len(bad):
        raise file_sources.DataError(
          f'images with different channel counts: {first_where} has {channels}, '
          f'{where(bad[0])} has {shapes[bad[0], 2]}; pass `channels` (1 or 3) to convert them.'
        )

  def event_shape(self):
    height, width, channels = self.first[0]
    if self._image_size is not None:
      height, width = self._image_size
    return (int(height), int(width), int(self._channels or channels))


def list_directory(root):
  """Image files below `root`, their labels and class names, and their split folders.

  Returns:
    `(paths, labels, class_names, tokens)`: labels and class names are `None`
    for an unlabeled folder; tokens are each file's split (0, 1, 2) when `root`
    holds `train` and `test` folders, else `None`.

  Raises:
    DataError: an empty folder, a class folder without images, split folders
      with different classes.
  """
  folders = {name: path for name, path in _subfolders(root) if name in _SPLIT_FOLDERS}
  split_names = {_SPLIT_FOLDERS[name] for name in folders}
  if not {0, 2} <= split_names:
    paths, labels, class_names = _list_labeled(root)
    return paths, labels, class_names, None
  paths, labels, tokens, class_names = [], [], [], ()
  for name, folder in sorted(folders.items(), key=lambda item: _SPLIT_FOLDERS[item[0]]):
    split_paths, split_labels, split_classes = _list_labeled(folder)
    if class_names != () and split_classes != class_names:
      raise file_sources.DataError(
        f'split folders with different classes: {folder} has {split_classes}, the '
        f'{splits.SPLITS[tokens[0]]} folder has {class_names}.'
      )
    class_names = split_classes
    paths += split_paths
    labels += [] if split_labels is None else list(split_labels)
    tokens += [_SPLIT_FOLDERS[name]] * len(split_paths)
  return paths, (None if class_names is None else np.array(labels, np.int64)), class_names, tokens


def open_directory(root, seed, assignment, channels, image_size):
  """The `ImageDirectory` format and `FileSet` of a folder, each file assigned to its split."""
  paths, labels, class_names, tokens = list_directory(root)
  fmt = ImageDirectory(root, labels, class_names, channels, image_size)
  tokens = tokens or [None] * len(paths)
  files = file_sources.FileSet(
    root, paths, seed, assignment.validation_fraction, tokens, 'image files'
  )
  ids = splits.example_ids(files.keys, np.zeros(len(files), np.int64))
  files.modes = assignment.splits(ids, files.modes).numpy()  # One example per file.
  return fmt, files


class ImageDirectory(file_sources.RecordFormat):
  """A folder of image files: one example per file, labels from class folders."""

  one_per_file = True

  def __init__(self, root, labels, class_names, channels, image_size):
    self.root = root
    self.labels = labels
    self.class_names = class_names
    self.channels, self.image_size = channels, image_size
    self.event_shape = None

  def decode_example(self, element):
    image = decode(element['record'], self.channels, self.image_size)
    image.set_shape(self.event_shape)
    example = {'x': image}
    if self.labels is not None:
      example['y'] = tf.gather(tf.constant(self.labels), element['file'])
    if 'id' in element:
      example['id'] = element['id']
    return example

  def decode_batch(self, batch):
    return {key: value for key, value in batch.items() if key in ('x', 'y')}

  def scan(self, files, assignment, location):
    """Decodes every image in parallel; returns the counts and the info fields."""
    del assignment, location  # Files are assigned to splits when listed.
    checker = ShapeChecker(self.channels, self.image_size)
    ds = tf.data.Dataset.from_tensor_slices((tf.range(len(files), dtype=tf.int64), files.paths))
    ds = ds.map(
      lambda i, path: (
        i,
        tf.shape(tf.io.decode_image(tf.io.read_file(path), expand_animations=False)),
      ),
      num_parallel_calls=tf.data.AUTOTUNE,
    )
    expected = 0
    for indices, shapes in ds.ignore_errors().batch(4096).prefetch(2).as_numpy_iterator():
      gaps = np.flatnonzero(indices != np.arange(expected, expected + len(indices)))
      if len(gaps):  # A file that failed to decode was dropped.
        self._raise_bad_image(files.paths[expected + gaps[0]])
      checker.check(shapes, lambda i, start=expected: files.paths[start + i])
      expected += len(indices)
    if expected != len(files):
      self._raise_bad_image(files.paths[expected])
    self.event_shape = checker.event_shape()
    counts = np.zeros((len(files), 3), np.int64)
    counts[np.arange(len(files)), files.modes] = 1
    return counts, {
      'kind': 'images',
      'event_shape': self.event_shape,
      'class_names': self.class_names,
      'num_classes': None if self.class_names is None else len(self.class_names),
      'value_range': 'unit_interval',
    }

  @staticmethod
  def _raise_bad_image(path):
    try:
      tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
      message = 'cannot be read'
    except tf.errors.OpError as e:
      message = e.message.split('\n')[0]
    raise file_sources.DataError(f'{path}: not a readable PNG, JPEG, BMP or GIF image ({message}).')


def _subfolders(folder):
  names = sorted(name.rstrip('/') for name in tf.io.gfile.listdir(folder))
  return [
    (name, os.path.join(folder, name))
    for name in names
    if not name.startswith('.') and tf.io.gfile.isdir(os.path.join(folder, name))
  ]


def _images_in(folder, recursive):
  if not recursive:
    names = sorted(tf.io.gfile.listdir(folder))
    return [os.path.join(folder, n) for n in names if n.lower().endswith(EXTENSIONS)]
  found = []
  for directory, subdirectories, names in tf.io.gfile.walk(folder):
    subdirectories[:] = sorted(d for d in subdirectories if not d.startswith('.'))
    found += [os.path.join(directory, n) for n in names if n.lower().endswith(EXTENSIONS)]
  return sorted(found)


def _list_labeled(folder):
  classes = _subfolders(folder)
  top = _images_in(folder, recursive=False)
  if not classes:
    if not top:
      raise file_sources.DataError(
        f'{folder} holds no image files ({", ".join(EXTENSIONS)}) and no class folders.'
      )
    return top, None, None
  if top:
    warnings.warn(
      f'{folder}: {len(top)} image file(s) next to class folders are ignored (as in '
      "tf_keras.utils.image_dataset_from_directory(labels='inferred')).",
      stacklevel=5,  # The caller of open_source.
    )
  paths, labels = [], []
  for label, (_, path) in enumerate(classes):
    images = _images_in(path, recursive=True)
    if not images:
      raise file_sources.DataError(f'class folder {path} holds no image files.')
    paths += images
    labels += [label] * len(images)
  return paths, np.array(labels, np.int64), [name for name, _ in classes]
