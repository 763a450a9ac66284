# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Image datasets and `tf.data` pipelines with dynamic binarization.

Every loader returns `((x_train, y_train), (x_test, y_test))` with `x` float32
in [0, 1] of shape `[n, height, width, 1]` and integer labels (or `None`).
"""

import gzip
import os
import pathlib

import numpy as np
import tensorflow as tf

from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'DATASETS',
  'binarize',
  'load',
  'load_with_rows',
  'make_dataset',
  'stateless_binarize',
]

DATASETS = ('digits', 'fashion_mnist', 'mnist')

_IDX_FILES = {
  'x_train': 'train-images-idx3-ubyte',
  'y_train': 'train-labels-idx1-ubyte',
  'x_test': 't10k-images-idx3-ubyte',
  'y_test': 't10k-labels-idx1-ubyte',
}
_DEBIAN_DIRS = {'fashion_mnist': '/usr/share/datasets/fashion-mnist'}
_DIGITS_TEST_SIZE = 297
_LEVELS = 65535  # Grey levels of dynamic binarization (16 bits).


def load(name: str = 'digits', data_dir: str | None = None, seed: int = 0):
  """Loads a dataset by name, or the user's own arrays from a file.

  Args:
    name: `'digits'` (1,797 real 8x8 handwritten digits with 17 grey levels,
      shipped with tfvae; 1,500 train / 297 test), `'mnist'`,
      `'fashion_mnist'`, or the path of a `.npz` / `.npy` file. An `.npz`
      holds `x_train` and `x_test` (optionally `y_train`, `y_test`) or a single
      `x`; an `.npy` holds `x`. A single array is split 90/10 with `seed`.
      8-bit arrays are scaled by 1/255.
    data_dir: for `mnist` / `fashion_mnist`, a directory holding the four
      standard IDX files (`train-images-idx3-ubyte[.gz]`, ...), such as Debian's
      `/usr/share/datasets/fashion-mnist`.
      Default value: `None`: download through `tf_keras.datasets` (cached in
      `~/.keras/datasets`).
    seed: seed of the train/test split for `digits` and single arrays.
      Default value: `0`.

  Returns:
    `((x_train, y_train), (x_test, y_test))`.

  Raises:
    ValueError: unknown `name`, unreadable or malformed files, or a failed
      download (the message names the `data_dir` option).

  #### Examples

  >>> (x_train, y_train), (x_test, y_test) = load('digits')
  >>> x_train.shape, x_test.shape, float(x_train.max())
  ((1500, 8, 8, 1), (297, 8, 8, 1), 1.0)
  """
  (x_train, y_train, _, _), (x_test, y_test, _, _) = load_with_rows(name, data_dir, seed)
  return (x_train, y_train), (x_test, y_test)


def load_with_rows(name: str = 'digits', data_dir: str | None = None, seed: int = 0):
  """`load`, with where each example comes from: `((x, y, rows, part), (x, y, rows, part))`.

  `rows` (int64 `[n]`) are the examples' 0-based indices in the stored array
  that `part` names: `'x'` (a single array, or the shipped digits), `'x_train'` /
  `'x_test'` (an `.npz` holding both, or the IDX files of `mnist` /
  `fashion_mnist`).

  Raises:
    ValueError: as `load`.
  """
  if not isinstance(name, (str, os.PathLike)):
    raise TypeError(f'`name` must be a dataset name or a file path; got {name!r}.')
  name = os.fspath(name)
  if name.endswith(('.npz', '.npy')):
    return _load_arrays(name, seed)
  if name == 'digits':
    return _load_digits(seed)
  if name in ('mnist', 'fashion_mnist'):
    if data_dir is not None:
      return _whole(*_load_idx(data_dir))
    return _whole(*_download(name))
  raise ValueError(f'`name` must be one of {list(DATASETS)} or a .npz/.npy path; got {name!r}.')


def _whole(train, test):
  """Train and test arrays stored as such: every row in order."""
  return tuple(
    (x, y, np.arange(len(x), dtype=np.int64), part)
    for (x, y), part in ((train, 'x_train'), (test, 'x_test'))
  )


def binarize(x, seed: int = 0) -> np.ndarray:
  """A fixed Bernoulli draw of every pixel: `x_bin ~ Bernoulli(x)` (for evaluation).

  Args:
    x: array of values in [0, 1].
    seed: `int` seed; the same seed gives the same binary images.
      Default value: `0`.

  Returns:
    float32 array of 0s and 1s, the shape of `x`.

  #### Examples

  >>> binarize(np.array([[0., 1.]]), seed=1)
  array([[0., 1.]], dtype=float32)
  """
  x = np.asarray(x, np.float32)
  return (np.random.default_rng(seed).uniform(size=x.shape) < x).astype(np.float32)


def stateless_binarize(x, seed) -> tf.Tensor:
  """A Bernoulli(x) draw of every value of a tensor, fixed by a stateless seed.

  The draw is exact for values quantized to 16 bits (1/65535), as in
  `make_dataset`'s dynamic binarization; a new seed per batch and epoch gives a
  fresh draw (`tf.data` pipelines draw their seeds from `tf.data.Dataset.random`).

  Args:
    x: `[batch_size, *event_shape]` tensor with a known `event_shape`: float
      values in [0, 1], or their `uint16` grey levels `round(x * 65535)`.
    seed: integer `[2]` tensor, the stateless seed.

  Returns:
    float32 tensor of 0s and 1s, the shape of `x`.

  #### Examples

  >>> stateless_binarize(tf.constant([[0.0, 1.0, 1.0]]), seed=[1, 2]).numpy()
  array([[0., 1., 1.]], dtype=float32)
  """
  x = tf.convert_to_tensor(x)
  levels = (
    x if x.dtype == tf.uint16 else tf.cast(tf.round(tf.cast(x, tf.float32) * _LEVELS), tf.uint16)
  )
  return _binarize_levels(levels, seed, x.shape[1:])


def make_dataset(
  x,
  batch_size: int = 128,
  shuffle: bool = True,
  binarization: str | None = 'dynamic',
  seed: int = 0,
  drop_remainder: bool = False,
  labels=None,
) -> tf.data.Dataset:
  """A `tf.data` pipeline of `x` batches: shuffle, batch, binarize, prefetch.

  Args:
    x: `[n, *event_shape]` array of values in [0, 1].
    batch_size: examples per batch.
      Default value: `128`.
    shuffle: reshuffle every epoch.
      Default value: `True`.
    binarization: `'dynamic'` (a fresh Bernoulli draw of every pixel each epoch,
      for training), `'static'` (one draw fixed by `seed`, for evaluation) or
      `None` (values as given).
      Default value: `'dynamic'`.
    seed: seed of shuffling and binarization.
      Default value: `0`.
    drop_remainder: drop the last partial batch.
      Default value: `False`.
    labels: `[n]` integer labels of `x`, or `None`.
      Default value: `None`: batches of `x` only.

  Returns:
    A `tf.data.Dataset` of float32 `[batch_size, *event_shape]` tensors, or of
    `(x, y)` pairs with int64 `y` of shape `[batch_size]` when `labels` are given.

  Raises:
    ValueError: bad `x`, `batch_size`, `binarization` or `labels`.

  #### Examples

  >>> ds = make_dataset(np.full((5, 2), 0.5, np.float32), batch_size=2)
  >>> [batch.shape.as_list() for batch in ds]
  [[2, 2], [2, 2], [1, 2]]
  >>> ds = make_dataset(np.zeros((3, 2)), 2, shuffle=False, labels=[4, 5, 6])
  >>> [y.numpy().tolist() for _, y in ds]
  [[4, 5], [6]]
  """
  x = checks.check_images(x, 'x')
  if labels is not None:
    labels = _check_labels(labels, len(x))
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  checks.check_choice(binarization, ('dynamic', 'static', None), 'binarization')
  if binarization == 'static':
    x = binarize(x, seed)
  num_examples = len(x)
  num_batches = num_examples // batch_size if drop_remainder else -(-num_examples // batch_size)
  if num_batches == 0:
    raise ValueError(
      f'`batch_size`={batch_size} with `drop_remainder` leaves no batch of {num_examples}.'
    )
  dynamic = binarization == 'dynamic'

  # Each epoch draws one seed: it fixes that epoch's order and binarization.
  # Batches are gathered by index from the whole array (no per-example
  # elements, no shuffle buffer), as Keras does for arrays.
  def epoch(epoch_seed):
    epoch_seed = tf.stack([epoch_seed, tf.constant(seed, tf.int64)])
    order = tf.range(num_examples, dtype=tf.int64)
    if shuffle:
      order = tf.random.experimental.stateless_shuffle(order, seed=epoch_seed)
    starts = tf.range(num_batches, dtype=tf.int64) * batch_size
    ends = tf.minimum(starts + batch_size, num_examples)
    return tf.data.Dataset.from_tensor_slices((starts, ends)).map(
      lambda start, end: (order[start:end], tf.stack([epoch_seed[0], start]))
    )

  seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
  batches = seeds.flat_map(epoch)
  event_shape = x.shape[1:]
  if dynamic:
    # Grey levels as 16-bit integers: a pixel is 1 when a uniform 16-bit draw
    # falls below its level (always, at level 1.0), i.e. Bernoulli(x) with x
    # quantized to 1/65535. Half the memory traffic and half the random bits
    # of float32 draws.
    x = np.round(x * _LEVELS).astype(np.uint16)
  data = tf.data.Dataset.from_tensors(x if labels is None else (x, labels)).repeat()

  def gather(indices_and_seed, arrays):
    indices, batch_seed = indices_and_seed
    batch = tf.gather(arrays if labels is None else arrays[0], indices)
    if dynamic:
      batch = _binarize_levels(batch, batch_seed, event_shape)
    if labels is not None:
      return batch, tf.gather(arrays[1], indices)
    return batch

  ds = tf.data.Dataset.zip((batches, data)).map(gather, num_parallel_calls=tf.data.AUTOTUNE)
  ds = ds.apply(tf.data.experimental.assert_cardinality(num_batches))
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
  return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def _binarize_levels(levels, seed, event_shape):
  """Bernoulli draws from `uint16` grey levels, two pixels per 32 random bits."""
  num_pixels = int(np.prod(event_shape))
  batch_size = tf.shape(levels)[0]
  bits = tf.random.stateless_uniform(
    [batch_size, (num_pixels + 1) // 2], seed=seed, minval=None, maxval=None, dtype=tf.uint32
  )
  draws = tf.reshape(tf.bitcast(bits, tf.uint16), [batch_size, -1])[:, :num_pixels]
  draws = tf.reshape(draws, tf.shape(levels))
  ones = tf.logical_or(draws < levels, tf.equal(levels, _LEVELS))
  return tf.cast(ones, tf.float32)


def _check_labels(labels, num_examples):
  labels = np.asarray(labels)
  if labels.shape != (num_examples,) or not np.issubdtype(labels.dtype, np.integer):
    raise ValueError(
      f'`labels` must be {num_examples} integers, one per example; got {labels.dtype} '
      f'array of shape {labels.shape}.'
    )
  return labels.astype(np.int64)


def _load_digits(seed):
  path = pathlib.Path(__file__).parent / 'digits.npz'
  with np.load(path) as data:
    images, labels = data['images'], data['labels'].astype(np.int64)
  x = (images.astype(np.float32) / 16.0)[..., np.newaxis]
  order = np.random.default_rng(seed).permutation(len(x))
  test, train = order[:_DIGITS_TEST_SIZE], order[_DIGITS_TEST_SIZE:]
  return (x[train], labels[train], train, 'x'), (x[test], labels[test], test, 'x')


def _load_arrays(path, seed):
  if not os.path.isfile(path):
    raise ValueError(f'`name`: no such file {path!r}.')
  try:
    data = np.load(path, allow_pickle=False)
  except (OSError, ValueError) as e:
    raise ValueError(f'`name`: cannot read {path!r} as a NumPy file: {e}') from None
  if isinstance(data, np.ndarray):
    arrays = {'x': data}
  else:
    with data:
      arrays = {key: data[key] for key in data.files}
  if 'x_train' in arrays and 'x_test' in arrays:
    train = (_as_images(arrays['x_train'], 'x_train'), arrays.get('y_train'))
    test = (_as_images(arrays['x_test'], 'x_test'), arrays.get('y_test'))
    return _whole(train, test)
  if 'x' not in arrays:
    raise ValueError(
      f'`name`: {path!r} must hold arrays `x_train` and `x_test`, or `x`; '
      f'it holds {sorted(arrays)}.'
    )
  x = _as_images(arrays['x'], 'x')
  y = arrays.get('y')
  if len(x) < 2:
    raise ValueError(f'`name`: {path!r} holds {len(x)} example(s); at least 2 are needed.')
  order = np.random.default_rng(seed).permutation(len(x))
  num_test = max(1, len(x) // 10)
  test, train = order[:num_test], order[num_test:]
  pick = (lambda idx: None) if y is None else (lambda idx: y[idx])
  return (x[train], pick(train), train, 'x'), (x[test], pick(test), test, 'x')


def _as_images(array, name):
  array = np.asarray(array)
  if array.dtype == np.uint8:
    array = array.astype(np.float32) / 255.0
  array = checks.check_images(array, name)
  if array.ndim == 3:  # [n, height, width]: add the channel axis.
    array = array[..., np.newaxis]
  return array


def _load_idx(data_dir):
  data_dir = os.fspath(data_dir)
  if not os.path.isdir(data_dir):
    raise ValueError(f'`data_dir`: {data_dir!r} is not a directory.')
  arrays = {}
  for key, stem in _IDX_FILES.items():
    for candidate in (stem, stem + '.gz'):
      path = os.path.join(data_dir, candidate)
      if os.path.isfile(path):
        arrays[key] = _read_idx(path)
        break
    else:
      raise ValueError(f'`data_dir`: {data_dir!r} has no {stem} or {stem}.gz IDX file.')
  x_train = arrays['x_train'].astype(np.float32)[..., np.newaxis] / 255.0
  x_test = arrays['x_test'].astype(np.float32)[..., np.newaxis] / 255.0
  return (x_train, arrays['y_train'].astype(np.int64)), (x_test, arrays['y_test'].astype(np.int64))


def _read_idx(path):
  opener = gzip.open if path.endswith('.gz') else open
  try:
    with opener(path, 'rb') as f:
      raw = f.read()
  except OSError as e:
    raise ValueError(f'`data_dir`: cannot read {path!r}: {e}') from None
  if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
    raise ValueError(f'`data_dir`: {path!r} is not an unsigned-byte IDX file.')
  ndim = raw[3]
  dims = np.frombuffer(raw, '>u4', count=ndim, offset=4).astype(int)
  expected = 4 + 4 * ndim + int(np.prod(dims))
  if len(raw) != expected:
    raise ValueError(f'`data_dir`: {path!r} is truncated ({len(raw)} of {expected} bytes).')
  return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _download(name):
  module = getattr(keras.datasets, name)
  try:
    (x_train, y_train), (x_test, y_test) = module.load_data()
  except Exception as e:  # tf_keras raises a bare Exception on fetch failures.
    hint = ''
    if os.path.isdir(_DEBIAN_DIRS.get(name, '')):
      hint = f' ({_DEBIAN_DIRS[name]} holds them on this machine)'
    raise ValueError(
      f'could not download {name!r} through tf_keras.datasets ({e}). Pass `data_dir`, a '
      f'directory with the four IDX files{hint}.'
    ) from None
  to_float = lambda images: images.astype(np.float32)[..., np.newaxis] / 255.0  # noqa: E731
  return (to_float(x_train), y_train.astype(np.int64)), (to_float(x_test), y_test.astype(np.int64))
