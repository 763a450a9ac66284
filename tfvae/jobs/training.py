# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job's training: `train(config, model_dir)`, what `python -m tfvae.train` runs.

Its steps, in order: read and check the data (a scan, then a batch of every
split), prepare the run directory, train, save the trained model, score the
test split, write the images and figures, export, and write `metrics.json`,
which marks the run finished. The trained model is saved before any later
step, so a step that fails loses nothing trained: the same command again
finishes the remaining steps without training again.
"""

import datetime
import math
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tfvae.analysis import callbacks as callbacks_lib
from tfvae.analysis import grid as grid_lib
from tfvae.analysis import plot as plot_lib
from tfvae.internal import keras
from tfvae.jobs import config as config_lib
from tfvae.jobs import models
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir as run_dir_lib
from tfvae.jobs import strategy as strategy_lib
from tfvae.model import objective as objective_lib
from tfvae.model import precision as precision_lib
from tfvae.serving import saved_model as serving_lib

__all__ = [
  'TrainingDivergedError',
  'class_names',
  'default_model_dir',
  'train',
]

# Fixed validation examples whose reconstructions TensorBoard shows.
_TENSORBOARD_IMAGES = 16


class TrainingDivergedError(RuntimeError):
  """Raised when the loss becomes NaN or Inf during training."""


def train(
  config: config_lib.JobConfig | None = None,
  model_dir: str | None = None,
  export_base: str | None = None,
  verbose: int = 1,
  **options,
) -> dict:
  """Trains a VAE as `config` says and writes the run to `model_dir`.

  The data are scanned (every record read and checked) and a batch of every
  split is read before anything is written. The validation split gives the
  per-epoch validation metrics, the TensorBoard images and the figures; the
  test split is scored once, after training. `model_dir` receives
  `config.json` (the resolved options; paths made absolute, so the run can be
  read from any directory), `checkpoints/` (model and optimizer, each
  epoch), `training_log.csv`, `tensorboard/` (`VAETensorBoard`),
  `model.keras` (saved as soon as training ends, and again once an ex-post
  prior is fitted, for `prior`='class_mixture'), for images
  `reconstructions.png` and `samples.png` (one row per class for a
  conditional VAE), with matplotlib the figures of
  `tfvae.plot.write_figures`, and last `metrics.json` (test metrics). A run
  killed mid-way resumes from its last completed epoch when started again
  with the same options; one that failed after training (reading the test
  split, a figure, the export) finishes the remaining steps without
  training again.

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
    `dict` of test metrics (`loss`, `reconstruction`, `kl`, nats per example).

  Raises:
    ValueError: bad options, data that fail the scan (`tfvae.sources.DataError`
      names the file and record), a split that cannot be read, or a
      `model_dir` that holds something else.
    TrainingDivergedError: if the loss becomes NaN or Inf.
  """
  config = (config or config_lib.JobConfig()).replace(**options)
  strategy = strategy_lib.make_strategy(config.strategy)
  if config.strategy == 'multi_worker' and model_dir is None:
    raise ValueError('`model_dir` is required with `strategy`=multi_worker (all workers share it).')
  config = pipelines.absolute_paths(config)
  source = pipelines.make_source(config)
  info = source.scan()  # Bad data fail here, before anything is written.
  config = models.complete(config.resolve(info))
  grey_share = pipelines.check_levels(config, source)  # So do 8-bit data off their levels,
  pipelines.check_splits(config, source)  # and a split that cannot be read.
  chief = strategy_lib.is_chief(strategy)
  run_dir = _prepare_run_dir(model_dir, config, create=chief)
  # Under multi-worker training only the chief writes the run; the other
  # workers write their (identical) logs and checkpoints to a scratch directory.
  output = run_dir if chief else run_dir_lib.RunDir(tempfile.mkdtemp(prefix='tfvae-worker-'))
  if verbose:
    print(f'tfvae: writing the run to {run_dir.path}')
  if grey_share is not None:  # For score to warn when the run binarizes grey levels.
    output.write_json(output.LEVELS, {'grey_share': grey_share})
  has_validation = info.num_examples['validation'] > 0
  # Fixed examples for images and figures: validation ones, else training ones.
  x_shown, labels_shown = pipelines.examples(
    config, source, 'validation' if has_validation else 'train'
  )
  keras.utils.set_random_seed(config.seed)
  if run_dir.has(run_dir.MODEL):  # Trained by an earlier run whose later steps failed.
    if verbose:
      print(f'tfvae: {run_dir.file(run_dir.MODEL)} is trained; finishing the remaining steps')
    with strategy.scope():
      model = run_dir_lib.load_model(run_dir.file(run_dir.MODEL))
      model.compile(keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
  else:
    model = _fit(
      config,
      source,
      info,
      strategy,
      run_dir=run_dir,
      output=output,
      chief=chief,
      export_base=export_base,
      verbose=verbose,
      shown=(x_shown, labels_shown),
    )
    # Saved before anything else can fail. Every worker saves (saving is
    # collective under multi-worker training); only the chief's copy lands
    # in `model_dir`.
    output.save_model(model)
  with strategy.scope():  # An ex-post prior rebuilds the model; every worker fits the same one.
    finished = models.finish(model, config, source)
    if finished is not model:
      finished.compile(keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
  if finished is not model:
    if verbose:
      print(f'tfvae: fitted the {config.prior} prior to the training posteriors')
    model = finished
    output.save_model(model)
  test_data, test_steps = pipelines.distribute_dataset(config, source, 'test', strategy)
  metrics = model.evaluate(test_data, steps=test_steps, verbose=0, return_dict=True)
  metrics = {name: float(value) for name, value in metrics.items()}
  if config.likelihood == 'discretized_logistic':
    negative_elbo = metrics['reconstruction'] + metrics['kl']
    num_dims = int(np.prod(info.event_shape))
    metrics['elbo_bits_per_dim'] = float(objective_lib.bits_per_dim(-negative_elbo, num_dims))
  names = class_names(info)
  if names is not None:
    output.write_json(output.CLASS_NAMES, names)
  _write_images(model, output, config, x_shown, labels_shown, names)
  _write_figures(model, output, config, x_shown, labels_shown, names)
  if export_base is not None and chief:
    path = serving_lib.export_saved_model(
      model, export_base, sample_temperature=config.sample_temperature
    )
    if verbose:
      print(f'tfvae: exported {path} for TensorFlow Serving')
  output.write_json(output.METRICS, metrics)  # Last: the run is finished.
  if not chief:
    shutil.rmtree(output.path, ignore_errors=True)  # Our own scratch directory.
  if verbose:
    print('tfvae: test ' + ', '.join(f'{k}={v:.3f}' for k, v in metrics.items()))
  return metrics


def _fit(config, source, info, strategy, *, run_dir, output, chief, export_base, verbose, shown):
  """Builds, compiles and trains the model (resuming from a backup); returns it."""
  train_data, steps = pipelines.distribute_dataset(config, source, 'train', strategy)
  validation_data, validation_steps = None, None
  if info.num_examples['validation'] > 0:
    validation_data, validation_steps = pipelines.distribute_dataset(
      config, source, 'validation', strategy
    )
  with strategy.scope():
    model = models.make_model(config, info)
    model.compile(keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
  if export_base is not None:
    serving_lib.ServingModule(model)  # Fails now, not after training, if it cannot be served.
  callbacks = _callbacks(config, model, run_dir, output, chief, *shown)
  history = model.fit(
    train_data,
    epochs=config.epochs,
    steps_per_epoch=steps,
    validation_data=validation_data,
    validation_steps=validation_steps,
    callbacks=callbacks,
    verbose=verbose,
  )
  backup_dir = run_dir.file(run_dir.BACKUP)
  if os.path.isdir(backup_dir) and not os.listdir(backup_dir):
    os.rmdir(backup_dir)  # BackupAndRestore empties it when training completes.
  losses = history.history.get('loss', [])
  stopped_early = any(
    isinstance(c, keras.callbacks.EarlyStopping) and c.stopped_epoch for c in callbacks
  )
  if losses and not math.isfinite(losses[-1]) or (model.stop_training and not stopped_early):
    raise TrainingDivergedError(
      'training diverged: the loss became NaN or Inf; lower `learning_rate` or check the data. '
      f'The last good checkpoint is in {run_dir.file(run_dir.CHECKPOINTS)}.'
    )
  return model


def _callbacks(config, model, run_dir, output, chief, x_shown, labels_shown):
  checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  callbacks = [
    # Log before the backup: a kill between the two repeats an epoch's row
    # rather than losing it.
    keras.callbacks.CSVLogger(output.file(output.TRAINING_LOG), append=True),
    keras.callbacks.BackupAndRestore(run_dir.file(run_dir.BACKUP)),
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
        output.file(output.TENSORBOARD),
        images=x_shown[:_TENSORBOARD_IMAGES] if images else None,
        condition=labels_shown[:_TENSORBOARD_IMAGES] if config.conditional else None,
        num_samples=16 if images else 0,
        seed=config.seed,
        sample_temperature=config.sample_temperature,
        image_scale=max(1, 32 // x_shown.shape[2]) if images else 1,
      )
    )
  callbacks.append(
    _CheckpointEachEpoch(tf.train.CheckpointManager(checkpoint, output.file(output.CHECKPOINTS), 3))
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


def default_model_dir(dataset: str) -> str:
  """Where a run of `dataset` goes by default: `tfvae_runs/<dataset's name>-<time>`."""
  stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
  name = os.path.splitext(os.path.basename(dataset.rstrip('/*')))[0] or 'data'
  return os.path.join('tfvae_runs', f'{name}-{stamp}')


def _prepare_run_dir(model_dir, config, create=True):
  if model_dir is None:
    model_dir = default_model_dir(config.dataset)
  run_dir = run_dir_lib.RunDir(model_dir)
  if not create:  # A non-chief worker: the chief checks and creates the directory.
    return run_dir
  path = run_dir.path
  if os.path.exists(path) and not os.path.isdir(path):
    raise ValueError(f'`model_dir`: {path} exists and is not a directory.')
  if os.path.isdir(path) and os.listdir(path):
    if not run_dir.has(run_dir.CONFIG):
      raise ValueError(
        f'`model_dir`: {path} is not empty and holds no tfvae run; choose a new directory.'
      )
    previous = _as_compared(run_dir.read_config().to_json())
    current = _as_compared(config.to_json())
    # Options added since the run began are not in its file: they are not compared, and the
    # resumed run records them as they are now.
    recorded = set(run_dir.read_json(run_dir.CONFIG))
    changed = sorted(k for k in recorded & set(current) if previous.get(k) != current.get(k))
    if changed:
      raise ValueError(
        f'`model_dir`: {path} holds a run with a different configuration (differs in '
        f'{changed}); choose a new directory or repeat the same arguments to resume it.'
      )
    if run_dir.has(run_dir.METRICS):
      raise ValueError(f'`model_dir`: {path} holds a finished run; choose a new directory.')
    if recorded != set(current):
      run_dir.write_config(config)
    return run_dir
  os.makedirs(path, exist_ok=True)
  run_dir.write_config(config)
  return run_dir


def _as_compared(options: dict) -> dict:
  """Config options as a resumed run compares them: `precision` resolved on this machine."""
  return dict(options, precision=precision_lib.resolve(options['precision']))


def _write_images(model, run_dir, config, x_shown, labels_shown, class_names):
  """reconstructions.png and samples.png, with TensorFlow alone (images only)."""
  if not _is_image(x_shown):
    return
  conditions = labels_shown if config.conditional else None
  inputs = x_shown[:10]
  reconstructions = np.asarray(
    model.reconstruct(inputs, None if conditions is None else conditions[:10])
  )
  grid = grid_lib.make_grid(np.concatenate([inputs, reconstructions]), num_columns=len(inputs))
  grid_lib.write_png(run_dir.file(run_dir.RECONSTRUCTIONS), grid, scale=4)
  if config.conditional:  # One row of 8 per class, named where matplotlib can.
    classes = np.repeat(np.arange(model.condition_size), 8)
    samples = model.sample(classes, seed=config.seed, temperature=config.sample_temperature)
  else:
    samples = model.sample(64, seed=config.seed, temperature=config.sample_temperature)
  samples = samples.numpy()
  samples_path = run_dir.file(run_dir.SAMPLES)
  if config.conditional and plot_lib.is_available():
    title = 'samples from the prior, one row per class'
    plot_lib.plot_samples(samples_path, samples, 8, title, row_labels=class_names)
  else:
    grid_lib.write_png(samples_path, grid_lib.make_grid(samples, num_columns=8), scale=4)


def _write_figures(model, run_dir, config, x_shown, labels_shown, class_names):
  """The matplotlib figures of `tfvae.plot.write_figures`, when matplotlib is installed."""
  if not plot_lib.is_available():
    return
  plot_lib.write_figures(
    model,
    run_dir.path,
    x_shown,
    labels_shown,
    seed=config.seed,
    figures=('latent_manifold', 'latent_scatter', 'kl_per_dimension'),
    condition=labels_shown if config.conditional else None,
    class_names=class_names,
  )


def _is_image(x):
  return x.ndim == 4
