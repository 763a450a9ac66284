# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Data sources of any size streamed through `tf.data`: image folders, TFRecords, CSV tables.

`open_source(spec)` opens one of:

- a name or file of `tfvae.datasets.load` (`'digits'`, `'mnist'`,
  `'fashion_mnist'`, a `.npz` / `.npy` path): arrays held in memory;
- a folder of PNG, JPEG, BMP or GIF files (found recursively); its sorted
  subfolders are the classes, as in
  `tf_keras.utils.image_dataset_from_directory(labels='inferred')`; folders
  `train` and `test` (and optionally `validation`) at the top are the splits;
- TFRecord files matching a glob (e.g. `'data/*.tfrecord*'`), of
  `tf.train.Example` records in this layout:

  | feature | type | meaning |
  | --- | --- | --- |
  | `image` | bytes_list, 1 value | an encoded PNG, JPEG, BMP or GIF image |
  | `x` | float_list | or: the example's values, flattened row-major |
  | `shape` | int64_list | with `x`: its shape (default `[len(x)]`), the same in every record |
  | `label` | int64_list, 1 value | optional: a class label >= 0, in every record or in none |

  A source's records are all `image` or all `x`. Rank-1 `x` is a table
  (standardized like CSV); other `x` are images with values in [0, 1].
  `write_tfrecords` writes this layout;
- CSV files (a `.csv` path or glob) with a header row: every column is a
  float feature except the integer label column (`label_column`, or `label`),
  unless `feature_columns` names the features or `ignore_columns` leaves some
  out (IDs, text). The delimiter (`,`, `;`, tab, `|`) is the one the header shows.

Every source has three splits. Files or folders whose names carry the word
`train`, `test` or `validation` (`valid`, `val`) are those splits, and so are
files in top-level folders named so (train and test must both be there;
validation is otherwise held out of train). Else each
example is assigned by a stable hash of `seed`, its file's path relative to
the source and its index in the file: a `test_fraction` share is test, a
`validation_fraction` share of the rest validation. `Source.scan()` reads and
checks every record once; bad data raises `DataError` naming the file and
record. `Source.rows()` reads examples in source order with the file and row
each comes from. Nothing but in-memory arrays is ever loaded whole.
"""

import os
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from tfvae.data import _csv as csv_files
from tfvae.data import _files as file_sources
from tfvae.data import _images as image_files
from tfvae.data import _tfrecord as tfrecord_files
from tfvae.data import arrays as datasets_lib
from tfvae.data import splits
from tfvae.internal import checks

__all__ = [
  'DataError',
  'SPLITS',
  'Source',
  'SourceInfo',
  'open_source',
  'write_tfrecords',
]

SPLITS = splits.SPLITS
DataError = file_sources.DataError


class SourceInfo(NamedTuple):
  """What `Source.scan()` measured: the data's kind, shape, sizes and statistics.

  Attributes:
    kind: `'images'` (values in [0, 1]) or `'table'` (real-valued features).
    event_shape: the shape of one example, a tuple.
    num_examples: `{split: int}` for `'train'`, `'validation'` and `'test'`.
    num_classes: the number of classes (largest label + 1), or `None` without labels.
    class_names: class folder names (image folders), else `None`.
    feature_names: CSV feature column names, else `None`.
    loc: tables only: per-feature mean of the train split (float list), else `None`.
    scale: tables only: per-feature standard deviation of the train split
      (1.0 for a constant feature), else `None`.
    value_range: `'unit_interval'` for images, `'real'` for tables.
    num_files: `{split: int}` files holding examples of each split (0 in memory).
  """

  kind: str
  event_shape: tuple
  num_examples: dict
  num_classes: int | None = None
  class_names: list | None = None
  feature_names: list | None = None
  loc: list | None = None
  scale: list | None = None
  value_range: str = 'unit_interval'
  num_files: dict | None = None

  def to_json(self) -> dict:
    """A JSON-serializable dict (`from_json` reads it back).

    >>> info = SourceInfo('table', (2,), {'train': 3, 'validation': 0, 'test': 1})
    >>> SourceInfo.from_json(info.to_json()) == info
    True
    """
    value = self._asdict()
    value['event_shape'] = list(self.event_shape)
    return value

  @classmethod
  def from_json(cls, value: dict) -> 'SourceInfo':
    """The `SourceInfo` of a `to_json()` dict."""
    unknown = set(value) - set(cls._fields)
    if unknown:
      raise ValueError(f'`value`: unknown SourceInfo fields {sorted(unknown)}.')
    return cls(**{**value, 'event_shape': tuple(value['event_shape'])})


def open_source(
  spec: str,
  data_dir: str | None = None,
  image_size=None,
  channels: int | None = None,
  label_column: str | None = None,
  validation_fraction: float = 0.1,
  test_fraction: float = 0.1,
  seed: int = 0,
  feature_columns=None,
  ignore_columns=None,
) -> 'Source':
  """Opens a source of examples (see the module docstring for the formats).

  Opening lists the files and reads one record; `scan()`, `dataset()` and
  `take()` read the data.

  Args:
    spec: `'digits'`, `'mnist'`, `'fashion_mnist'`, a `.npz` / `.npy` path, a
      folder of images, a TFRecord file glob or a `.csv` path or glob.
    data_dir: for `'mnist'` / `'fashion_mnist'`: a folder of IDX files, as in
      `tfvae.datasets.load`.
      Default value: `None`.
    image_size: `(height, width)` to resize every image to (bilinear, antialiased).
      Default value: `None`: images keep their size, which must be the same for all.
    channels: 1 or 3: convert every image to grey or RGB (dropping alpha).
      Default value: `None`: the data's channel count, which must be the same for all.
    label_column: CSV only: the name of the integer label column.
      Default value: `None`: the column `label` if there is one, else no labels.
    validation_fraction: share of the training examples held out as the
      validation split, in [0, 1) (unused when the source has validation files).
      Default value: `0.1`.
    test_fraction: share of all examples in the test split, in (0, 1) (unused
      when the source has test files).
      Default value: `0.1`.
    seed: seed of the split assignment.
      Default value: `0`.
    feature_columns: CSV only: the names of the feature columns (a list, or
      one string of names separated by commas); the other columns but the
      label are not read.
      Default value: `None`: every column but the label and `ignore_columns`.
    ignore_columns: CSV only: columns not to read (IDs, text).
      Default value: `None`: none.

  Returns:
    A `Source`.

  Raises:
    TypeError: `spec` is not a string or path.
    ValueError: a bad argument (named).
    DataError: no files, an empty folder, split names that do not add up, bad
      CSV headers or a bad first TFRecord record.

  #### Examples

  >>> source = open_source('digits', validation_fraction=0.2)
  >>> info = source.scan()
  >>> info.event_shape, info.num_examples
  ((8, 8, 1), {'train': 1200, 'validation': 300, 'test': 297})
  >>> x, y = source.take('test', 2)
  >>> x.shape, y.dtype
  ((2, 8, 8, 1), dtype('int64'))
  """
  if not isinstance(spec, (str, os.PathLike)):
    raise TypeError(f'`spec` must be a dataset name or a path; got {spec!r}.')
  spec = os.fspath(spec)
  if image_size is not None:
    image_size = checks.check_shape(image_size, 'image_size')
    if len(image_size) != 2:
      raise ValueError(f'`image_size` must be (height, width); got {image_size!r}.')
  checks.check_choice(channels, (None, 1, 3), 'channels')
  if label_column is not None and not isinstance(label_column, str):
    raise TypeError(f'`label_column` must be a column name; got {label_column!r}.')
  options = dict(
    seed=checks.check_non_negative_int(seed, 'seed'),
    assignment=splits.Assignment(
      _check_fraction(validation_fraction, 'validation_fraction', include_zero=True),
      _check_fraction(test_fraction, 'test_fraction', include_zero=False),
    ),
    channels=channels,
    image_size=image_size,
  )
  feature_columns = _check_columns(feature_columns, 'feature_columns')
  ignore_columns = _check_columns(ignore_columns, 'ignore_columns')
  if feature_columns and ignore_columns:
    raise ValueError('Give `feature_columns` or `ignore_columns`, not both.')
  is_csv = spec.lower().endswith('.csv')
  for name, value in (
    ('label_column', label_column),
    ('feature_columns', feature_columns),
    ('ignore_columns', ignore_columns),
  ):
    if value and not is_csv:
      raise ValueError(f'`{name}` applies to CSV sources; got spec {spec!r}.')
  if spec in datasets_lib.DATASETS or spec.endswith(('.npz', '.npy')):
    return _ArraySource(spec, data_dir, **options)
  if tf.io.gfile.isdir(spec):
    fmt, files = image_files.open_directory(spec, seed, options['assignment'], channels, image_size)
    return _FileSource(spec, fmt, files, **options)
  if not tf.io.gfile.glob(spec):
    raise DataError(
      f'{spec!r} is neither a dataset name ({", ".join(datasets_lib.DATASETS)}) nor an existing '
      'directory of images, TFRecord file (or glob) or CSV file (or glob).'
    )
  paths, root = file_sources.glob_files(spec)
  files = file_sources.FileSet(root, paths, seed, validation_fraction)
  if is_csv or all(path.lower().endswith('.csv') for path in paths):
    if channels is not None or image_size is not None:
      raise ValueError('`channels` and `image_size` apply to images; CSV files are tables.')
    fmt = csv_files.CsvFormat(paths, label_column, feature_columns, ignore_columns)
    return _FileSource(spec, fmt, files, **options)
  layout = tfrecord_files.probe(paths)
  fmt = tfrecord_files.TFRecordFormat(*layout, channels=channels, image_size=image_size)
  return _FileSource(spec, fmt, files, **options)


def write_tfrecords(
  path_prefix: str, x, labels=None, num_shards: int = 1, encoding: str | None = None
) -> list:
  """Writes examples as TFRecord shards in the layout that `open_source` reads.

  Shard `i` of `N` is `<path_prefix>-0000i-of-0000N.tfrecord`; the examples keep
  their order (shard 0 holds the first ones). Put `train` / `test` in the
  prefix's last word to name the split.

  Args:
    path_prefix: path of the files without the shard suffix.
    x: `[n, *event_shape]` array: a table `[n, num_features]` of any real
      values, or images. For `'png'`: `[n, height, width, channels]` with
      values in [0, 1] (1 to 4 channels).
    labels: `[n]` integer labels >= 0, or `None`.
      Default value: `None`.
    num_shards: number of files.
      Default value: `1`.
    encoding: `'png'` (feature `image`: an 8-bit PNG of `round(x * 255)`) or
      `'raw'` (features `x` and `shape`: the float32 values, exact).
      Default value: `None`: `'png'` for `[n, height, width, channels]`
      images, `'raw'` for anything else (tables).

  Returns:
    The list of written paths.

  Raises:
    ValueError: bad `x`, `labels`, `num_shards` or `encoding`.

  #### Examples

  >>> import tempfile
  >>> prefix = os.path.join(tempfile.mkdtemp(), 'digits-train')
  >>> x = np.zeros((5, 4, 3, 1), np.float32)
  >>> [os.path.basename(p) for p in write_tfrecords(prefix, x, num_shards=2)]
  ['digits-train-00000-of-00002.tfrecord', 'digits-train-00001-of-00002.tfrecord']
  """
  if encoding is None:
    encoding = 'png' if np.ndim(x) == 4 else 'raw'
  return tfrecord_files.write(os.fspath(path_prefix), x, labels, num_shards, encoding)


class Source:
  """Examples from one place, split into train, validation and test; made by `open_source`."""

  def __init__(self, spec, seed, assignment, channels, image_size):
    self.spec = spec
    self._seed, self._assignment = seed, assignment
    self._channels, self._image_size = channels, image_size
    self._info = None

  def __repr__(self):
    return f'<tfvae.sources.Source {self.spec!r}>'

  def scan(self, require_splits: bool = True) -> SourceInfo:
    """Reads and checks every example once; measures the data (cached: one scan per source).

    Args:
      require_splits: raise when the train or test split (or the validation
        split, with `validation_fraction > 0`) is empty; data only scored
        (`rows(None)`) need not split.
        Default value: `True`.

    Returns:
      The `SourceInfo`.

    Raises:
      DataError: bad data (the message names the file and the record or
        line), or an empty train or test split, or an empty validation split
        although `validation_fraction > 0`.
    """
    info = self._scanned()
    for split in ('train', 'test', 'validation') if require_splits else ():
      if info.num_examples[split] == 0 and (
        split != 'validation' or self._assignment.validation_fraction > 0
      ):
        raise DataError(
          f'{self.spec}: the {split} split is empty ({info.num_examples}); use more data or '
          'other `validation_fraction` / `test_fraction`.'
        )
    return info

  def rows(
    self,
    splits=None,
    batch_size: int = 100,
    binarization: str | None = None,
    seed: int = 0,
  ):
    """One pass over examples in source order, each with the file and row it comes from.

    Files in order, records in file order, never shuffled; examples are
    prepared as `dataset(split, binarization=..., seed=...)` prepares them
    (the same static draw of each example). With `splits=None` every example
    is read, whatever its split, and a source too small to split is fine.

    Args:
      splits: split names to read together, or `None`: every example.
        Default value: `None`.
      batch_size: examples per batch.
        Default value: `100`.
      binarization: `None` or `'static'`.
        Default value: `None`.
      seed: seed of the binarization.
        Default value: `0`.

    Returns:
      `(dataset, files)`: a `tf.data.Dataset` of dict batches with `x`
      (float32 `[batch, *event_shape]`), `y` (int64 labels, when the source
      has them), `file` (int64 index into `files`), `row` (int64, the 0-based
      record index in that file: a TFRecord record, a CSV data line (the
      header is not counted; line `row + 2` of the file), an image file's 0,
      the index in an array) and `split` (int64 index into `SPLITS`); and
      `files`, the names `file` indexes (paths; `<spec>:x_train` style names
      for the arrays of `.npz` files and named datasets).

    Raises:
      ValueError: a bad argument.
      DataError: bad data found by the scan.
    """
    wanted = None
    if splits is not None:
      wanted = [SPLITS.index(checks.check_choice(s, SPLITS, 'splits')) for s in splits]
    batch_size = checks.check_positive_int(batch_size, 'batch_size')
    checks.check_choice(binarization, ('static', None), 'binarization')
    seed = checks.check_non_negative_int(seed, 'seed')
    info = self.scan(require_splits=wanted is not None)
    if binarization is not None and info.value_range != 'unit_interval':
      raise ValueError(f'`binarization` needs values in [0, 1]; {self.spec} is a table.')
    return self._rows(wanted, batch_size, binarization, seed, info.num_classes is not None)

  def _scanned(self):
    """The scan's `SourceInfo`, without the checks of the split sizes (cached)."""
    if self._info is None:
      self._info = self._scan()
    return self._info

  def dataset(
    self,
    split: str,
    batch_size: int,
    shuffle: bool = False,
    binarization: str | None = None,
    labels: bool = False,
    num_shards: int = 1,
    shard_index: int = 0,
    seed: int = 0,
    shuffle_buffer: int = 10_000,
    drop_remainder: bool = False,
  ) -> tf.data.Dataset:
    """A `tf.data` pipeline of one split's batches (scans first, once).

    Args:
      split: `'train'`, `'validation'` or `'test'`.
      batch_size: examples per batch.
      shuffle: shuffle the files and the examples every epoch.
        Default value: `False`: files in order, records in file order.
      binarization: `None` (values as stored), `'dynamic'` (a fresh Bernoulli(x)
        draw of every value each epoch, for training) or `'static'` (one draw per
        example fixed by `seed`, the same every epoch, for evaluation); images only.
        Default value: `None`.
      labels: yield `(x, y)` with int64 labels `y` of shape `[batch]`.
        Default value: `False`: yield `x` only.
      num_shards: number of workers reading the split together.
        Default value: `1`.
      shard_index: this worker's index in [0, num_shards): it reads every
        `num_shards`-th file, or, when the split has fewer files than workers,
        every `num_shards`-th example of each file (with a warning). Together
        the workers see each example once per epoch.
        Default value: `0`.
      seed: seed of shuffling and binarization.
        Default value: `0`.
      shuffle_buffer: file sources: how far examples are shuffled. Image
        sources shuffle the encoded records in a buffer of this many; TFRecord
        `x` and CSV sources, which decode whole chunks of records, permute
        windows of this many decoded examples. Arrays are shuffled whole.
        Default value: `10000`.
      drop_remainder: drop the last partial batch.
        Default value: `False`.

    Returns:
      A `tf.data.Dataset` of float32 `[batch, *event_shape]` batches (or
      `(x, y)` pairs) whose cardinality is the number of batches.

    Raises:
      ValueError: a bad argument, `labels` without labels, binarizing a table,
        or an empty split.
      DataError: bad data found by the scan.
    """
    checks.check_choice(split, SPLITS, 'split')
    batch_size = checks.check_positive_int(batch_size, 'batch_size')
    checks.check_choice(binarization, ('dynamic', 'static', None), 'binarization')
    num_shards = checks.check_positive_int(num_shards, 'num_shards')
    shard_index = checks.check_non_negative_int(shard_index, 'shard_index')
    if shard_index >= num_shards:
      raise ValueError(f'`shard_index` must be in [0, {num_shards}); got {shard_index}.')
    seed = checks.check_non_negative_int(seed, 'seed')
    shuffle_buffer = checks.check_positive_int(shuffle_buffer, 'shuffle_buffer')
    info = self.scan()
    if labels and info.num_classes is None:
      raise ValueError(f'`labels`: {self.spec} has no labels.')
    if binarization is not None and info.value_range != 'unit_interval':
      raise ValueError(f'`binarization` needs values in [0, 1]; {self.spec} is a table.')
    if info.num_examples[split] == 0:
      raise ValueError(f'`split`: the {split} split of {self.spec} is empty.')
    return self._dataset(
      SPLITS.index(split),
      batch_size,
      bool(shuffle),
      binarization,
      bool(labels),
      num_shards,
      shard_index,
      seed,
      shuffle_buffer,
      bool(drop_remainder),
    )

  def take(self, split: str, n: int):
    """The first `n` examples of a split, in a fixed order (as `dataset(split)` yields them).

    Args:
      split: `'train'`, `'validation'` or `'test'`.
      n: number of examples (fewer when the split has fewer).

    Returns:
      `(x, y)`: float32 `[n, *event_shape]` and int64 `[n]` labels, or `None`
      without labels. Values as stored (not binarized, not standardized).
    """
    checks.check_choice(split, SPLITS, 'split')
    n = checks.check_positive_int(n, 'n')
    info = self.scan()
    n = min(n, info.num_examples[split])
    has_labels = info.num_classes is not None
    if n == 0:
      return np.zeros((0, *info.event_shape), np.float32), (
        np.zeros(0, np.int64) if has_labels else None
      )
    ds = self.dataset(split, min(n, 512), labels=has_labels)
    xs, ys = [], []
    for batch in ds.as_numpy_iterator():
      x, y = batch if has_labels else (batch, None)
      xs.append(x)
      ys.append(y)
      if sum(map(len, xs)) >= n:
        break
    x = np.concatenate(xs)[:n]
    return x, (np.concatenate(ys)[:n].astype(np.int64) if has_labels else None)

  def sample(self, split: str, n: int, seed: int = 0):
    """`n` examples drawn across a split, for figures: every class, not the first files.

    With labels, the draw is stratified: up to `ceil(n / num_classes)`
    examples of each class, drawn at random within the class, in the order
    class 0, class 1, ..., class 0, ... (so any first `k` of them spread over
    `k` classes). Without labels, a uniform random draw. One pass over the
    split, keeping at most `n` examples per class in memory; the same seed
    gives the same examples.

    Args:
      split: `'train'`, `'validation'` or `'test'`.
      n: number of examples (fewer when the split, or a class, has fewer).
      seed: seed of the draw.
        Default value: `0`.

    Returns:
      `(x, y)` as `take` returns them.
    """
    checks.check_choice(split, SPLITS, 'split')
    n = checks.check_positive_int(n, 'n')
    info = self.scan()
    has_labels = info.num_classes is not None
    if not info.num_examples[split]:
      return self.take(split, n)
    num_groups = info.num_classes if has_labels else 1
    quota = -(-n // num_groups)
    rng = np.random.default_rng(checks.check_non_negative_int(seed, 'seed'))
    # Reservoir sampling per class: keys are uniform; keep the `quota` smallest.
    kept = [[] for _ in range(num_groups)]  # (key, x, y) per group.
    for batch in self.dataset(split, 512, labels=has_labels).as_numpy_iterator():
      x, y = batch if has_labels else (batch, np.zeros(len(batch), np.int64))
      keys = rng.uniform(size=len(x))
      for group in np.unique(y):
        rows = np.flatnonzero(y == group)
        kept[group] = sorted(
          kept[group] + [(keys[i], x[i], y[i]) for i in rows], key=lambda item: item[0]
        )[:quota]
    for group in kept:
      rng.shuffle(group)
    order = [group[i] for i in range(quota) for group in kept if i < len(group)][:n]
    x = np.stack([item[1] for item in order]).astype(np.float32)
    return x, (np.array([item[2] for item in order], np.int64) if has_labels else None)

  def _scan(self):
    raise NotImplementedError

  def _dataset(self, *args):
    raise NotImplementedError

  def _rows(self, wanted, batch_size, binarization, seed, has_labels):
    raise NotImplementedError


class _ArraySource(Source):
  """Arrays of `tfvae.datasets.load`, validation held out by a seeded permutation."""

  def __init__(self, spec, data_dir, seed, assignment, channels, image_size):
    super().__init__(spec, seed, assignment, channels, image_size)
    train_part, test_part = datasets_lib.load_with_rows(spec, data_dir, seed)
    (x_train, y_train, rows_train, part_train), (x_test, y_test, rows_test, part_test) = (
      train_part,
      test_part,
    )
    if channels is not None or image_size is not None:
      x_train, x_test = (
        image_files.convert_arrays(x, channels, image_size) for x in (x_train, x_test)
      )
    has_labels = y_train is not None and y_test is not None
    order = np.random.default_rng(seed).permutation(len(x_train))
    fraction = assignment.validation_fraction
    num_validation = max(1, round(fraction * len(x_train))) if fraction > 0 else 0
    validation, train = np.sort(order[:num_validation]), np.sort(order[num_validation:])
    pick = lambda y, idx: np.asarray(y, np.int64)[idx] if has_labels else None  # noqa: E731
    self._arrays = {
      'train': (x_train[train], pick(y_train, train)),
      'validation': (x_train[validation], pick(y_train, validation)),
      'test': (x_test, pick(y_test, slice(None))),
    }
    # Where each example is stored: the array it is in (an index into
    # `self._parts`) and its index there.
    self._parts = sorted({part_train, part_test})
    train_file, test_file = self._parts.index(part_train), self._parts.index(part_test)
    self._stored = {
      'train': (train_file, rows_train[train]),
      'validation': (train_file, rows_train[validation]),
      'test': (test_file, rows_test),
    }

  def _scan(self):
    labels = [y for _, y in self._arrays.values() if y is not None and len(y)]
    return SourceInfo(
      kind='images',
      event_shape=tuple(self._arrays['train'][0].shape[1:]),
      num_examples={split: len(x) for split, (x, _) in self._arrays.items()},
      num_classes=int(max(y.max() for y in labels)) + 1 if labels else None,
      value_range='unit_interval',
      num_files=dict.fromkeys(SPLITS, 0),
    )

  def _dataset(
    self,
    split,
    batch_size,
    shuffle,
    binarization,
    labels,
    num_shards,
    shard_index,
    seed,
    shuffle_buffer,
    drop_remainder,
  ):
    del shuffle_buffer  # Batches are gathered from the whole array.
    x, y = self._arrays[SPLITS[split]]
    if num_shards > 1:
      if binarization == 'static':  # The same draw of each example whatever the sharding.
        x, binarization = datasets_lib.binarize(x, seed), None
      x, y = x[shard_index::num_shards], (None if y is None else y[shard_index::num_shards])
    ds = datasets_lib.make_dataset(
      x, batch_size, shuffle, binarization, seed, drop_remainder, labels=y if labels else None
    )
    return ds.with_options(_options(num_shards))

  def _rows(self, wanted, batch_size, binarization, seed, has_labels):
    columns = {'x': [], 'y': [], 'file': [], 'row': [], 'split': []}
    for index in range(3) if wanted is None else wanted:
      x, y = self._arrays[SPLITS[index]]
      if binarization == 'static':  # As `dataset` draws it: the split's array at once.
        x = datasets_lib.binarize(x, seed)
      file, rows = self._stored[SPLITS[index]]
      columns['x'].append(x)
      columns['y'].append(y if has_labels else np.zeros(len(x), np.int64))
      columns['file'].append(np.full(len(x), file, np.int64))
      columns['row'].append(np.asarray(rows, np.int64))
      columns['split'].append(np.full(len(x), index, np.int64))
    columns = {key: np.concatenate(value) for key, value in columns.items()}
    order = np.lexsort((columns['row'], columns['file']))
    columns = {key: value[order] for key, value in columns.items()}
    if not has_labels:
      del columns['y']
    files = [self.spec if part == 'x' else f'{self.spec}:{part}' for part in self._parts]
    return tf.data.Dataset.from_tensor_slices(columns).batch(batch_size), files


class _FileSource(Source):
  """Files streamed by `file_sources.stream` in a `RecordFormat`."""

  def __init__(self, spec, fmt, files, seed, assignment, channels, image_size):
    super().__init__(spec, seed, assignment, channels, image_size)
    self._format, self._files = fmt, files
    self._counts = None

  def _scan(self):
    counts, fields = self._format.scan(self._files, self._assignment, self.spec)
    self._counts = counts
    return SourceInfo(
      num_examples={split: int(counts[:, i].sum()) for i, split in enumerate(SPLITS)},
      num_files={split: int(np.count_nonzero(counts[:, i])) for i, split in enumerate(SPLITS)},
      **fields,
    )

  def _dataset(
    self,
    split,
    batch_size,
    shuffle,
    binarization,
    labels,
    num_shards,
    shard_index,
    seed,
    shuffle_buffer,
    drop_remainder,
  ):
    transforms = {'dynamic': _to_levels, 'static': _binarize_static, None: None}
    ds, num_examples = file_sources.stream(
      self._files,
      self._format,
      split,
      self._counts,
      num_shards=num_shards,
      shard_index=shard_index,
      shuffle=shuffle,
      seed=seed,
      shuffle_buffer=shuffle_buffer,
      batch_size=batch_size,
      drop_remainder=drop_remainder,
      assignment=self._assignment,
      with_ids=binarization == 'static',
      transform=transforms[binarization],
    )
    num_batches = num_examples // batch_size if drop_remainder else -(-num_examples // batch_size)
    if num_batches == 0:
      raise ValueError(
        f'`batch_size`={batch_size} with `drop_remainder` leaves no batch of {num_examples}.'
      )
    features = _features_and_labels if labels else _features
    if binarization == 'dynamic':  # A fresh draw per batch and epoch.

      def draw(batch, batch_seed):
        seed = tf.stack([batch_seed, shard_index])
        return features({**batch, 'x': datasets_lib.stateless_binarize(batch['x'], seed)})

      seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
      ds = tf.data.Dataset.zip((ds, seeds)).map(draw)
    else:
      ds = ds.map(features)
    ds = ds.apply(tf.data.experimental.assert_cardinality(num_batches))
    return ds.with_options(_options(num_shards)).prefetch(tf.data.AUTOTUNE)

  def _rows(self, wanted, batch_size, binarization, seed, has_labels):
    ds, _ = file_sources.stream(
      self._files,
      self._format,
      wanted,
      self._counts,
      num_shards=1,
      shard_index=0,
      shuffle=False,
      seed=seed,
      shuffle_buffer=1,
      batch_size=batch_size,
      drop_remainder=False,
      assignment=self._assignment,
      with_ids=binarization == 'static',
      transform=_binarize_static if binarization == 'static' else None,
      with_rows=True,
    )
    keys = ('x', 'y', 'file', 'row', 'split') if has_labels else ('x', 'file', 'row', 'split')
    ds = ds.map(lambda batch: {key: batch[key] for key in keys})
    return ds.with_options(_options(1)).prefetch(tf.data.AUTOTUNE), list(self._files.paths)


def _options(num_shards):
  options = tf.data.Options()
  policy = tf.data.experimental.AutoShardPolicy
  options.experimental_distribute.auto_shard_policy = policy.OFF if num_shards > 1 else policy.DATA
  options.experimental_optimization.map_parallelization = False
  return options


def _features(batch):
  return batch['x']


def _features_and_labels(batch):
  return batch['x'], batch['y']


def _to_levels(batch):
  """Grey levels as 16-bit integers for dynamic binarization (half the bytes to shuffle)."""
  return {**batch, 'x': tf.cast(tf.round(batch['x'] * 65535.0), tf.uint16)}


def _binarize_static(batch):
  """Each example's own fixed Bernoulli draw, keyed by its stable id."""
  batch = dict(batch)
  x, ids = batch['x'], batch.pop('id')
  size = int(np.prod(x.shape[1:]))
  pixels = tf.range(size, dtype=tf.int64)[tf.newaxis]
  u = splits.uniform(splits.example_ids(ids[:, tf.newaxis], pixels), 24, tf.float32)
  return {**batch, 'x': tf.cast(tf.reshape(u, tf.shape(x)) < x, tf.float32)}


def _check_fraction(value, name, include_zero):
  if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
    raise TypeError(f'`{name}` must be a float; got {value!r}.')
  value = float(value)
  if not (0 < value < 1 or (include_zero and value == 0)):
    raise ValueError(
      f'`{name}` must be in {"[0, 1)" if include_zero else "(0, 1)"}; got {value!r}.'
    )
  return value


def _check_columns(columns, name):
  """Column names as a tuple (a string holds them separated by commas), or `None`."""
  if columns is None:
    return None
  if isinstance(columns, str):
    columns = columns.split(',')
  if not all(isinstance(c, str) for c in columns):
    raise TypeError(f'`{name}` must be column names; got {columns!r}.')
  columns = tuple(c.strip() for c in columns if c.strip())
  return columns or None
