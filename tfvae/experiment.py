# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job as a plain function: train a VAE, evaluate it, write the run."""

import datetime
import json
import math
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tfvae import callbacks as callbacks_lib
from tfvae import datasets as datasets_lib
from tfvae import decoder as decoder_lib
from tfvae import encoder as encoder_lib
from tfvae import grid as grid_lib
from tfvae import plot as plot_lib
from tfvae import prior as prior_lib
from tfvae import serving as serving_lib
from tfvae import vae as vae_lib
from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'PRIORS',
  'STRATEGIES',
  'TrainingDivergedError',
  'make_strategy',
  'train',
]

STRATEGIES = ('default', 'mirrored', 'multi_worker')
PRIORS = ('mixture', 'standard_normal', 'vamp')
CONFIG_FILE = 'config.json'
METRICS_FILE = 'metrics.json'
MODEL_FILE = 'model.keras'


class TrainingDivergedError(RuntimeError):
  """Raised when the loss becomes NaN or Inf during training."""


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
  checks.check_choice(name, STRATEGIES, 'strategy')
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tf.distribute.get_strategy()


def train(
  dataset: str = 'digits',
  data_dir: str | None = None,
  architecture: str = 'dense',
  latent_size: int = 32,
  hidden_units=None,
  epochs: int = 100,
  batch_size: int = 128,
  learning_rate: float = 1e-3,
  kl_weight: float = 1.0,
  seed: int = 0,
  model_dir: str | None = None,
  strategy: str = 'default',
  jit_compile: bool | None = None,
  verbose: int = 1,
  export_base: str | None = None,
  posterior: str = 'diagonal',
  likelihood: str = 'bernoulli',
  prior: str = 'standard_normal',
  objective: str = 'elbo',
  num_samples: int = 1,
  free_bits: float = 0.0,
  kl_warmup_epochs: int = 0,
) -> dict:
  """Trains a VAE on a dataset and writes the run to `model_dir`.

  For the Bernoulli likelihood, training data is binarized afresh every
  epoch and the test set once, with `seed`; the continuous Bernoulli and
  Gaussian likelihoods model the grey levels as they are. `model_dir` receives `config.json` (the resolved arguments),
  `checkpoints/` (TensorFlow checkpoints of model and optimizer, each epoch),
  `training_log.csv` (per-epoch metrics), `tensorboard/` (`VAETensorBoard`
  summaries: scalars, image grids, posterior scales), `metrics.json` (test
  metrics), `model.keras`, `reconstructions.png` (test inputs above their
  reconstructions) and `samples.png` (images from the prior); with matplotlib
  installed also `latent_scatter.png` (test posterior means by label),
  `kl_per_dimension.png` and, for `latent_size` 2, `latent_manifold.png`
  (see `tfvae.plot`). A run killed mid-way resumes from its last completed
  epoch when started again with the same arguments.

  Args:
    dataset: a name from `tfvae.datasets.DATASETS` or a `.npz`/`.npy` path.
    data_dir: directory of IDX files for `mnist` / `fashion_mnist`.
    architecture: `'dense'` or `'conv'`.
    latent_size: dimension of z.
    hidden_units: see `make_encoder`; the decoder mirrors it.
    epochs: passes over the training set.
    batch_size: global batch size.
    learning_rate: Adam's learning rate.
    kl_weight: weight of the KL term.
    seed: seed for initialization, shuffling and binarization.
    model_dir: output directory; created if missing. An existing directory is
      used only if it holds an unfinished run with the same configuration.
      Default value: `None`: `tfvae_runs/<dataset>-<time>`.
    strategy: one of `STRATEGIES`.
    jit_compile: XLA; `None` lets `VAE.compile` decide.
    verbose: Keras progress output (0, 1 or 2).
    export_base: if given, the finished model is also exported for TensorFlow
      Serving to the next version directory `<export_base>/<version>/` (see
      `tfvae.export_saved_model`); checked before training.
      Default value: `None`: no export.
    posterior: `make_encoder`'s `posterior` family.
      Default value: `'diagonal'`.
    likelihood: `make_decoder`'s `likelihood` family.
      Default value: `'bernoulli'`.
    prior: one of `PRIORS`: `'standard_normal'`, `'mixture'` (a learnable
      mixture of 10 Gaussians) or `'vamp'` (a VampPrior with 50 pseudo-inputs).
      Default value: `'standard_normal'`.
    objective: `'elbo'` or `'iwae'` (see `VAE`).
      Default value: `'elbo'`.
    num_samples: posterior samples per example in the objective.
      Default value: `1`.
    free_bits: floor in nats on each latent dimension's KL (diagonal
      posterior).
      Default value: `0.0`.
    kl_warmup_epochs: ramp the KL weight from 0 to `kl_weight` over this
      many epochs (`callbacks.KLWarmup`).
      Default value: `0` (no warm-up).

  Returns:
    `dict` of test metrics (`loss`, `reconstruction`, `kl`, nats per example).

  Raises:
    ValueError: bad arguments or a `model_dir` that holds something else.
    TrainingDivergedError: if the loss becomes NaN or Inf.
  """
  distribution = make_strategy(strategy)
  epochs = checks.check_positive_int(epochs, 'epochs')
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  checks.check_choice(architecture, encoder_lib.ARCHITECTURES, 'architecture')
  if (
    not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate))
    or learning_rate <= 0
  ):
    raise ValueError(f'`learning_rate` must be a positive float; got {learning_rate!r}.')
  kl_weight = checks.check_kl_weight(kl_weight)
  if hidden_units is None:
    hidden_units = encoder_lib.default_hidden_units(architecture)
  hidden_units = checks.check_units(hidden_units, 'hidden_units')
  checks.check_choice(posterior, encoder_lib.POSTERIORS, 'posterior')
  checks.check_choice(likelihood, decoder_lib.LIKELIHOODS, 'likelihood')
  checks.check_choice(prior, PRIORS, 'prior')
  checks.check_choice(objective, vae_lib.OBJECTIVES, 'objective')
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  free_bits = checks.check_kl_weight(free_bits, 'free_bits')
  if free_bits and (prior != 'standard_normal' or posterior != 'diagonal'):
    raise ValueError(
      '`free_bits` needs the diagonal posterior and the standard normal prior; got '
      f'posterior={posterior!r}, prior={prior!r}.'
    )
  kl_warmup_epochs = checks.check_non_negative_int(kl_warmup_epochs, 'kl_warmup_epochs')
  config = {
    'dataset': os.fspath(dataset),
    'data_dir': None if data_dir is None else os.fspath(data_dir),
    'architecture': architecture,
    'latent_size': latent_size,
    'hidden_units': list(hidden_units),
    'epochs': epochs,
    'batch_size': batch_size,
    'learning_rate': float(learning_rate),
    'kl_weight': kl_weight,
    'seed': int(seed),
    'strategy': strategy,
    'jit_compile': jit_compile,
    'posterior': posterior,
    'likelihood': likelihood,
    'prior': prior,
    'objective': objective,
    'num_samples': num_samples,
    'free_bits': free_bits,
    'kl_warmup_epochs': kl_warmup_epochs,
  }
  (x_train, _), (x_test, y_test) = datasets_lib.load(dataset, data_dir=data_dir, seed=seed)
  chief = _is_chief(distribution)
  if strategy == 'multi_worker' and model_dir is None:
    raise ValueError('`model_dir` is required with `strategy`=multi_worker (all workers share it).')
  model_dir = _prepare_model_dir(model_dir, config, create=chief)
  # Under multi-worker training only the chief writes the run; the other
  # workers write their (identical) logs and checkpoints to a scratch directory.
  output_dir = model_dir if chief else tempfile.mkdtemp(prefix='tfvae-worker-')
  if verbose:
    print(f'tfvae: writing the run to {model_dir}')

  binary = likelihood == 'bernoulli'
  x_eval = datasets_lib.binarize(x_test, seed) if binary else x_test
  train_ds = datasets_lib.make_dataset(
    x_train, batch_size, binarization='dynamic' if binary else None, seed=seed
  )
  test_ds = datasets_lib.make_dataset(x_eval, batch_size, shuffle=False, binarization=None)
  keras.utils.set_random_seed(seed)
  with distribution.scope():
    event_shape = x_train.shape[1:]
    # The VAE computes the KL itself for learnable priors and the IWAE bound.
    vae_kl = prior != 'standard_normal' or objective == 'iwae'
    encoder = encoder_lib.make_encoder(
      event_shape,
      latent_size,
      hidden_units,
      architecture,
      kl_weight=kl_weight,
      free_bits=0.0 if vae_kl else free_bits,
      kl_regularizer=not vae_kl,
      posterior=posterior,
    )
    decoder_units = hidden_units if architecture == 'conv' else tuple(reversed(hidden_units))
    decoder = decoder_lib.make_decoder(
      latent_size, event_shape, decoder_units, architecture, likelihood=likelihood
    )
    model = vae_lib.VAE(
      encoder,
      decoder,
      prior=_make_prior(prior, latent_size, event_shape),
      kl_weight=kl_weight,
      objective=objective,
      num_samples=num_samples,
      free_bits=free_bits,
    )
    model.compile(keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
  if export_base is not None:
    serving_lib.ServingModule(model)  # Fails now, not after training, if it cannot be served.

  checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  callbacks = [
    # Log before the backup: a kill between the two repeats an epoch's row
    # rather than losing it.
    keras.callbacks.CSVLogger(os.path.join(output_dir, 'training_log.csv'), append=True),
    keras.callbacks.BackupAndRestore(os.path.join(model_dir, 'backup')),
    keras.callbacks.TerminateOnNaN(),
    *(
      [callbacks_lib.KLWarmup(kl_weight, warmup_epochs=kl_warmup_epochs)]
      if kl_warmup_epochs
      else []
    ),
    *(
      [
        callbacks_lib.VAETensorBoard(
          os.path.join(output_dir, 'tensorboard'),
          images=x_eval[:16],
          seed=seed,
          image_scale=max(1, 32 // event_shape[1]),
        )
      ]
      if _is_chief(distribution)
      else []
    ),
    _CheckpointEachEpoch(
      tf.train.CheckpointManager(checkpoint, os.path.join(output_dir, 'checkpoints'), 3)
    ),
  ]
  history = model.fit(
    train_ds, epochs=epochs, validation_data=test_ds, callbacks=callbacks, verbose=verbose
  )
  backup_dir = os.path.join(model_dir, 'backup')
  if os.path.isdir(backup_dir) and not os.listdir(backup_dir):
    os.rmdir(backup_dir)  # BackupAndRestore empties it when training completes.
  losses = history.history.get('loss', [])
  if losses and not math.isfinite(losses[-1]) or model.stop_training:
    raise TrainingDivergedError(
      'training diverged: the loss became NaN or Inf; lower `learning_rate` or check the data. '
      f'The last good checkpoint is in {os.path.join(model_dir, "checkpoints")}.'
    )
  metrics = model.evaluate(test_ds, verbose=0, return_dict=True)
  metrics = {name: float(value) for name, value in metrics.items()}
  # Every worker saves (saving is collective under multi-worker training);
  # only the chief's copy lands in `model_dir`.
  _write_outputs(model, output_dir, x_eval, metrics, seed, labels=y_test)
  if not chief:
    shutil.rmtree(output_dir, ignore_errors=True)  # Our own scratch directory.
  if export_base is not None and chief:
    path = serving_lib.export_saved_model(model, export_base)
    if verbose:
      print(f'tfvae: exported {path} for TensorFlow Serving')
  if verbose:
    print('tfvae: test ' + ', '.join(f'{k}={v:.3f}' for k, v in metrics.items()))
  return metrics


def _make_prior(name, latent_size, event_shape):
  if name == 'mixture':
    return prior_lib.MixtureOfGaussians(latent_size, num_components=10)
  if name == 'vamp':
    return prior_lib.VampPrior(num_components=50, input_shape=event_shape)
  return None  # The standard normal.


class _CheckpointEachEpoch(keras.callbacks.Callback):
  """Saves model and optimizer each epoch (TensorFlow writes and then renames)."""

  def __init__(self, manager):
    super().__init__()
    self._manager = manager

  def on_epoch_end(self, epoch, logs=None):
    self._manager.save(checkpoint_number=epoch + 1)


def _prepare_model_dir(model_dir, config, create=True):
  if model_dir is None:
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    name = os.path.splitext(os.path.basename(config['dataset']))[0]
    model_dir = os.path.join('tfvae_runs', f'{name}-{stamp}')
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
    with open(config_path) as f:
      previous = json.load(f)
    if previous != config:
      changed = sorted(k for k in set(previous) | set(config) if previous.get(k) != config.get(k))
      raise ValueError(
        f'`model_dir`: {model_dir} holds a run with a different configuration (differs in '
        f'{changed}); choose a new directory or repeat the same arguments to resume it.'
      )
    if os.path.isfile(os.path.join(model_dir, METRICS_FILE)):
      raise ValueError(f'`model_dir`: {model_dir} holds a finished run; choose a new directory.')
    return model_dir
  os.makedirs(model_dir, exist_ok=True)
  _write_json(config_path, config)
  return model_dir


def _write_outputs(model, model_dir, x_eval, metrics, seed, labels=None):
  num_pairs = min(10, len(x_eval))
  inputs = x_eval[:num_pairs]
  reconstructions = model.reconstruct(inputs).numpy()
  grid = grid_lib.make_grid(np.concatenate([inputs, reconstructions]), num_columns=num_pairs)
  grid_lib.write_png(os.path.join(model_dir, 'reconstructions.png'), grid, scale=4)
  samples = model.sample(64, seed=seed).numpy()
  grid_lib.write_png(
    os.path.join(model_dir, 'samples.png'), grid_lib.make_grid(samples, num_columns=8), scale=4
  )
  if plot_lib.is_available():  # The PNGs above need TensorFlow alone.
    figures = ('latent_manifold', 'latent_scatter', 'kl_per_dimension')
    plot_lib.write_figures(model, model_dir, x_eval, labels, seed=seed, figures=figures)
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


def _is_chief(strategy):
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return True
  return resolver.task_type == 'chief' or (resolver.task_type == 'worker' and resolver.task_id == 0)
