# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Distribution layers that end tfvae's networks, and the KL regularizer they carry.

Each layer is a `tfp.layers.DistributionLambda`: called on the parameters a
network computes, it returns a normalized `tfd.Distribution`. Unlike the stock
layers, these serialize without pickled lambdas, so a model holding them
round-trips through Keras' safe `.keras` format.
"""

import functools
import math

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae import divergence as divergence_lib
from tfvae import prior as prior_lib
from tfvae.internal import checks
from tfvae.internal import keras

tfd = tfp.distributions
tfpl = tfp.layers

__all__ = [
  'IndependentBernoulli',
  'KLDivergenceRegularizer',
  'MultivariateNormalDiag',
  'find_kl_regularizer',
]

# softplus(x + _SCALE_SHIFT) == 1 at x == 0: a freshly initialized posterior
# starts with the prior's unit scale.
_SCALE_SHIFT = math.log(math.expm1(1.0))
_MIN_SCALE = 1e-6

_CONVERT_TO_TENSOR_FNS = {
  'sample': tfd.Distribution.sample,
  'mean': tfd.Distribution.mean,
  'mode': tfd.Distribution.mode,
}


@keras.register
class KLDivergenceRegularizer(keras.regularizers.Regularizer, tf.Module):
  """Adds `kl_weight * KL(posterior || prior)`, mean per example, exactly once.

  Attach it as the `activity_regularizer` of a tfvae distribution layer (as
  `make_encoder` does). Keras applies an activity regularizer to each output
  of a layer and divides by the batch size; a distribution layer has two
  outputs (the distribution and its tensor twin), so this regularizer returns
  the batch *sum* of the KL for the distribution and `0` for the twin: the
  total added to `model.losses` is the batch-mean KL, counted once, with the
  same value under any `tf.distribute` strategy. (TFP's
  `tfp.layers.KLDivergenceRegularizer` counts it twice on tf_keras 2.21 and
  `tfp.layers.KLDivergenceAddLoss` sums over the batch.)

  The KL is analytic when TFP registers a closed form for the pair and
  `analytic` is true, and a one-sample Monte Carlo estimate at the layer's own
  sample otherwise. Its weight lives in the non-trainable variable
  `kl_weight`, so a callback can anneal it during training.

  #### Examples

  >>> from tfvae import prior as prior_lib
  >>> regularizer = KLDivergenceRegularizer(prior_lib.make_standard_normal(2))
  >>> q = tfd.MultivariateNormalDiag([[1., 0.], [0., 0.]], [[1., 1.], [1., 1.]])
  >>> float(regularizer(q))  # batch sum: 0.5 + 0.0
  0.5
  >>> regularizer.kl_weight.assign(0.1)  # doctest: +ELLIPSIS
  <...>
  """

  def __init__(
    self,
    prior: tfd.Distribution,
    kl_weight: float = 1.0,
    analytic: bool = True,
    free_bits: float = 0.0,
    name: str = 'kl_divergence_regularizer',
  ):
    """Creates the regularizer.

    Args:
      prior: p(z), a `tfd.Distribution` with `event_shape [latent_size]`, or
        the `dict` that `tfvae.prior.serialize` makes of one.
      kl_weight: non-negative Python `float`, the weight of the KL in the loss.
        Default value: `1.0`.
      analytic: Python `bool`: use the closed-form KL where TFP has one.
        Default value: `True`.
      free_bits: floor, in nats, on each latent dimension's batch-mean KL
        (`tfvae.divergence.apply_free_bits`; diagonal Gaussians only).
        Default value: `0.0` (off).
      name: name of the `tf.Module`.
        Default value: `'kl_divergence_regularizer'`.

    Raises:
      TypeError: if `prior` is not a distribution.
      ValueError: if `kl_weight` is negative or not finite.
    """
    tf.Module.__init__(self, name=name)
    if isinstance(prior, dict):
      prior = prior_lib.deserialize(prior)
    if not isinstance(prior, tfd.Distribution):
      raise TypeError(f'`prior` must be a tfd.Distribution; got {type(prior).__name__}.')
    self.prior = prior
    self.analytic = bool(analytic)
    self.free_bits = checks.check_kl_weight(free_bits, 'free_bits')
    self.kl_weight = tf.Variable(
      checks.check_kl_weight(kl_weight), trainable=False, dtype=tf.float32, name='kl_weight'
    )

  def __call__(self, x):
    if not isinstance(x, tfd.Distribution):
      # The tensor twin of the distribution layer's output: regularized by
      # Keras as well, and must not count the KL a second time.
      return tf.zeros([], tf.float32)
    if self.free_bits:
      kl = divergence_lib.apply_free_bits(
        divergence_lib.kl_divergence_per_dimension(x, self.prior), self.free_bits
      )
    else:
      kl = self.kl_divergence(x)
    return tf.cast(self.kl_weight, kl.dtype) * tf.reduce_sum(kl)

  def kl_divergence(self, posterior: tfd.Distribution) -> tf.Tensor:
    """Unweighted KL(posterior || prior) per example, `[batch_size]`."""
    z = None if self.analytic else tf.convert_to_tensor(posterior)
    return divergence_lib.kl_divergence(posterior, self.prior, analytic=self.analytic, z=z)

  def get_config(self):
    return {
      'prior': prior_lib.serialize(self.prior),
      'kl_weight': float(self.kl_weight.numpy()),
      'analytic': self.analytic,
      'free_bits': self.free_bits,
    }


@keras.register
class MultivariateNormalDiag(tfpl.DistributionLambda):
  """A `tfd.MultivariateNormalDiag` from `2 * event_size` parameters.

  The first half of the last axis is the `loc`; the second half gives the
  scale through `softplus(params + softplus^-1(1)) + 1e-6`, so zero parameters
  give a unit scale and no parameter value gives a zero scale.

  #### Examples

  >>> layer = MultivariateNormalDiag(3)
  >>> posterior = layer(tf.zeros([4, MultivariateNormalDiag.params_size(3)]))
  >>> posterior.batch_shape.as_list(), posterior.event_shape.as_list()
  ([4], [3])
  """

  def __init__(
    self,
    event_size: int,
    convert_to_tensor_fn='sample',
    validate_args: bool = False,
    **kwargs,
  ):
    """Creates the layer.

    Args:
      event_size: Python `int` > 0, the dimension of the distribution.
      convert_to_tensor_fn: `'sample'`, `'mean'` or `'mode'`: what the layer's
        tensor output is.
        Default value: `'sample'` (a reparameterized draw).
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      **kwargs: `tf_keras.layers.Layer` arguments (`name`, `dtype`,
        `activity_regularizer`, ...).

    Raises:
      ValueError: if `event_size` is not a positive integer or
        `convert_to_tensor_fn` is unknown.
    """
    kwargs.pop('make_distribution_fn', None)
    kwargs.pop('function', None)
    self._event_size = checks.check_positive_int(event_size, 'event_size')
    self._convert_name = _convert_fn_name(convert_to_tensor_fn)
    self._validate = bool(validate_args)
    super().__init__(
      functools.partial(
        MultivariateNormalDiag.new, event_size=self._event_size, validate_args=self._validate
      ),
      _CONVERT_TO_TENSOR_FNS[self._convert_name],
      **kwargs,
    )

  @staticmethod
  def new(params, event_size, validate_args=False, name=None):
    """The distribution for a `[..., 2 * event_size]` parameter tensor."""
    with tf.name_scope(name or 'MultivariateNormalDiag'):
      params = tf.convert_to_tensor(params, name='params')
      loc, raw_scale = tf.split(params, [event_size, event_size], axis=-1)
      scale = _MIN_SCALE + tf.math.softplus(raw_scale + _SCALE_SHIFT)
      return tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale, validate_args=validate_args)

  @staticmethod
  def params_size(event_size: int) -> int:
    """The number of parameters the layer takes: `2 * event_size`."""
    return 2 * checks.check_positive_int(event_size, 'event_size')

  def get_config(self):
    return _layer_config(
      self,
      event_size=self._event_size,
      convert_to_tensor_fn=self._convert_name,
      validate_args=self._validate,
    )

  @classmethod
  def from_config(cls, config):
    return cls(**config)


@keras.register
class IndependentBernoulli(tfpl.IndependentBernoulli):
  """`tfp.layers.IndependentBernoulli` that serializes without pickling.

  Takes `prod(event_shape)` logits and returns `tfd.Independent` over
  `tfd.Bernoulli` with `event_shape == event_shape`.

  #### Examples

  >>> layer = IndependentBernoulli([2, 3, 1])
  >>> likelihood = layer(tf.zeros([4, 6]))
  >>> likelihood.event_shape.as_list()
  [2, 3, 1]
  """

  def __init__(
    self,
    event_shape,
    convert_to_tensor_fn='sample',
    validate_args: bool = False,
    **kwargs,
  ):
    """Creates the layer.

    Args:
      event_shape: sequence of positive Python `int`s, the shape of one image.
      convert_to_tensor_fn: `'sample'`, `'mean'` or `'mode'`.
        Default value: `'sample'`.
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      **kwargs: `tf_keras.layers.Layer` arguments.

    Raises:
      ValueError: if `event_shape` holds anything but positive integers.
    """
    kwargs.pop('make_distribution_fn', None)
    kwargs.pop('function', None)
    kwargs.pop('sample_dtype', None)
    self._shape = checks.check_shape(event_shape, 'event_shape')
    self._convert_name = _convert_fn_name(convert_to_tensor_fn)
    super().__init__(
      event_shape=self._shape,
      convert_to_tensor_fn=_CONVERT_TO_TENSOR_FNS[self._convert_name],
      validate_args=validate_args,
      **kwargs,
    )

  def get_config(self):
    return _layer_config(
      self,
      event_shape=list(self._shape),
      convert_to_tensor_fn=self._convert_name,
      validate_args=self._validate_args,
    )

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def find_kl_regularizer(model) -> KLDivergenceRegularizer | None:
  """The tfvae `KLDivergenceRegularizer` a model's last layer carries, if any.

  Args:
    model: a `tf_keras.Model` (for instance from `make_encoder`) or layer.

  Returns:
    The regularizer, or `None` when the model's output layer has none.
  """
  layer = model.layers[-1] if getattr(model, 'layers', None) else model
  regularizer = getattr(layer, 'activity_regularizer', None)
  return regularizer if isinstance(regularizer, KLDivergenceRegularizer) else None


def _layer_config(layer, **config):
  # Skip `Lambda.get_config`, which pickles functions: these layers are
  # rebuilt from their arguments alone.
  base = keras.layers.Layer.get_config(layer)
  if layer.activity_regularizer is not None:
    base['activity_regularizer'] = keras.regularizers.serialize(layer.activity_regularizer)
  base.update(config)
  return base


def _convert_fn_name(convert_to_tensor_fn):
  for name, fn in _CONVERT_TO_TENSOR_FNS.items():
    if convert_to_tensor_fn in (name, fn):
      return name
  raise ValueError(
    f"`convert_to_tensor_fn` must be 'sample', 'mean' or 'mode'; got {convert_to_tensor_fn!r}."
  )
