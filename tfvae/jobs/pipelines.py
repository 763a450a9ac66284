# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The job's data: its source, and each split's batches as training, evaluation and scoring read them.

`make_source` opens a config's data; `make_dataset` is one split as the job
feeds it to the model (shuffled and binarized afresh for training, binarized
once with the run's seed otherwise); `distribute_dataset` shards it over
workers; `check_splits` reads a batch of every split before training starts.
"""

import glob as glob_lib
import os
import warnings

import numpy as np
import tensorflow as tf

from tfvae.data import arrays as datasets_lib
from tfvae.data import sources as sources_lib
from tfvae.internal import checks
from tfvae.jobs import config as config_lib
from tfvae.jobs import strategy as strategy_lib
from tfvae.serving import graph_checks

__all__ = [
  'absolute_paths',
  'binarization',
  'check_levels',
  'check_splits',
  'dataset_exists',
  'distribute_dataset',
  'examples',
  'make_dataset',
  'make_source',
  'warn_if_binarized',
]

# Training examples checked for 8-bit levels before a run is written.
_CHECKED_EXAMPLES = 1000


def absolute_paths(config: config_lib.JobConfig) -> config_lib.JobConfig:
  """`config` with its `dataset` and `data_dir` paths made absolute (names stay names).

  A run stores these in its config.json, so that it can be evaluated,
  scored and exported from any working directory. A `dataset` that names
  nothing on disk stays as given (opening it then fails, quoting it).
  """
  changes = {}
  # A path that names nothing stays as given, for the error to quote it.
  if not config_lib.is_named_dataset(config.dataset) and dataset_exists(config.dataset):
    changes['dataset'] = os.path.abspath(config.dataset)
  if config.data_dir is not None:
    changes['data_dir'] = os.path.abspath(config.data_dir)
  return config.replace(**changes) if changes else config


def dataset_exists(dataset: str) -> bool:
  """Whether a `dataset` path or glob names anything on disk."""
  return bool(tf.io.gfile.exists(dataset) or glob_lib.glob(dataset) or tf.io.gfile.glob(dataset))


def make_source(config: config_lib.JobConfig) -> sources_lib.Source:
  """The data source of a config (not yet scanned)."""
  return sources_lib.open_source(
    config.dataset,
    data_dir=config.data_dir,
    image_size=config.image_size,
    channels=config.channels,
    label_column=config.label_column,
    feature_columns=config.feature_columns,
    ignore_columns=config.ignore_columns,
    validation_fraction=config.validation_fraction,
    test_fraction=config.test_fraction,
    seed=config.seed,
  )


def binarization(config: config_lib.JobConfig, training: bool) -> str | None:
  """How the job binarizes a split: `'dynamic'` to train, `'static'` otherwise (Bernoulli only)."""
  if config.likelihood != 'bernoulli':
    return None
  return 'dynamic' if training else 'static'


def make_dataset(
  config,
  source,
  split: str,
  batch_size: int | None = None,
  num_shards: int = 1,
  shard_index: int = 0,
  num_batches: int | None = None,
  labels: bool | None = None,
) -> tf.data.Dataset:
  """One split's batches as the job feeds them to the model.

  Training data are shuffled and, for a Bernoulli likelihood, binarized
  afresh every epoch; validation and test data are binarized once, with the
  run's seed, so every evaluation of a run sees the same binary images. A
  conditional job's batches are `(x, labels)`.

  Args:
    config: a resolved `JobConfig`.
    source: its `make_source`.
    split: `'train'`, `'validation'` or `'test'`.
    batch_size: examples per batch.
      Default value: `None`: `config.batch_size`.
    num_shards: input pipelines reading the split together (workers).
      Default value: `1`.
    shard_index: this pipeline's shard: by file, or by record when there are
      fewer files than shards (see `tfvae.sources.Source.dataset`).
      Default value: `0`.
    num_batches: pad the shard with empty batches to this many, so that
      workers whose shards differ in size take the same number of steps
      (an empty batch adds nothing to the loss or the gradients).
      Default value: `None`: no padding.
    labels: yield `(x, labels)` batches.
      Default value: `None`: for a conditional job.

  Returns:
    A `tf.data.Dataset`.
  """
  training = split == 'train'
  dataset = source.dataset(
    split,
    batch_size or config.batch_size,
    shuffle=training,
    binarization=binarization(config, training),
    labels=config.conditional if labels is None else labels,
    num_shards=num_shards,
    shard_index=shard_index,
    seed=config.seed,
    shuffle_buffer=config.shuffle_buffer,
  )
  if config.likelihood == 'discretized_logistic':
    dataset = dataset.map(_assert_levels)
  if num_batches is None:
    return dataset
  padding = int(num_batches) - int(dataset.cardinality())
  empty = tf.nest.map_structure(
    lambda spec: tf.zeros([0, *spec.shape[1:]], spec.dtype), dataset.element_spec
  )
  return dataset.concatenate(tf.data.Dataset.from_tensors(empty).repeat(padding))


def distribute_dataset(config, source, split: str, strategy):
  """One split as `fit` and `evaluate` take it under `strategy`: `(data, steps)`.

  Under multi-worker training each worker reads its own shard
  (`make_dataset`) with the per-replica batch size, padded to the number of
  batches of the largest shard, which every worker computes alike: each
  example is seen once per epoch, and every worker takes `steps` steps. On
  one worker it is the plain dataset (Keras splits its batches across the
  local replicas) and `steps` is `None`.

  Args:
    config: a resolved `JobConfig`.
    source: its `make_source`.
    split: `'train'`, `'validation'` or `'test'`.
    strategy: the `tf.distribute.Strategy` of the job.

  Returns:
    `(data, steps)`: a dataset or a distributed dataset, and the steps of an
    epoch (`None`: all of it).

  Raises:
    ValueError: a global batch size that the replicas do not divide.
  """
  workers = strategy_lib.num_workers(strategy)
  if workers == 1:
    return make_dataset(config, source, split), None
  batch_size = config.batch_size // strategy.num_replicas_in_sync
  if batch_size * strategy.num_replicas_in_sync != config.batch_size:
    raise ValueError(
      f'`batch_size`={config.batch_size} must be a multiple of the {strategy.num_replicas_in_sync}'
      ' replicas.'
    )
  steps = max(
    int(make_dataset(config, source, split, batch_size, workers, i).cardinality())
    for i in range(workers)
  )
  data = strategy.distribute_datasets_from_function(
    lambda context: make_dataset(
      config,
      source,
      split,
      context.get_per_replica_batch_size(config.batch_size),
      context.num_input_pipelines,
      context.input_pipeline_id,
      num_batches=steps,
    )
  )
  return data, steps


def check_splits(config, source) -> None:
  """Reads one batch of every non-empty split as the job will read it, before training.

  A split that cannot be read then stops the job before an epoch is spent.

  Raises:
    ValueError: naming the split that failed and why.
  """
  info = source.scan()
  for split in sources_lib.SPLITS:
    if not info.num_examples[split]:
      continue
    try:
      for _ in make_dataset(config, source, split).take(1):
        pass
    except (tf.errors.OpError, TypeError, ValueError) as error:
      message = getattr(error, 'message', None) or str(error)
      raise ValueError(
        f'`dataset`: cannot read the {split} split of {config.dataset}: {message}'
      ) from error


def examples(config, source, split: str, n: int = 100):
  """Fixed examples of a split for images and figures: `(x, labels)`, binarized once.

  Drawn across the split with the run's seed, stratified by class
  (`Source.sample`): the figures show every class, not the first files.
  """
  x, labels = source.sample(split, n, seed=config.seed)
  if config.likelihood == 'bernoulli':
    x = datasets_lib.binarize(x, config.seed)
  return x, labels


def check_levels(config, source) -> float | None:
  """Checks the grey levels of the training data before the run is written.

  An 8-bit likelihood's data must lie on its levels `k / 255` (else this
  fails). For images, returns the share of the pixels of the first training
  examples that lie strictly between 0 and 1 (the grey levels a Bernoulli
  run binarizes away); `None` for tables.
  """
  if source.scan().kind != 'images':
    return None
  x, _ = source.take('train', _CHECKED_EXAMPLES)
  if config.likelihood == 'discretized_logistic':
    try:
      checks.check_eight_bit(x, 'dataset')
    except ValueError as error:
      resized = (
        ' Resizing (`image_size`) makes values between the levels.' if config.image_size else ''
      )
      raise ValueError(
        f'{error} (Checked: the first {len(x)} training examples of {config.dataset}.){resized}'
      ) from None
  return float(np.mean((x > 0.0) & (x < 1.0))) if x.size else 0.0


def warn_if_binarized(config, grey_share: float | None) -> bool:
  """Warns when a Bernoulli run binarizes grey-level data; returns whether it warned.

  Binarizing keeps one bit of each 8-bit pixel: on Fashion-MNIST one-class
  anomaly detection it costs about 0.2 AUROC (benchmarks/README.md).

  Args:
    config: the run's `JobConfig`.
    grey_share: what `check_levels` returned for the run's training data.
  """
  if config.likelihood != 'bernoulli' or not grey_share:
    return False
  warnings.warn(
    f'the run binarizes grey levels ({grey_share:.0%} of the pixels of its first training '
    f'examples of {config.dataset} lie strictly between 0 and 1, and its likelihood is '
    'bernoulli): binarizing discards them, and on Fashion-MNIST one-class anomaly detection '
    'it costs about 0.2 AUROC. For grey or colour images, train with '
    'python -m tfvae.train --likelihood=discretized_logistic (8-bit levels) or gaussian.',
    UserWarning,
    stacklevel=2,
  )
  return True


def _assert_levels(x, *labels):
  """A batch after asserting that its examples hold 8-bit levels `k / 255`."""
  x = graph_checks.check_eight_bit(x, 'x')
  return (x, *labels) if labels else x
