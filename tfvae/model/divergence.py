# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""KL divergence between a posterior and a prior: analytic when registered."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import distributions

tfd = tfp.distributions

__all__ = [
  'apply_free_bits',
  'has_analytic_kl',
  'kl_divergence',
  'kl_divergence_per_dimension',
  'kl_term',
]


def has_analytic_kl(posterior: tfd.Distribution, prior: tfd.Distribution) -> bool:
  """Whether TFP registers a closed-form KL for this pair of distributions.

  Args:
    posterior: a `tfd.Distribution`, q(z|x).
    prior: a `tfd.Distribution`, p(z).

  Returns:
    `True` when `tfd.kl_divergence(posterior, prior)` has a closed form.

  #### Examples

  >>> import tensorflow_probability as tfp
  >>> tfd = tfp.distributions
  >>> has_analytic_kl(tfd.MultivariateNormalDiag([0.], [1.]),
  ...                 tfd.MultivariateNormalDiag([0.], [2.]))
  True
  """
  # TFP's own answer: `tfd.kl_divergence` raises NotImplementedError for a
  # pair with no closed form (including two transformed distributions with
  # different bijectors, such as a flow posterior and a Gaussian prior).
  try:
    tfd.kl_divergence(distributions.unwrap(posterior), distributions.unwrap(prior))
  except NotImplementedError:
    return False
  return True


def kl_divergence(
  posterior: tfd.Distribution,
  prior: tfd.Distribution,
  analytic: bool = True,
  z: tf.Tensor | None = None,
  seed=None,
) -> tf.Tensor:
  """KL(posterior || prior), per example.

  Uses the closed form when `analytic` is true and TFP registers one for the
  pair; otherwise a one-sample Monte Carlo estimate
  `log q(z|x) - log p(z)` at `z` (drawn from the posterior when `z` is None).

  Args:
    posterior: q(z|x), `batch_shape [batch_size]`, `event_shape [latent_size]`.
    prior: p(z), `event_shape [latent_size]`, broadcastable batch shape.
    analytic: Python `bool`: use the closed form where one exists.
      Default value: `True`.
    z: optional `[..., batch_size, latent_size]` samples of the posterior for the
      Monte Carlo estimate; leading sample dimensions are averaged.
      Default value: `None` (draw one).
    seed: seed for drawing `z` when it is not given.
      Default value: `None`.

  Returns:
    kl: `[batch_size]` float tensor, nats per example.

  #### Examples

  >>> import tensorflow_probability as tfp
  >>> tfd = tfp.distributions
  >>> q = tfd.MultivariateNormalDiag([[1., 0.]], [[1., 1.]])
  >>> p = tfd.MultivariateNormalDiag([0., 0.], [1., 1.])
  >>> float(kl_divergence(q, p)[0])
  0.5
  """
  posterior = distributions.unwrap(posterior)
  prior = distributions.unwrap(prior)
  if analytic:
    try:
      return tfd.kl_divergence(posterior, prior)
    except NotImplementedError:
      pass  # No closed form: Monte Carlo.
  if z is None:
    z = posterior.sample(seed=seed)
  kl = posterior.log_prob(z) - prior.log_prob(z)
  extra_dims = len(kl.shape) - len(posterior.batch_shape)
  if extra_dims > 0:
    kl = tf.reduce_mean(kl, axis=list(range(extra_dims)))
  return kl


def kl_divergence_per_dimension(posterior: tfd.Distribution, prior: tfd.Distribution) -> tf.Tensor:
  """Closed-form KL per latent dimension between diagonal Gaussians.

  Args:
    posterior: a `tfd.MultivariateNormalDiag` (or `Independent(Normal)`),
      `batch_shape [batch_size]`, `event_shape [latent_size]`.
    prior: a diagonal Gaussian with `event_shape [latent_size]`.

  Returns:
    `[batch_size, latent_size]` KL of each dimension; sums to the KL.

  Raises:
    TypeError: if either distribution is not a diagonal Gaussian.

  #### Examples

  >>> import tensorflow_probability as tfp
  >>> tfd = tfp.distributions
  >>> q = tfd.MultivariateNormalDiag([[1., 0.]], [[1., 1.]])
  >>> p = tfd.MultivariateNormalDiag([0., 0.], [1., 1.])
  >>> kl_divergence_per_dimension(q, p).numpy().tolist()
  [[0.5, 0.0]]
  """
  loc_q, scale_q = _diagonal_gaussian(posterior, 'posterior')
  loc_p, scale_p = _diagonal_gaussian(prior, 'prior')
  return (
    tf.math.log(scale_p)
    - tf.math.log(scale_q)
    + (tf.square(scale_q) + tf.square(loc_q - loc_p)) / (2.0 * tf.square(scale_p))
    - 0.5
  )


def apply_free_bits(kl_per_dimension: tf.Tensor, free_bits: float) -> tf.Tensor:
  """Free bits (Kingma et al., 2016): a floor on each dimension's batch-mean KL.

  Returns per-example values whose batch mean is
  `sum_i max(free_bits, mean_batch KL_i)`: a dimension whose mean KL is below
  the floor contributes the constant `free_bits` (and no gradient), so the
  optimizer has no reason to push it further towards the prior.

  Args:
    kl_per_dimension: `[batch_size, latent_size]` from
      `kl_divergence_per_dimension`.
    free_bits: the floor, nats per dimension (>= 0).

  Returns:
    `[batch_size]` KL term for the loss.

  #### Examples

  >>> kl = tf.constant([[0.1, 2.0], [0.3, 4.0]])
  >>> apply_free_bits(kl, 0.5).numpy().tolist()  # dim 0 floored at 0.5
  [2.5, 4.5]

  #### References

  [1] Diederik P. Kingma et al. Improved Variational Inference with Inverse
      Autoregressive Flow. In NeurIPS, 2016. https://arxiv.org/abs/1606.04934
  """
  kl_per_dimension = tf.convert_to_tensor(kl_per_dimension)
  free_bits = tf.cast(free_bits, kl_per_dimension.dtype)
  mean = tf.reduce_mean(kl_per_dimension, axis=0, keepdims=True)
  floored = tf.where(
    mean >= free_bits, kl_per_dimension, tf.broadcast_to(free_bits, tf.shape(kl_per_dimension))
  )
  return tf.reduce_sum(floored, axis=-1)


def kl_term(
  posterior: tfd.Distribution,
  prior: tfd.Distribution,
  kl: tf.Tensor,
  free_bits: float = 0.0,
) -> tf.Tensor:
  """The KL term of the loss per example: `kl`, or its free-bits version.

  The one place the objective, the VAE and the KL regularizer turn a KL into
  what they minimize.

  Args:
    posterior: q(z|x), a diagonal Gaussian when `free_bits > 0`.
    prior: p(z), a diagonal Gaussian when `free_bits > 0`.
    kl: `[batch_size]` KL(posterior || prior), as `kl_divergence` gives it.
    free_bits: floor on each latent dimension's batch-mean KL
      (`apply_free_bits`).
      Default value: `0.0` (off: `kl` itself).

  Returns:
    `[batch_size]` tensor of `kl`'s dtype.

  #### Examples

  >>> import tensorflow_probability as tfp
  >>> tfd = tfp.distributions
  >>> q = tfd.MultivariateNormalDiag([[1., 0.]], [[1., 1.]])
  >>> p = tfd.MultivariateNormalDiag([0., 0.], [1., 1.])
  >>> kl_term(q, p, kl_divergence(q, p), free_bits=0.2).numpy().tolist()  # 0.5 + 0.2
  [0.699999988079071]
  """
  if not free_bits:
    return kl
  floored = apply_free_bits(kl_divergence_per_dimension(posterior, prior), free_bits)
  return tf.cast(floored, kl.dtype)


def _diagonal_gaussian(distribution, name):
  distribution = distributions.unwrap(distribution)
  if isinstance(distribution, tfd.MultivariateNormalDiag):
    return distribution.mean(), distribution.stddev()
  if isinstance(distribution, tfd.Independent) and isinstance(
    distribution.distribution, tfd.Normal
  ):
    return distribution.distribution.loc, distribution.distribution.scale
  raise TypeError(
    f'`{name}` must be a diagonal Gaussian for a per-dimension KL (free bits); got '
    f'{type(distribution).__name__}.'
  )
