# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The VAE objective: pure functions on distributions.

ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)
"""

from typing import NamedTuple

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae import divergence as divergence_lib

tfd = tfp.distributions

__all__ = [
  'Objective',
  'negative_elbo',
]


class Objective(NamedTuple):
  """Parts of the objective, each `[batch_size]`, nats per example.

  Attributes:
    loss: `reconstruction + kl_weight * kl`; the negative ELBO when
      `kl_weight == 1`.
    reconstruction: `-log p(x|z)` at a posterior sample z, an unbiased
      estimate of `-E_q log p(x|z)`.
    kl: `KL(q(z|x) || p(z))`, unweighted.
  """

  loss: tf.Tensor
  reconstruction: tf.Tensor
  kl: tf.Tensor


def negative_elbo(
  x: tf.Tensor,
  posterior: tfd.Distribution,
  likelihood: tfd.Distribution,
  prior: tfd.Distribution,
  kl_weight=1.0,
  analytic_kl: bool = True,
  z: tf.Tensor | None = None,
) -> Objective:
  """The (weighted) negative ELBO per example and its parts.

  Any families work: the objective only calls `likelihood.log_prob(x)` and
  `KL(posterior || prior)` (closed form where TFP registers one, a Monte
  Carlo estimate at `z` otherwise).

  Args:
    x: data `[batch_size, *event_shape]`.
    posterior: q(z|x), `batch_shape [batch_size]`, `event_shape [latent_size]`.
    likelihood: p(x|z) at `z`, `batch_shape [batch_size]`,
      `event_shape event_shape`.
    prior: p(z), `event_shape [latent_size]`.
    kl_weight: scalar weight of the KL term in `loss`.
      Default value: `1.0`.
    analytic_kl: use the closed-form KL where one exists.
      Default value: `True`.
    z: the posterior sample `likelihood` was computed at; used for the Monte
      Carlo KL.
      Default value: `None` (a fresh draw if one is needed).

  Returns:
    An `Objective` of `[batch_size]` tensors.

  #### Examples

  >>> import tensorflow_probability as tfp
  >>> tfd = tfp.distributions
  >>> posterior = tfd.MultivariateNormalDiag([[0., 0.]], [[1., 1.]])
  >>> prior = tfd.MultivariateNormalDiag([0., 0.], [1., 1.])
  >>> likelihood = tfd.Independent(tfd.Bernoulli(logits=[[0., 0.]]), 1)
  >>> parts = negative_elbo(tf.constant([[1., 0.]]), posterior, likelihood, prior)
  >>> round(float(parts.loss[0]), 4)  # 2 log 2 + 0
  1.3863
  """
  reconstruction = -likelihood.log_prob(x)
  kl = divergence_lib.kl_divergence(posterior, prior, analytic=analytic_kl, z=z)
  kl = tf.cast(kl, reconstruction.dtype)
  loss = reconstruction + tf.cast(kl_weight, reconstruction.dtype) * kl
  return Objective(loss=loss, reconstruction=reconstruction, kl=kl)
