# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Priors p(z) over the latent space: fixed ones, their (de)serialization, learnable ones.

A fixed prior is a `tfd.Distribution`. A learnable prior is a Keras layer (a
`LearnablePrior`) whose `distribution(encoder)` builds p(z) from its weights,
so the prior trains with the model and serializes with it.
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras

tfd = tfp.distributions

__all__ = [
  'ConditionalGaussian',
  'LearnablePrior',
  'MixtureOfGaussians',
  'VampPrior',
  'deserialize',
  'make_standard_normal',
  'serialize',
]

# softplus(x + _SCALE_SHIFT) == 1 at x == 0, as in tfvae.model.layers.
_SCALE_SHIFT = math.log(math.expm1(1.0))
_MIN_SCALE = 1e-6


def make_standard_normal(latent_size: int, dtype=tf.float32) -> tfd.MultivariateNormalDiag:
  """The standard normal prior N(0, I) over `latent_size` dimensions.

  Args:
    latent_size: Python `int` > 0, the number of latent dimensions.
    dtype: float dtype of the prior.
      Default value: `tf.float32`.

  Returns:
    prior: `tfd.MultivariateNormalDiag` with `batch_shape []` and
      `event_shape [latent_size]`.

  Raises:
    ValueError: if `latent_size` is not a positive integer.

  #### Examples

  >>> prior = make_standard_normal(3)
  >>> prior.event_shape.as_list()
  [3]
  """
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  return tfd.MultivariateNormalDiag(
    loc=tf.zeros([latent_size], dtype=dtype),
    scale_diag=tf.ones([latent_size], dtype=dtype),
    name='standard_normal_prior',
  )


def serialize(prior: tfd.Distribution) -> dict:
  """A JSON-serializable description of a fixed `MultivariateNormalDiag` prior.

  Args:
    prior: a `tfd.MultivariateNormalDiag` whose `loc` and `scale` are constants.

  Returns:
    config: `dict` that `deserialize` turns back into an equal prior.

  Raises:
    TypeError: for any other kind of prior (learnable priors are Keras layers
      and serialize themselves).

  #### Examples

  >>> serialize(make_standard_normal(2))
  {'class_name': 'MultivariateNormalDiag', 'loc': [0.0, 0.0], 'scale_diag': [1.0, 1.0]}
  """
  prior = distributions.unwrap(prior)
  if not isinstance(prior, tfd.MultivariateNormalDiag):
    raise TypeError(
      f'`prior` must be a tfd.MultivariateNormalDiag to be serialized; got {type(prior).__name__}.'
    )
  loc = tf.get_static_value(prior.loc)
  scale_diag = tf.get_static_value(prior.stddev())
  if loc is None or scale_diag is None:
    raise TypeError('`prior` must have constant parameters to be serialized.')
  return {
    'class_name': 'MultivariateNormalDiag',
    'loc': np.asarray(loc).tolist(),
    'scale_diag': np.asarray(scale_diag).tolist(),
  }


def deserialize(config: dict) -> tfd.MultivariateNormalDiag:
  """Inverse of `serialize`.

  Args:
    config: `dict` from `serialize`.

  Returns:
    prior: a `tfd.MultivariateNormalDiag`.

  Raises:
    ValueError: if `config` was not made by `serialize`.
  """
  if not isinstance(config, dict) or config.get('class_name') != 'MultivariateNormalDiag':
    raise ValueError(f'`config` is not a serialized tfvae prior: {config!r}.')
  return tfd.MultivariateNormalDiag(
    loc=tf.constant(config['loc'], tf.float32),
    scale_diag=tf.constant(config['scale_diag'], tf.float32),
  )


class LearnablePrior(keras.layers.Layer):
  """Base class of learnable priors: a Keras layer that builds p(z) from its weights.

  Subclasses create their weights in `__init__` and implement
  `distribution(encoder, condition)`, which returns a normalized
  `tfd.Distribution` with `event_shape [latent_size]` (and `batch_shape []`,
  or `[batch_size]` for a conditional prior p(z|c)), differentiable with
  respect to the layer's weights. `tfvae.VAE(prior=...)` accepts these: it
  tracks their weights and calls `distribution(vae.encoder, condition)` in
  its objective, where the KL is analytic where TFP has a closed form and a
  Monte Carlo estimate otherwise.

  Class attributes say what a prior is: `conditional` (it needs the
  condition `c`: p(z|c)), `diagonal_gaussian` (its distributions are
  `tfd.MultivariateNormalDiag`, as free bits need) and `needs_encoder`
  (it is made of the encoder's posteriors).
  """

  conditional = False
  diagonal_gaussian = False
  needs_encoder = False

  def distribution(self, encoder=None, condition=None) -> tfd.Distribution:
    """p(z) (or p(z|c)) at the current weights.

    Args:
      encoder: the VAE's encoder, for priors defined through it
        (`VampPrior`); others ignore it.
        Default value: `None`.
      condition: float `[batch_size, K]` conditions, for conditional priors;
        others ignore it.
        Default value: `None`.

    Returns:
      A `tfd.Distribution` with `event_shape [latent_size]`.
    """
    raise NotImplementedError(f'{type(self).__name__} must implement `distribution`.')

  def call(self, inputs):
    """Returns `inputs` unchanged: a prior has no forward pass; use `distribution`."""
    return inputs


@keras.register
class MixtureOfGaussians(LearnablePrior):
  """A learnable mixture of diagonal Gaussians: p(z) = sum_k pi_k N(z; mu_k, diag(sigma_k^2)).

  Its weights are the component means `loc` `[num_components, latent_size]`
  (initialized from N(0, 1), seeded by `tf_keras.utils.set_random_seed`), raw
  scales (scale `softplus(raw + softplus^-1(1)) + 1e-6`, initially 1) and the
  mixture `logits` `[num_components]` (initially uniform).
  `distribution()` is a `tfd.MixtureSameFamily` of `tfd.MultivariateNormalDiag`
  components, `batch_shape []`, `event_shape [latent_size]`.

  #### Examples

  >>> prior = MixtureOfGaussians(latent_size=2, num_components=3)
  >>> p = prior.distribution()
  >>> p.event_shape.as_list(), len(prior.trainable_weights)
  ([2], 3)
  >>> p.log_prob(tf.zeros([4, 2])).shape
  TensorShape([4])
  """

  def __init__(self, latent_size: int, num_components: int, **kwargs):
    """Creates the prior and its weights.

    Args:
      latent_size: Python `int` > 0, the dimension of z.
      num_components: Python `int` > 0, the number of Gaussians.
      **kwargs: `tf_keras.layers.Layer` arguments (`name`, ...).

    Raises:
      ValueError: if `latent_size` or `num_components` is not a positive
        integer.
    """
    kwargs.setdefault('dtype', 'float32')
    super().__init__(**kwargs)
    self.latent_size = checks.check_positive_int(latent_size, 'latent_size')
    self.num_components = checks.check_positive_int(num_components, 'num_components')
    self.loc = self.add_weight(
      name='loc',
      shape=(self.num_components, self.latent_size),
      initializer=keras.initializers.RandomNormal(stddev=1.0),
    )
    self.raw_scale = self.add_weight(
      name='raw_scale', shape=(self.num_components, self.latent_size), initializer='zeros'
    )
    self.logits = self.add_weight(name='logits', shape=(self.num_components,), initializer='zeros')
    self.built = True

  def distribution(self, encoder=None, condition=None) -> tfd.MixtureSameFamily:
    """The mixture at the current weights; `encoder` and `condition` are ignored."""
    scale = _MIN_SCALE + tf.math.softplus(self.raw_scale + _SCALE_SHIFT)
    return tfd.MixtureSameFamily(
      mixture_distribution=tfd.Categorical(logits=tf.convert_to_tensor(self.logits)),
      components_distribution=tfd.MultivariateNormalDiag(
        loc=tf.convert_to_tensor(self.loc), scale_diag=scale
      ),
      name='mixture_of_gaussians_prior',
    )

  def get_config(self):
    config = super().get_config()
    config.update(latent_size=self.latent_size, num_components=self.num_components)
    return config


@keras.register
class VampPrior(LearnablePrior):
  """The VampPrior: the encoder's posteriors at learned pseudo-inputs, mixed uniformly.

  p(z) = (1 / K) sum_k q(z | u_k), where the `K = num_components`
  pseudo-inputs `u_k` are weights of this layer, kept in [0, 1] as
  `sigmoid(pseudo_input_logits)` (logits initialized from N(0, 1)), and q is
  the VAE's encoder (Tomczak and Welling, 2018). `distribution(encoder)` calls
  the encoder on the pseudo-inputs, so the prior changes with the encoder and
  gradients reach both. The encoder must carry no KL regularizer
  (`make_encoder(..., kl_regularizer=False)`): the KL to this prior is
  computed by the VAE, by Monte Carlo.

  #### Examples

  >>> from tfvae.model import encoder as encoder_lib
  >>> encoder = encoder_lib.make_encoder((8, 8, 1), 2, (16,), kl_regularizer=False)
  >>> prior = VampPrior(num_components=5, input_shape=(8, 8, 1))
  >>> p = prior.distribution(encoder)
  >>> p.batch_shape.as_list(), p.event_shape.as_list()
  ([], [2])

  #### References

  [1] Jakub M. Tomczak and Max Welling. VAE with a VampPrior. In AISTATS,
      2018. https://arxiv.org/abs/1705.07120
  """

  needs_encoder = True

  def __init__(self, num_components: int, input_shape, **kwargs):
    """Creates the prior and its pseudo-inputs.

    Args:
      num_components: Python `int` > 0, the number of pseudo-inputs K.
      input_shape: the shape of one input of the encoder, e.g. `(8, 8, 1)`.
      **kwargs: `tf_keras.layers.Layer` arguments (`name`, ...).

    Raises:
      ValueError: if `num_components` is not a positive integer or
        `input_shape` is not a shape.
    """
    kwargs.setdefault('dtype', 'float32')
    kwargs.pop('batch_input_shape', None)
    super().__init__(**kwargs)
    self.num_components = checks.check_positive_int(num_components, 'num_components')
    self.pseudo_input_shape = checks.check_shape(input_shape, 'input_shape')
    self.pseudo_input_logits = self.add_weight(
      name='pseudo_input_logits',
      shape=(self.num_components, *self.pseudo_input_shape),
      initializer=keras.initializers.RandomNormal(stddev=1.0),
    )
    self.built = True

  @property
  def pseudo_inputs(self) -> tf.Tensor:
    """The pseudo-inputs in [0, 1], `[num_components, *input_shape]`."""
    return tf.math.sigmoid(self.pseudo_input_logits)

  def distribution(self, encoder=None, condition=None) -> tfd.MixtureSameFamily:
    """The uniform mixture of `encoder`'s posteriors at the pseudo-inputs.

    Args:
      encoder: the VAE's encoder, a `tf_keras.Model` from
        `[batch_size, *input_shape]` to q(z|x) with no KL regularizer.
      condition: ignored (the VampPrior is unconditional: its encoder must be
        too).

    Returns:
      A `tfd.MixtureSameFamily` with `batch_shape []` and the posterior's
      `event_shape`.

    Raises:
      ValueError: if `encoder` is missing, takes inputs of another shape, or
        carries a KL regularizer.
    """
    if encoder is None:
      raise ValueError('`encoder` is required: the VampPrior is made of its posteriors.')
    expected = getattr(encoder, 'input_shape', None)
    if isinstance(expected, tuple) and tuple(expected[1:]) != self.pseudo_input_shape:
      raise ValueError(
        f'`encoder` takes inputs of shape {tuple(expected[1:])}; the VampPrior has '
        f'pseudo-inputs of shape {self.pseudo_input_shape}.'
      )
    if getattr(distributions.distribution_layer(encoder), 'activity_regularizer', None):
      raise ValueError(
        '`encoder` carries an activity (KL) regularizer, which calling it on the pseudo-inputs '
        'would add to the loss; build it with `make_encoder(..., kl_regularizer=False)`.'
      )
    posterior = distributions.unwrap(encoder(self.pseudo_inputs))
    return tfd.MixtureSameFamily(
      mixture_distribution=tfd.Categorical(logits=tf.zeros([self.num_components])),
      components_distribution=posterior,
      name='vamp_prior',
    )

  def get_config(self):
    config = super().get_config()
    config.update(num_components=self.num_components, input_shape=list(self.pseudo_input_shape))
    return config


@keras.register
class ConditionalGaussian(LearnablePrior):
  """A learned conditional prior p(z|c) = N(mu(c), diag(sigma(c)^2)).

  A small network of the condition `c` `[batch_size, condition_size]`
  (`Dense` layers of `hidden_units`, then a linear layer) gives the `loc` and
  the raw scale, `scale = softplus(raw + softplus^-1(1)) + 1e-6`. The output
  layer starts at zero, so the prior starts as N(0, I) for every `c`; for
  one-hot classes and `hidden_units=()` it learns one Gaussian per class.
  `distribution(encoder, condition)` is a `tfd.MultivariateNormalDiag` with
  `batch_shape [batch_size]`: the KL from a diagonal (or full-covariance)
  Gaussian posterior is analytic, and free bits apply.

  #### Examples

  >>> prior = ConditionalGaussian(latent_size=2, condition_size=3)
  >>> p = prior.distribution(condition=tf.eye(3))
  >>> p.batch_shape.as_list(), p.event_shape.as_list()
  ([3], [2])
  >>> p.stddev().numpy().round(4).tolist()[0]  # N(0, I) before training
  [1.0, 1.0]

  #### References

  [1] Kihyuk Sohn, Honglak Lee and Xinchen Yan. Learning Structured Output
      Representation using Deep Conditional Generative Models. In NeurIPS,
      2015.
  """

  conditional = True
  diagonal_gaussian = True

  def __init__(
    self, latent_size: int, condition_size: int, hidden_units=(), activation='relu', **kwargs
  ):
    """Creates the prior and its network.

    Args:
      latent_size: Python `int` > 0, the dimension of z.
      condition_size: Python `int` > 0, the size `K` of the condition.
      hidden_units: widths of the hidden `Dense` layers of c -> (loc, scale).
        Default value: `()`: a linear map.
      activation: activation of the hidden layers.
        Default value: `'relu'`.
      **kwargs: `tf_keras.layers.Layer` arguments (`name`, ...).

    Raises:
      ValueError: on a non-positive `latent_size` or `condition_size`, or bad
        `hidden_units`.
    """
    kwargs.setdefault('dtype', 'float32')
    super().__init__(**kwargs)
    self.latent_size = checks.check_positive_int(latent_size, 'latent_size')
    self.condition_size = checks.check_positive_int(condition_size, 'condition_size')
    self.hidden_units = checks.check_units(hidden_units, 'hidden_units')
    self.activation = activation
    self.hidden_layers = [
      keras.layers.Dense(units, activation=activation, name=f'dense_{i}')
      for i, units in enumerate(self.hidden_units)
    ]
    self.params_layer = keras.layers.Dense(
      2 * self.latent_size, kernel_initializer='zeros', name='params'
    )
    h = (None, self.condition_size)
    for layer in self.hidden_layers:
      layer.build(h)
      h = (None, layer.units)
    self.params_layer.build(h)
    self.built = True

  def distribution(self, encoder=None, condition=None) -> tfd.MultivariateNormalDiag:
    """p(z|c) for a batch of conditions; `encoder` is ignored.

    Args:
      encoder: ignored.
      condition: float `[batch_size, condition_size]`.

    Returns:
      `tfd.MultivariateNormalDiag` with `batch_shape [batch_size]`.

    Raises:
      ValueError: if `condition` is missing.
    """
    if condition is None:
      raise ValueError('`condition` is required: this prior is p(z|c).')
    h = tf.cast(condition, self.compute_dtype)
    for layer in self.hidden_layers:
      h = layer(h)
    loc, raw_scale = tf.split(tf.cast(self.params_layer(h), tf.float32), 2, axis=-1)
    scale = _MIN_SCALE + tf.math.softplus(raw_scale + _SCALE_SHIFT)
    return tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale, name='conditional_prior')

  def get_config(self):
    config = super().get_config()
    config.update(
      latent_size=self.latent_size,
      condition_size=self.condition_size,
      hidden_units=list(self.hidden_units),
      activation=self.activation,
    )
    return config
