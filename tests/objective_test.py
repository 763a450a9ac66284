# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.objective."""

import numpy as np
import tensorflow_probability as tfp
from scipy import special
from scipy import stats

import test_util
from tfvae import objective as objective_lib

tfd = tfp.distributions


class NegativeElboTest(test_util.TestCase):
  def test_matches_numpy_reference(self):
    rng = np.random.default_rng(test_util.test_seed())
    x = rng.integers(0, 2, size=(3, 4)).astype(np.float32)
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    loc = rng.normal(size=(3, 5)).astype(np.float32)
    scale = rng.uniform(0.5, 1.5, size=(3, 5)).astype(np.float32)
    posterior = tfd.MultivariateNormalDiag(loc, scale)
    prior = tfd.MultivariateNormalDiag(np.zeros(5, np.float32), np.ones(5, np.float32))
    likelihood = tfd.Independent(tfd.Bernoulli(logits=logits), 1)
    parts = objective_lib.negative_elbo(x, posterior, likelihood, prior, kl_weight=0.3)

    reconstruction = -np.sum(
      x * special.log_expit(logits) + (1 - x) * special.log_expit(-logits), -1
    )
    kl = np.sum(-np.log(scale) + (scale**2 + loc**2) / 2 - 0.5, -1)
    self.assertAllClose(parts.reconstruction, reconstruction, rtol=1e-5)
    self.assertAllClose(parts.kl, kl, rtol=1e-5)
    self.assertAllClose(parts.loss, reconstruction + 0.3 * kl, rtol=1e-5)

  def test_monte_carlo_kl_at_given_sample(self):
    posterior = tfd.MultivariateNormalDiag([[0.5, 0.0]], [[0.5, 2.0]])
    prior = tfd.MultivariateNormalDiag([0.0, 0.0], [1.0, 1.0])
    likelihood = tfd.Independent(tfd.Bernoulli(logits=[[0.0]]), 1)
    z = np.array([[0.3, -1.0]], np.float32)
    parts = objective_lib.negative_elbo(
      np.ones([1, 1], np.float32), posterior, likelihood, prior, analytic_kl=False, z=z
    )
    log_q = stats.multivariate_normal([0.5, 0.0], np.diag([0.25, 4.0])).logpdf(z[0])
    log_p = stats.multivariate_normal([0.0, 0.0], np.eye(2)).logpdf(z[0])
    self.assertAllClose(parts.kl, [log_q - log_p], rtol=1e-5)


if __name__ == '__main__':
  test_util.main()
