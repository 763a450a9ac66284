# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Diagnostics: is each network a normalized density, how much KL per latent, how many active units."""

import math
from typing import NamedTuple

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.model import divergence as divergence_lib
from tfvae.model import layers as layers_lib
from tfvae.model import networks as networks_lib

tfd = tfp.distributions

__all__ = [
  'METHODS',
  'SUPPORTS',
  'ActiveUnits',
  'NormalizationResult',
  'SupportResult',
  'active_units',
  'active_units_of_means',
  'check_distribution',
  'check_normalization',
  'kl_per_dimension',
  'posterior_means',
]

METHODS = (
  'enumeration',
  'factorized_enumeration',
  'factorized_quadrature',
  'importance_sampling',
  'quadrature',
)
SUPPORTS = ('binary', 'eight_bit', 'real', 'unit_interval')

# Exact up to rounding vs. a Monte Carlo estimate with ~1% standard error.
_DEFAULT_TOLERANCE = {
  'enumeration': 1e-3,
  'factorized_enumeration': 1e-3,
  'factorized_quadrature': 1e-3,
  'importance_sampling': 0.05,
  'quadrature': 1e-3,
}
# Points per axis of the quadrature grid, by number of dimensions, at first
# and at most.
_GRID_SIZE = {1: 4001, 2: 301}
_MAX_GRID_SIZE = {1: 64001, 2: 1201}
# The grid covers the mean +- this many standard deviations on every axis.
_GRID_HALF_WIDTH = 10.0
# The importance-sampling proposal: a Gaussian with the moments of the
# distribution, its standard deviations widened by this factor.
_PROPOSAL_WIDTH = 1.2
# Composite Gauss-Legendre rule of the per-element quadrature.
_PANELS = 32
_NODES_PER_PANEL = 16
# Samples at which a factorized distribution's joint log_prob is compared
# with the sum of its factors'.
_NUM_PROBES = 8
# Images per chunk of the exact enumeration.
_ENUMERATION_CHUNK = 4096


class NormalizationResult(NamedTuple):
  """What `check_distribution` found for a batch of distributions.

  Attributes:
    method: how `total` was computed, one of `METHODS`.
    total: `[batch_size]` float64 array: the sum over the support
      (`'enumeration'`) or integral of each distribution's density; `1.0` for
      a normalized distribution. A distribution with `batch_shape []` gives
      one entry.
    error: `[batch_size]` estimate of the numerical error of `total`: the
      float32 rounding bound (enumeration), the difference between two
      quadrature resolutions, or the Monte Carlo standard error
      (importance sampling); for factorized methods it includes how far the
      joint `log_prob` departs from the sum of its factors'.
    tolerance: the largest accepted `|total - 1|`.
    passed: Python `bool`, `|total - 1| <= tolerance` and
      `error <= tolerance` for every member of the batch.
  """

  method: str
  total: np.ndarray
  error: np.ndarray
  tolerance: float
  passed: bool


class SupportResult(NamedTuple):
  """Whether data lie in the support of the likelihood that scores them.

  A likelihood's `log_prob` at a point outside its support is not the log of
  any probability: a Bernoulli's at a grey level is a cross-entropy. Such data
  make the reported nats meaningless as a log-likelihood.

  Attributes:
    support: the likelihood's support, one of `SUPPORTS`.
    num_outside: Python `int`, the number of values of the data outside it.
    fraction_outside: Python `float`, `num_outside` over all values.
    passed: Python `bool`, `num_outside == 0`.
  """

  support: str
  num_outside: int
  fraction_outside: float
  passed: bool


class ActiveUnits(NamedTuple):
  """Active latent units (Burda et al., 2016).

  Attributes:
    count: Python `int`, the number of dimensions with
      `variances > threshold`.
    variances: `[latent_size]` float64 array, `Var_x(E_q[z_i | x])` over the
      examples.
  """

  count: int
  variances: np.ndarray


def check_distribution(
  distribution: tfd.Distribution,
  support: str | None = None,
  tolerance: float | None = None,
  num_samples: int = 10_000,
  max_enumeration_size: int = 16,
  seed: int = 0,
) -> NormalizationResult:
  """Checks numerically that a (batch of) distribution(s) sums or integrates to 1.

  Only `log_prob` enters the total: a distribution whose sampler is right
  but whose density is not normalized fails. The method depends on the
  support and on `D`, the number of elements of one event:

  * binary support: `'enumeration'` of all `2**D` events when
    `D <= max_enumeration_size`; otherwise `'factorized_enumeration'` when
    the distribution is a `tfd.Independent` product of scalar factors (each
    factor summed over {0, 1}); otherwise `'importance_sampling'` with a
    product-of-Bernoullis proposal near the distribution's mean.
  * real support: grid `'quadrature'` over the mean +- 10 standard deviations
    when `D <= 2`; `'factorized_quadrature'` for a `tfd.Independent` product
    (a composite Gauss-Legendre rule per element); otherwise
    `'importance_sampling'` from a Gaussian with the distribution's mean and
    covariance, standard deviations widened by 1.2 (moments analytic where
    TFP has them, estimated from `num_samples` draws otherwise).
  * unit-interval support: `'factorized_quadrature'` on [0, 1] for a product;
    otherwise the real-support methods after the change of variables
    `x = sigmoid(u)`.
  * eight-bit support (the levels `k / 255`): `'factorized_enumeration'` of
    a `tfd.Independent` product (each factor summed over the 256 levels);
    other distributions on it are not checked (`ValueError`).

  A factorized method also compares the joint `log_prob` with the sum of its
  factors' `log_prob` at a few samples, so a product whose joint density is
  off by a constant still fails.

  Args:
    distribution: a `tfd.Distribution` with `batch_shape []` or `[batch_size]`
      (possibly inside TFP's tensor-coercible wrapper).
    support: `'binary'`, `'eight_bit'`, `'real'` or `'unit_interval'`.
      Default value: `None`: inferred from the distribution's type (Bernoulli
      is binary; `tfvae.model.layers.DiscretizedLogisticMixture` eight-bit;
      continuous Bernoulli, Beta and Uniform are unit-interval; any other
      float distribution real; any other discrete one needs it).
    tolerance: the largest accepted `|total - 1|` (and `error`).
      Default value: `None`: `1e-3` for enumeration and quadrature, `0.05` for
      importance sampling.
    num_samples: importance samples, and draws for estimated moments.
      Default value: `10_000`.
    max_enumeration_size: the largest `D` enumerated exactly.
      Default value: `16`.
    seed: Python `int` (or an int32 `[2]` stateless seed); the same seed
      gives the same result.
      Default value: `0`.

  Returns:
    A `NormalizationResult`.

  Raises:
    ValueError: on a `batch_shape` of rank above 1, an unknown `support` (or
      none given for a discrete distribution other than Bernoulli), a
      continuous `support` for a discrete distribution, an eight-bit one
      that is not a product, or a bad `tolerance` or `num_samples`.

  #### Examples

  >>> check_distribution(tfd.MultivariateNormalDiag([[0., 1.]], [[1., 2.]])).method
  'quadrature'
  >>> result = check_distribution(tfd.Independent(tfd.Bernoulli(logits=tf.zeros([3, 4])), 1))
  >>> result.method, result.total.round(6).tolist(), result.passed
  ('enumeration', [1.0, 1.0, 1.0], True)
  """
  distribution = distributions.unwrap(distribution)
  if distribution.batch_shape.rank is None or distribution.batch_shape.rank > 1:
    raise ValueError(
      f'`distribution` must have batch_shape [] or [batch_size]; got {distribution.batch_shape}.'
    )
  if support is None:
    support = _infer_support(distribution)
  if support not in SUPPORTS:
    raise ValueError(f'`support` must be one of {list(SUPPORTS)}; got {support!r}.')
  if support != 'binary' and not tf.as_dtype(distribution.dtype).is_floating:
    raise ValueError(
      f'`support`={support!r} is a continuous support, but the distribution has the discrete '
      f"dtype {tf.as_dtype(distribution.dtype).name}; pass `support='binary'`."
    )
  if tolerance is not None:
    tolerance = float(tolerance)
    if not (math.isfinite(tolerance) and tolerance > 0):
      raise ValueError(f'`tolerance` must be finite and > 0; got {tolerance!r}.')
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  max_enumeration_size = checks.check_positive_int(max_enumeration_size, 'max_enumeration_size')
  seed = checks.stateless_seed(seed)
  event_size = int(np.prod(distribution.event_shape.as_list()))
  factor = _factor(distribution)
  if support == 'eight_bit' and factor is None:
    raise ValueError(
      "`support`='eight_bit' is checked for a tfd.Independent product of scalar factors; got "
      f'{type(distribution).__name__}.'
    )
  if support == 'eight_bit':
    method = 'factorized_enumeration'
  elif support == 'binary':
    if event_size <= max_enumeration_size:
      method = 'enumeration'
    elif factor is not None:
      method = 'factorized_enumeration'
    else:
      method = 'importance_sampling'
  elif factor is not None:
    method = 'factorized_quadrature'
  else:
    method = 'quadrature' if event_size <= 2 else 'importance_sampling'
  if tolerance is None:
    tolerance = _DEFAULT_TOLERANCE[method]
  if method == 'enumeration':
    total, error = _enumerate(distribution)
  elif method.startswith('factorized'):
    total, error = _factorized(distribution, factor, seed, support)
  elif support == 'binary':
    total, error = _binary_importance_sampling(distribution, num_samples, seed)
  else:
    density = _Density(distribution, support, num_samples, seed)
    if method == 'quadrature':
      total, error = _quadrature(density, tolerance)
    else:
      total, error = _importance_sampling(density, num_samples, seed)
  total, error = np.atleast_1d(total), np.atleast_1d(error)
  passed = bool(np.all(np.abs(total - 1.0) <= tolerance) and np.all(error <= tolerance))
  return NormalizationResult(method, total, error, tolerance, passed)


def check_normalization(
  model,
  x,
  condition=None,
  tolerance: float | None = None,
  num_samples: int = 10_000,
  max_enumeration_size: int = 16,
  seed: int = 0,
) -> dict:
  """Checks that a VAE's posterior, likelihood and prior are normalized at data `x`.

  Calls the encoder on `x` for the posteriors q(z|x), the decoder at one
  posterior sample per example for the likelihoods p(x|z), and runs
  `check_distribution` on each, and on the prior p(z). It also checks that
  `x` lies in the likelihood's support (binary data for Bernoulli pixels,
  [0, 1] for continuous Bernoulli ones, the levels `k / 255` for discretized
  logistic ones): `log_prob` outside it is not a log-likelihood, even of a
  normalized distribution.

  Args:
    model: a `tfvae.VAE` (anything with `encoder`, `decoder` and `prior`), or
      a pair `(encoder, decoder)` of networks (the prior is then the encoder
      regularizer's, or N(0, I)), or a triple `(encoder, decoder, prior)`.
    x: `[batch_size, *event_shape]` data; keep the batch small (a few
      examples): each distribution is checked separately.
    condition: for a conditional VAE, the conditions `c` (float
      `[batch_size, K]` or integer labels `[batch_size]`): it checks
      q(z|x, c), p(x|z, c) and the prior p(z|c) (or p(z)).
      Default value: `None`.
    tolerance: as in `check_distribution`.
      Default value: `None` (by method).
    num_samples: as in `check_distribution`.
      Default value: `10_000`.
    max_enumeration_size: as in `check_distribution`.
      Default value: `16`.
    seed: Python `int`, for the posterior sample and the checks.
      Default value: `0`.

  Returns:
    `dict` of `NormalizationResult`s `'posterior'`, `'likelihood'` and
    `'prior'`, and the `SupportResult` `'data'`.

  Raises:
    TypeError: if `model` is neither a VAE nor a pair or triple of networks.

  #### Examples

  >>> from tfvae.model import decoder as decoder_lib, encoder as encoder_lib
  >>> encoder = encoder_lib.make_encoder((2, 2, 1), latent_size=2, hidden_units=(8,))
  >>> decoder = decoder_lib.make_decoder(2, (2, 2, 1), hidden_units=(8,))
  >>> results = check_normalization((encoder, decoder), np.zeros([3, 2, 2, 1], 'float32'))
  >>> {name: (r.method, r.passed) for name, r in sorted(results.items()) if name != 'data'}
  {'likelihood': ('enumeration', True), 'posterior': ('quadrature', True), 'prior': ('quadrature', True)}
  >>> check_normalization((encoder, decoder), np.full([3, 2, 2, 1], 0.5, 'float32'))['data']
  SupportResult(support='binary', num_outside=12, fraction_outside=1.0, passed=False)
  """
  x = np.asarray(x, np.float32)
  encode, decode, prior = _networks(model, len(x), condition)
  seeds = tfp.random.split_seed(checks.stateless_seed(seed), 4)
  posterior = encode(x)
  likelihood = decode(posterior.sample(seed=seeds[0]))
  kwargs = dict(
    tolerance=tolerance, num_samples=num_samples, max_enumeration_size=max_enumeration_size
  )
  return {
    'posterior': check_distribution(posterior, seed=seeds[1], **kwargs),
    'likelihood': check_distribution(likelihood, seed=seeds[2], **kwargs),
    'prior': check_distribution(prior, seed=seeds[3], **kwargs),
    'data': _check_support(x, _infer_support(likelihood)),
  }


def kl_per_dimension(
  model, x, num_samples: int = 1000, seed: int = 0, condition=None
) -> np.ndarray:
  """KL(q(z_i|x) || p(z_i)) for each latent dimension i, per example.

  For diagonal Gaussian posteriors and priors this is the closed form, and
  the dimensions sum to the KL. Otherwise it is the KL between the
  one-dimensional marginals, which ignores dependencies between dimensions
  (so the sum is not the KL): marginals are exact for Gaussian and
  mixture-of-Gaussian distributions (full-covariance posteriors, mixture and
  VampPriors with Gaussian posteriors) and a Gaussian with the sample mean
  and variance of `num_samples` draws otherwise (flows); the expectation is
  a Monte Carlo average over `num_samples` posterior draws unless both
  marginals are Gaussian.

  Args:
    model: a `tfvae.VAE`, or `(encoder, decoder)`, or `(encoder, decoder,
      prior)`.
    x: `[batch_size, *event_shape]` data.
    num_samples: Monte Carlo draws.
      Default value: `1000`.
    seed: Python `int`.
      Default value: `0`.
    condition: the conditions of a conditional VAE (see
      `check_normalization`).
      Default value: `None`.

  Returns:
    `[batch_size, latent_size]` float64 array, nats.

  Raises:
    TypeError: if `model` is neither a VAE nor a pair or triple of networks.

  #### Examples

  >>> from tfvae.model import decoder as decoder_lib, encoder as encoder_lib
  >>> encoder = encoder_lib.make_encoder((4,), latent_size=3, hidden_units=(8,))
  >>> decoder = decoder_lib.make_decoder(3, (4,), hidden_units=(8,))
  >>> kl_per_dimension((encoder, decoder), np.zeros([2, 4], 'float32')).shape
  (2, 3)
  """
  x = np.asarray(x, np.float32)
  encode, _, prior = _networks(model, len(x), condition)
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  seeds = tfp.random.split_seed(checks.stateless_seed(seed), 3)
  posterior = encode(x)
  try:
    return divergence_lib.kl_divergence_per_dimension(posterior, prior).numpy().astype(np.float64)
  except TypeError:
    pass
  q = _marginals(posterior, num_samples, seeds[0])
  p = _marginals(prior, num_samples, seeds[1])
  if isinstance(q, tfd.Normal) and isinstance(p, tfd.Normal):
    kl = tfd.kl_divergence(q, p)
  else:
    z = posterior.sample(num_samples, seed=seeds[2])
    kl = tf.reduce_mean(q.log_prob(z) - p.log_prob(z), axis=0)
  return kl.numpy().astype(np.float64)


def active_units(
  model,
  x,
  threshold: float = 0.01,
  num_samples: int = 100,
  batch_size: int = 500,
  seed: int = 0,
  condition=None,
) -> ActiveUnits:
  """Counts the active latent units: `Var_x(E_q[z_i | x]) > threshold`.

  A unit is active when its posterior mean varies with the input (Burda et
  al., 2016, with `threshold` 0.01); inactive units have collapsed to the
  prior. `E_q[z | x]` is the posterior's mean where TFP has it and the
  average of `num_samples` draws otherwise (flows).

  Args:
    model: a `tfvae.VAE`, or `(encoder, decoder)`, or `(encoder, decoder,
      prior)`.
    x: `[n, *event_shape]` data, n >= 2 (a test set).
    threshold: the variance above which a unit counts as active.
      Default value: `0.01`.
    num_samples: draws per example for posteriors without an analytic mean.
      Default value: `100`.
    batch_size: examples encoded at once.
      Default value: `500`.
    seed: Python `int`.
      Default value: `0`.
    condition: the conditions of a conditional VAE, one per example (see
      `check_normalization`).
      Default value: `None`.

  Returns:
    An `ActiveUnits`.

  Raises:
    ValueError: if `x` holds fewer than two examples or `threshold` is
      negative.

  #### Examples

  >>> from tfvae.model import decoder as decoder_lib, encoder as encoder_lib
  >>> encoder = encoder_lib.make_encoder((4,), latent_size=3, hidden_units=(8,))
  >>> decoder = decoder_lib.make_decoder(3, (4,), hidden_units=(8,))
  >>> x = np.random.default_rng(0).uniform(size=(50, 4)).astype('float32')
  >>> units = active_units((encoder, decoder), x, threshold=0.0)
  >>> units.count, units.variances.shape
  (3, (3,))

  #### References

  [1] Yuri Burda, Roger Grosse and Ruslan Salakhutdinov. Importance Weighted
      Autoencoders. In ICLR, 2016. https://arxiv.org/abs/1509.00519
  """
  x = np.asarray(x, np.float32)
  if x.ndim < 2 or x.shape[0] < 2:
    raise ValueError(f'`x` must hold at least two examples; got shape {x.shape}.')
  _networks(model, len(x), condition, need_prior=False)  # Checks the model and conditions.
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  seed = checks.stateless_seed(seed)
  means = []
  for i, start in enumerate(range(0, x.shape[0], batch_size)):
    batch = slice(start, start + batch_size)
    means.append(
      posterior_means(
        model,
        x[batch],
        None if condition is None else np.asarray(condition)[batch],
        num_samples,
        tf.random.experimental.stateless_fold_in(seed, i),
      )
    )
  return active_units_of_means(np.concatenate(means), threshold)


def posterior_means(model, x, condition=None, num_samples: int = 100, seed=0) -> np.ndarray:
  """E_q[z|x] of each example: the posterior's mean, or an average of draws (flows).

  Args:
    model: a `tfvae.VAE`, or `(encoder, decoder)`, or `(encoder, decoder,
      prior)`.
    x: `[n, *event_shape]` data (a batch: it is encoded at once).
    condition: the conditions of a conditional VAE (see
      `check_normalization`).
      Default value: `None`.
    num_samples: draws per example for posteriors without an analytic mean.
      Default value: `100`.
    seed: Python `int` or int32 `[2]` seed, for those draws.
      Default value: `0`.

  Returns:
    `[n, latent_size]` float64 array.
  """
  x = np.asarray(x, np.float32)
  encode, _, _ = _networks(model, len(x), condition, need_prior=False)
  posterior = encode(x)
  try:
    mean = posterior.mean()
  except NotImplementedError:
    num_samples = checks.check_positive_int(num_samples, 'num_samples')
    draws = posterior.sample(num_samples, seed=checks.stateless_seed(seed))
    mean = tf.reduce_mean(draws, axis=0)
  return mean.numpy().astype(np.float64)


def active_units_of_means(means, threshold: float = 0.01) -> ActiveUnits:
  """Active units from posterior means: `Var_x(E_q[z_i | x]) > threshold`.

  Args:
    means: `[n, latent_size]` posterior means of `n >= 2` examples
      (`posterior_means`).
    threshold: the variance above which a unit counts as active.
      Default value: `0.01`.

  Returns:
    An `ActiveUnits`.

  Raises:
    ValueError: on fewer than two examples or a negative `threshold`.

  #### Examples

  >>> active_units_of_means(np.array([[0.0, 1.0], [0.5, 1.0]]))
  ActiveUnits(count=1, variances=array([0.0625, 0.    ]))
  """
  means = np.asarray(means, np.float64)
  if means.ndim != 2 or len(means) < 2:
    raise ValueError(f'`x` must hold at least two examples; got means of shape {means.shape}.')
  threshold = float(threshold)
  if not threshold >= 0:
    raise ValueError(f'`threshold` must be >= 0; got {threshold!r}.')
  variances = np.var(means, axis=0)
  return ActiveUnits(int(np.sum(variances > threshold)), variances)


class _Density:
  """A distribution's log density over a flat real space `[..., D]`, and its moments."""

  def __init__(self, distribution, support, num_samples, seed):
    self.distribution = distribution
    self.unit_interval = support == 'unit_interval'
    self.batch_shape = distribution.batch_shape.as_list()
    self.event_shape = distribution.event_shape.as_list()
    self.size = int(np.prod(self.event_shape))
    self.mean, self.covariance = self._moments(num_samples, seed)

  def log_prob(self, u):
    """`log p` at flat points `u` `[n, *batch_shape, D]` (logits on the unit interval)."""
    u = tf.convert_to_tensor(u, self.distribution.dtype)
    log_jacobian = 0.0
    if self.unit_interval:
      log_jacobian = -tf.reduce_sum(tf.math.softplus(-u) + tf.math.softplus(u), axis=-1)
      u = tf.math.sigmoid(u)
    points = tf.reshape(u, tf.concat([tf.shape(u)[:-1], self.event_shape], axis=0))
    return (self.distribution.log_prob(points) + log_jacobian).numpy().astype(np.float64)

  def _moments(self, num_samples, seed):
    flat = self.batch_shape + [self.size]
    if not self.unit_interval:
      try:
        mean = tf.reshape(self.distribution.mean(), flat).numpy()
        try:
          covariance = np.reshape(self.distribution.covariance(), flat + [self.size])
        except NotImplementedError:
          covariance = np.vectorize(np.diag, signature='(d)->(d,d)')(
            tf.reshape(self.distribution.variance(), flat).numpy()
          )
        return mean.astype(np.float64), covariance.astype(np.float64)
      except NotImplementedError:
        pass
    samples = self.distribution.sample(num_samples, seed=seed)
    samples = tf.reshape(samples, [num_samples] + flat).numpy().astype(np.float64)
    if self.unit_interval:
      samples = np.clip(samples, 1e-6, 1 - 1e-6)
      samples = np.log(samples) - np.log1p(-samples)
    mean = samples.mean(axis=0)
    centered = samples - mean
    covariance = np.einsum('n...i,n...j->...ij', centered, centered) / num_samples
    return mean, covariance


def _quadrature(density, tolerance):
  """Riemann sum on a grid over mean +- 10 stddev; error from half the resolution.

  The grid is refined (twice as many points per axis) while the error exceeds
  `tolerance`, up to `_MAX_GRID_SIZE` points per axis.
  """
  size = density.size
  stddev = np.sqrt(np.diagonal(density.covariance, axis1=-2, axis2=-1))
  batch_ndims = len(density.batch_shape)
  n = _GRID_SIZE[size]
  while True:
    axis = np.linspace(-_GRID_HALF_WIDTH, _GRID_HALF_WIDTH, n)
    offsets = np.stack(np.meshgrid(*[axis] * size, indexing='ij'), axis=-1).reshape(-1, size)
    offsets_b = offsets.reshape([-1] + [1] * batch_ndims + [size])
    log_prob = density.log_prob(density.mean + offsets_b * stddev)  # [n**size, *batch]
    cell = np.prod((axis[1] - axis[0]) * stddev, axis=-1)
    fine = _sum_exp(log_prob, axis=0) * cell
    coarse_mask = np.all(np.isin(offsets, axis[::2]), axis=-1)
    coarse = _sum_exp(log_prob[coarse_mask], axis=0) * cell * 2**size
    error = np.abs(fine - coarse)
    if np.all(error <= tolerance) or 2 * n - 1 > _MAX_GRID_SIZE[size]:
      return fine, error
    n = 2 * n - 1


def _importance_sampling(density, num_samples, seed):
  """Mean of p(u) / q(u), u ~ q, q the moment-matched Gaussian, widened."""
  jitter = 1e-6 * np.eye(density.size)
  scale_tril = np.linalg.cholesky(density.covariance * _PROPOSAL_WIDTH**2 + jitter)
  proposal = tfd.MultivariateNormalTriL(
    loc=density.mean.astype(np.float32), scale_tril=scale_tril.astype(np.float32)
  )
  u = proposal.sample(num_samples, seed=seed)
  log_weights = density.log_prob(u) - proposal.log_prob(u).numpy().astype(np.float64)
  return _mean_and_standard_error(log_weights)


def _binary_importance_sampling(distribution, num_samples, seed):
  """Mean of p(x) / q(x), q independent Bernoullis near the distribution's mean."""
  seeds = tfp.random.split_seed(seed, 2)
  try:
    mean = distribution.mean()
  except NotImplementedError:
    mean = tf.reduce_mean(tf.cast(distribution.sample(1000, seed=seeds[0]), tf.float32), axis=0)
  probs = 0.8 * tf.cast(mean, tf.float32) + 0.1
  proposal = tfd.Independent(
    tfd.Bernoulli(probs=probs, dtype=tf.float32),
    reinterpreted_batch_ndims=distribution.event_shape.rank,
  )
  x = proposal.sample(num_samples, seed=seeds[1])
  log_weights = distribution.log_prob(tf.cast(x, distribution.dtype)) - proposal.log_prob(x)
  return _mean_and_standard_error(log_weights.numpy().astype(np.float64))


def _enumerate(distribution):
  """The exact sum of p(x) over all binary events."""
  event_shape = distribution.event_shape.as_list()
  size = int(np.prod(event_shape))
  batch_ndims = distribution.batch_shape.rank
  codes = np.arange(2**size)
  total = 0.0
  for start in range(0, 2**size, _ENUMERATION_CHUNK):
    chunk = codes[start : start + _ENUMERATION_CHUNK]
    bits = ((chunk[:, None] >> np.arange(size)) & 1).astype(np.float32)
    images = bits.reshape([len(chunk)] + [1] * batch_ndims + event_shape)
    log_prob = distribution.log_prob(tf.cast(images, distribution.dtype))
    total = total + _sum_exp(log_prob.numpy().astype(np.float64), axis=0)
  # Each term carries the float32 rounding of a sum of `size` log-factors.
  return total, total * size * np.finfo(np.float32).eps


def _factorized(distribution, factor, seed, support='binary'):
  """Product of per-element sums or integrals, times exp(joint - sum of factors)."""
  event_ndims = distribution.event_shape.rank
  axes = list(range(-event_ndims, 0))
  if support in ('binary', 'eight_bit'):
    values = np.array([0.0, 1.0]) if support == 'binary' else np.arange(256) / 255.0
    values = tf.constant(values.reshape([-1] + [1] * factor.batch_shape.rank), factor.dtype)
    log_mass = np.logaddexp.reduce(factor.log_prob(values).numpy().astype(np.float64), axis=0)
    log_total = np.sum(log_mass, axis=tuple(axes))
    # float32 rounding of each factor's mass: its terms' log-probabilities
    # are off by about eps * |log p|, which averages to eps times the entropy,
    # at most log(number of values).
    per_factor = max(1.0, math.log(len(values))) * np.finfo(np.float32).eps
    relative_error = np.prod(distribution.event_shape.as_list()) * per_factor
  else:
    fine, coarse = _element_integrals(factor, support)
    log_total = np.sum(np.log(fine), axis=tuple(axes))
    relative_error = np.sum(np.abs(fine - coarse) / fine, axis=tuple(axes))
  probes = distribution.sample(_NUM_PROBES, seed=seed)
  gap = (distribution.log_prob(probes) - tf.reduce_sum(factor.log_prob(probes), axis=axes)).numpy()
  gap = gap.astype(np.float64)
  mean_gap = gap.mean(axis=0)
  spread = np.abs(gap - mean_gap).max(axis=0)
  total = np.exp(log_total + mean_gap)
  return total, total * (relative_error + np.expm1(spread))


def _element_integrals(factor, support):
  """Composite Gauss-Legendre integrals of each scalar factor, at two resolutions."""
  if support == 'unit_interval':
    low = tf.zeros(factor.batch_shape, tf.float64)
    high = tf.ones(factor.batch_shape, tf.float64)
  else:
    center = tf.cast(factor.mean(), tf.float64)
    half_width = _GRID_HALF_WIDTH * tf.cast(factor.stddev(), tf.float64)
    low, high = center - half_width, center + half_width
  results = []
  for panels in (_PANELS, _PANELS // 2):
    nodes, weights = np.polynomial.legendre.leggauss(_NODES_PER_PANEL)
    edges = np.linspace(0.0, 1.0, panels + 1)
    # Nodes and weights on [0, 1], then mapped to [low, high].
    unit_nodes = (edges[:-1, None] + (nodes[None] + 1) / 2 * np.diff(edges)[:, None]).ravel()
    unit_weights = (weights[None] / 2 * np.diff(edges)[:, None]).ravel()
    unit_nodes = unit_nodes.reshape([-1] + [1] * factor.batch_shape.rank)
    points = low.numpy() + unit_nodes * (high - low).numpy()
    log_prob = factor.log_prob(tf.cast(points, factor.dtype)).numpy().astype(np.float64)
    unit_weights = unit_weights.reshape(unit_nodes.shape)
    results.append(np.sum(np.exp(log_prob) * unit_weights, axis=0) * (high - low).numpy())
  return results[0], results[1]


def _factor(distribution):
  """The scalar factor distribution of a `tfd.Independent` product, else None."""
  if not isinstance(distribution, tfd.Independent):
    return None
  inner = distribution.distribution
  if inner.event_shape.rank != 0:
    return None
  if inner.batch_shape != distribution.batch_shape.concatenate(distribution.event_shape):
    return None
  return inner


def _check_support(x, support):
  """A `SupportResult` for data `x` under a likelihood with support `support`."""
  if support == 'binary':
    outside = (x != 0) & (x != 1)
  elif support == 'eight_bit':
    level = x * checks.MAX_LEVEL
    outside = ~((np.abs(level - np.round(level)) <= checks.LEVEL_TOLERANCE) & (x >= 0) & (x <= 1))
  elif support == 'unit_interval':
    outside = ~((x >= 0) & (x <= 1))
  else:
    outside = ~np.isfinite(x)
  num_outside = int(np.sum(outside))
  return SupportResult(support, num_outside, num_outside / max(1, x.size), num_outside == 0)


def _infer_support(distribution):
  dtype = distribution.dtype
  while True:
    if isinstance(distribution, (tfd.Independent, tfd.Sample)):
      distribution = distribution.distribution
    elif isinstance(distribution, tfd.MixtureSameFamily):
      distribution = distribution.components_distribution
    else:
      break
  if isinstance(distribution, tfd.Bernoulli):
    return 'binary'
  if isinstance(distribution, layers_lib.DiscretizedLogisticMixture):
    return 'eight_bit'
  if isinstance(distribution, (tfd.ContinuousBernoulli, tfd.Beta, tfd.Uniform)):
    return 'unit_interval'
  if not tf.as_dtype(dtype).is_floating:
    raise ValueError(
      f'`support` is needed: the distribution ({type(distribution).__name__}) has the discrete '
      f"dtype {tf.as_dtype(dtype).name}; pass `support='binary'` if its events are binary (the "
      'one discrete support checked).'
    )
  return 'real'


def _marginals(distribution, num_samples, seed):
  """One-dimensional marginals with batch shape `batch_shape + [latent_size]`."""
  distribution = distributions.unwrap(distribution)
  if isinstance(distribution, tfd.MultivariateNormalLinearOperator):
    return tfd.Normal(distribution.mean(), distribution.stddev())
  if isinstance(distribution, tfd.MixtureSameFamily):
    components = _marginals(distribution.components_distribution, num_samples, seed)
    if isinstance(components, tfd.Normal):
      # Components [..., K, L] -> [..., L, K], mixed over the last axis.
      logits = distribution.mixture_distribution.logits_parameter()
      return tfd.MixtureSameFamily(
        tfd.Categorical(logits=logits[..., None, :]),
        tfd.Normal(
          tf.linalg.matrix_transpose(components.loc),
          tf.linalg.matrix_transpose(components.scale),
        ),
      )
  samples = distribution.sample(num_samples, seed=seed)
  mean = tf.reduce_mean(samples, axis=0)
  return tfd.Normal(mean, tf.math.reduce_std(samples, axis=0))


def _networks(model, num_examples, condition=None, need_prior=True):
  """`(encode, decode, prior)` of a VAE or a tuple of networks, at conditions `condition`.

  `encode(x, start=0)` gives q(z|x) (q(z|x, c) with the conditions of examples
  `start:` on), `decode(z)` p(x|z) (p(x|z, c)), both unwrapped distributions;
  `prior` is p(z) (p(z|c)), or `None` when not `need_prior`.
  """
  networks = networks_lib.Networks.of(model)
  condition = networks.check_condition(condition, num_examples)
  condition = None if condition is None else tf.constant(condition)

  def encode(x, start=0):
    x = tf.convert_to_tensor(x, tf.float32)
    batch = None if condition is None else condition[start : start + int(x.shape[0])]
    return distributions.unwrap(networks.posterior(x, batch))

  def decode(z):
    return distributions.unwrap(networks.likelihood(z, condition))

  return encode, decode, networks.prior(condition) if need_prior else None


def _sum_exp(log_values, axis):
  peak = np.max(log_values, axis=axis)
  peak = np.where(np.isfinite(peak), peak, 0.0)
  return np.exp(peak) * np.sum(np.exp(log_values - np.expand_dims(peak, axis)), axis=axis)


def _mean_and_standard_error(log_weights):
  n = log_weights.shape[0]
  peak = np.max(log_weights, axis=0)
  weights = np.exp(log_weights - peak)
  mean = weights.mean(axis=0)
  standard_error = weights.std(axis=0, ddof=1) / math.sqrt(n)
  return mean * np.exp(peak), standard_error * np.exp(peak)
