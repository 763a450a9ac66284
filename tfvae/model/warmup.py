# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""KL warm-up: a Keras callback that ramps a VAE's KL weight from 0."""

import tensorflow as tf

from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import layers as layers_lib

__all__ = [
  'KLWarmup',
  'kl_weight_variable',
]


class KLWarmup(keras.callbacks.Callback):
  """Ramps the KL weight linearly from 0 to `target` (KL warm-up, annealing).

  Give exactly one of `warmup_steps` and `warmup_epochs`:

  * `warmup_epochs=N`: epoch `e` (0-based) trains with
    `kl_weight = target * min(1, e / N)`.
  * `warmup_steps=N`: training step `t` (0-based, counted by
    `model.optimizer.iterations`, so a resumed or repeated `fit` continues the
    ramp) trains with `kl_weight = target * min(1, s / N)`, where `s` is the
    first step of the execution that runs `t`. Keras runs
    `steps_per_execution` steps (8 by default for `tfvae.VAE.compile`) between
    two calls of a callback, so the weight changes once per execution: it
    follows the exact ramp to within `steps_per_execution - 1` steps and is
    exactly `target` from step `N` on (rounded up to a whole execution).
    Compile with `steps_per_execution=1` for a per-step ramp.

  The weight is assigned to the model's `kl_weight` variable (`tfvae.VAE`, or
  any Keras model with one `tfvae.KLDivergenceRegularizer`, such as the
  composition `Model(encoder.inputs, decoder(encoder.outputs[0]))`), so every
  loss and validation loss of an epoch uses the weight in effect:
  `loss = reconstruction + kl_weight * kl`. The weight at the end of each epoch
  is added to the epoch's logs as `kl_weight` (seen by `History`, and by
  `CSVLogger` when it comes after this callback). The weight stays at its last
  value after training.

  #### Examples

  >>> warmup = KLWarmup(4.0, warmup_epochs=4)
  >>> [warmup.kl_weight_at(e) for e in range(6)]
  [0.0, 1.0, 2.0, 3.0, 4.0, 4.0]
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> decoder = tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, decoder)
  >>> vae.compile()
  >>> x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1)).round().astype('float32')
  >>> history = vae.fit(x, epochs=3, batch_size=16, verbose=0, callbacks=[warmup])
  >>> history.history['kl_weight']
  [0.0, 1.0, 2.0]

  #### References

  [1] Samuel R. Bowman et al. Generating Sentences from a Continuous Space.
      In CoNLL, 2016. https://arxiv.org/abs/1511.06349
  [2] Casper Kaae Sonderby et al. Ladder Variational Autoencoders. In
      NeurIPS, 2016. https://arxiv.org/abs/1602.02282
  """

  def __init__(
    self,
    target: float = 1.0,
    warmup_steps: int | None = None,
    warmup_epochs: int | None = None,
  ):
    """Creates the callback.

    Args:
      target: the KL weight at the end of the warm-up (> 1 for a beta-VAE).
        Default value: `1.0`.
      warmup_steps: length of the ramp in training steps (batches).
        Default value: `None`.
      warmup_epochs: length of the ramp in epochs.
        Default value: `None`.

    Raises:
      ValueError: if `target` is negative or not finite, or not exactly one of
        `warmup_steps` and `warmup_epochs` is a positive integer.
    """
    super().__init__()
    self.target = checks.check_kl_weight(target, 'target')
    if (warmup_steps is None) == (warmup_epochs is None):
      raise ValueError(
        'Give exactly one of `warmup_steps` and `warmup_epochs`; got '
        f'warmup_steps={warmup_steps!r}, warmup_epochs={warmup_epochs!r}.'
      )
    if warmup_steps is not None:
      self.warmup_steps = checks.check_positive_int(warmup_steps, 'warmup_steps')
      self.warmup_epochs = None
    else:
      self.warmup_steps = None
      self.warmup_epochs = checks.check_positive_int(warmup_epochs, 'warmup_epochs')
    self._variable = None

  def kl_weight_at(self, progress: int) -> float:
    """The weight after `progress` steps (or epochs, per the constructor).

    Args:
      progress: completed training steps (`warmup_steps`) or epochs
        (`warmup_epochs`), >= 0.

    Returns:
      `target * min(1, progress / warmup)`, a Python `float`.
    """
    length = self.warmup_steps or self.warmup_epochs
    return self.target * min(1.0, max(0, int(progress)) / length)

  def on_train_begin(self, logs=None):
    self._variable = kl_weight_variable(self.model)
    if self._variable is None:
      raise ValueError(
        'KLWarmup needs a model with a `kl_weight` variable: a tfvae.VAE, or a model with a '
        'tfvae.KLDivergenceRegularizer.'
      )

  def on_epoch_begin(self, epoch, logs=None):
    if self.warmup_epochs is not None:
      self._variable.assign(self.kl_weight_at(epoch))

  def on_train_batch_begin(self, batch, logs=None):
    if self.warmup_steps is not None:
      self._variable.assign(self.kl_weight_at(int(self.model.optimizer.iterations.numpy())))

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None:
      logs['kl_weight'] = float(self._variable.numpy())


def kl_weight_variable(model):
  """`model.kl_weight`, or the weight of the one KL regularizer among the model's layers."""
  variable = getattr(model, 'kl_weight', None)
  if isinstance(variable, tf.Variable):
    return variable
  if model is None:
    return None
  regularizers = []
  for module in [model, *model.submodules]:
    regularizer = getattr(module, 'activity_regularizer', None)
    if isinstance(regularizer, layers_lib.KLDivergenceRegularizer) and all(
      regularizer is not r for r in regularizers
    ):
      regularizers.append(regularizer)
  if len(regularizers) > 1:
    raise ValueError(
      f'The model holds {len(regularizers)} KL regularizers; anneal their `kl_weight` variables '
      'yourself.'
    )
  return regularizers[0].kl_weight if regularizers else None
