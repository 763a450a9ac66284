# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Distribution layers that end tfvae's networks, and the KL regularizer they carry.

Each layer is a `tfp.layers.DistributionLambda`: called on the parameters a
network computes, it returns a normalized `tfd.Distribution`. Unlike the stock
layers, these serialize without pickled lambdas, so a model holding them
round-trips through Keras' safe `.keras` format.
"""

import copy
import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras
from tfvae.model import divergence as divergence_lib
from tfvae.model import prior as prior_lib

tfb = tfp.bijectors
tfd = tfp.distributions
tfpl = tfp.layers

__all__ = [
  'DiscretizedLogisticMixture',
  'IndependentBernoulli',
  'IndependentContinuousBernoulli',
  'IndependentDiscretizedLogistic',
  'IndependentNormal',
  'InverseAutoregressiveFlow',
  'KLDivergenceRegularizer',
  'MultivariateNormalDiag',
  'MultivariateNormalTriL',
  'find_kl_regularizer',
  'likelihood_family',
  'point_estimate',
]

# softplus(x + _SCALE_SHIFT) == 1 at x == 0: a full-covariance posterior
# starts with the identity scale.
_SCALE_SHIFT = math.log(math.expm1(1.0))
_MIN_SCALE = 1e-6
# Soft bound on the log-scale of each inverse autoregressive flow step.
_MAX_LOG_SCALE = 5.0
# The largest level of an 8-bit pixel, and the thresholds `DiscretizedLogisticMixture.mean`
# sums at once.
_MAX_LEVEL = float(checks.MAX_LEVEL)
_MEAN_CHUNK = 17
# The smallest scale of a discretized logistic pixel, on the [0, 1] scale.
_MIN_PIXEL_SCALE = 1e-5


def _sample(distribution):
  """One reparameterized draw: the tensor twin of `convert_to_tensor_fn='sample'`.

  Gaussians are drawn as `loc + scale @ noise` and flows push such a draw
  through their bijector (which caches it, as `sample` does), because TFP's
  own samplers divide by the batch size when it is only known at run time, and
  fail on an empty batch (a worker's padding step under multi-worker
  training). Other distributions use `sample()`.
  """
  if isinstance(distribution, tfd.MultivariateNormalLinearOperator):
    noise = tf.random.normal(tf.shape(distribution.loc), dtype=distribution.dtype)
    return distribution.loc + distribution.scale.matvec(noise)
  if hasattr(distribution, 'bijector') and isinstance(
    distribution.distribution, tfd.MultivariateNormalLinearOperator
  ):
    return distribution.bijector.forward(_sample(distribution.distribution))
  return distribution.sample()


_CONVERT_TO_TENSOR_FNS = {
  'sample': _sample,
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
    kl = divergence_lib.kl_term(x, self.prior, self.kl_divergence(x), self.free_bits)
    return tf.cast(self.kl_weight, kl.dtype) * tf.reduce_sum(kl)

  def kl_divergence(self, posterior: tfd.Distribution) -> tf.Tensor:
    """Unweighted KL(posterior || prior) per example, `[batch_size]`."""
    z = None
    closed_form = self.analytic and divergence_lib.has_analytic_kl(posterior, self.prior)
    if not closed_form and distributions.unwrap(posterior) is not posterior:
      # Monte Carlo at the layer's own sample (its tensor output): a flow's
      # `log_prob` there reuses the bijectors' cache instead of inverting.
      z = tf.convert_to_tensor(posterior)
    return divergence_lib.kl_divergence(posterior, self.prior, analytic=self.analytic, z=z)

  def get_config(self):
    return {
      'prior': prior_lib.serialize(self.prior),
      'kl_weight': float(self.kl_weight.numpy()),
      'analytic': self.analytic,
      'free_bits': self.free_bits,
    }


def _event_params_size(event_shape) -> int:
  """The number of parameters the layer takes: `prod(event_shape)`."""
  return int(np.prod(checks.check_shape(event_shape, 'event_shape')))


def _independent(pixels, event_shape):
  """`tfd.Independent` over the trailing `len(event_shape)` axes of `pixels`."""
  return tfd.Independent(
    pixels,
    reinterpreted_batch_ndims=len(event_shape),
    validate_args=pixels.validate_args,
  )


class _DistributionLayer(tfpl.DistributionLambda):
  """A `DistributionLambda` whose config is its constructor's arguments.

  `tf_keras.layers.Lambda.get_config` pickles the layer's function, which
  safe-mode loading refuses; these layers store their own arguments instead
  and build their distribution in `make_distribution`, the one method each
  subclass writes. Calling the layer also computes its tensor twin (see
  `convert_to_tensor_fn`) and its activity regularizer; `make_distribution`
  gives the distribution alone (as serving needs it).
  """

  def __init__(self, arguments, convert_to_tensor_fn='sample', validate_args=False, **kwargs):
    # Keys that configs of TFP's own layers carry.
    for key in ('make_distribution_fn', 'function', 'sample_dtype'):
      kwargs.pop(key, None)
    self._set_arguments(arguments)
    self._convert_name = _convert_fn_name(convert_to_tensor_fn)
    self._validate = bool(validate_args)
    tfpl.DistributionLambda.__init__(
      self, self.make_distribution, _CONVERT_TO_TENSOR_FNS[self._convert_name], **kwargs
    )

  @tf.__internal__.tracking.no_automatic_dependency_tracking
  def _set_arguments(self, arguments):
    # A plain dict, not a tracked wrapper: it is config, not state.
    self._arguments = dict(arguments)

  def make_distribution(self, params) -> tfd.Distribution:
    """The distribution for a batch of parameters, without the tensor twin."""
    raise NotImplementedError

  def get_config(self):
    return _layer_config(
      self,
      **copy.deepcopy(self._arguments),
      convert_to_tensor_fn=self._convert_name,
      validate_args=self._validate,
    )

  @classmethod
  def from_config(cls, config):
    return cls(**config)


@keras.register
class MultivariateNormalDiag(_DistributionLayer):
  """A `tfd.MultivariateNormalDiag` from `2 * event_size` parameters.

  The first half of the last axis is the `loc`; the second half gives the
  scale through `softplus(params) + 1e-6`, as TFP's `IndependentNormal`
  does: zero parameters give a scale of log 2 = 0.69, and no parameter value
  gives a zero scale.

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
    self._event_size = checks.check_positive_int(event_size, 'event_size')
    super().__init__(
      {'event_size': self._event_size}, convert_to_tensor_fn, validate_args, **kwargs
    )

  def make_distribution(self, params):
    return MultivariateNormalDiag.new(params, self._event_size, self._validate)

  @staticmethod
  def new(params, event_size, validate_args=False, name=None):
    """The distribution for a `[..., 2 * event_size]` parameter tensor."""
    with tf.name_scope(name or 'MultivariateNormalDiag'):
      params = tf.convert_to_tensor(params, name='params')
      loc, raw_scale = tf.split(params, [event_size, event_size], axis=-1)
      scale = _MIN_SCALE + tf.math.softplus(raw_scale)
      return tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale, validate_args=validate_args)

  @staticmethod
  def params_size(event_size: int) -> int:
    """The number of parameters the layer takes: `2 * event_size`."""
    return 2 * checks.check_positive_int(event_size, 'event_size')


class _PixelLayer(_DistributionLayer):
  """A likelihood layer whose one argument is the event shape (`prod(event_shape)` params)."""

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
    self._shape = checks.check_shape(event_shape, 'event_shape')
    super().__init__(
      {'event_shape': list(self._shape)}, convert_to_tensor_fn, validate_args, **kwargs
    )


@keras.register
class IndependentBernoulli(_PixelLayer, tfpl.IndependentBernoulli):
  """`tfp.layers.IndependentBernoulli` that serializes without pickling.

  Takes `prod(event_shape)` logits and returns `tfd.Independent` over
  `tfd.Bernoulli` with `event_shape == event_shape`. Its `log_prob` is the
  (soft-label) sigmoid cross-entropy, `x * logits - softplus(logits)`: the same
  value as `tfd.Bernoulli`'s for any x in [0, 1], with one softplus per pixel
  instead of two (about 8% of a training step of the benchmark model).

  #### Examples

  >>> layer = IndependentBernoulli([2, 3, 1])
  >>> likelihood = layer(tf.zeros([4, 6]))
  >>> likelihood.event_shape.as_list()
  [2, 3, 1]
  """

  family = 'bernoulli'

  def __init__(self, event_shape, convert_to_tensor_fn='sample', validate_args=False, **kwargs):
    # Not `tfpl.IndependentBernoulli.__init__`, which would bind its own `new`.
    _PixelLayer.__init__(self, event_shape, convert_to_tensor_fn, validate_args, **kwargs)
    # What `tfpl.IndependentBernoulli`'s own methods read.
    self._event_shape = self._shape
    self._convert_to_tensor_fn = _CONVERT_TO_TENSOR_FNS[self._convert_name]
    self._sample_dtype = None
    self._validate_args = self._validate

  def make_distribution(self, params):
    return IndependentBernoulli.new(params, self._shape, self._validate)

  @staticmethod
  def new(params, event_shape, validate_args=False, name=None):
    """The distribution for a `[..., prod(event_shape)]` logits tensor."""
    with tf.name_scope(name or 'IndependentBernoulli'):
      logits = _reshape_event(tf.convert_to_tensor(params, name='params'), event_shape)
      return _independent(_Bernoulli(logits=logits, validate_args=validate_args), event_shape)


@keras.register
class IndependentContinuousBernoulli(_PixelLayer):
  """Continuous Bernoulli pixels for grey levels in [0, 1], from logits.

  Takes `prod(event_shape)` logits and returns `tfd.Independent` over
  `tfd.ContinuousBernoulli` with `event_shape == event_shape`: a density on
  `[0, 1]^D`, normalized for every logit, unlike the Bernoulli log-likelihood
  of a grey level (Loaiza-Ganem and Cunningham, 2019). Densities exceed 1, so
  `log_prob` can be positive. The mean is not `sigmoid(logits)`; use `mean()`.

  #### Examples

  >>> layer = IndependentContinuousBernoulli([2, 3])
  >>> likelihood = layer(tf.zeros([4, 6]))
  >>> likelihood.event_shape.as_list()
  [2, 3]
  >>> float(likelihood.log_prob(tf.fill([4, 2, 3], 0.3))[0])  # zero logits: uniform
  0.0

  #### References

  [1] Gabriel Loaiza-Ganem and John P. Cunningham. The continuous Bernoulli:
      fixing a pervasive error in variational autoencoders. In NeurIPS, 2019.
      https://arxiv.org/abs/1907.06845
  """

  family = 'continuous_bernoulli'

  def make_distribution(self, params):
    return IndependentContinuousBernoulli.new(params, self._shape, self._validate)

  @staticmethod
  def new(params, event_shape, validate_args=False, name=None):
    """The distribution for a `[..., prod(event_shape)]` logit tensor."""
    with tf.name_scope(name or 'IndependentContinuousBernoulli'):
      logits = _reshape_event(tf.convert_to_tensor(params, name='params'), event_shape)
      return _independent(
        tfd.ContinuousBernoulli(logits=logits, validate_args=validate_args), event_shape
      )

  params_size = staticmethod(_event_params_size)


@keras.register
class IndependentNormal(_DistributionLayer):
  """Gaussian pixels for real-valued data: a predicted mean, a learned scale.

  Takes `prod(event_shape)` means and returns `tfd.Independent` over
  `tfd.Normal` with `event_shape == event_shape`. Unlike
  `tfp.layers.IndependentNormal`, the network predicts only the mean: the
  scale is a weight of this layer, one per pixel and shared by all examples,
  `scale = min_scale + softplus(raw_scale)`, trained with the model and
  bounded below by `min_scale` (a free scale collapses on pixels that never
  vary, such as the blank border of digits, and the likelihood then grows
  without bound).

  #### Examples

  >>> layer = IndependentNormal([2, 3], initial_scale=0.5)
  >>> likelihood = layer(tf.zeros([4, 6]))
  >>> likelihood.event_shape.as_list(), likelihood.stddev().shape
  ([2, 3], TensorShape([4, 2, 3]))
  >>> round(float(layer.scale[0, 0]), 6)
  0.5
  """

  family = 'gaussian'

  def __init__(
    self,
    event_shape,
    min_scale: float = 1e-3,
    initial_scale: float = 0.1,
    convert_to_tensor_fn='sample',
    validate_args: bool = False,
    standardization=None,
    **kwargs,
  ):
    """Creates the layer.

    Args:
      event_shape: sequence of positive Python `int`s, the shape of one example.
      min_scale: positive Python `float`, the smallest scale the layer allows.
        Default value: `1e-3`.
      initial_scale: Python `float` > `min_scale`, every pixel's scale before
        training. The scale learns slowly (like any single weight, by about
        the learning rate per step), so start it near the data's: the
        default suits data in [0, 1], such as `tfvae.datasets`' (on digits a
        start of 1.0 leaves the posterior collapsed after 30 epochs).
        Default value: `0.1`.
      convert_to_tensor_fn: `'sample'`, `'mean'` or `'mode'`.
        Default value: `'sample'`.
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      standardization: `(loc, scale)` (or a `dict` with those keys), arrays
        of shape `event_shape` or scalars: the network's means (and the
        scales above) are in standardized units, and the distribution is
        over raw values `x = loc + scale * x_standardized`:
        `Normal(loc + scale * mean, scale * stddev)`, whose `log_prob`
        includes the log-Jacobian `-sum(log scale)`.
        Default value: `None`: no standardization.
      **kwargs: `tf_keras.layers.Layer` arguments.

    Raises:
      ValueError: if `event_shape` holds anything but positive integers, the
        scales are not finite with `0 < min_scale < initial_scale`, or
        `standardization` is not a finite `(loc, scale > 0)` pair.
    """
    self._shape = checks.check_shape(event_shape, 'event_shape')
    self._min_scale = checks.check_positive_float(min_scale, 'min_scale')
    self._initial_scale = checks.check_positive_float(initial_scale, 'initial_scale')
    if self._initial_scale <= self._min_scale:
      raise ValueError(
        f'`initial_scale` must exceed `min_scale`={min_scale}; got {initial_scale!r}.'
      )
    self._standardization = checks.check_standardization(standardization, self._shape)
    arguments = {
      'event_shape': list(self._shape),
      'min_scale': self._min_scale,
      'initial_scale': self._initial_scale,
      'standardization': None
      if self._standardization is None
      else {key: value.tolist() for key, value in zip(('loc', 'scale'), self._standardization)},
    }
    super().__init__(arguments, convert_to_tensor_fn, validate_args, **kwargs)

  def build(self, input_shape):
    initial = math.log(math.expm1(self._initial_scale - self._min_scale))
    self.raw_scale = self.add_weight(
      name='raw_scale',
      shape=self._shape,
      initializer=keras.initializers.Constant(initial),
      trainable=True,
    )
    super().build(input_shape)

  @property
  def scale(self) -> tf.Tensor:
    """The per-pixel scale, `event_shape` (in standardized units, if any)."""
    return self._min_scale + tf.math.softplus(self.raw_scale)

  def make_distribution(self, params):
    return IndependentNormal.new(
      params, self.scale, self._shape, self._validate, standardization=self._standardization
    )

  @staticmethod
  def new(params, scale, event_shape, validate_args=False, name=None, standardization=None):
    """The distribution for `[..., prod(event_shape)]` means and a scale."""
    with tf.name_scope(name or 'IndependentNormal'):
      loc = _reshape_event(tf.convert_to_tensor(params, name='params'), event_shape)
      scale = tf.cast(scale, loc.dtype)
      if standardization is not None:
        data_loc, data_scale = (tf.constant(v, loc.dtype) for v in standardization)
        loc, scale = data_loc + data_scale * loc, data_scale * scale
      scale = tf.broadcast_to(scale, tf.shape(loc))
      return _independent(
        tfd.Normal(loc=loc, scale=scale, validate_args=validate_args), event_shape
      )

  params_size = staticmethod(_event_params_size)


class DiscretizedLogisticMixture(tfd.AutoCompositeTensorDistribution):
  """8-bit pixels on [0, 1]: a discretized logistic, or a mixture of them.

  Each pixel takes the values `k / 255`, `k = 0, ..., 255`. On the level
  scale `0..255` it is the public TFP composition (`levels_distribution()`)

  ```none
  component = QuantizedDistribution(
      TransformedDistribution(Logistic(255 * loc, 255 * scale), Shift(-0.5)),
      low=0, high=255)
  levels = MixtureSameFamily(Categorical(logits=mixture_logits), component)
  ```

  (the component alone when there is one), so that with `F_j` the CDF of
  `Logistic(255 * loc_j, 255 * scale_j)` and `w = softmax(mixture_logits)`:

  ```none
  P(x = k / 255) = sum_j w_j [F_j(k + 0.5) - F_j(k - 0.5)]   for 0 < k < 255,
  P(x = 0)       = sum_j w_j F_j(0.5),
  P(x = 1)       = sum_j w_j [1 - F_j(254.5)].
  ```

  The edge bins hold the tails, and the 256 probabilities sum to 1.
  `log_prob(x)` is the log of that probability mass, with no Jacobian: summed
  over the pixels of an image (`tfd.Independent`), the log-probability of the
  8-bit image itself. It reads `x` as its nearest level, `round(255 * x)`, so
  the float32 values `k / 255.` are exact; with `validate_args`, values
  between levels fail. `sample()` returns levels `k / 255.`, and `mean()`
  the exact mean `sum_{k=1}^{255} P(x >= k / 255) / 255`.

  `loc`, `scale` and `mixture_logits` are on the [0, 1] scale and hold the
  components on their last axis: parameters `[..., num_components]` give
  `batch_shape [...]` and `event_shape []`.

  #### Examples

  >>> pixel = DiscretizedLogisticMixture(loc=[0.5], scale=[0.01])
  >>> levels = tf.range(256, dtype=tf.float32) / 255.
  >>> round(float(tf.reduce_sum(pixel.prob(levels))), 5)
  1.0
  >>> round(float(pixel.mean()), 5)
  0.5
  >>> edge = DiscretizedLogisticMixture(loc=[-0.1], scale=[0.1])
  >>> round(float(edge.prob(0.)), 4)  # The left tail: F(0.5) = sigmoid(26 / 25.5).
  0.7349

  #### References

  [1] Tim Salimans, Andrej Karpathy, Xi Chen and Diederik P. Kingma.
      PixelCNN++: Improving the PixelCNN with Discretized Logistic Mixture
      Likelihood and Other Modifications. In ICLR, 2017.
      https://arxiv.org/abs/1701.05517
  """

  def __init__(
    self,
    loc,
    scale,
    mixture_logits=None,
    validate_args: bool = False,
    allow_nan_stats: bool = True,
    name: str = 'DiscretizedLogisticMixture',
  ):
    """Creates the distribution.

    Args:
      loc: float `Tensor` `[..., num_components]`: each component's location
        on the [0, 1] scale.
      scale: positive float `Tensor` of the same shape: each component's
        scale on the [0, 1] scale.
      mixture_logits: float `Tensor` `[..., num_components]`: unnormalized
        log-weights of the components.
        Default value: `None`: equal weights.
      validate_args: Python `bool`: assert that `scale > 0`, and that the
        values given to `log_prob` are levels `k / 255`.
        Default value: `False`.
      allow_nan_stats: Python `bool`, as for any `tfd.Distribution`.
        Default value: `True`.
      name: name of the distribution.
        Default value: `'DiscretizedLogisticMixture'`.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      self._loc = tf.convert_to_tensor(loc, dtype_hint=tf.float32, name='loc')
      dtype = self._loc.dtype
      self._scale = tf.convert_to_tensor(scale, dtype=dtype, name='scale')
      self._mixture_logits = None
      if mixture_logits is not None:
        self._mixture_logits = tf.convert_to_tensor(
          mixture_logits, dtype=dtype, name='mixture_logits'
        )
      super().__init__(
        dtype=dtype,
        reparameterization_type=tfd.NOT_REPARAMETERIZED,
        validate_args=validate_args,
        allow_nan_stats=allow_nan_stats,
        parameters=parameters,
        name=name,
      )

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    del dtype, num_classes  # Unused.
    return dict(
      loc=tfp.util.ParameterProperties(event_ndims=1),
      scale=tfp.util.ParameterProperties(
        event_ndims=1, default_constraining_bijector_fn=tfb.Softplus
      ),
      mixture_logits=tfp.util.ParameterProperties(event_ndims=1),
    )

  @property
  def loc(self) -> tf.Tensor:
    """The components' locations on the [0, 1] scale, `[..., num_components]`."""
    return self._loc

  @property
  def scale(self) -> tf.Tensor:
    """The components' scales on the [0, 1] scale, `[..., num_components]`."""
    return self._scale

  @property
  def mixture_logits(self) -> tf.Tensor | None:
    """The components' unnormalized log-weights, or `None` for equal weights."""
    return self._mixture_logits

  @property
  def num_components(self) -> int | None:
    """The number of components (`None` when the static shape does not say)."""
    return tf.compat.dimension_value(self._loc.shape[-1])

  def levels_distribution(self) -> tfd.Distribution:
    """The same distribution on the level scale `0..255` (values `k`, not `k / 255`)."""
    if self.num_components == 1 and self._mixture_logits is None:
      return self._quantized_logistic(self._loc[..., 0], self._scale[..., 0])
    logits = self._mixture_logits
    if logits is None:
      logits = tf.zeros_like(self._loc)
    return tfd.MixtureSameFamily(
      tfd.Categorical(logits=logits, validate_args=self.validate_args),
      self._quantized_logistic(self._loc, self._scale),
      validate_args=self.validate_args,
    )

  def _quantized_logistic(self, loc, scale):
    """`QuantizedDistribution(Logistic(255 loc, 255 scale) - 0.5, low=0, high=255)`."""
    return tfd.QuantizedDistribution(
      tfd.TransformedDistribution(
        tfd.Logistic(_MAX_LEVEL * loc, _MAX_LEVEL * scale, validate_args=self.validate_args),
        tfb.Shift(tf.constant(-0.5, self.dtype)),
      ),
      low=tf.constant(0.0, self.dtype),
      high=tf.constant(_MAX_LEVEL, self.dtype),
      validate_args=self.validate_args,
    )

  def _event_shape(self):
    return tf.TensorShape([])

  def _event_shape_tensor(self):
    return tf.constant([], dtype=tf.int32)

  def _log_prob(self, x):
    return self.levels_distribution().log_prob(tf.round(x * _MAX_LEVEL))

  def _sample_n(self, n, seed=None):
    return self.levels_distribution().sample(n, seed=seed) / _MAX_LEVEL

  def _mean(self):
    # E[k] = sum_{k=1}^{255} P(level >= k), and for a component
    # P(level >= k) = 1 - F(k - 0.5) = sigmoid((255 loc - (k - 0.5)) / (255 scale)).
    # The 255 thresholds are summed in 15 chunks of 17, so memory stays at
    # 17 times the parameters' whatever the batch.
    loc = _MAX_LEVEL * self._loc
    scale = tf.broadcast_to(_MAX_LEVEL * self._scale, tf.shape(loc))
    offsets = tf.range(_MEAN_CHUNK, dtype=self.dtype) + 0.5

    def body(i, total):
      thresholds = tf.cast(i * _MEAN_CHUNK, self.dtype) + offsets
      terms = tf.math.sigmoid((loc[..., tf.newaxis] - thresholds) / scale[..., tf.newaxis])
      return i + 1, total + tf.reduce_sum(terms, axis=-1)

    num_chunks = int(_MAX_LEVEL) // _MEAN_CHUNK
    _, levels = tf.while_loop(
      lambda i, _: i < num_chunks,
      body,
      (tf.constant(0), tf.zeros_like(loc)),
      maximum_iterations=num_chunks,
    )
    if self._mixture_logits is None:
      weights = tf.fill(tf.shape(levels), 1.0 / tf.cast(tf.shape(levels)[-1], self.dtype))
    else:
      weights = tf.math.softmax(self._mixture_logits, axis=-1)
    return tf.reduce_sum(weights * levels, axis=-1) / _MAX_LEVEL

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    return [tf.debugging.assert_positive(self._scale, message='`scale` must be positive.')]

  def _sample_control_dependencies(self, x):
    if not self.validate_args:
      return []
    level = x * _MAX_LEVEL
    return [
      tf.debugging.assert_less_equal(
        tf.abs(level - tf.round(level)),
        tf.constant(checks.LEVEL_TOLERANCE, self.dtype),
        message='values must be 8-bit levels k / 255.',
      ),
      tf.debugging.assert_non_negative(x, message='values must lie in [0, 1].'),
      tf.debugging.assert_less_equal(
        x, tf.constant(1.0, self.dtype), message='values must lie in [0, 1].'
      ),
    ]


@keras.register
class IndependentDiscretizedLogistic(_DistributionLayer):
  """8-bit pixels: discretized logistics, or mixtures of them (PixelCNN++).

  Takes `params_size(event_shape, num_components)` parameters and returns
  `tfd.Independent` over `DiscretizedLogisticMixture` with
  `event_shape == event_shape`: each pixel takes the values `k / 255`, and
  `log_prob(x)` of an image of such values is the exact log-probability of
  the 8-bit image (a probability mass, no Jacobian). The parameters of each
  pixel come last, in the order of `event_shape` (as a `Conv2D` with
  `channels * params_per_pixel` filters, flattened, lays them out): for one
  component, `(loc, scale)`; for `K > 1`, `K` mixture logits, `K` locations,
  then `K` scales. A location is `0.5 + param` (zero parameters center it
  at mid-grey) and a scale `1e-5 + softplus(param)`, both on the [0, 1]
  scale (1e-5 is 0.00255 levels: a bin can hold all the mass).

  #### Examples

  >>> layer = IndependentDiscretizedLogistic([2, 3], num_components=4)
  >>> IndependentDiscretizedLogistic.params_size([2, 3], num_components=4)
  72
  >>> likelihood = layer(tf.zeros([5, 72]))
  >>> likelihood.batch_shape.as_list(), likelihood.event_shape.as_list()
  ([5], [2, 3])
  >>> likelihood.log_prob(tf.fill([5, 2, 3], 128 / 255.)).shape
  TensorShape([5])

  #### References

  [1] Tim Salimans, Andrej Karpathy, Xi Chen and Diederik P. Kingma.
      PixelCNN++: Improving the PixelCNN with Discretized Logistic Mixture
      Likelihood and Other Modifications. In ICLR, 2017.
      https://arxiv.org/abs/1701.05517
  """

  family = 'discretized_logistic'

  def __init__(
    self,
    event_shape,
    num_components: int = 1,
    convert_to_tensor_fn='sample',
    validate_args: bool = False,
    **kwargs,
  ):
    """Creates the layer.

    Args:
      event_shape: sequence of positive Python `int`s, the shape of one image.
      num_components: Python `int` > 0, the logistic components of each
        pixel: `1` for a discretized logistic, more for a mixture.
        Default value: `1`.
      convert_to_tensor_fn: `'sample'` or `'mean'` (the distribution has no
        `mode`).
        Default value: `'sample'`.
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      **kwargs: `tf_keras.layers.Layer` arguments.

    Raises:
      ValueError: if `event_shape` holds anything but positive integers,
        `num_components` is not a positive integer, or
        `convert_to_tensor_fn` is not `'sample'` or `'mean'`.
    """
    if _convert_fn_name(convert_to_tensor_fn) == 'mode':
      raise ValueError(
        "`convert_to_tensor_fn` must be 'sample' or 'mean': a discretized logistic mixture has "
        'no mode.'
      )
    self._shape = checks.check_shape(event_shape, 'event_shape')
    self._num_components = checks.check_positive_int(num_components, 'num_components')
    super().__init__(
      {'event_shape': list(self._shape), 'num_components': self._num_components},
      convert_to_tensor_fn,
      validate_args,
      **kwargs,
    )

  def make_distribution(self, params):
    return IndependentDiscretizedLogistic.new(
      params, self._shape, self._num_components, self._validate
    )

  @staticmethod
  def new(params, event_shape, num_components=1, validate_args=False, name=None):
    """The distribution for a `[..., params_size(event_shape, num_components)]` tensor."""
    with tf.name_scope(name or 'IndependentDiscretizedLogistic'):
      params = tf.convert_to_tensor(params, name='params')
      per_pixel = _params_per_pixel(num_components)
      params = _reshape_event(params, [*event_shape, per_pixel])
      if num_components == 1:
        logits, raw_loc, raw_scale = None, params[..., :1], params[..., 1:]
      else:
        logits, raw_loc, raw_scale = tf.split(params, 3, axis=-1)
      pixels = DiscretizedLogisticMixture(
        loc=0.5 + raw_loc,
        scale=_MIN_PIXEL_SCALE + tf.math.softplus(raw_scale),
        mixture_logits=logits,
        validate_args=validate_args,
      )
      return _independent(pixels, event_shape)

  @staticmethod
  def params_size(event_shape, num_components: int = 1) -> int:
    """`prod(event_shape)` times 2 (one component) or `3 * num_components`."""
    return _event_params_size(event_shape) * _params_per_pixel(
      checks.check_positive_int(num_components, 'num_components')
    )


@keras.register
class MultivariateNormalTriL(_DistributionLayer):
  """A full-covariance `tfd.MultivariateNormalTriL` from its parameters.

  Takes `event_size + event_size * (event_size + 1) // 2` parameters: the
  `loc`, then the lower triangle of the scale matrix (filled by
  `tfp.math.fill_triangular`), whose diagonal goes through
  `softplus(params + softplus^-1(1)) + 1e-6` as in `MultivariateNormalDiag`:
  zero parameters give the identity scale. TFP has a closed-form KL to a
  `MultivariateNormalDiag` prior.

  #### Examples

  >>> layer = MultivariateNormalTriL(3)
  >>> posterior = layer(tf.zeros([4, MultivariateNormalTriL.params_size(3)]))
  >>> posterior.batch_shape.as_list(), posterior.event_shape.as_list()
  ([4], [3])
  >>> posterior.covariance()[0].numpy().round(4).tolist()
  [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
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
      convert_to_tensor_fn: `'sample'`, `'mean'` or `'mode'`.
        Default value: `'sample'` (a reparameterized draw).
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      **kwargs: `tf_keras.layers.Layer` arguments.

    Raises:
      ValueError: if `event_size` is not a positive integer or
        `convert_to_tensor_fn` is unknown.
    """
    self._event_size = checks.check_positive_int(event_size, 'event_size')
    super().__init__(
      {'event_size': self._event_size}, convert_to_tensor_fn, validate_args, **kwargs
    )

  def make_distribution(self, params):
    return MultivariateNormalTriL.new(params, self._event_size, self._validate)

  @staticmethod
  def new(params, event_size, validate_args=False, name=None):
    """The distribution for a `[..., params_size(event_size)]` tensor."""
    with tf.name_scope(name or 'MultivariateNormalTriL'):
      params = tf.convert_to_tensor(params, name='params')
      loc, raw_tril = tf.split(params, [event_size, event_size * (event_size + 1) // 2], axis=-1)
      # Elementwise with a constant mask, not `tfb.FillScaleTriL` or
      # `tf.linalg.set_diag`, whose gradients do not compile with XLA for a
      # batch of unknown size.
      tril = tfp.math.fill_triangular(raw_tril)
      eye = tf.eye(event_size, dtype=tril.dtype)
      raw_diagonal = tf.reduce_sum(tril * eye, axis=-1)
      diagonal = _MIN_SCALE + tf.math.softplus(raw_diagonal + _SCALE_SHIFT)
      scale_tril = tril * (1.0 - eye) + diagonal[..., None] * eye
      return tfd.MultivariateNormalTriL(loc=loc, scale_tril=scale_tril, validate_args=validate_args)

  @staticmethod
  def params_size(event_size: int) -> int:
    """The number of parameters: `event_size + event_size * (event_size + 1) // 2`."""
    event_size = checks.check_positive_int(event_size, 'event_size')
    return event_size + event_size * (event_size + 1) // 2


@keras.register
class InverseAutoregressiveFlow(tfpl.DistributionLambda):
  """A diagonal Gaussian pushed through an inverse autoregressive flow.

  Takes `[..., params_size(event_size, context_size)]` parameters: the `loc`
  and scale of a diagonal Gaussian base (as `MultivariateNormalDiag`), then
  `context_size` numbers `h`. Returns a `tfd.TransformedDistribution` with
  `event_shape [event_size]`: the base sample goes through `num_flows` steps
  `tfb.Invert(tfb.MaskedAutoregressiveFlow(...))`, each with its own MADE
  network (`tfb.AutoregressiveNetwork`, a sublayer of this layer, so its
  weights train and serialize with the model), conditioned on `h` when
  `context_size > 0`, with the order of the latent dimensions reversed between
  steps (Kingma et al., 2016). Each step's log-scale is bounded to
  `[-5, 5]` by a soft clamp.

  Sampling costs one MADE pass per step. `log_prob` at the distribution's
  own samples (its tensor output `tf.convert_to_tensor(posterior)`, or the
  result of `sample`) finds the base sample in the bijectors' cache and costs
  one more pass per step, for the log-determinant; at any other point it
  inverts the flow, `event_size + 1` passes per step. The distribution has no
  analytic mean or KL: a KL regularizer on this layer is a Monte Carlo
  estimate, and `point_estimate` gives a deterministic summary.

  #### Examples

  >>> layer = InverseAutoregressiveFlow(3, num_flows=2, hidden_units=(8,))
  >>> posterior = layer(tf.zeros([4, InverseAutoregressiveFlow.params_size(3)]))
  >>> posterior.batch_shape.as_list(), posterior.event_shape.as_list()
  ([4], [3])
  >>> z = tf.convert_to_tensor(posterior)
  >>> posterior.log_prob(z).shape
  TensorShape([4])

  #### References

  [1] Diederik P. Kingma, Tim Salimans, Rafal Jozefowicz, Xi Chen, Ilya
      Sutskever and Max Welling. Improved Variational Inference with Inverse
      Autoregressive Flow. In NeurIPS, 2016. https://arxiv.org/abs/1606.04934
  [2] Mathieu Germain, Karol Gregor, Iain Murray and Hugo Larochelle. MADE:
      Masked Autoencoder for Distribution Estimation. In ICML, 2015.
      https://arxiv.org/abs/1502.03509
  """

  def __init__(
    self,
    event_size: int,
    num_flows: int = 2,
    hidden_units=(64, 64),
    context_size: int = 0,
    activation: str = 'relu',
    validate_args: bool = False,
    **kwargs,
  ):
    """Creates the layer and its MADE networks.

    Args:
      event_size: Python `int` > 0, the dimension of the distribution.
      num_flows: Python `int` > 0, the number of IAF steps.
        Default value: `2`.
      hidden_units: widths of each MADE network's hidden layers.
        Default value: `(64, 64)`.
      context_size: Python `int` >= 0, the size of the context `h` the layer
        takes after the base parameters; `0` for flows that do not depend on
        the input.
        Default value: `0`.
      activation: activation of the MADE hidden layers.
        Default value: `'relu'`.
      validate_args: Python `bool`, passed to the distribution.
        Default value: `False`.
      **kwargs: `tf_keras.layers.Layer` arguments.

    Raises:
      ValueError: on a non-positive `event_size` or `num_flows`, bad
        `hidden_units`, or a negative `context_size`.
    """
    kwargs.pop('make_distribution_fn', None)
    kwargs.pop('function', None)
    kwargs.pop('convert_to_tensor_fn', None)
    self._event_size = checks.check_positive_int(event_size, 'event_size')
    self._num_flows = checks.check_positive_int(num_flows, 'num_flows')
    self._hidden_units = checks.check_units(hidden_units, 'hidden_units')
    self._context_size = _check_context_size(context_size)
    self._activation = activation
    self._validate = bool(validate_args)
    super().__init__(self.make_distribution, _sample, **kwargs)
    self.made_networks = [
      tfb.AutoregressiveNetwork(
        params=2,
        event_shape=[self._event_size],
        conditional=self._context_size > 0,
        conditional_event_shape=[self._context_size] if self._context_size else None,
        hidden_units=list(self._hidden_units),
        activation=activation,
        dtype=self.dtype,
        name=f'made_{i}',
      )
      for i in range(self._num_flows)
    ]

  def build(self, input_shape):
    for made in self.made_networks:
      made.build((None, self._event_size))
    super().build(input_shape)

  @staticmethod
  def params_size(event_size: int, context_size: int = 0) -> int:
    """The number of parameters: `2 * event_size + context_size`."""
    return 2 * checks.check_positive_int(event_size, 'event_size') + _check_context_size(
      context_size
    )

  def make_distribution(self, params):
    with tf.name_scope('InverseAutoregressiveFlow'):
      params = tf.convert_to_tensor(params, name='params')
      base_params, context = tf.split(params, [2 * self._event_size, self._context_size], axis=-1)
      base = MultivariateNormalDiag.new(base_params, self._event_size, self._validate)
      steps = []  # In the order they apply to a base sample.
      reverse = tfb.Permute(list(reversed(range(self._event_size))))
      for i, made in enumerate(self.made_networks):
        if i:
          steps.append(reverse)
        steps.append(
          tfb.Invert(
            tfb.MaskedAutoregressiveFlow(
              shift_and_log_scale_fn=_ShiftAndLogScale(
                made, context if self._context_size else None
              ),
              validate_args=self._validate,
            )
          )
        )
      return tfd.TransformedDistribution(
        base, tfb.Chain(list(reversed(steps))), validate_args=self._validate
      )

  def get_config(self):
    return _layer_config(
      self,
      event_size=self._event_size,
      num_flows=self._num_flows,
      hidden_units=list(self._hidden_units),
      context_size=self._context_size,
      activation=self._activation,
      validate_args=self._validate,
    )

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def likelihood_family(decoder) -> str | None:
  """The likelihood family of a decoder: what its last layer's `family` says.

  Args:
    decoder: a `tf_keras.Model` (for instance from `make_decoder`) or layer.

  Returns:
    `'bernoulli'` (data in [0, 1]; the log-likelihood of grey levels is a
    cross-entropy), `'continuous_bernoulli'` (data in [0, 1]),
    `'discretized_logistic'` (8-bit levels `k / 255`), `'gaussian'` (any real
    data), or `None` for a layer that is none of tfvae's.

  #### Examples

  >>> from tfvae.model import decoder as decoder_lib
  >>> likelihood_family(decoder_lib.make_decoder(2, (3,), likelihood='gaussian'))
  'gaussian'
  """
  return getattr(distributions.distribution_layer(decoder), 'family', None)


def point_estimate(distribution: tfd.Distribution) -> tf.Tensor:
  """A deterministic summary of a posterior: its mean, or the flow of its base mean.

  For distributions with an analytic mean this is `distribution.mean()`. A
  `tfd.TransformedDistribution` (such as `InverseAutoregressiveFlow`'s) has
  none; it gives `bijector.forward(point_estimate(base))` instead: the image
  of the base distribution's mean, one cheap forward pass, deterministic, and
  not in general the mean of the transformed distribution.

  Args:
    distribution: a `tfd.Distribution`, possibly inside TFP's tensor-coercible
      wrapper.

  Returns:
    A tensor of shape `batch_shape + event_shape`.

  Raises:
    NotImplementedError: if neither is available.

  #### Examples

  >>> point_estimate(tfd.MultivariateNormalDiag([1., 2.], [3., 4.])).numpy().tolist()
  [1.0, 2.0]
  >>> flow = tfd.TransformedDistribution(tfd.Normal(1., 1.), tfp.bijectors.Exp())
  >>> round(float(point_estimate(flow)), 4)  # exp(1), not the mean exp(1.5)
  2.7183
  """
  distribution = distributions.unwrap(distribution)
  try:
    return distribution.mean()
  except NotImplementedError:
    # Duck-typed: TFP builds a `_TransformedDistribution` (not an instance of
    # `tfd.TransformedDistribution`) when the bijector is no CompositeTensor.
    if not (hasattr(distribution, 'bijector') and hasattr(distribution, 'distribution')):
      raise
  return distribution.bijector.forward(point_estimate(distribution.distribution))


class _ShiftAndLogScale:
  """A MADE network (and context) as MaskedAutoregressiveFlow's `shift_and_log_scale_fn`."""

  def __init__(self, made, context):
    self._made = made
    self._context = context

  def __call__(self, y):
    if self._context is None:
      out = self._made(y)
    else:
      out = self._made(y, conditional_input=self._context)
    shift, raw_log_scale = tf.unstack(out, axis=-1)
    return shift, _MAX_LOG_SCALE * tf.math.tanh(raw_log_scale / _MAX_LOG_SCALE)


class _Bernoulli(tfd.Bernoulli):
  """`tfd.Bernoulli` whose `log_prob` from logits takes one softplus, not two."""

  def _log_prob(self, event):
    if self._logits is None:
      return super()._log_prob(event)
    logits = tf.convert_to_tensor(self._logits)
    event = tf.cast(event, logits.dtype)
    # log p(x) = x log(sigmoid(l)) + (1 - x) log(1 - sigmoid(l)) = x l - softplus(l),
    # with softplus(l) = relu(l) + log(1 + exp(-|l|)). `log(1 + e)` for
    # e in (0, 1] is off `log1p(e)` by at most half an ulp of 1 (6e-8 nats)
    # and its gradient is exact; XLA computes it ~1.5x faster than `log1p`.
    # -|l| is written min(l, -l): its gradient at l = 0 goes to the first
    # argument, which gives the true slope sigmoid(0) = 1/2 (abs's would be 0).
    negative_abs = tf.minimum(logits, -logits)
    return logits * event - tf.nn.relu(logits) - tf.math.log(1.0 + tf.exp(negative_abs))


def find_kl_regularizer(model) -> KLDivergenceRegularizer | None:
  """The tfvae `KLDivergenceRegularizer` a model's last layer carries, if any.

  Args:
    model: a `tf_keras.Model` (for instance from `make_encoder`) or layer.

  Returns:
    The regularizer, or `None` when the model's output layer has none.
  """
  regularizer = getattr(distributions.distribution_layer(model), 'activity_regularizer', None)
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
  if convert_to_tensor_fn is tfd.Distribution.sample:
    return 'sample'
  for name, fn in _CONVERT_TO_TENSOR_FNS.items():
    if convert_to_tensor_fn in (name, fn):
      return name
  raise ValueError(
    f"`convert_to_tensor_fn` must be 'sample', 'mean' or 'mode'; got {convert_to_tensor_fn!r}."
  )


def _reshape_event(params, event_shape):
  return tf.reshape(params, tf.concat([tf.shape(params)[:-1], event_shape], axis=0))


def _params_per_pixel(num_components):
  return 2 if num_components == 1 else 3 * num_components


def _check_context_size(context_size):
  return checks.check_non_negative_int(context_size, 'context_size')
