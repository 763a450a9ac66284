# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The decoder: a network whose output is the likelihood p(x|z)."""

import math
from collections.abc import Sequence

import numpy as np

from tfvae import encoder as encoder_lib
from tfvae import layers as layers_lib
from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'make_decoder',
]


def make_decoder(
  latent_size: int,
  output_shape: Sequence[int],
  hidden_units: Sequence[int] | None = None,
  architecture: str = 'dense',
  activation: str = 'relu',
  name: str = 'decoder',
) -> keras.Model:
  """Builds p(x|z): a network ending in `tfp.layers.IndependentBernoulli`.

  Called on latents `[batch_size, latent_size]`, the model returns
  `tfd.Independent(tfd.Bernoulli)` with `batch_shape [batch_size]` and
  `event_shape output_shape`; its tensor twin is a binary sample.

  Args:
    latent_size: Python `int` > 0, dimension of z.
    output_shape: shape of one example, as the encoder's `input_shape`.
    hidden_units: widths of the hidden `Dense` layers (`'dense'`, listed from
      z outwards) or filters of the stride-2 `Conv2DTranspose` layers
      (`'conv'`, listed as in the encoder and applied in reverse).
      Default value: `None`: `(256, 512)` for dense, `(32, 64)` for conv.
    architecture: `'dense'` or `'conv'` (needs a rank-3 `output_shape`).
      Default value: `'dense'`.
    activation: activation of the hidden layers.
      Default value: `'relu'`.
    name: name of the model.
      Default value: `'decoder'`.

  Returns:
    decoder: a `tf_keras.Model` from `[batch_size, latent_size]` to p(x|z).

  Raises:
    ValueError: on bad `latent_size`, `output_shape`, `hidden_units` or
      `architecture`.

  #### Examples

  >>> decoder = make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> likelihood = decoder(tf.zeros([3, 2]))
  >>> likelihood.event_shape.as_list()
  [8, 8, 1]
  """
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  output_shape = checks.check_shape(output_shape, 'output_shape')
  architecture = checks.check_choice(architecture, encoder_lib.ARCHITECTURES, 'architecture')
  if hidden_units is None:
    hidden_units = encoder_lib.default_hidden_units(architecture)
    if architecture == 'dense':
      hidden_units = tuple(reversed(hidden_units))
  hidden_units = checks.check_units(hidden_units, 'hidden_units')
  if architecture == 'conv' and len(output_shape) != 3:
    raise ValueError(
      f"`architecture='conv'` needs `output_shape` (height, width, channels); got {output_shape}."
    )
  event_size = int(np.prod(output_shape))

  inputs = keras.layers.Input(shape=(latent_size,), name='z')
  h = inputs
  if architecture == 'dense':
    for i, units in enumerate(hidden_units):
      h = keras.layers.Dense(units, activation=activation, name=f'dense_{i}')(h)
    logits = keras.layers.Dense(event_size, dtype='float32', name='logits')(h)
  else:
    height, width, channels = output_shape
    scale = 2 ** len(hidden_units)
    start = (math.ceil(height / scale), math.ceil(width / scale))
    top = hidden_units[-1] if hidden_units else channels
    h = keras.layers.Dense(start[0] * start[1] * top, activation=activation, name='project')(h)
    h = keras.layers.Reshape((start[0], start[1], top), name='reshape')(h)
    for i, filters in enumerate(reversed(hidden_units)):
      h = keras.layers.Conv2DTranspose(
        filters, 3, strides=2, padding='same', activation=activation, name=f'deconv_{i}'
      )(h)
    h = keras.layers.Conv2D(channels, 3, padding='same', dtype='float32', name='logits_map')(h)
    extra = (start[0] * scale - height, start[1] * scale - width)
    if any(extra):
      h = keras.layers.Cropping2D(((0, extra[0]), (0, extra[1])), name='crop')(h)
    logits = keras.layers.Flatten(dtype='float32', name='logits')(h)
  likelihood = layers_lib.IndependentBernoulli(output_shape, dtype='float32', name='likelihood')(
    logits
  )
  return keras.Model(inputs=inputs, outputs=likelihood, name=name)
