# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job as plain functions: the data, the model, training, and loading a run.

`train(config, model_dir)` is what `python -m tfvae.train` runs. It is built
from functions that `python -m tfvae.evaluate` and `python -m tfvae.export`
share, so the three read a run the same way: `make_source` and
`make_dataset` (the data, its splits and their binarization), `make_model`
(the VAE of a config) and `load_run` (a finished run's config and model).
"""

import datetime
import json
import math
import os
import shutil
import tempfile
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from tfvae.analysis import callbacks as callbacks_lib
from tfvae.analysis import grid as grid_lib
from tfvae.analysis import plot as plot_lib
from tfvae.data import arrays as datasets_lib
from tfvae.data import sources as sources_lib
from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.jobs import config as config_lib
from tfvae.model import factory as factory_lib
from tfvae.model import objective as objective_lib
from tfvae.model import vae as vae_lib
from tfvae.serving import graph_checks
from tfvae.serving import saved_model as serving_lib

__all__ = [
  'CLASS_NAMES_FILE',
  'CONFIG_FILE',
  'METRICS_FILE',
  'MODEL_FILE',
  'Run',
  'TrainingDivergedError',
  'class_names',
  'default_model_dir',
  'load_model',
  'load_run',
  'distribute_dataset',
  'make_dataset',
  'make_model',
  'make_source',
  'make_strategy',
  'train',
]

CLASS_NAMES_FILE = 'class_names.json'
CONFIG_FILE = 'config.json'
METRICS_FILE = 'metrics.json'
MODEL_FILE = 'model.keras'
# Fixed validation examples whose reconstructions TensorBoard shows.
_TENSORBOARD_IMAGES = 16
# Training examples checked against an 8-bit likelihood's levels before the
# run is written (every batch is checked again as it is read).
_CHECKED_EXAMPLES = 1000


class TrainingDivergedError(RuntimeError):
  """Raised when the loss becomes NaN or Inf during training."""


class Run(NamedTuple):
  """A finished run of the main job.

  Attributes:
    config: its `tfvae.config.JobConfig` (resolved).
    model: the trained `tfvae.VAE`.
    model_dir: its directory.
  """

  config: config_lib.JobConfig
  model: vae_lib.VAE
  model_dir: str


def make_strategy(name: str = 'default') -> tf.distribute.Strategy:
  """The `tf.distribute` strategy for `name`.

  Create it before any other TensorFlow op runs: `multi_worker` configures
  collective ops at startup and reads the cluster from `TF_CONFIG`.

  Args:
    name: `'default'` (one device), `'mirrored'` (all local devices) or
      `'multi_worker'` (`TF_CONFIG` workers).

  Returns:
    A `tf.distribute.Strategy`.
  """
  checks.check_choice(name, config_lib.STRATEGIES, 'strategy')
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tf.distribute.get_strategy()


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
  run's seed, so every evaluation of a run sees the same binary images. For
  the discretized logistic likelihood the values stay as they are, and each
  batch asserts that they are 8-bit levels `k / 255` (a batch off the levels
  fails with `InvalidArgumentError`). A conditional job's batches are
  `(x, labels)`.

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
  binarization = None
  if config.likelihood == 'bernoulli':
    binarization = 'dynamic' if training else 'static'
  dataset = source.dataset(
    split,
    batch_size or config.batch_size,
    shuffle=training,
    binarization=binarization,
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
  num_workers = _num_workers(strategy)
  if num_workers == 1:
    return make_dataset(config, source, split), None
  batch_size = config.batch_size // strategy.num_replicas_in_sync
  if batch_size * strategy.num_replicas_in_sync != config.batch_size:
    raise ValueError(
      f'`batch_size`={config.batch_size} must be a multiple of the {strategy.num_replicas_in_sync}'
      ' replicas.'
    )
  steps = max(
    int(make_dataset(config, source, split, batch_size, num_workers, i).cardinality())
    for i in range(num_workers)
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


def _num_workers(strategy):
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return 1
  cluster = resolver.cluster_spec().as_dict()
  return len(cluster.get('worker', [])) + len(cluster.get('chief', []))


def make_model(config: config_lib.JobConfig, info) -> vae_lib.VAE:
  """The (untrained, uncompiled) VAE of a resolved config for data described by `info`.

  Tables are standardized with the training split's statistics inside the
  model (`make_encoder(standardization=...)`), so the model takes and gives
  raw values and its log-likelihoods are of the raw values.
  """
  event_shape = tuple(info.event_shape)
  condition_size = info.num_classes if config.conditional else 0
  standardization = None
  if info.kind == 'table':
    standardization = (np.asarray(info.loc), np.asarray(info.scale))
  return factory_lib.make_vae(
    event_shape,
    config.latent_size,
    config.hidden_units,
    config.architecture,
    likelihood=config.likelihood,
    posterior=config.posterior,
    prior=config.prior,
    kl_weight=config.kl_weight,
    free_bits=config.free_bits,
    objective=config.objective,
    num_samples=config.num_samples,
    condition_size=condition_size,
    standardization=standardization,
    decoder_kwargs=dict(num_components=config.likelihood_components),
  )


def train(
  config: config_lib.JobConfig | None = None,
  model_dir: str | None = None,
  export_base: str | None = None,
  verbose: int = 1,
  **options,
) -> dict:
  """Trains a VAE as `config` says and writes the run to `model_dir`.

  The data are scanned (every record read and checked) before anything is
  written. The validation split gives the per-epoch validation metrics, the
  TensorBoard images and the figures; the test split is scored once, at the
  end. `model_dir` receives `config.json` (the resolved options),
  `checkpoints/` (model and optimizer, each epoch), `training_log.csv`,
  `tensorboard/` (`VAETensorBoard`), `metrics.json` (test metrics),
  `class_names.json` for labeled data (`class_names`),
  `model.keras`, and for images `reconstructions.png` and `samples.png` (one
  row per class for a conditional VAE); with matplotlib also the figures of
  `tfvae.plot.write_figures`. With early stopping (`early_stopping_patience`,
  on by default for training splits under 10,000 examples), training ends
  once the validation loss has not improved for that many epochs, and the
  model keeps the weights of the epoch with the lowest validation loss (what
  `model.keras`, `metrics.json` and the figures hold). A run killed mid-way
  resumes from its last completed epoch when started again with the same
  options (its early stopping then remembers the epochs since the resume).

  Args:
    config: the job's options.
      Default value: `None`: `JobConfig()`.
    model_dir: output directory; created if missing. An existing directory is
      used only if it holds an unfinished run with the same options.
      Default value: `None`: `tfvae_runs/<dataset>-<time>`.
    export_base: if given, the finished model is also exported for
      TensorFlow Serving to the next version `<export_base>/<version>/` (see
      `tfvae.export_saved_model`); checked before training.
      Default value: `None`: no export.
    verbose: Keras progress output (0, 1 or 2).
      Default value: `1`.
    **options: `JobConfig` options that replace those of `config`
      (`train(dataset='digits', epochs=3)`).

  Returns:
    `dict` of test metrics (`loss`, `reconstruction`, `kl`, nats per example;
    for the discretized logistic likelihood also `elbo_bits_per_dim`, the
    negative ELBO `reconstruction + kl` in bits per dimension).

  Raises:
    ValueError: bad options, data that fail the scan (`tfvae.sources.DataError`
      names the file and record) or a `model_dir` that holds something else.
    TrainingDivergedError: if the loss becomes NaN or Inf.
  """
  config = (config or config_lib.JobConfig()).replace(**options)
  strategy = make_strategy(config.strategy)
  if config.strategy == 'multi_worker' and model_dir is None:
    raise ValueError('`model_dir` is required with `strategy`=multi_worker (all workers share it).')
  source = make_source(config)
  info = source.scan()  # Bad data fail here, before anything is written.
  config = config.resolve(info)
  _check_levels(config, source)
  chief = _is_chief(strategy)
  model_dir = _prepare_model_dir(model_dir, config, create=chief)
  # Under multi-worker training only the chief writes the run; the other
  # workers write their (identical) logs and checkpoints to a scratch directory.
  output_dir = model_dir if chief else tempfile.mkdtemp(prefix='tfvae-worker-')
  if verbose:
    print(f'tfvae: writing the run to {model_dir}')
  has_validation = info.num_examples['validation'] > 0
  train_data, steps = distribute_dataset(config, source, 'train', strategy)
  validation_data, validation_steps = None, None
  if has_validation:
    validation_data, validation_steps = distribute_dataset(config, source, 'validation', strategy)
  # Fixed examples for images and figures: validation ones, else training ones.
  x_shown, labels_shown = _examples(config, source, 'validation' if has_validation else 'train')
  keras.utils.set_random_seed(config.seed)
  with strategy.scope():
    model = make_model(config, info)
    model.compile(keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
  if export_base is not None:
    serving_lib.ServingModule(model)  # Fails now, not after training, if it cannot be served.
  callbacks = _callbacks(config, model, model_dir, output_dir, chief, x_shown, labels_shown)
  history = model.fit(
    train_data,
    epochs=config.epochs,
    steps_per_epoch=steps,
    validation_data=validation_data,
    validation_steps=validation_steps,
    callbacks=callbacks,
    verbose=verbose,
  )
  backup_dir = os.path.join(model_dir, 'backup')
  if os.path.isdir(backup_dir) and not os.listdir(backup_dir):
    os.rmdir(backup_dir)  # BackupAndRestore empties it when training completes.
  losses = history.history.get('loss', [])
  stopped_early = any(
    isinstance(c, keras.callbacks.EarlyStopping) and c.stopped_epoch for c in callbacks
  )
  if losses and not math.isfinite(losses[-1]) or (model.stop_training and not stopped_early):
    raise TrainingDivergedError(
      'training diverged: the loss became NaN or Inf; lower `learning_rate` or check the data. '
      f'The last good checkpoint is in {os.path.join(model_dir, "checkpoints")}.'
    )
  test_data, test_steps = distribute_dataset(config, source, 'test', strategy)
  metrics = model.evaluate(test_data, steps=test_steps, verbose=0, return_dict=True)
  metrics = {name: float(value) for name, value in metrics.items()}
  if config.likelihood == 'discretized_logistic':
    negative_elbo = metrics['reconstruction'] + metrics['kl']
    num_dims = int(np.prod(info.event_shape))
    metrics['elbo_bits_per_dim'] = float(objective_lib.bits_per_dim(-negative_elbo, num_dims))
  # Every worker saves (saving is collective under multi-worker training);
  # only the chief's copy lands in `model_dir`.
  _write_outputs(model, output_dir, config, x_shown, labels_shown, metrics, class_names(info))
  if not chief:
    shutil.rmtree(output_dir, ignore_errors=True)  # Our own scratch directory.
  if export_base is not None and chief:
    path = serving_lib.export_saved_model(model, export_base)
    if verbose:
      print(f'tfvae: exported {path} for TensorFlow Serving')
  if verbose:
    print('tfvae: test ' + ', '.join(f'{k}={v:.3f}' for k, v in metrics.items()))
  return metrics


def class_names(info) -> list | None:
  """The names of the classes of data described by `info` (a `tfvae.sources.SourceInfo`).

  Class folder names for image folders, else the labels as strings
  (`'0'`, `'1'`, ...); `None` without labels. A run of labeled data keeps
  them in `class_names.json`.
  """
  if not info.num_classes:
    return None
  if info.class_names:
    return [str(name) for name in info.class_names]
  return [str(label) for label in range(info.num_classes)]


def load_run(model_dir: str) -> Run:
  """The config and trained model of a finished run of the main job.

  Args:
    model_dir: the directory `train` wrote.

  Returns:
    A `Run`.

  Raises:
    ValueError: if `model_dir` holds no finished run.
  """
  model_dir = os.fspath(model_dir)
  _check_finished(model_dir, CONFIG_FILE)
  config = config_lib.JobConfig.read(os.path.join(model_dir, CONFIG_FILE))
  return Run(config, load_model(model_dir), model_dir)


def load_model(model_dir: str) -> vae_lib.VAE:
  """The trained model of a finished run (its `model.keras`), without its data.

  The model is not compiled and has no optimizer state: it is for scoring,
  evaluating and exporting (compile it again to train further).

  Raises:
    ValueError: if `model_dir` holds no `model.keras`.
  """
  model_dir = os.fspath(model_dir)
  _check_finished(model_dir, MODEL_FILE)
  return keras.saving.load_model(os.path.join(model_dir, MODEL_FILE), compile=False)


def _check_finished(model_dir, name):
  if not os.path.isfile(os.path.join(model_dir, name)):
    raise ValueError(
      f'`model_dir`: {model_dir} holds no finished tfvae run ({name} is missing; a run of '
      'python -m tfvae.train writes it when it finishes).'
    )


def _assert_levels(x, *labels):
  """A batch after asserting that its examples hold 8-bit levels `k / 255`."""
  x = graph_checks.check_eight_bit(x, 'x')
  return (x, *labels) if labels else x


def _check_levels(config, source):
  """Fails before the run is written when an 8-bit likelihood's data are off its levels."""
  if config.likelihood != 'discretized_logistic':
    return
  x, _ = source.take('train', _CHECKED_EXAMPLES)
  try:
    checks.check_eight_bit(x, 'dataset')
  except ValueError as error:
    resized = (
      ' Resizing (`image_size`) makes values between the levels.' if config.image_size else ''
    )
    raise ValueError(
      f'{error} (Checked: the first {len(x)} training examples of {config.dataset}.){resized}'
    ) from None


def _examples(config, source, split):
  """Fixed examples of a split for images and figures: `(x, labels)`, binarized once.

  Drawn across the split with the run's seed, stratified by class
  (`Source.sample`): the figures show every class, not the first files.
  """
  x, labels = source.sample(split, 100, seed=config.seed)
  if config.likelihood == 'bernoulli':
    x = datasets_lib.binarize(x, config.seed)
  return x, labels


def _callbacks(config, model, model_dir, output_dir, chief, x_shown, labels_shown):
  checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  callbacks = [
    # Log before the backup: a kill between the two repeats an epoch's row
    # rather than losing it.
    keras.callbacks.CSVLogger(os.path.join(output_dir, 'training_log.csv'), append=True),
    keras.callbacks.BackupAndRestore(os.path.join(model_dir, 'backup')),
    keras.callbacks.TerminateOnNaN(),
  ]
  if config.kl_warmup_epochs:
    callbacks.append(
      callbacks_lib.KLWarmup(config.kl_weight, warmup_epochs=config.kl_warmup_epochs)
    )
  if chief:
    images = _is_image(x_shown)
    callbacks.append(
      callbacks_lib.VAETensorBoard(
        os.path.join(output_dir, 'tensorboard'),
        images=x_shown[:_TENSORBOARD_IMAGES] if images else None,
        condition=labels_shown[:_TENSORBOARD_IMAGES] if config.conditional else None,
        num_samples=16 if images else 0,
        seed=config.seed,
        image_scale=max(1, 32 // x_shown.shape[2]) if images else 1,
      )
    )
  callbacks.append(
    _CheckpointEachEpoch(
      tf.train.CheckpointManager(checkpoint, os.path.join(output_dir, 'checkpoints'), 3)
    )
  )
  if config.early_stopping_patience:
    # After the checkpoint: each epoch's checkpoint holds that epoch's weights.
    # The loss is comparable across epochs once the KL weight stops changing.
    callbacks.append(
      keras.callbacks.EarlyStopping(
        monitor='val_loss',
        patience=config.early_stopping_patience,
        restore_best_weights=True,
        start_from_epoch=config.kl_warmup_epochs,
      )
    )
  return callbacks


class _CheckpointEachEpoch(keras.callbacks.Callback):
  """Saves model and optimizer each epoch (TensorFlow writes and then renames)."""

  def __init__(self, manager):
    super().__init__()
    self._manager = manager

  def on_epoch_end(self, epoch, logs=None):
    self._manager.save(checkpoint_number=epoch + 1)


def default_model_dir(dataset: str) -> str:
  """Where a run of `dataset` goes by default: `tfvae_runs/<dataset's name>-<time>`."""
  stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
  name = os.path.splitext(os.path.basename(dataset.rstrip('/*')))[0] or 'data'
  return os.path.join('tfvae_runs', f'{name}-{stamp}')


def _prepare_model_dir(model_dir, config, create=True):
  if model_dir is None:
    model_dir = default_model_dir(config.dataset)
  model_dir = os.path.abspath(os.fspath(model_dir))
  if not create:  # A non-chief worker: the chief checks and creates the directory.
    return model_dir
  config_path = os.path.join(model_dir, CONFIG_FILE)
  if os.path.exists(model_dir) and not os.path.isdir(model_dir):
    raise ValueError(f'`model_dir`: {model_dir} exists and is not a directory.')
  if os.path.isdir(model_dir) and os.listdir(model_dir):
    if not os.path.isfile(config_path):
      raise ValueError(
        f'`model_dir`: {model_dir} is not empty and holds no tfvae run; choose a new directory.'
      )
    previous = config_lib.JobConfig.read(config_path).to_json()
    current = config.to_json()
    if previous != current:
      changed = sorted(k for k in current if previous.get(k) != current.get(k))
      raise ValueError(
        f'`model_dir`: {model_dir} holds a run with a different configuration (differs in '
        f'{changed}); choose a new directory or repeat the same arguments to resume it.'
      )
    if os.path.isfile(os.path.join(model_dir, METRICS_FILE)):
      raise ValueError(f'`model_dir`: {model_dir} holds a finished run; choose a new directory.')
    return model_dir
  os.makedirs(model_dir, exist_ok=True)
  config.write(config_path)
  return model_dir


def _write_outputs(model, model_dir, config, x_shown, labels_shown, metrics, class_names):
  conditions = labels_shown if config.conditional else None
  if class_names is not None:
    _write_json(os.path.join(model_dir, CLASS_NAMES_FILE), class_names)
  if _is_image(x_shown):
    inputs = x_shown[:10]
    reconstructions = np.asarray(
      model.reconstruct(inputs, None if conditions is None else conditions[:10])
    )
    grid = grid_lib.make_grid(np.concatenate([inputs, reconstructions]), num_columns=len(inputs))
    grid_lib.write_png(os.path.join(model_dir, 'reconstructions.png'), grid, scale=4)
    samples_path = os.path.join(model_dir, 'samples.png')
    if config.conditional:  # One row of 8 per class, named where matplotlib can.
      classes = np.repeat(np.arange(model.condition_size), 8)
      samples = model.sample(classes, seed=config.seed).numpy()
    else:
      samples = model.sample(64, seed=config.seed).numpy()
    if config.conditional and plot_lib.is_available():
      title = 'samples from the prior, one row per class'
      plot_lib.plot_samples(samples_path, samples, 8, title, row_labels=class_names)
    else:
      grid_lib.write_png(samples_path, grid_lib.make_grid(samples, num_columns=8), scale=4)
  if plot_lib.is_available():  # The PNGs above need TensorFlow alone.
    figures = ('latent_manifold', 'latent_scatter', 'kl_per_dimension')
    plot_lib.write_figures(
      model,
      model_dir,
      x_shown,
      labels_shown,
      seed=config.seed,
      figures=figures,
      condition=conditions,
      class_names=class_names,
    )
  tmp = os.path.join(model_dir, f'.{MODEL_FILE}.tmp.keras')
  model.save(tmp)
  os.replace(tmp, os.path.join(model_dir, MODEL_FILE))
  _write_json(os.path.join(model_dir, METRICS_FILE), metrics)


def _write_json(path, value):
  tmp = f'{path}.tmp'
  with open(tmp, 'w') as f:
    json.dump(value, f, indent=2, sort_keys=True)
    f.write('\n')
  os.replace(tmp, path)


def _is_image(x):
  return x.ndim == 4


def _is_chief(strategy):
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return True
  return resolver.task_type == 'chief' or (resolver.task_type == 'worker' and resolver.task_id == 0)
