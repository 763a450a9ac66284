# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""KL divergence between a posterior and a prior: analytic when registered."""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = [
  'has_analytic_kl',
  'kl_divergence',
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
  # `kullback_leibler._registered_kl` is what `tfd.kl_divergence` consults;
  # asking it avoids building (and catching) a failing op.
  kl_lib = tfp.distributions.kullback_leibler
  return kl_lib._registered_kl(type(_unwrap(posterior)), type(_unwrap(prior))) is not None  # pylint: disable=protected-access


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
  posterior = _unwrap(posterior)
  prior = _unwrap(prior)
  if analytic and has_analytic_kl(posterior, prior):
    return tfd.kl_divergence(posterior, prior)
  if z is None:
    z = posterior.sample(seed=seed)
  kl = posterior.log_prob(z) - prior.log_prob(z)
  extra_dims = len(kl.shape) - len(posterior.batch_shape)
  if extra_dims > 0:
    kl = tf.reduce_mean(kl, axis=list(range(extra_dims)))
  return kl


def _unwrap(distribution):
  """The distribution inside TFP's tensor-coercible wrapper, if any."""
  return getattr(distribution, 'tensor_distribution', distribution)
