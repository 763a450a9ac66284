# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.divergence."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
from tfvae.model import divergence as divergence_lib

tfd = tfp.distributions


def _gaussian_kl(loc_q, scale_q, loc_p, scale_p):
  """Closed form KL between diagonal Gaussians, summed over the last axis."""
  return np.sum(
    np.log(scale_p / scale_q) + (scale_q**2 + (loc_q - loc_p) ** 2) / (2 * scale_p**2) - 0.5,
    axis=-1,
  )


class KLDivergenceTest(test_util.TestCase):
  def _posterior(self):
    rng = np.random.default_rng(test_util.fixed_seed())
    loc = rng.normal(size=(3, 5)).astype(np.float32)
    scale = rng.uniform(0.3, 2.0, size=(3, 5)).astype(np.float32)
    return loc, scale, tfd.MultivariateNormalDiag(loc, scale)

  def test_analytic_matches_closed_form(self):
    loc, scale, posterior = self._posterior()
    prior = tfd.MultivariateNormalDiag(np.full(5, 0.5, np.float32), np.full(5, 1.5, np.float32))
    kl = divergence_lib.kl_divergence(posterior, prior)
    self.assertAllClose(kl, _gaussian_kl(loc, scale, 0.5, 1.5), rtol=1e-5)
    self.assertEqual(kl.shape, [3])

  def test_monte_carlo_when_no_closed_form(self):
    loc, scale, posterior = self._posterior()
    prior = tfd.Independent(tfd.Normal(tf.zeros(5), tf.ones(5)), 1)  # no registered KL
    self.assertFalse(divergence_lib.has_analytic_kl(posterior, prior))
    z = posterior.sample(10_000, seed=(1, 2))
    kl = divergence_lib.kl_divergence(posterior, prior, z=z)
    self.assertAllClose(kl, _gaussian_kl(loc, scale, 0.0, 1.0), atol=0.15)

  def test_analytic_false_uses_the_given_sample(self):
    _, _, posterior = self._posterior()
    prior = tfd.MultivariateNormalDiag(tf.zeros(5), tf.ones(5))
    z = posterior.sample(seed=(3, 4))
    kl = divergence_lib.kl_divergence(posterior, prior, analytic=False, z=z)
    self.assertAllClose(kl, posterior.log_prob(z) - prior.log_prob(z))


if __name__ == '__main__':
  test_util.main()
