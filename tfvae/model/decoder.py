# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The decoder: a network whose output is the likelihood p(x|z)."""

import math
from collections.abc import Sequence

import numpy as np

from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import conditioning as conditioning_lib
from tfvae.model import encoder as encoder_lib
from tfvae.model import layers as layers_lib
from tfvae.model import precision as precision_lib

__all__ = [
  'LIKELIHOODS',
  'make_decoder',
]

LIKELIHOODS = ('bernoulli', 'continuous_bernoulli', 'discretized_logistic', 'gaussian')


def make_decoder(
  latent_size: int,
  output_shape: Sequence[int],
  hidden_units: Sequence[int] | None = None,
  architecture: str = 'dense',
  activation: str = 'relu',
  name: str = 'decoder',
  likelihood: str = 'bernoulli',
  condition_size: int = 0,
  standardization=None,
  num_components: int = 1,
  precision: str | None = None,
) -> keras.Model:
  """Builds p(x|z): a network ending in a distribution layer over pixels.

  Called on latents `[batch_size, latent_size]`, the model returns a
  `tfd.Independent` product over pixels with `batch_shape [batch_size]` and
  `event_shape output_shape`; its tensor twin (`decoder.outputs[0]`, what
  `decoder.predict` returns) is the likelihood's mean. The `likelihood`
  family (`tfvae.model.layers.likelihood_family(decoder)` reads it back):

  * `'bernoulli'`: `tfd.Bernoulli` pixels (`IndependentBernoulli`), for
    binary data; on grey levels its log-likelihood is a cross-entropy, not a
    normalized density.
  * `'continuous_bernoulli'`: `tfd.ContinuousBernoulli` pixels
    (`IndependentContinuousBernoulli`), a normalized density for grey levels
    in [0, 1] (Loaiza-Ganem and Cunningham, 2019).
  * `'gaussian'`: `tfd.Normal` pixels (`IndependentNormal`), for real-valued
    data: the network predicts the mean; the per-pixel scale is a weight of
    the last layer, initially 0.1 and at least `1e-3` (rescale data far from
    the [0, 1] range).
  * `'discretized_logistic'`: 8-bit pixels `k / 255`
    (`IndependentDiscretizedLogistic`): a discretized logistic per pixel, or
    with `num_components > 1` a mixture of them (Salimans et al., 2017), whose
    edge bins hold the tails; `log_prob` is the exact log-probability of the
    8-bit image, and the data must lie on those levels.

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
    likelihood: `'bernoulli'`, `'continuous_bernoulli'`,
      `'discretized_logistic'` or `'gaussian'`.
      Default value: `'bernoulli'`.
    condition_size: size `K` of the condition `c` of a conditional VAE: the
      network is p(x|z, c) and takes `[z, c]` (`c` float `[batch_size, K]`,
      concatenated with z); `0` for an unconditional decoder.
      Default value: `0`.
    standardization: `(loc, scale)` arrays of shape `output_shape` (or
      scalars), for the `'gaussian'` likelihood of data in raw units: the
      network models `(x - loc) / scale` and the likelihood is over `x`
      itself, `Normal(loc + scale * mean, scale * stddev)`, so `log_prob`
      includes the log-Jacobian `-sum(log scale)`. Give the encoder the same
      pair.
      Default value: `None`: data as they are.
    num_components: the logistic components of each pixel of the
      `'discretized_logistic'` likelihood: `1` for a discretized logistic, `K > 1`
      for a mixture of `K`.
      Default value: `1`.
    precision: compute precision of the hidden layers, one of
      `tfvae.model.precision.PRECISIONS`: `'bfloat16'` computes them in
      bfloat16 with float32 variables; the parameter head and the
      distribution stay float32.
      Default value: `None`: Keras' global policy (float32 unless set).

  Returns:
    decoder: a `tf_keras.Model` from `[batch_size, latent_size]` latents (and
      `[batch_size, condition_size]` conditions) to p(x|z) (p(x|z, c)).

  Raises:
    ValueError: on bad `latent_size`, `output_shape`, `hidden_units`, `precision`,
      `architecture`, `likelihood`, `condition_size`, `standardization`
      (which needs the `'gaussian'` likelihood) or `num_components` (above 1
      only for `'discretized_logistic'`).

  #### Examples

  >>> decoder = make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> likelihood = decoder(tf.zeros([3, 2]))
  >>> likelihood.event_shape.as_list()
  [8, 8, 1]
  >>> decoder = make_decoder(2, (8, 8, 1), (16,), likelihood='continuous_bernoulli')
  >>> decoder(tf.zeros([3, 2])).log_prob(tf.fill([3, 8, 8, 1], 0.5)).shape
  TensorShape([3])
  >>> decoder = make_decoder(2, (8, 8, 1), (16,), likelihood='discretized_logistic',
  ...                        num_components=5)
  >>> decoder(tf.zeros([3, 2])).log_prob(tf.fill([3, 8, 8, 1], 128 / 255.)).shape
  TensorShape([3])

  #### References

  [1] Gabriel Loaiza-Ganem and John P. Cunningham. The continuous Bernoulli:
      fixing a pervasive error in variational autoencoders. In NeurIPS, 2019.
      https://arxiv.org/abs/1907.06845
  [2] Tim Salimans, Andrej Karpathy, Xi Chen and Diederik P. Kingma.
      PixelCNN++: Improving the PixelCNN with Discretized Logistic Mixture
      Likelihood and Other Modifications. In ICLR, 2017.
      https://arxiv.org/abs/1701.05517
  """
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  output_shape = checks.check_shape(output_shape, 'output_shape')
  architecture = checks.check_choice(architecture, encoder_lib.ARCHITECTURES, 'architecture')
  likelihood = checks.check_choice(likelihood, LIKELIHOODS, 'likelihood')
  condition_size = checks.check_non_negative_int(condition_size, 'condition_size')
  standardization = checks.check_standardization(standardization, output_shape)
  num_components = checks.check_positive_int(num_components, 'num_components')
  likelihood_kwargs = {}
  if likelihood == 'discretized_logistic':
    likelihood_kwargs['num_components'] = num_components
  elif num_components != 1:
    raise ValueError(
      f"`num_components`={num_components} needs `likelihood='discretized_logistic'` (a mixture "
      f'per pixel); got {likelihood!r}.'
    )
  if standardization is not None:
    if likelihood != 'gaussian':
      raise ValueError(
        f"`standardization` needs `likelihood='gaussian'` (real-valued data); got {likelihood!r}."
      )
    loc, scale = standardization
    likelihood_kwargs['standardization'] = {'loc': loc.tolist(), 'scale': scale.tolist()}
  if hidden_units is None:
    hidden_units = encoder_lib.default_hidden_units(architecture)
    if architecture == 'dense':
      hidden_units = tuple(reversed(hidden_units))
  hidden_units = checks.check_units(hidden_units, 'hidden_units')
  if architecture == 'conv' and len(output_shape) != 3:
    raise ValueError(
      f"`architecture='conv'` needs `output_shape` (height, width, channels); got {output_shape}."
    )
  layer_class = _LIKELIHOOD_LAYERS[likelihood]
  if likelihood == 'discretized_logistic':
    params_size = layer_class.params_size(output_shape, num_components)
  else:
    params_size = layer_class.params_size(output_shape)
  # Parameters per pixel: the last layer's channels, for conv.
  params_per_pixel = params_size // int(np.prod(output_shape))

  hidden, structural = precision_lib.layer_dtypes(precision)
  inputs = keras.layers.Input(shape=(latent_size,), name='z')
  h = inputs
  if condition_size:
    inputs = [inputs, keras.layers.Input(shape=(condition_size,), name='condition')]
    h = conditioning_lib.ConcatenateCondition(dtype=structural, name='with_condition')(inputs)
  if architecture == 'dense':
    for i, units in enumerate(hidden_units):
      h = keras.layers.Dense(units, activation=activation, dtype=hidden, name=f'dense_{i}')(h)
    logits = keras.layers.Dense(params_size, dtype='float32', name='logits')(h)
  else:
    height, width, channels = output_shape
    scale = 2 ** len(hidden_units)
    start = (math.ceil(height / scale), math.ceil(width / scale))
    top = hidden_units[-1] if hidden_units else channels
    h = keras.layers.Dense(
      start[0] * start[1] * top, activation=activation, dtype=hidden, name='project'
    )(h)
    h = keras.layers.Reshape((start[0], start[1], top), dtype=hidden, name='reshape')(h)
    for i, filters in enumerate(reversed(hidden_units)):
      h = keras.layers.Conv2DTranspose(
        filters,
        3,
        strides=2,
        padding='same',
        activation=activation,
        dtype=hidden,
        name=f'deconv_{i}',
      )(h)
    h = keras.layers.Conv2D(
      channels * params_per_pixel, 3, padding='same', dtype='float32', name='logits_map'
    )(h)
    extra = (start[0] * scale - height, start[1] * scale - width)
    if any(extra):
      h = keras.layers.Cropping2D(((0, extra[0]), (0, extra[1])), dtype='float32', name='crop')(h)
    logits = keras.layers.Flatten(dtype='float32', name='logits')(h)
  # The tensor twin is the mean: deterministic, so a training step that only
  # needs the distribution draws nothing for it (and XLA prunes it).
  layer = layer_class(
    output_shape,
    convert_to_tensor_fn='mean',
    dtype='float32',
    name='likelihood',
    **likelihood_kwargs,
  )
  return keras.Model(inputs=inputs, outputs=layer(logits), name=name)


_LIKELIHOOD_LAYERS = {
  'bernoulli': layers_lib.IndependentBernoulli,
  'continuous_bernoulli': layers_lib.IndependentContinuousBernoulli,
  'discretized_logistic': layers_lib.IndependentDiscretizedLogistic,
  'gaussian': layers_lib.IndependentNormal,
}
