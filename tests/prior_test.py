# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.prior."""

import numpy as np
import tensorflow_probability as tfp
from scipy import stats

import test_util
from tfvae import prior as prior_lib

tfd = tfp.distributions


class PriorTest(test_util.TestCase):
  def test_standard_normal_log_prob_matches_scipy(self):
    prior = prior_lib.make_standard_normal(3)
    z = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    expected = stats.multivariate_normal(np.zeros(3), np.eye(3)).logpdf(z)
    self.assertAllClose(prior.log_prob(z), expected, rtol=1e-5)
    self.assertEqual(prior.event_shape, [3])
    self.assertEqual(prior.batch_shape, [])

  def test_serialize_round_trip(self):
    prior = tfd.MultivariateNormalDiag([0.5, -1.0], [2.0, 0.25])
    clone = prior_lib.deserialize(prior_lib.serialize(prior))
    self.assertAllClose(clone.mean(), prior.mean())
    self.assertAllClose(clone.stddev(), prior.stddev())

  def test_serialize_rejects_other_families(self):
    with self.assertRaisesRegex(TypeError, 'prior'):
      prior_lib.serialize(tfd.Independent(tfd.Normal([0.0], [1.0]), 1))

  def test_deserialize_rejects_garbage(self):
    with self.assertRaisesRegex(ValueError, 'config'):
      prior_lib.deserialize({'class_name': 'Normal'})

  @test_util.parameterized.parameters(0, -1, 1.5, None)
  def test_bad_latent_size(self, latent_size):
    with self.assertRaisesRegex(ValueError, 'latent_size'):
      prior_lib.make_standard_normal(latent_size)


if __name__ == '__main__':
  test_util.main()
