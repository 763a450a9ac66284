# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Priors p(z) over the latent space: fixed ones, their (de)serialization, learnable ones.

A fixed prior is a `tfd.Distribution`. A learnable prior is a Keras layer (a
`LearnablePrior`) whose `distribution(encoder)` builds p(z) from its weights,
so the prior trains with the model and serializes with it.
"""

import math
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras

tfd = tfp.distributions

__all__ = [
  'ClassMixture',
  'ConditionalGaussian',
  'LearnablePrior',
  'MixtureOfGaussians',
  'VampPrior',
  'deserialize',
  'make_standard_normal',
  'serialize',
  'temper',
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


def temper(prior: tfd.Distribution, temperature: float) -> tfd.Distribution:
  """`prior` at a temperature: every Gaussian's spread about its mean scaled.

  A draw of a Gaussian N(m, S S^T) at temperature t is m + t S eps: t = 1 is
  the prior itself; t < 1 draws nearer each mode, so samples are more typical
  and less varied (Kingma & Dhariwal, 2018; Vahdat & Kautz, 2020). A mixture's
  weights and means are kept and each component is tempered (a VampPrior's
  components are posteriors, already narrow: tempering changes its draws
  little). Only for drawing samples: a tempered prior is not the model's p(z).

  Args:
    prior: a multivariate normal (`tfd.MultivariateNormalDiag`,
      `tfd.MultivariateNormalTriL`, any `tfd.MultivariateNormalLinearOperator`),
      `tfd.Independent` or `tfd.Sample` over `tfd.Normal`, or a mixture
      (`tfd.MixtureSameFamily`) of these, wrapped by a `tfp.layers` layer or
      not: every prior of this module, and a VampPrior over Gaussian
      posteriors.
    temperature: Python `float` > 0.

  Returns:
    A distribution of the same batch and event shape; `prior` itself when
    `temperature` is 1.

  Raises:
    ValueError: for a non-positive `temperature`, or another kind of `prior`
      (a flow, or a mixture of flows), which has no Gaussian spread to scale.

  #### Examples

  >>> p = temper(make_standard_normal(2), 0.5)
  >>> p.stddev().numpy().tolist()
  [0.5, 0.5]
  """
  temperature = checks.check_positive_float(temperature, 'temperature')
  if temperature == 1:
    return prior
  prior = distributions.unwrap(prior)
  # Duck-typed: TFP builds a private mixture class for components that are
  # not composite tensors (tfp.layers outputs, say).
  if hasattr(prior, 'components_distribution') and hasattr(prior, 'mixture_distribution'):
    components = distributions.unwrap(prior.components_distribution)
    tempered = _temper_gaussian(components, temperature)
    if tempered is None:
      raise ValueError(
        f'`temperature`={temperature} scales Gaussians, but the prior {prior.name} mixes '
        f'{type(components).__name__} components (a flow?); sample at temperature 1.'
      )
    return tfd.MixtureSameFamily(prior.mixture_distribution, tempered, name=prior.name)
  tempered = _temper_gaussian(prior, temperature)
  if tempered is None:
    raise ValueError(
      f'`temperature`={temperature} scales a Gaussian prior or a mixture of Gaussians; the prior '
      f'is a {type(prior).__name__} ({prior.name}); sample at temperature 1.'
    )
  return tempered


def _temper_gaussian(distribution, temperature):
  """A Gaussian `distribution` at `temperature`, or `None` for anything else."""
  if isinstance(distribution, tfd.MultivariateNormalLinearOperator):
    size = tf.compat.dimension_value(distribution.event_shape[-1])
    if size is None:
      size = distribution.event_shape_tensor()[-1]
    multiplier = tf.cast(temperature, distribution.dtype)
    scale = tf.linalg.LinearOperatorComposition(
      [
        distribution.scale,
        tf.linalg.LinearOperatorScaledIdentity(size, multiplier, is_positive_definite=True),
      ]
    )
    return tfd.MultivariateNormalLinearOperator(
      loc=distribution.loc, scale=scale, name=distribution.name
    )
  inner = getattr(distribution, 'distribution', None)
  if not isinstance(inner, tfd.Normal):
    return None
  normal = tfd.Normal(inner.loc, inner.scale * tf.cast(temperature, inner.dtype))
  if isinstance(distribution, tfd.Independent):
    return tfd.Independent(normal, distribution.reinterpreted_batch_ndims, name=distribution.name)
  if isinstance(distribution, tfd.Sample):
    return tfd.Sample(normal, distribution.sample_shape, name=distribution.name)
  return None


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

  @staticmethod
  def _required(condition):
    """`condition`, which a conditional prior cannot do without."""
    if condition is None:
      raise ValueError('`condition` is required: this prior is p(z|c).')
    return condition


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
    h = tf.cast(self._required(condition), self.compute_dtype)
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


@keras.register
class ClassMixture(LearnablePrior):
  """p(z|c): for each class, a mixture of full-covariance Gaussians, fitted ex post.

  A standard conditional VAE keeps much of the class in z, and N(0, I) mixes
  the classes' regions of z: many of its `sample(c)` show another class. Ex-post
  density estimation (Ghosh et al., 2020) fits, after training, a density to
  each class's aggregate posterior q(z|c) = E_{x|c} q(z|x, c); drawing z from
  it lands where the decoder saw class c. `fit` fits a `num_components`
  Gaussian mixture to the posteriors of each class's examples by
  expectation-maximization, raising a lower bound on the ELBO's
  E_q[log p(z|c)] term for the trained networks (the only term the prior
  changes); `tfvae.model.factory.with_ex_post_prior` makes a VAE of it. Before
  `fit` (or `set_mixtures`), every class is N(0, I).

  The condition must be one-hot classes `[batch_size, num_classes]` (integer
  labels are converted by the VAE): each row selects its class's mixture.
  `distribution(condition=c)` is a `tfd.MixtureSameFamily` of
  `tfd.MultivariateNormalTriL` with `batch_shape [batch_size]`; its KL from a
  posterior has no closed form, so the VAE estimates it by Monte Carlo.

  #### Examples

  >>> prior = ClassMixture(latent_size=2, num_classes=3, num_components=2)
  >>> p = prior.distribution(condition=tf.eye(3))
  >>> p.batch_shape.as_list(), p.event_shape.as_list()
  ([3], [2])
  >>> p.stddev().numpy().round(4).tolist()[0]  # N(0, I) before the fit
  [1.0, 1.0]

  #### References

  [1] Partha Ghosh, Mehdi S. M. Sajjadi, Antonio Vergari, Michael Black and
      Bernhard Scholkopf. From Variational to Deterministic Autoencoders. In
      ICLR, 2020. https://arxiv.org/abs/1903.12436
  """

  conditional = True

  def __init__(self, latent_size: int, num_classes: int, num_components: int = 10, **kwargs):
    """Creates the prior: `num_classes` mixtures, each N(0, I) until fitted.

    Args:
      latent_size: Python `int` > 0, the dimension of z.
      num_classes: Python `int` > 0, the condition size (one-hot classes).
      num_components: Python `int` > 0, Gaussians per class.
        Default value: `10`.
      **kwargs: `tf_keras.layers.Layer` arguments (`name`, ...).

    Raises:
      ValueError: on a non-positive size.
    """
    kwargs.setdefault('dtype', 'float32')
    super().__init__(**kwargs)
    self.latent_size = checks.check_positive_int(latent_size, 'latent_size')
    self.num_classes = checks.check_positive_int(num_classes, 'num_classes')
    self.num_components = checks.check_positive_int(num_components, 'num_components')
    self.condition_size = self.num_classes
    shape = (self.num_classes, self.num_components)
    tril_size = self.latent_size * (self.latent_size + 1) // 2
    self.logits = self.add_weight(name='logits', shape=shape, initializer='zeros')
    self.loc = self.add_weight(name='loc', shape=(*shape, self.latent_size), initializer='zeros')
    self.raw_scale_tril = self.add_weight(
      name='raw_scale_tril', shape=(*shape, tril_size), initializer='zeros'
    )
    self.built = True

  @staticmethod
  def _scale_bijector():
    # Zeros give the identity, as for ConditionalGaussian's scale.
    diagonal = tfp.bijectors.Chain(
      [
        tfp.bijectors.Shift(_MIN_SCALE),
        tfp.bijectors.Softplus(),
        tfp.bijectors.Shift(_SCALE_SHIFT),
      ]
    )
    return tfp.bijectors.FillScaleTriL(diag_bijector=diagonal, diag_shift=None)

  def distribution(self, encoder=None, condition=None) -> tfd.MixtureSameFamily:
    """p(z|c) for a batch of one-hot classes; `encoder` is ignored.

    Args:
      encoder: ignored.
      condition: float `[batch_size, num_classes]`, one-hot.

    Returns:
      `tfd.MixtureSameFamily` with `batch_shape [batch_size]`.

    Raises:
      ValueError: if `condition` is missing.
    """
    c = tf.cast(self._required(condition), tf.float32)
    logits = tf.linalg.matmul(c, self.logits)  # One-hot rows select their class.
    loc = tf.einsum('bc,ckd->bkd', c, self.loc)
    scale_tril = self._scale_bijector().forward(tf.einsum('bc,ckt->bkt', c, self.raw_scale_tril))
    return tfd.MixtureSameFamily(
      tfd.Categorical(logits=logits),
      tfd.MultivariateNormalTriL(loc=loc, scale_tril=scale_tril),
      name='class_mixture',
    )

  def set_mixtures(self, weights, loc, covariance):
    """Sets every class's mixture.

    Args:
      weights: `[num_classes, num_components]` positive mixture weights.
      loc: `[num_classes, num_components, latent_size]` means.
      covariance: `[num_classes, num_components, latent_size, latent_size]`
        symmetric positive-definite covariances.

    Raises:
      ValueError: on other shapes, or weights or covariances that are not
        positive (definite).
    """
    shape = (self.num_classes, self.num_components)
    weights, loc, covariance = (np.asarray(v, np.float64) for v in (weights, loc, covariance))
    for name, value, expected in (
      ('weights', weights, shape),
      ('loc', loc, (*shape, self.latent_size)),
      ('covariance', covariance, (*shape, self.latent_size, self.latent_size)),
    ):
      if value.shape != expected:
        raise ValueError(f'`{name}` must have shape {list(expected)}; got {list(value.shape)}.')
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
      raise ValueError('`weights` must be finite and positive.')
    if not np.all(np.isfinite(loc)):
      raise ValueError('`loc` must be finite.')
    symmetric = np.allclose(covariance, np.swapaxes(covariance, -1, -2), rtol=1e-6, atol=1e-9)
    try:
      cholesky = np.linalg.cholesky(covariance) if symmetric else None
    except np.linalg.LinAlgError:
      cholesky = None
    if cholesky is None or not np.all(np.diagonal(cholesky, axis1=-2, axis2=-1) > 2 * _MIN_SCALE):
      raise ValueError(
        '`covariance` must be finite, symmetric and positive-definite, with Cholesky factors '
        f'whose diagonal exceeds {2 * _MIN_SCALE}.'
      )
    self.logits.assign(np.log(weights / weights.sum(-1, keepdims=True)).astype(np.float32))
    self.loc.assign(loc.astype(np.float32))
    self.raw_scale_tril.assign(self._scale_bijector().inverse(tf.constant(cholesky, tf.float32)))

  def fit(
    self, z, labels, variance=None, seed=0, max_iterations: int = 100, tolerance: float = 1e-4
  ):
    """Fits each class's mixture to its examples' posteriors by expectation-maximization.

    Each example is a Gaussian around `z` with diagonal `variance` (its
    posterior): EM raises a lower bound on the mean E_q[log p(z|c)] over the
    class's examples, the prior's term of the ELBO (responsibilities weigh
    each component by its expected log-density under the example's
    posterior), and a component's covariance is the scatter of its examples'
    means plus their mean posterior variance. With `variance=None`, `z` are
    points (draws) and this is maximum likelihood. 1e-6 is added to the
    variances (as scikit-learn's `reg_covar`). The means start at distinct
    examples of the class (picked with `seed`), the covariances at the
    class's; EM stops once the mean bound gains less than `tolerance`. A
    class gets at most one component per `2 * (latent_size + 1)` examples (a
    full covariance needs data); the components it does not use get weight
    ~0.

    Args:
      z: `[n, latent_size]` posterior means (or draws), one per example.
      labels: `[n]` integer classes in `[0, num_classes)`.
      variance: `[n, latent_size]` posterior variances of the examples, or
        `None`.
        Default value: `None`.
      seed: seed of the initial means.
        Default value: `0`.
      max_iterations: Python `int` > 0.
        Default value: `100`.
      tolerance: nats per example.
        Default value: `1e-4`.

    Returns:
      `dict` of each fitted class's mean bound (its mean log-likelihood for
      `variance=None`). A class without examples keeps N(0, I), with a
      warning.

    Raises:
      ValueError: on shapes that disagree, non-finite draws, no examples, or
        labels outside `[0, num_classes)`.
    """
    z = checks.check_real_array(z, 'z', (self.latent_size,)).astype(np.float64)
    if variance is not None:
      variance = checks.check_real_array(variance, 'variance', (self.latent_size,))
      if variance.shape != z.shape or np.any(variance < 0):
        raise ValueError(f'`variance` must be {list(z.shape)} non-negative variances.')
      variance = variance.astype(np.float64)
    labels = np.asarray(labels)
    if labels.shape != (len(z),) or not np.issubdtype(labels.dtype, np.integer):
      raise ValueError(f'`labels` must be {len(z)} integer classes; got shape {labels.shape}.')
    if not len(labels):
      raise ValueError('`z` holds no examples to fit the mixtures to.')
    if labels.min() < 0 or labels.max() >= self.num_classes:
      raise ValueError(f'`labels` must lie in [0, {self.num_classes}).')
    rng = np.random.default_rng(seed)
    fits, log_likelihoods, empty = [], {}, []
    standard_normal = (
      np.ones(self.num_components),
      np.zeros([self.num_components, self.latent_size]),
      np.tile(np.eye(self.latent_size), [self.num_components, 1, 1]),
    )
    for c in range(self.num_classes):
      members = labels == c
      if not np.any(members):  # Nothing to fit: the class keeps N(0, I).
        fits.append(standard_normal)
        empty.append(c)
        continue
      num_components = min(self.num_components, max(1, members.sum() // (2 * self.latent_size + 2)))
      *fit, log_likelihoods[c] = _fit_gaussian_mixture(
        z[members],
        None if variance is None else variance[members],
        num_components,
        self.num_components,
        rng,
        max_iterations,
        tolerance,
      )
      fits.append(fit)
    self.set_mixtures(*(np.stack(parts) for parts in zip(*fits)))
    if empty:
      warnings.warn(
        f'`ClassMixture.fit`: classes {empty} have no examples; their p(z|c) stays N(0, I).',
        stacklevel=2,
      )
    return log_likelihoods

  def get_config(self):
    config = super().get_config()
    config.update(
      latent_size=self.latent_size,
      num_classes=self.num_classes,
      num_components=self.num_components,
    )
    return config


_REGULARIZATION = 1e-6


def _fit_gaussian_mixture(z, variance, k, num_components, rng, max_iterations, tolerance):
  """EM for `k` full-covariance Gaussians, padded to `num_components`.

  With `variance`, example i is N(z_i, diag(variance_i)) and EM maximizes the
  bound on sum_i E_q_i[log p(z)] whose responsibilities weigh each component
  by exp(E_q_i[log w_j N(z | loc_j, covariance_j)]): the log-density at z_i
  minus half the trace of covariance_j^-1 diag(variance_i). Each iteration
  raises the bound (the mean over examples is what `tolerance` watches).

  Returns `(weights, loc, covariance, mean_bound)`; see `ClassMixture.fit`.
  """
  n, d = z.shape
  eye = np.eye(d)
  floor = _REGULARIZATION * eye
  spread = 0.0 if variance is None else np.diag(variance.mean(0))
  loc = z[rng.choice(n, k, replace=False)]
  covariance = np.broadcast_to(np.cov(z.T, bias=True).reshape(d, d) + spread + floor, (k, d, d))
  weights = np.full(k, 1.0 / k)
  previous = -np.inf
  for iteration in range(max_iterations + 1):
    # E step: E_q[log w_j N(z | loc_j, covariance_j)] for every example and component.
    inverse_cholesky = np.linalg.inv(np.linalg.cholesky(covariance))
    log_det = -2 * np.log(np.diagonal(inverse_cholesky, axis1=1, axis2=2)).sum(-1)
    # |L^-1 (z - loc)|^2, a matrix product per component (a batched solve is ~5x
    # slower); one component at a time, so memory grows as n d, not k n d.
    expected_square = np.stack(
      [np.square((z - loc[j]) @ inverse_cholesky[j].T).sum(1) for j in range(k)]
    )  # [k, n]
    if variance is not None:  # + tr(covariance_j^-1 diag(variance_i)).
      expected_square += np.square(inverse_cholesky).sum(1) @ variance.T
    log_joint = np.log(weights)[:, None] - 0.5 * (
      expected_square + log_det[:, None] + d * math.log(2 * math.pi)
    )
    top = log_joint.max(0)
    log_evidence = top + np.log(np.exp(log_joint - top).sum(0))
    mean_bound = float(log_evidence.mean())
    if mean_bound - previous < tolerance or iteration == max_iterations:
      break
    previous = mean_bound
    # M step.
    responsibility = np.exp(log_joint - log_evidence)  # [k, n]
    counts = responsibility.sum(1) + 10 * np.finfo(np.float64).eps
    weights = counts / n
    loc = responsibility @ z / counts[:, None]
    scatter = np.empty([k, d, d])
    for j in range(k):  # One component at a time, as above.
      centred = z - loc[j]
      scatter[j] = (centred * responsibility[j][:, None]).T @ centred
    if variance is not None:  # Each example's own spread, a diagonal.
      scatter += (responsibility @ variance)[..., None] * eye
    covariance = scatter / counts[:, None, None] + floor
  if k < num_components:  # Unused components: negligible weight, the class's moments.
    extra = num_components - k
    weights = np.concatenate([weights, np.full(extra, 1e-12)])
    loc = np.concatenate([loc, np.repeat(z.mean(0, keepdims=True), extra, 0)])
    covariance = np.concatenate([covariance, np.repeat(covariance[:1], extra, 0)])
  return weights, loc, covariance, mean_bound
