# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.anomaly: scores against exact densities, calibrated thresholds, AUROC."""

import warnings

import numpy as np
import tensorflow as tf
from scipy import stats
from sklearn import metrics

import test_util
import tfvae
from tfvae.analysis import anomaly

_DIM, _LATENT = 4, 2


def _linear_gaussian_vae():
  """A VAE whose marginal is exact: x = W^T z + b + noise, p(x) = N(b, W^T W + diag(s^2)).

  Returns the VAE and the closed-form `scipy.stats.multivariate_normal`.
  """
  tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
  encoder = tfvae.make_encoder((_DIM,), _LATENT, ())
  decoder = tfvae.make_decoder(_LATENT, (_DIM,), (), likelihood='gaussian')
  rng = np.random.default_rng(0)
  kernel = rng.normal(size=(_LATENT, _DIM)).astype(np.float32)
  bias = rng.normal(size=_DIM).astype(np.float32)
  decoder.get_layer('logits').set_weights([kernel, bias])
  likelihood_layer = decoder.get_layer('likelihood')
  likelihood_layer.raw_scale.assign(np.full(_DIM, 0.3, np.float32))  # Scale ~0.85.
  scale = likelihood_layer.scale.numpy().astype(np.float64)
  vae = tfvae.VAE(encoder, decoder)
  # The exact posterior's mean and a matching scale make a good proposal.
  covariance = kernel.T.astype(np.float64) @ kernel + np.diag(scale**2)
  precision = np.eye(_LATENT) + kernel @ np.diag(scale**-2) @ kernel.T
  posterior_covariance = np.linalg.inv(precision)
  gain = posterior_covariance @ kernel @ np.diag(scale**-2)  # [latent, dim]
  encoder_kernel = np.concatenate([gain.T, np.zeros((_DIM, _LATENT))], axis=1)
  raw = np.log(np.expm1(np.sqrt(np.diag(posterior_covariance)) - 1e-6))
  encoder_bias = np.concatenate([-gain @ bias, raw])
  encoder.get_layer('params').set_weights(
    [encoder_kernel.astype(np.float32), encoder_bias.astype(np.float32)]
  )
  return vae, stats.multivariate_normal(bias.astype(np.float64), covariance)


class ScoresTest(test_util.TestCase):
  def test_log_likelihood_score_is_minus_the_exact_log_density(self):
    vae, marginal = _linear_gaussian_vae()
    x = marginal.rvs(size=20, random_state=1).astype(np.float32)
    exact = -marginal.logpdf(x)
    estimate = anomaly.scores(vae, x, 'log_likelihood', num_samples=10_000, seed=3)
    self.assertAllClose(estimate, exact, atol=0.02)
    # The ELBO bounds it from above (in score terms), the complexity score
    # needs images, and the reconstruction error is the squared residual.
    elbo = anomaly.scores(vae, x, 'elbo', num_samples=2000, seed=3)
    self.assertTrue(np.all(elbo >= exact - 0.02))
    reconstruction = anomaly.scores(vae, x, 'reconstruction')
    self.assertAllClose(reconstruction, np.sum((x - vae.reconstruct(x)) ** 2, axis=-1), rtol=1e-5)
    with self.assertRaisesRegex(ValueError, 'complexity score needs images'):
      anomaly.scores(vae, x, 'complexity')

  def test_enumerable_bernoulli_model(self):
    # 6 binary pixels, latent 1: p(x) by quadrature over z.
    tfvae.keras.utils.set_random_seed(1)
    encoder = tfvae.make_encoder((2, 3, 1), 1, (8,))
    decoder = tfvae.make_decoder(1, (2, 3, 1), (8,))
    vae = tfvae.VAE(encoder, decoder)
    rng = np.random.default_rng(2)
    x = np.round(rng.uniform(size=(40, 2, 3, 1))).astype(np.float32)
    vae.compile(tfvae.keras.optimizers.Adam(1e-2))
    vae.fit(x, epochs=20, batch_size=20, verbose=0)
    grid = np.linspace(-8, 8, 3201, dtype=np.float32)[:, None]
    likelihood = decoder(grid)
    log_prior = stats.norm.logpdf(grid[:, 0])
    exact = [
      -np.logaddexp.reduce(likelihood.log_prob(np.broadcast_to(image, (len(grid), 2, 3, 1))).numpy()
      + log_prior) - np.log(grid[1, 0] - grid[0, 0])
      for image in x[:8]
    ]  # fmt: skip
    self.assertAllClose(anomaly.scores(vae, x[:8], num_samples=5000), exact, atol=0.02)
    complexity = anomaly.scores(vae, x[:8], 'complexity', num_samples=5000)
    lengths = anomaly.png_code_length(x[:8]).numpy()
    self.assertAllClose(complexity, np.asarray(exact) - lengths, atol=0.02)

  def test_same_seed_same_scores_and_datasets_of_any_size(self):
    vae, marginal = _linear_gaussian_vae()
    x = marginal.rvs(size=30, random_state=1).astype(np.float32)
    first = anomaly.scores(vae, x, num_samples=50, seed=5, batch_size=7)
    self.assertAllEqual(first, anomaly.scores(vae, x, num_samples=50, seed=5, batch_size=7))
    self.assertNotAllClose(first, anomaly.scores(vae, x, num_samples=50, seed=6, batch_size=7))
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(7)
    self.assertAllEqual(anomaly.scores(vae, dataset, num_samples=50, seed=5), first)

  def test_conditional_scores_use_the_condition(self):
    tfvae.keras.utils.set_random_seed(2)
    encoder = tfvae.make_encoder((2, 3, 1), 2, (8,), condition_size=2)
    decoder = tfvae.make_decoder(2, (2, 3, 1), (8,), condition_size=2)
    vae = tfvae.VAE(encoder, decoder)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    x = np.stack([np.full((2, 3, 1), float(label)) for label in labels]).astype(np.float32)
    vae.compile(tfvae.keras.optimizers.Adam(2e-2))
    vae.fit(x, labels, epochs=30, batch_size=20, verbose=0)
    right = anomaly.scores(vae, x[:10], condition=labels[:10], num_samples=200)
    wrong = anomaly.scores(vae, x[:10], condition=1 - labels[:10], num_samples=200)
    self.assertGreater(wrong.mean(), right.mean() + 2.0)  # An image of the other class is unusual.
    seed = tf.random.experimental.stateless_fold_in(tf.constant([0, 0], tf.int32), 0)
    expected = -vae.log_likelihood(x[:10], labels[:10], num_samples=200, seed=seed).numpy()
    self.assertAllClose(right, expected, rtol=1e-4)

  def test_bad_arguments(self):
    vae, _ = _linear_gaussian_vae()
    x = np.zeros([3, _DIM], np.float32)
    with self.assertRaisesRegex(ValueError, 'score'):
      anomaly.scores(vae, x, 'surprise')
    with self.assertRaisesRegex(ValueError, 'num_samples'):
      anomaly.scores(vae, x, num_samples=0)
    with self.assertRaisesRegex(ValueError, 'unconditional'):
      anomaly.scores(vae, x, condition=[0, 1, 0])


class CalibrationTest(test_util.TestCase):
  def test_threshold_flags_the_requested_share_of_fresh_normal_data(self):
    vae, marginal = _linear_gaussian_vae()
    calibration = marginal.rvs(size=2000, random_state=10).astype(np.float32)
    held_out = marginal.rvs(size=2000, random_state=11).astype(np.float32)
    threshold = anomaly.fit_threshold(vae, calibration, 0.05, num_samples=100, seed=1)
    self.assertEqual((threshold.score, threshold.num_samples), ('log_likelihood', 100))
    self.assertEqual(threshold.num_examples, 2000)
    rate = anomaly.flag(anomaly.scores(vae, held_out, num_samples=100, seed=2), threshold).mean()
    # Binomial error of the held-out share, sqrt(0.05 * 0.95 / 2000) = 0.0049, and about the
    # same again from the calibration sample: 3 combined standard errors = 0.021.
    self.assertAllClose(rate, 0.05, atol=3 * np.sqrt(2) * np.sqrt(0.05 * 0.95 / 2000))
    # A threshold from the exact density flags the same share.
    exact = np.quantile(-marginal.logpdf(calibration), 0.95)
    self.assertAllClose(threshold.value, exact, rtol=0.02)

  def test_exactly_k_calibration_scores_exceed_the_threshold(self):
    scores = np.random.default_rng(0).normal(size=1000)
    for rate in (0.001, 0.01, 0.05, 0.5):
      threshold = anomaly.calibrate(scores, rate)
      self.assertEqual(anomaly.flag(scores, threshold).sum(), int(np.floor(rate * 1000)))
      self.assertEqual(anomaly.flag(scores, threshold.value).sum(), int(np.floor(rate * 1000)))

  def test_a_rate_the_calibration_set_cannot_resolve_warns(self):
    scores = np.arange(9.0)  # 9 examples resolve rates down to 1/10.
    with self.assertWarnsRegex(
      UserWarning,
      r'`false_positive_rate`=0.05 is below .* 9 .* smallest reachable rate; pass a '
      r'rate >= 0.1 or calibrate on at least 19 examples',
    ):
      threshold = anomaly.calibrate(scores, 0.05)
    self.assertEqual(threshold.value, 8.0)
    with warnings.catch_warnings():
      warnings.simplefilter('error')
      anomaly.calibrate(scores, 0.1)

  def test_bad_calibration(self):
    with self.assertRaisesRegex(ValueError, 'false_positive_rate'):
      anomaly.calibrate([1.0, 2.0], 1.0)
    with self.assertRaisesRegex(ValueError, 'finite'):
      anomaly.calibrate([1.0, np.nan], 0.1)
    with self.assertRaisesRegex(ValueError, 'non-empty'):
      anomaly.calibrate([], 0.1)


class CombineTest(test_util.TestCase):
  def test_sums_the_parts_standardized_on_normal_data(self):
    rng = np.random.default_rng(0)
    normal = {'complexity': rng.normal(-50.0, 8.0, 300), 'reconstruction': rng.gamma(2.0, 5.0, 300)}
    new = {'complexity': rng.normal(-40.0, 8.0, 20), 'reconstruction': rng.gamma(3.0, 5.0, 20)}
    expected = sum(
      (new[s] - normal[s].mean()) / normal[s].std(ddof=0) for s in ('complexity', 'reconstruction')
    )
    self.assertAllClose(anomaly.combine(new, normal), expected, atol=1e-12, rtol=0)
    # Normal data standardized on themselves: each part has mean 0 and variance 1.
    self.assertAllClose(anomaly.combine(normal, normal).mean(), 0.0, atol=1e-12)
    self.assertAllClose(anomaly.combine(normal, normal, parts=('complexity',)).std(), 1.0)
    # Invariant to each part's units: rescaling a part changes nothing.
    scaled = {s: v * (1000.0 if s == 'reconstruction' else 1.0) for s, v in new.items()}
    scaled_normal = {s: v * (1000.0 if s == 'reconstruction' else 1.0) for s, v in normal.items()}
    self.assertAllClose(anomaly.combine(scaled, scaled_normal), expected, rtol=1e-9)
    # And it is thresholded like any score.
    threshold = anomaly.calibrate(anomaly.combine(normal, normal), 0.05, anomaly.COMBINED)
    self.assertEqual(threshold.score, 'combined')
    self.assertEqual(anomaly.flag(anomaly.combine(normal, normal), threshold).sum(), 15)

  def test_bad_arguments(self):
    normal = {'complexity': np.arange(5.0), 'reconstruction': np.arange(5.0)}
    with self.assertRaisesRegex(ValueError, r"`scores_` lacks the 'reconstruction' score"):
      anomaly.combine({'complexity': [1.0]}, normal)
    with self.assertRaisesRegex(ValueError, r"`normal_scores`\['complexity'\] are all equal"):
      anomaly.combine(normal, {**normal, 'complexity': np.ones(5)})
    with self.assertRaisesRegex(ValueError, 'at least two finite'):
      anomaly.combine(normal, {**normal, 'complexity': [1.0, np.nan]})
    with self.assertRaisesRegex(ValueError, '`parts`'):
      anomaly.combine(normal, normal, parts=('combined',))


class AurocTest(test_util.TestCase):
  def test_equals_sklearn_with_and_without_ties(self):
    rng = np.random.default_rng(0)
    for rounding in (None, 1, 0):
      normal = rng.normal(size=500)
      anomalous = rng.normal(0.7, 1.3, size=300)
      if rounding is not None:
        normal, anomalous = normal.round(rounding), anomalous.round(rounding)
      labels = np.concatenate([np.zeros(500), np.ones(300)])
      expected = metrics.roc_auc_score(labels, np.concatenate([normal, anomalous]))
      self.assertAllClose(anomaly.auroc(normal, anomalous), expected, atol=1e-9, rtol=0)

  def test_extremes(self):
    self.assertEqual(anomaly.auroc([0, 1], [2, 3]), 1.0)
    self.assertEqual(anomaly.auroc([2, 3], [0, 1]), 0.0)
    self.assertEqual(anomaly.auroc([1, 1], [1, 1]), 0.5)
    with self.assertRaisesRegex(ValueError, 'anomalous_scores'):
      anomaly.auroc([1.0], [])


class PngCodeLengthTest(test_util.TestCase):
  def test_is_the_length_of_the_png_in_nats(self):
    x = np.random.default_rng(0).uniform(size=(3, 5, 7, 1)).astype(np.float32)
    expected = [
      len(tf.io.encode_png(np.round(image * 255).astype(np.uint8)).numpy()) for image in x
    ]
    self.assertAllClose(anomaly.png_code_length(x), np.multiply(expected, 8 * np.log(2)))


if __name__ == '__main__':
  test_util.main()
