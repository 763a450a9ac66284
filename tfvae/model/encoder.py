# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The encoder: a network whose output is the posterior q(z|x)."""

from collections.abc import Sequence

import numpy as np
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import conditioning as conditioning_lib
from tfvae.model import layers as layers_lib
from tfvae.model import precision as precision_lib
from tfvae.model import prior as prior_lib

tfd = tfp.distributions

__all__ = [
  'ARCHITECTURES',
  'POSTERIORS',
  'default_hidden_units',
  'make_encoder',
]

ARCHITECTURES = ('conv', 'dense')
POSTERIORS = ('diagonal', 'full_covariance', 'iaf')
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
  posterior: str = 'diagonal',
  num_flows: int = 2,
  flow_hidden_units: Sequence[int] = (64, 64),
  flow_context_size: int = 0,
  condition_size: int = 0,
  standardization=None,
  precision: str | None = None,
) -> keras.Model:
  """Builds q(z|x): a network ending in a distribution layer.

  The network computes the parameters of the posterior; its last layer turns
  them into the distribution, so calling the model on a batch
  `[batch_size, *input_shape]` returns a `tfd.Distribution` (inside TFP's
  tensor-coercible wrapper: `.tensor_distribution`) with
  `batch_shape [batch_size]` and `event_shape [latent_size]`. Its tensor twin
  (`encoder.outputs[0]`) is a reparameterized sample. The `posterior` family:

  * `'diagonal'`: `tfd.MultivariateNormalDiag` (`MultivariateNormalDiag`
    layer); closed-form KL to a Gaussian prior.
  * `'full_covariance'`: `tfd.MultivariateNormalTriL`
    (`MultivariateNormalTriL` layer); closed-form KL to a Gaussian prior.
  * `'iaf'`: a diagonal Gaussian through `num_flows` inverse autoregressive
    flow steps (`InverseAutoregressiveFlow` layer, Kingma et al., 2016), a
    `tfd.TransformedDistribution`; its KL is a Monte Carlo estimate at the
    layer's own sample, and it has no analytic mean
    (`tfvae.model.layers.point_estimate`).

  By default the distribution layer carries a `KLDivergenceRegularizer`, so
  `encoder.losses` holds `kl_weight * mean KL(q(z|x) || prior)`, once.

  With `condition_size=K > 0` the network is q(z|x, c) (a conditional VAE,
  Sohn et al., 2015): it takes `[x, c]`, `c` a float `[batch_size, K]`
  condition (a one-hot class, or any side information), concatenated with
  the flattened input (`'dense'`) or tiled over the image as `K` extra
  channels (`'conv'`).

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
    posterior: `'diagonal'`, `'full_covariance'` or `'iaf'`.
      Default value: `'diagonal'`.
    num_flows: number of IAF steps (`'iaf'` only).
      Default value: `2`.
    flow_hidden_units: widths of each IAF step's MADE network (`'iaf'` only).
      Default value: `(64, 64)`.
    flow_context_size: size of the context `h` the encoder computes for the
      IAF steps; `0` makes the flow the same for every input (`'iaf'` only).
      Default value: `0`.
    condition_size: size `K` of the condition `c`; `0` for an unconditional
      encoder.
      Default value: `0`.
    standardization: `(loc, scale)`, arrays of shape `input_shape` (or
      scalars): the network sees `(x - loc) / scale`, so it takes data in
      their raw units (tables of features with the statistics of the training
      data; `make_decoder` takes the same pair).
      Default value: `None`: data as they are.
    precision: compute precision of the hidden layers, one of
      `tfvae.model.precision.PRECISIONS`: `'bfloat16'` computes them in
      bfloat16 with float32 variables; the parameter head and the
      distribution stay float32.
      Default value: `None`: Keras' global policy (float32 unless set).

  Returns:
    encoder: a `tf_keras.Model` from `[batch_size, *input_shape]` examples
      (and `[batch_size, condition_size]` conditions) to q(z|x) (q(z|x, c)).

  Raises:
    ValueError: on a non-positive `latent_size`, a bad `input_shape`, `precision` or
      `hidden_units`, an unknown `architecture` or `posterior`, `'conv'` with
      non-image input, bad flow arguments, or `free_bits` with a posterior
      that is not diagonal.

  #### Examples

  >>> encoder = make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> posterior = encoder(tf.zeros([3, 8, 8, 1]))
  >>> posterior.batch_shape.as_list(), posterior.event_shape.as_list()
  ([3], [2])
  >>> encoder = make_encoder((8, 8, 1), 2, (16,), posterior='iaf', flow_hidden_units=(8,))
  >>> encoder(tf.zeros([3, 8, 8, 1])).event_shape.as_list()
  [2]

  #### References

  [1] Diederik P. Kingma, Tim Salimans, Rafal Jozefowicz, Xi Chen, Ilya
      Sutskever and Max Welling. Improved Variational Inference with Inverse
      Autoregressive Flow. In NeurIPS, 2016. https://arxiv.org/abs/1606.04934
  [2] Kihyuk Sohn, Honglak Lee and Xinchen Yan. Learning Structured Output
      Representation using Deep Conditional Generative Models. In NeurIPS,
      2015.
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
  posterior = checks.check_choice(posterior, POSTERIORS, 'posterior')
  condition_size = checks.check_non_negative_int(condition_size, 'condition_size')
  standardization = checks.check_standardization(standardization, input_shape)
  if free_bits and posterior != 'diagonal':
    raise ValueError(
      f"`free_bits` needs `posterior`='diagonal' (a per-dimension KL); got {posterior!r}."
    )
  if posterior == 'iaf':
    # No closed form exists: Monte Carlo at the layer's own (cached) sample.
    analytic_kl = False
  regularizer = None
  if kl_regularizer:
    if prior is None:
      prior = prior_lib.make_standard_normal(latent_size)
    regularizer = layers_lib.KLDivergenceRegularizer(
      prior, kl_weight=kl_weight, analytic=analytic_kl, free_bits=free_bits
    )
  # The parameter head and the distribution stay float32 under mixed precision.
  layer_kwargs = dict(activity_regularizer=regularizer, dtype='float32', name='posterior')
  if posterior == 'iaf':
    params_size = layers_lib.InverseAutoregressiveFlow.params_size(latent_size, flow_context_size)
    distribution_layer = layers_lib.InverseAutoregressiveFlow(
      latent_size,
      num_flows=num_flows,
      hidden_units=flow_hidden_units,
      context_size=flow_context_size,
      activation=activation,
      **layer_kwargs,
    )
  elif posterior == 'full_covariance':
    params_size = layers_lib.MultivariateNormalTriL.params_size(latent_size)
    distribution_layer = layers_lib.MultivariateNormalTriL(latent_size, **layer_kwargs)
  else:
    params_size = layers_lib.MultivariateNormalDiag.params_size(latent_size)
    distribution_layer = layers_lib.MultivariateNormalDiag(latent_size, **layer_kwargs)

  hidden, structural = precision_lib.layer_dtypes(precision)
  inputs = [keras.layers.Input(shape=input_shape, name='x')]
  h = inputs[0]
  if standardization is not None:
    loc, scale = standardization
    h = keras.layers.Normalization(
      axis=tuple(range(1, len(input_shape) + 1)),
      mean=loc.tolist(),
      variance=np.square(scale).tolist(),
      dtype='float32',
      name='standardize',
    )(h)
  if condition_size:
    inputs.append(keras.layers.Input(shape=(condition_size,), name='condition'))
  if architecture == 'conv':
    if condition_size:  # Tiled over the image: every convolution sees it.
      h = conditioning_lib.ConcatenateCondition(dtype=structural, name='with_condition')(
        [h, inputs[1]]
      )
    for i, filters in enumerate(hidden_units):
      h = keras.layers.Conv2D(
        filters, 3, strides=2, padding='same', activation=activation, dtype=hidden, name=f'conv_{i}'
      )(h)
  if len(input_shape) > 1:
    h = keras.layers.Flatten(dtype=structural, name='flatten')(h)
  if architecture == 'dense':
    if condition_size:
      h = conditioning_lib.ConcatenateCondition(dtype=structural, name='with_condition')(
        [h, inputs[1]]
      )
    for i, units in enumerate(hidden_units):
      h = keras.layers.Dense(units, activation=activation, dtype=hidden, name=f'dense_{i}')(h)
  params = keras.layers.Dense(params_size, dtype='float32', name='params')(h)
  if not condition_size:
    inputs = inputs[0]
  return keras.Model(inputs=inputs, outputs=distribution_layer(params), name=name)
