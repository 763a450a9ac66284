# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Stable assignment of examples to the train, validation and test splits, and sharding."""

import hashlib
import os
import re

import numpy as np
import tensorflow as tf

__all__ = [
  'ALL_TEST',
  'ALL_TRAIN',
  'ALL_VALIDATION',
  'HASHED',
  'HASHED_TRAIN',
  'SPLITS',
  'Assignment',
  'example_ids',
  'file_key',
  'file_modes',
  'path_token',
  'shard_plan',
  'split_token',
  'uniform',
]

SPLITS = ('train', 'validation', 'test')

# How the records of one file are assigned to splits (a file's "mode"): by hash
# into all three splits, by hash into train and validation (a train file), or
# all to one split (the split's index, so `mode == split` for those).
ALL_TRAIN, ALL_VALIDATION, ALL_TEST, HASHED, HASHED_TRAIN = range(5)

_TOKENS = {'train': 0, 'validation': 1, 'valid': 1, 'val': 1, 'test': 2}


def split_token(name):
  """The split (0, 1, 2) that a file or folder name names as a word, or `None`.

  Words are separated by `-`, `_` and `.`: `train-00000-of-00004.tfrecord` and
  `mnist-test.tfrecord-00000-of-00001` name a split, `trainee.csv` does not.

  Raises:
    ValueError: if the name holds two different split words.
  """
  words = re.split(r'[-_.]', os.path.basename(os.fspath(name)).lower())
  found = {_TOKENS[word] for word in words if word in _TOKENS}
  if len(found) > 1:
    raise ValueError(
      f'{name!r} names more than one split ({", ".join(SPLITS[s] for s in sorted(found))}).'
    )
  return found.pop() if found else None


def path_token(relative_path):
  """The split a file's relative path names: by its file name, else by its top-level folder.

  `mnist-test.tfrecord` and `test/part-0.csv` (under the source's root) both
  name the test split; a top-level folder counts when it is exactly `train`,
  `test`, `validation`, `valid` or `val`.

  Raises:
    ValueError: if the name holds two different split words, or names
      another split than its folder.
  """
  token = split_token(relative_path)
  parts = os.fspath(relative_path).replace(os.sep, '/').split('/')
  folder = _TOKENS.get(parts[0].lower()) if len(parts) > 1 else None
  if token is not None and folder is not None and token != folder:
    raise ValueError(
      f'{relative_path!r} names the {SPLITS[token]} split in a {SPLITS[folder]} folder.'
    )
  return token if token is not None else folder


def file_modes(tokens, validation_fraction):
  """Each file's mode from its split token (`None`: no token).

  Files without tokens are hashed into all three splits. Otherwise every file
  must carry one, and train and test files must both be present; train files
  are hashed into train and validation unless validation files exist or
  `validation_fraction` is 0.

  Returns:
    `(modes, message)`: an int array, or `None` and what is wrong.
  """
  tokens = list(tokens)
  present = {t for t in tokens if t is not None}
  if not present:
    return np.full(len(tokens), HASHED, np.int64), None
  if None in tokens:
    return (
      None,
      'files must either all name their split (train, test, optionally validation) or none',
    )
  missing = [SPLITS[t] for t in (0, 2) if t not in present]
  if missing:
    return (
      None,
      f'the files name their splits but none is a {" or ".join(missing)} file: write '
      'train and test files (validation optional), or name no split in any file name to '
      'have examples hashed into all three',
    )
  hash_train = 1 not in present and validation_fraction > 0
  modes = [HASHED_TRAIN if (t == 0 and hash_train) else t for t in tokens]
  return np.array(modes, np.int64), None


def file_key(seed, relative_path):
  """A stable non-negative int64 key of a file: a hash of `seed` and its path."""
  digest = hashlib.sha256(f'{int(seed)}\0{relative_path}'.encode()).digest()
  return int.from_bytes(digest[:8], 'little') & (2**63 - 1)


def example_ids(file_keys, indices):
  """Stable 56-bit ids of examples: a fingerprint of `(file key, record index)`.

  Args:
    file_keys: int64 tensor of file keys (or of other ids, to derive more ids).
    indices: int64 tensor of 0-based record indices, broadcast with `file_keys`.

  Returns:
    int64 tensor of their broadcast shape.
  """
  indices, file_keys = tf.cast(indices, tf.int64), tf.cast(file_keys, tf.int64)
  shape = tf.broadcast_dynamic_shape(tf.shape(file_keys), tf.shape(indices))
  pairs = tf.stack([tf.broadcast_to(file_keys, shape), tf.broadcast_to(indices, shape)], axis=-1)
  return tf.reshape(_fingerprint_bits(tf.reshape(pairs, [-1, 2]), 7), shape)


def uniform(ids, bits=32, dtype=tf.float64):
  """A number in [0, 1) from the top `bits` bits of 56-bit `ids`."""
  top = tf.bitwise.right_shift(ids, tf.constant(56 - bits, tf.int64))
  return tf.cast(top, dtype) / float(2**bits)


class Assignment:
  """Assigns examples to splits by the uniform number of their ids.

  In a hashed file, an example is a test example when `u < test_fraction`,
  then a validation example when `u` falls in the next `validation_fraction`
  share of the rest, else a training example. In a train file, validation
  takes `u < validation_fraction`.
  """

  def __init__(self, validation_fraction, test_fraction):
    self.validation_fraction = float(validation_fraction)
    self.test_fraction = float(test_fraction)

  def splits(self, ids, modes):
    """Split index (int64) of each example, from its id and its file's mode."""
    u = uniform(ids)
    modes = tf.broadcast_to(tf.cast(modes, tf.int64), tf.shape(ids))
    t, v = self.test_fraction, self.validation_fraction
    train, validation, test = (tf.constant(s, tf.int64) for s in range(3))
    hashed = tf.where(u < t, test, tf.where(u < t + v * (1 - t), validation, train))
    hashed_train = tf.where(u < v, validation, train)
    split = tf.where(tf.equal(modes, HASHED), hashed, modes)
    return tf.where(tf.equal(modes, HASHED_TRAIN), hashed_train, split)


def shard_plan(counts, num_shards, shard_index):
  """Which files of a split a worker reads, and how many examples it gets.

  Args:
    counts: int array, the split's example count of each file.
    num_shards: number of workers.
    shard_index: this worker's index.

  Returns:
    `(files, by_record, num_examples)`: the indices of the files to read, whether
    the worker must also keep only every `num_shards`-th example of each file
    (from its `shard_index`-th), and the examples it gets.
  """
  counts = np.asarray(counts, np.int64)
  files = np.flatnonzero(counts)
  if num_shards == 1:
    return files, False, int(counts.sum())
  if len(files) >= num_shards:
    files = files[shard_index::num_shards]
    return files, False, int(counts[files].sum())
  per_file = np.maximum(0, (counts[files] - shard_index + num_shards - 1) // num_shards)
  return files, True, int(per_file.sum())


def _fingerprint_bits(rows, num_bytes):
  """The first `num_bytes` bytes of each row's FarmHash fingerprint, as int64."""
  fingerprint = tf.cast(tf.fingerprint(rows)[:, :num_bytes], tf.int64)
  weights = tf.constant([256**i for i in range(num_bytes)], tf.int64)
  return tf.reduce_sum(fingerprint * weights, axis=1)
