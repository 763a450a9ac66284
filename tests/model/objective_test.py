# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.objective."""

from unittest import mock

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import special
from scipy import stats

import test_util
from tfvae.model import decoder as decoder_lib
from tfvae.model import objective as objective_lib

tfd = tfp.distributions


class NegativeElboTest(test_util.TestCase):
  def test_matches_numpy_reference(self):
    rng = np.random.default_rng(test_util.fixed_seed())
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


class ImportanceWeightsTest(test_util.TestCase):
  def _setup(self):
    rng = np.random.default_rng(test_util.fixed_seed())
    x = rng.integers(0, 2, size=(3, 4)).astype(np.float32)
    posterior = tfd.MultivariateNormalDiag(
      rng.normal(size=(3, 2)).astype(np.float32), rng.uniform(0.5, 1.5, (3, 2)).astype(np.float32)
    )
    prior = tfd.MultivariateNormalDiag(np.zeros(2, np.float32), np.ones(2, np.float32))
    kernel = rng.normal(size=(2, 4)).astype(np.float32)

    def decode(z):
      return tfd.Independent(tfd.Bernoulli(logits=z @ kernel), 1)

    return x, posterior, prior, kernel, decode

  def test_log_weights_match_scipy(self):
    x, posterior, prior, kernel, decode = self._setup()
    z = posterior.sample(6, seed=(1, 2)).numpy()
    log_weights = objective_lib.log_importance_weights(x, posterior, decode, prior, z).numpy()
    self.assertEqual(log_weights.shape, (6, 3))
    logits = z @ kernel
    log_lik = np.sum(x * special.log_expit(logits) + (1 - x) * special.log_expit(-logits), -1)
    loc, scale = posterior.mean().numpy(), posterior.stddev().numpy()
    log_q = np.sum(stats.norm(loc, scale).logpdf(z), -1)
    log_p = np.sum(stats.norm(0, 1).logpdf(z), -1)
    self.assertAllClose(log_weights, log_lik + log_p - log_q, rtol=1e-4, atol=1e-4)

  def test_iwae_bound_is_elbo_at_one_sample_and_grows(self):
    x, posterior, prior, _, decode = self._setup()
    z = posterior.sample(1000, seed=(3, 4))
    log_weights = objective_lib.log_importance_weights(x, posterior, decode, prior, z)
    self.assertAllClose(objective_lib.iwae_bound(log_weights[:1]), log_weights[0])
    bounds = [
      float(tf.reduce_mean(objective_lib.iwae_bound(log_weights[:k]))) for k in (1, 10, 1000)
    ]
    self.assertLess(bounds[0], bounds[1])
    self.assertLess(bounds[1], bounds[2])
    expected = special.logsumexp(log_weights.numpy(), axis=0) - np.log(1000)
    self.assertAllClose(objective_lib.iwae_bound(log_weights), expected, rtol=1e-5)

  def test_dreg_surrogate_gradients(self):
    # d/dw of sum_k w~_k^2 log w_k with w~ held constant is w~^2, and
    # sum_k w~_k log w_k gives w~: the estimator's weights.
    log_weights = tf.Variable([[0.0, 1.0], [2.0, -1.0], [1.0, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
      encoder_loss, decoder_loss = objective_lib.dreg_surrogates(log_weights)
    normalized = special.softmax(log_weights.numpy(), axis=0)
    self.assertAllClose(tape.gradient(encoder_loss, log_weights), -(normalized**2) / 2, rtol=1e-5)
    self.assertAllClose(tape.gradient(decoder_loss, log_weights), -normalized / 2, rtol=1e-5)

  def test_free_bits_floor(self):
    posterior = tfd.MultivariateNormalDiag([[0.1, 2.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]])
    prior = tfd.MultivariateNormalDiag([0.0, 0.0], [1.0, 1.0])
    likelihood = tfd.Independent(tfd.Bernoulli(logits=[[0.0], [0.0]]), 1)
    x = np.ones([2, 1], np.float32)
    parts = objective_lib.negative_elbo(x, posterior, likelihood, prior, free_bits=0.5)
    # Per-dimension KL = loc^2 / 2: dim 0 mean 0.0025 (< 0.5: floored), dim 1 mean 1.25.
    self.assertAllClose(parts.kl, [0.005 + 2.0, 0.5], rtol=1e-5)
    self.assertAllClose(parts.loss - parts.reconstruction, [0.5 + 2.0, 0.5 + 0.5], rtol=1e-5)
    self.assertAllClose(objective_lib.bits_per_dim(tf.constant([-np.log(2.0) * 4]), 4), [1.0])


class ConditionalLogProbTest(test_util.TestCase):
  @test_util.parameterized.parameters('bernoulli', 'continuous_bernoulli', 'gaussian')
  def test_equals_independent_log_prob_of_tiled_data(self, family):
    rng = np.random.default_rng(test_util.fixed_seed())
    decoder = decoder_lib.make_decoder(2, (4, 3, 1), (8,), likelihood=family)
    num_samples, batch_size = 5, 3
    likelihood = decoder(rng.normal(size=(num_samples * batch_size, 2)).astype(np.float32))
    x = rng.uniform(0.05, 0.95, size=(batch_size, 4, 3, 1)).astype(np.float32)
    if family == 'bernoulli':
      x = np.round(x)
    tiled = np.tile(x[np.newaxis], [num_samples, 1, 1, 1, 1]).reshape(-1, 4, 3, 1)
    expected = likelihood.tensor_distribution.log_prob(tiled).numpy().reshape(5, 3)
    for fn in (objective_lib.conditional_log_prob, objective_lib._fused_conditional_log_prob):
      got = fn(likelihood.tensor_distribution, x, num_samples)
      self.assertEqual(got.shape, (num_samples, batch_size))
      self.assertAllClose(got, expected, rtol=1e-5, atol=1e-5)
    one = decoder(rng.normal(size=(batch_size, 2)).astype(np.float32))
    self.assertAllClose(
      objective_lib.conditional_log_prob(one, x), one.log_prob(x), rtol=1e-5, atol=1e-5
    )

  def test_other_distributions_use_their_own_log_prob(self):
    likelihood = tfd.MultivariateNormalDiag([[0.0, 1.0], [2.0, 0.0]], [[1.0, 2.0], [1.0, 1.0]])
    x = np.array([[0.5, 0.5]], np.float32)
    expected = stats.multivariate_normal([0.0, 1.0], np.diag([1.0, 4.0])).logpdf(x[0])
    got = objective_lib.conditional_log_prob(likelihood, x, num_samples=2)
    self.assertAllClose(got[:, 0], [expected, likelihood[1].log_prob(x[0])], rtol=1e-5)

  def test_follows_broadcasting_batch_ranks_and_dtypes_like_log_prob(self):
    cases = [
      # x of batch 1 against 3 likelihoods.
      (
        tfd.Independent(tfd.Bernoulli(logits=[[0.0, 0.0], [0.0, 5.0], [5.0, 5.0]]), 1),
        [[1.0, 1.0]],
      ),
      # A batch of rank 2, which the flat sum does not handle.
      (tfd.Independent(tfd.Normal(tf.zeros([4, 3, 2]), 1.0), 1), np.zeros([4, 3, 2])),
      # Float64 data for a float32 likelihood.
      (tfd.Independent(tfd.Normal(tf.zeros([3, 2]), 2.0), 1), np.ones([3, 2])),
    ]
    for likelihood, x in cases:
      expected = likelihood.log_prob(x)
      got = objective_lib.conditional_log_prob(likelihood, x)
      self.assertEqual(got.shape, expected.shape)
      self.assertAllClose(got, expected, rtol=1e-6)

  def test_jit_compiled_log_weights_equal_plain_ones(self):
    rng = np.random.default_rng(test_util.fixed_seed())
    decoder = decoder_lib.make_decoder(2, (5,), (8,))
    x = rng.integers(0, 2, size=(4, 5)).astype(np.float32)
    posterior = tfd.MultivariateNormalDiag(rng.normal(size=(4, 2)).astype(np.float32), [1.0, 0.5])
    prior = tfd.MultivariateNormalDiag([0.0, 0.0], [1.0, 1.0])
    z = posterior.sample(7, seed=(5, 6))
    plain, fused = [
      objective_lib.log_importance_weights(x, posterior, decoder, prior, z, jit_compile=jit)
      for jit in (False, True)
    ]
    self.assertEqual(fused.shape, (7, 4))
    self.assertAllClose(fused, plain, rtol=1e-5, atol=1e-5)

  def test_jit_compile_uses_xla_unless_the_likelihood_validates(self):
    prior = tfd.MultivariateNormalDiag([0.0], [1.0])
    posterior = tfd.MultivariateNormalDiag([[0.0]], [[1.0]])
    z = tf.zeros([3, 1, 1])
    for validate_args, calls in ((False, 1), (True, 0)):
      likelihood = tfd.Independent(
        tfd.Bernoulli(logits=tf.zeros([3, 2]), validate_args=validate_args),
        1,
        validate_args=validate_args,
      )
      with mock.patch.object(
        objective_lib,
        '_fused_conditional_log_prob',
        wraps=objective_lib._fused_conditional_log_prob,
      ) as fused:
        log_weights = objective_lib.log_importance_weights(
          [[1.0, 0.0]], posterior, lambda _, d=likelihood: d, prior, z, jit_compile=True
        )
      self.assertEqual(fused.call_count, calls)
      self.assertAllClose(log_weights, np.full([3, 1], 2 * np.log(0.5)), rtol=1e-6)
    # What the kept assertions are for: a grey level is no Bernoulli outcome.
    with self.assertRaises(tf.errors.InvalidArgumentError):
      objective_lib.log_importance_weights(
        [[0.5, 0.0]], posterior, lambda _: likelihood, prior, z, jit_compile=True
      )


if __name__ == '__main__':
  test_util.main()
