# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Streaming many files through `tf.data`: split filter, sharding, shuffling, the scan."""

import glob as glob_lib
import os
import warnings

import numpy as np
import tensorflow as tf

from tfvae.data import splits

__all__ = [
  'DataError',
  'FileSet',
  'Moments',
  'RecordFormat',
  'chunk_moments',
  'glob_files',
  'scan_records',
  'stream',
]

_CHUNK = 256  # Records per read, split filter and scan step.
_MAX_CYCLE = 8  # Files read at once (more hold more chunks in memory, no faster).
# Provenance fields carried from records to decoded batches (`stream(with_rows=True)`).
_PASSED = ('id', 'file', 'row', 'split')


class DataError(ValueError):
  """Bad data in a source: the message names the file and the record or line."""


class FileSet:
  """The files of a source, with each file's split mode and hash key.

  Attributes:
    root: the folder that relative paths start from.
    paths: the files' paths, sorted.
    relative_paths: their paths relative to `root`, with `/` separators.
    modes: int64 array, each file's `splits` mode.
    keys: int64 array, each file's hash key from the seed and its relative path.
  """

  def __init__(self, root, paths, seed, validation_fraction, tokens=None, what='files'):
    self.root = root
    self.paths = list(paths)
    self.relative_paths = [os.path.relpath(p, root).replace(os.sep, '/') for p in self.paths]
    if tokens is None:
      try:
        tokens = [splits.path_token(p) for p in self.relative_paths]
      except ValueError as e:
        raise DataError(str(e)) from None
    self.tokens = list(tokens)
    modes, message = splits.file_modes(self.tokens, validation_fraction)
    if modes is None:
      named = [f'{p} ({"none" if t is None else splits.SPLITS[t]})' for p, t in zip(paths, tokens)]
      raise DataError(
        f'{message}; the {what} and the split each names: {", ".join(named[:20])}'
        + (' ...' if len(named) > 20 else '')
      )
    self.modes = modes
    self.keys = np.array([splits.file_key(seed, p) for p in self.relative_paths], np.int64)

  def __len__(self):
    return len(self.paths)


class RecordFormat:
  """What a file format supplies to `stream` and `scan_records`.

  `reader` yields a file's records. A `vectorized` format decodes chunks of
  records with `decode_batch`; the others decode each example with
  `decode_example` and batch them, then `decode_batch` selects `x` and `y`.
  Both see dicts: `record` (a record or a chunk of them), `file` (the file's
  index, for one-example-per-file formats) and, when asked, `id` (stable ids).
  """

  one_per_file = False  # True: a file is one example, `reader` is not used.
  vectorized = False  # True: `decode_batch` decodes chunks of records, no `decode_example`.

  def reader(self, path):
    """A `tf.data.Dataset` of the records of the file at `path` (a string tensor)."""
    raise NotImplementedError

  def decode_example(self, element):
    """One example's element before batching (decode images here)."""
    return element

  def decode_batch(self, batch):
    """A batch of elements to `{'x': float32 [batch, *event_shape], 'y': int64 [batch]}`."""
    raise NotImplementedError

  def scan_chunk(self, records, split_ids):
    """Vectorized checks and statistics of a chunk of records (a dict of tensors)."""
    raise NotImplementedError

  def check_chunk(self, stats, path, first_index):
    """Checks a chunk's `scan_chunk` result in Python; raises `DataError`."""
    raise NotImplementedError

  def diagnose(self, path, error):
    """Finds the bad record of a file that failed to read; raises `DataError`."""
    raise NotImplementedError

  def fields(self):
    """The `SourceInfo` fields found by the scan (kind, event_shape, ...)."""
    raise NotImplementedError

  def scan(self, files, assignment, location):
    """Checks every record: returns the examples per file and split, and `fields()`."""
    return scan_records(files, self, assignment, location), self.fields()


class Moments:
  """Running count, mean, second central moment, min and max per feature (float64)."""

  def __init__(self):
    self.count, self.mean, self.m2, self.low, self.high = 0, 0.0, 0.0, np.inf, -np.inf

  def add(self, count, mean, m2, low, high):
    if not count:
      return
    total = self.count + count
    delta = mean - self.mean
    self.mean = self.mean + delta * (count / total)
    self.m2 = self.m2 + m2 + delta**2 * (self.count * count / total)
    self.count = total
    self.low, self.high = np.minimum(self.low, low), np.maximum(self.high, high)

  def loc_and_scale(self):
    """Mean and standard deviation (1.0 for a constant feature) as float lists, or `None`s."""
    if not self.count:
      return None, None
    scale = np.sqrt(self.m2 / self.count)
    scale = np.where(self.low == self.high, 1.0, scale)
    return [float(v) for v in self.mean], [float(v) for v in scale]


def chunk_moments(x, keep):
  """`Moments.add` arguments of the rows of `x` (`[n, features]`) where `keep`."""
  x = tf.cast(tf.boolean_mask(x, keep), tf.float64)
  count = tf.shape(x, out_type=tf.int64)[0]
  mean = tf.reduce_sum(x, axis=0) / tf.maximum(tf.cast(count, tf.float64), 1.0)
  m2 = tf.reduce_sum(tf.square(x - mean), axis=0)
  return {
    'count': count,
    'mean': mean,
    'm2': m2,
    'low': tf.reduce_min(x, axis=0),
    'high': tf.reduce_max(x, axis=0),
  }


def glob_files(pattern):
  """The sorted files that `pattern` matches, and the folder they are relative to.

  Raises:
    DataError: if nothing matches.
  """
  pattern = os.fspath(pattern)
  paths = sorted(p for p in tf.io.gfile.glob(pattern) if not tf.io.gfile.isdir(p))
  if not paths:
    raise DataError(f'{pattern!r} matches no files.')
  root = pattern
  while glob_lib.has_magic(root):
    root = os.path.dirname(root)
  if not tf.io.gfile.isdir(root):  # A single file.
    root = os.path.dirname(root)
  return paths, root or os.curdir


def stream(
  files,
  fmt,
  split,
  counts,
  *,
  num_shards,
  shard_index,
  shuffle,
  seed,
  shuffle_buffer,
  batch_size,
  drop_remainder,
  assignment,
  with_ids,
  transform=None,
  with_rows=False,
):
  """A dataset of one split's batches (dicts from `fmt.decode_batch`), and its size.

  Files are read in chunks of records (interleaving and filtering whole chunks
  costs far less CPU than handling records one by one). Formats that decode
  whole chunks (`fmt.vectorized`: TFRecord `x`, CSV) decode each chunk as it
  is read and shuffle in windows of `shuffle_buffer` decoded examples (a
  random permutation of each window); the others (images) shuffle the encoded
  records in a `shuffle_buffer` and decode them one by one.

  Args:
    files: the `FileSet`.
    fmt: the `RecordFormat`.
    split: split index, a sequence of them (those splits together, in file
      order), or `None` (every record of every file).
    counts: int array `[num_files, 3]` of examples per file and split (from the scan).
    num_shards, shard_index: this worker's share (by file when the split has at
      least `num_shards` files, else by record with a warning).
    shuffle: shuffle files every epoch and examples in a `shuffle_buffer`; else
      files in order, records in file order.
    seed: seed of the shuffles.
    shuffle_buffer: examples in the shuffle buffer or window.
    batch_size, drop_remainder: batching.
    assignment: the `splits.Assignment`.
    with_ids: add each example's stable id (as `id`), for `transform`.
    transform: a function of decoded dicts (of any batch size), or `None`.
    with_rows: add where each example comes from: `file` (its file's index in
      `files`), `row` (its 0-based record index in that file) and `split`.

  Returns:
    `(dataset, num_examples)`.
  """
  wanted = list(range(3)) if split is None else np.atleast_1d(split).astype(np.int64).tolist()
  chosen, by_record, num_examples = splits.shard_plan(
    counts[:, wanted].sum(axis=1), num_shards, shard_index
  )
  if by_record:
    warnings.warn(
      f'split {", ".join(splits.SPLITS[s] for s in wanted)!r} has {len(chosen)} file(s) for '
      f'{num_shards} shards: sharding by record (every worker reads every file); write at least '
      'as many files as workers to shard by file.',
      stacklevel=4,  # The caller of Source.dataset.
    )
  modes = files.modes[chosen]
  whole = bool(np.all(np.isin(modes, wanted)))  # Every record of these files is wanted.
  paths = tf.constant([files.paths[f] for f in chosen])
  keys = tf.constant(files.keys[chosen])
  mode_table = tf.constant(modes)
  chosen_table = tf.constant(np.asarray(chosen, np.int64))
  wanted_table = tf.constant(wanted, tf.int64)
  transform = transform or (lambda decoded: decoded)
  parallel = dict(num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)
  ds = tf.data.Dataset.range(len(chosen))
  if shuffle:
    ds = ds.shuffle(len(chosen), seed=seed, reshuffle_each_iteration=True)

  def decode(batch):
    batch = _as_element(batch)
    decoded = fmt.decode_batch(batch)
    decoded.update({k: batch[k] for k in _PASSED if k in batch})
    return transform(decoded)

  def decode_one(element):
    element = _as_element(element)
    decoded = dict(fmt.decode_example(element))
    decoded.update({k: element[k] for k in _PASSED if k in element})
    return decoded

  if fmt.one_per_file:

    def read_file(f):
      element = {'record': tf.io.read_file(paths[f]), 'file': chosen_table[f]}
      if with_ids:
        element['id'] = splits.example_ids(keys[f], tf.constant(0, tf.int64))
      if with_rows:
        element.update(row=tf.constant(0, tf.int64), split=mode_table[f])
      decoded = decode_one(element)
      if not with_rows:
        decoded.pop('file', None)
      return decoded

    ds = ds.map(read_file, **parallel).batch(batch_size, drop_remainder=drop_remainder)
    return ds.map(decode, **parallel), num_examples

  def read(f):
    chunks = fmt.reader(paths[f]).batch(_CHUNK)
    if not whole or with_ids or with_rows:
      chunks = chunks.enumerate().map(lambda j, chunk: _select(chunk, j, f))
    else:  # A dict, as `_select` gives (a CSV chunk is a tuple of columns).
      chunks = chunks.map(lambda *record: {'record': record[0] if len(record) == 1 else record})
    if by_record:
      chunks = chunks.unbatch().shard(num_shards, shard_index).batch(_CHUNK)
    if not fmt.vectorized:
      return chunks
    # Files read one after the other decode their chunks in parallel.
    return chunks.map(decode, num_parallel_calls=None if shuffle else tf.data.AUTOTUNE)

  def _select(chunk, j, f):
    index = j * _CHUNK + tf.range(_size(chunk), dtype=tf.int64)
    ids = splits.example_ids(keys[f], index)
    element = {'record': chunk}
    if with_ids:
      element['id'] = ids
    if whole and not with_rows:
      return element
    split_ids = assignment.splits(ids, mode_table[f])
    if with_rows:
      element.update(file=tf.fill(tf.shape(index), chosen_table[f]), row=index, split=split_ids)
    if whole:
      return element
    keep = tf.reduce_any(tf.equal(split_ids[:, tf.newaxis], wanted_table[tf.newaxis]), axis=1)
    return tf.nest.map_structure(lambda t: tf.boolean_mask(t, keep), element)

  if shuffle:  # Mix chunks of many files, read in parallel.
    ds = ds.interleave(read, cycle_length=max(1, min(len(chosen), _MAX_CYCLE)), **parallel)
  else:  # Files in order, records in file order.
    ds = ds.flat_map(read)
  if fmt.vectorized:
    if shuffle:
      permutations = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True)
      # One window at a time: a parallel map would hold several windows.
      ds = tf.data.Dataset.zip((ds.rebatch(shuffle_buffer), permutations)).map(_permute)
    return ds.rebatch(batch_size, drop_remainder=drop_remainder), num_examples
  ds = ds.unbatch()
  if shuffle:
    ds = ds.shuffle(shuffle_buffer, seed=seed + 1, reshuffle_each_iteration=True)
  ds = ds.map(decode_one, **parallel)
  ds = ds.batch(batch_size, drop_remainder=drop_remainder)
  return ds.map(decode, **parallel), num_examples


def _permute(window, seed):
  """A random permutation of the examples of a window."""
  size = tf.shape(tf.nest.flatten(window)[0])[0]
  order = tf.random.experimental.stateless_shuffle(tf.range(size), seed=tf.stack([seed, 0]))
  return tf.nest.map_structure(lambda t: tf.gather(t, order), window)


def scan_records(files, fmt, assignment, location):
  """One parallel pass over every record of every file: checks and counts.

  Calls `fmt.check_chunk` on each chunk's statistics (it raises `DataError`
  with the exact record and may accumulate statistics). A read or parse error
  is traced to its file, which `fmt.diagnose` re-reads record by record.

  Args:
    files: the `FileSet`.
    fmt: the `RecordFormat`.
    assignment: the `splits.Assignment`.
    location: how to name the source in an error.

  Returns:
    int64 array `[num_files, 3]`: examples per file and split.

  Raises:
    DataError: on the first bad record.
  """
  counts = np.zeros((len(files), 3), np.int64)
  paths = tf.constant(files.paths)
  keys = tf.constant(files.keys)
  modes = tf.constant(files.modes)

  def per_file(f):
    chunks = fmt.reader(paths[f]).batch(_CHUNK)
    empty = tf.nest.map_structure(
      lambda spec: tf.zeros([0, *spec.shape[1:]], spec.dtype), chunks.element_spec
    )
    end = tf.data.Dataset.from_tensors((tf.constant(-1, tf.int64), empty))
    return chunks.enumerate().concatenate(end).map(lambda j, chunk: stats(f, j, chunk))

  def stats(f, j, chunk):
    index = tf.maximum(j, 0) * _CHUNK + tf.range(_size(chunk), dtype=tf.int64)
    split_ids = assignment.splits(splits.example_ids(keys[f], index), modes[f])
    out = fmt.scan_chunk(chunk, split_ids)
    out.update(file=f, chunk=j, split=split_ids)
    return out

  def run(file_indices, parallel):
    ds = tf.data.Dataset.from_tensor_slices(tf.constant(file_indices, tf.int64))
    if not parallel:
      return ds.flat_map(per_file)
    ds = ds.interleave(
      per_file,
      cycle_length=min(len(file_indices), 4),
      num_parallel_calls=tf.data.AUTOTUNE,
      deterministic=True,
    )
    return ds.prefetch(tf.data.AUTOTUNE)

  done = set()
  try:
    for out in run(range(len(files)), parallel=True).as_numpy_iterator():
      f = int(out['file'])
      if out['chunk'] < 0:
        done.add(f)
        continue
      counts[f] += np.bincount(out['split'], minlength=3)
      fmt.check_chunk(out, files.paths[f], int(out['chunk']) * _CHUNK)
  except tf.errors.OpError as error:
    for f in range(len(files)):
      if f in done:
        continue
      try:
        for _ in run([f], parallel=False):
          pass
      except tf.errors.OpError as file_error:
        fmt.diagnose(files.paths[f], file_error)
        raise DataError(f'{files.paths[f]}: cannot read it: {file_error.message}') from None
    raise DataError(f'{location}: cannot read it: {error.message}') from None
  return counts


def _as_element(element):
  return element if isinstance(element, dict) else {'record': element}


def _size(structure):
  return tf.shape(tf.nest.flatten(structure)[0], out_type=tf.int64)[0]
