# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The encoder: a network whose output is the posterior q(z|x)."""

from collections.abc import Sequence

import tensorflow_probability as tfp

from tfvae import layers as layers_lib
from tfvae import prior as prior_lib
from tfvae.internal import checks
from tfvae.internal import keras

tfd = tfp.distributions

__all__ = [
  'ARCHITECTURES',
  'default_hidden_units',
  'make_encoder',
]

ARCHITECTURES = ('conv', 'dense')
_DEFAULT_HIDDEN_UNITS = {'dense': (512, 256), 'conv': (32, 64)}


def default_hidden_units(architecture: str) -> tuple:
  """Default `hidden_units`: Dense widths for `'dense'`, Conv2D filters for `'conv'`."""
  return _DEFAULT_HIDDEN_UNITS[checks.check_choice(architecture, ARCHITECTURES, 'architecture')]


def make_encoder(
  input_shape: Sequence[int],
  latent_size: int,
  hidden_units: Sequence[int] | None = None,
  architecture: str = 'dense',
  prior: tfd.Distribution | None = None,
  kl_weight: float = 1.0,
  analytic_kl: bool = True,
  free_bits: float = 0.0,
  kl_regularizer: bool = True,
  activation: str = 'relu',
  name: str = 'encoder',
) -> keras.Model:
  """Builds q(z|x): a network ending in a `MultivariateNormalDiag` layer.

  The network computes `loc` and `scale` of a diagonal Gaussian; its last
  layer turns them into the distribution, so calling the model on a batch
  `[batch_size, *input_shape]` returns a `tfd.MultivariateNormalDiag` (inside
  TFP's tensor-coercible wrapper: `.tensor_distribution`) with
  `batch_shape [batch_size]` and `event_shape [latent_size]`. Its tensor twin
  (`encoder.outputs[0]`) is a reparameterized sample.

  By default the distribution layer carries a `KLDivergenceRegularizer`, so
  `encoder.losses` holds `kl_weight * mean KL(q(z|x) || prior)`, once.

  Args:
    input_shape: shape of one example: `(height, width, channels)` for images,
      `(dim,)` for flat vectors.
    latent_size: Python `int` > 0, dimension of z.
    hidden_units: widths of the hidden `Dense` layers (`'dense'`) or filters of
      the stride-2 `Conv2D` layers (`'conv'`).
      Default value: `None`: `(512, 256)` for dense, `(32, 64)` for conv.
    architecture: `'dense'` (an MLP) or `'conv'` (needs a rank-3 `input_shape`).
      Default value: `'dense'`.
    prior: p(z) for the KL regularizer.
      Default value: `None`: the standard normal.
    kl_weight: weight of the KL term.
      Default value: `1.0`.
    analytic_kl: closed-form KL where TFP registers one, Monte Carlo otherwise.
      Default value: `True`.
    free_bits: floor in nats on each latent dimension's batch-mean KL.
      Default value: `0.0` (off).
    kl_regularizer: attach the KL regularizer to the distribution layer.
      Default value: `True`.
    activation: activation of the hidden layers.
      Default value: `'relu'`.
    name: name of the model.
      Default value: `'encoder'`.

  Returns:
    encoder: a `tf_keras.Model` from `[batch_size, *input_shape]` images to
      q(z|x).

  Raises:
    ValueError: on a non-positive `latent_size`, a bad `input_shape` or
      `hidden_units`, an unknown `architecture`, or `'conv'` with non-image
      input.

  #### Examples

  >>> encoder = make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> posterior = encoder(tf.zeros([3, 8, 8, 1]))
  >>> posterior.batch_shape.as_list(), posterior.event_shape.as_list()
  ([3], [2])
  """
  input_shape = checks.check_shape(input_shape, 'input_shape')
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  architecture = checks.check_choice(architecture, ARCHITECTURES, 'architecture')
  if hidden_units is None:
    hidden_units = default_hidden_units(architecture)
  hidden_units = checks.check_units(hidden_units, 'hidden_units')
  if architecture == 'conv' and len(input_shape) != 3:
    raise ValueError(
      f"`architecture='conv'` needs `input_shape` (height, width, channels); got {input_shape}."
    )
  regularizer = None
  if kl_regularizer:
    if prior is None:
      prior = prior_lib.make_standard_normal(latent_size)
    regularizer = layers_lib.KLDivergenceRegularizer(
      prior, kl_weight=kl_weight, analytic=analytic_kl, free_bits=free_bits
    )

  inputs = keras.layers.Input(shape=input_shape, name='x')
  h = inputs
  if architecture == 'conv':
    for i, filters in enumerate(hidden_units):
      h = keras.layers.Conv2D(
        filters, 3, strides=2, padding='same', activation=activation, name=f'conv_{i}'
      )(h)
  if len(input_shape) > 1:
    h = keras.layers.Flatten(name='flatten')(h)
  if architecture == 'dense':
    for i, units in enumerate(hidden_units):
      h = keras.layers.Dense(units, activation=activation, name=f'dense_{i}')(h)
  # The parameter head and the distribution stay float32 under mixed precision.
  params = keras.layers.Dense(
    layers_lib.MultivariateNormalDiag.params_size(latent_size), dtype='float32', name='params'
  )(h)
  posterior = layers_lib.MultivariateNormalDiag(
    latent_size, activity_regularizer=regularizer, dtype='float32', name='posterior'
  )(params)
  return keras.Model(inputs=inputs, outputs=posterior, name=name)
