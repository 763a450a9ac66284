# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Keras callbacks for VAEs: TensorBoard summaries, and KL warm-up (from `tfvae.model.warmup`)."""

import os

import numpy as np
import tensorflow as tf

from tfvae.analysis import grid as grid_lib
from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras
from tfvae.model import warmup as warmup_lib

__all__ = [
  'KLWarmup',
  'VAETensorBoard',
]

KLWarmup = warmup_lib.KLWarmup

_DESCRIPTIONS = {
  'loss': 'Training objective (negative ELBO with the KL weight in effect), nats per example.',
  'reconstruction': 'Reconstruction term -log p(x|z), nats per example.',
  'kl': 'KL(q(z|x) || p(z)), unweighted, nats per example.',
  'kl_weight': 'Weight of the KL term in the loss (at the end of the epoch).',
  'learning_rate': "The optimizer's learning rate (at the end of the epoch).",
}


class VAETensorBoard(keras.callbacks.Callback):
  """Writes a VAE's scalars, image grids and posterior scales for TensorBoard.

  At the end of every epoch it writes, with `tf.summary`, under `log_dir`:

  * `train/`: the scalars `loss`, `reconstruction` and `kl` (and any other
    number in the epoch's logs), `kl_weight` (read from `model.kl_weight`) and
    `learning_rate` (the optimizer's, schedules evaluated at the current
    step); every `image_freq` epochs, the images `reconstructions` (rows of
    `images` above rows of their reconstructions, `model.reconstruct`) and
    `samples` (`model.sample(num_samples, seed)`, the same latent draws every
    epoch), and the histogram `posterior_scale` (the standard deviations of
    q(z|x) for `images`, `[len(images) * latent_size]` values).
  * `validation/`: the `val_` scalars of the logs, without the prefix, so
    TensorBoard draws training and validation curves of a tag together.

  The step of every summary is the epoch (0-based); the files are flushed
  each epoch. Run `tensorboard --logdir=<log_dir>` to see them. The model must
  be a `tfvae.VAE` (the callback calls its `reconstruct`, `sample`, `encoder`
  and `kl_weight`). It writes no graph or weight summaries: add
  `tf_keras.callbacks.TensorBoard` with another `log_dir` for those.

  #### Examples

  >>> import os, tempfile
  >>> log_dir = tempfile.mkdtemp()
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> decoder = tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, decoder)
  >>> vae.compile()
  >>> x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1)).round().astype('float32')
  >>> callback = VAETensorBoard(log_dir, images=x[:4], num_samples=4, num_columns=4)
  >>> _ = vae.fit(x, epochs=1, batch_size=16, verbose=0, callbacks=[callback])
  >>> sorted(os.listdir(log_dir))
  ['train']
  """

  def __init__(
    self,
    log_dir: str,
    images=None,
    num_samples: int = 16,
    num_columns: int = 8,
    seed: int = 0,
    image_scale: int = 1,
    image_freq: int = 1,
    condition=None,
    sample_temperature: float = 1.0,
  ):
    """Creates the callback.

    Args:
      log_dir: directory of the event files (`train/` and `validation/` are
        created below it).
      images: a fixed `[n, *event_shape]` batch of (validation) inputs in
        [0, 1] whose reconstructions and posterior scales are logged.
        Default value: `None`: no reconstructions and no histogram.
      num_samples: images drawn from the prior for the `samples` grid; `0`
        turns the grid off.
        Default value: `16`.
      num_columns: images per row of both grids.
        Default value: `8`.
      seed: seed of the prior draws (the same every epoch).
        Default value: `0`.
      image_scale: integer upscaling of the grids (nearest neighbour), so that
        small images stay sharp.
        Default value: `1`.
      image_freq: write images and the histogram every `image_freq` epochs
        (and always after the last one).
        Default value: `1`.
      condition: for a conditional VAE, the conditions of `images` (float
        `[n, K]` or integer labels `[n]`). Its `samples` grid then has one
        row per class (the unit vectors of the condition), `num_columns`
        images each, unless `num_samples` is `0` (no grid: for data that
        are not images).
        Default value: `None`.
      sample_temperature: the temperature of the prior draws
        (`model.sample(..., temperature=)`).
        Default value: `1.0`.

    Raises:
      ValueError: bad `images`, a count that is not a positive integer, or a
        `sample_temperature` that is not > 0.
    """
    super().__init__()
    self.log_dir = os.fspath(log_dir)
    self.images = None if images is None else checks.check_real_array(images, 'images')
    self.condition = None if condition is None else np.asarray(condition)
    self.num_samples = checks.check_non_negative_int(num_samples, 'num_samples')
    self.num_columns = checks.check_positive_int(num_columns, 'num_columns')
    self.seed = int(seed)
    self.sample_temperature = checks.check_positive_float(sample_temperature, 'sample_temperature')
    self.image_scale = checks.check_positive_int(image_scale, 'image_scale')
    self.image_freq = checks.check_positive_int(image_freq, 'image_freq')
    self._writers = {}
    self._epochs = None

  def set_params(self, params):
    super().set_params(params)
    self._epochs = (params or {}).get('epochs')

  def on_epoch_end(self, epoch, logs=None):
    logs = dict(logs or {})
    train_scalars = {k: v for k, v in logs.items() if not k.startswith('val_')}
    val_scalars = {k[len('val_') :]: v for k, v in logs.items() if k.startswith('val_')}
    train_scalars.pop('kl_weight', None)  # Read from the model below.
    kl_weight = warmup_lib.kl_weight_variable(self.model)
    if kl_weight is not None:
      train_scalars['kl_weight'] = float(kl_weight.numpy())
    learning_rate = _learning_rate(self.model)
    if learning_rate is not None:
      train_scalars['learning_rate'] = learning_rate
    with tf.summary.record_if(True):
      with self._writer('train').as_default(step=epoch):
        _write_scalars(train_scalars)
        last_epoch = self._epochs is not None and epoch + 1 >= self._epochs
        if epoch % self.image_freq == 0 or last_epoch:
          self._write_images()
      if val_scalars:
        with self._writer('validation').as_default(step=epoch):
          _write_scalars(val_scalars)
    for writer in self._writers.values():
      writer.flush()

  def on_train_end(self, logs=None):
    for writer in self._writers.values():
      writer.close()
    self._writers = {}

  def _writer(self, name):
    if name not in self._writers:
      self._writers[name] = tf.summary.create_file_writer(os.path.join(self.log_dir, name))
    return self._writers[name]

  def set_model(self, model):
    super().set_model(model)
    if self.images is not None:  # Checked against the model it logs.
      self.images = model.check_inputs(self.images, 'images')
    if model.condition_size and self.images is not None:
      self.condition = model.networks.check_condition(self.condition, len(self.images))

  def on_train_begin(self, logs=None):
    if self.num_samples:  # A temperature the prior cannot take: refused before training.
      self.model.check_temperature(self.sample_temperature, 'sample_temperature')

  def _write_images(self):
    condition_size = self.model.condition_size
    if self.images is not None:
      reconstructions = self.model.reconstruct(self.images, self.condition)
      reconstructions = np.nan_to_num(np.asarray(reconstructions))
      grid = grid_lib.make_pairs_grid(self.images, reconstructions, self.num_columns)
      tf.summary.image(
        'reconstructions',
        _upscale(grid, self.image_scale)[np.newaxis],
        description='Rows of inputs above rows of their reconstructions (likelihood mean at '
        'the posterior mean).',
      )
      condition = None if self.condition is None else tf.constant(self.condition)
      posterior = self.model.networks.posterior(tf.constant(self.images), condition)
      tf.summary.histogram(
        'posterior_scale',
        tf.reshape(_posterior_scale(posterior), [-1]),
        description='Standard deviations of q(z|x) (of its Gaussian base for a flow) over the '
        'logged inputs and latent dimensions.',
      )
    if not self.num_samples:
      return
    if condition_size:
      classes = np.repeat(np.eye(condition_size, dtype=np.float32), self.num_columns, axis=0)
      samples = self.model.sample(
        condition=classes, seed=self.seed, temperature=self.sample_temperature
      )
      num_columns = self.num_columns
      description = 'Likelihood means at draws from the prior, one row per class.'
    else:
      samples = self.model.sample(
        self.num_samples, seed=self.seed, temperature=self.sample_temperature
      )
      num_columns = min(self.num_columns, self.num_samples)
      description = 'Likelihood means at draws from the prior (the same draws every epoch).'
    grid = grid_lib.make_grid(np.nan_to_num(np.asarray(samples)), num_columns=num_columns)
    tf.summary.image(
      'samples', _upscale(grid, self.image_scale)[np.newaxis], description=description
    )


def _upscale(grid, scale):
  return grid.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else grid


def _write_scalars(scalars):
  for name, value in scalars.items():
    value = np.asarray(value)
    if value.shape != () or not np.issubdtype(value.dtype, np.number):
      continue
    tf.summary.scalar(name, float(value), description=_DESCRIPTIONS.get(name))


def _learning_rate(model):
  optimizer = getattr(model, 'optimizer', None)
  if optimizer is None:
    return None
  learning_rate = getattr(optimizer, 'learning_rate', None)
  if learning_rate is None:
    learning_rate = getattr(optimizer, 'lr', None)
  if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
    learning_rate = learning_rate(optimizer.iterations)
  if learning_rate is None:
    return None
  try:
    return float(learning_rate)
  except (TypeError, ValueError):
    return None


def _posterior_scale(posterior):
  """Standard deviations of q(z|x); for a flow, those of its Gaussian base."""
  inner = distributions.unwrap(posterior)
  try:
    return inner.stddev()
  except NotImplementedError:
    return inner.distribution.stddev()
