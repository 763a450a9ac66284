# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.layers: distribution layers and the KL regularizer."""

import os

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate
from scipy import special
from scipy import stats

import test_util
import tfvae
from tfvae.internal import keras
from tfvae.model import layers as layers_lib
from tfvae.model import prior as prior_lib

tfd = tfp.distributions
tfpl = tfp.layers


def _encoder(regularizer, latent_size=test_util.LATENT_SIZE, convert_to_tensor_fn='sample'):
  inputs = keras.layers.Input(shape=(4,))
  params = keras.layers.Dense(2 * latent_size)(inputs)
  posterior = layers_lib.MultivariateNormalDiag(
    latent_size, convert_to_tensor_fn, activity_regularizer=regularizer
  )(params)
  return keras.Model(inputs, posterior)


class MultivariateNormalDiagTest(test_util.TestCase):
  def test_shapes_and_parameters(self):
    params = np.random.default_rng(0).normal(size=(3, 10)).astype(np.float32)
    posterior = layers_lib.MultivariateNormalDiag(5)(params)
    self.assertIsInstance(posterior, tfd.Distribution)
    inner = posterior.tensor_distribution
    self.assertIsInstance(inner, tfd.MultivariateNormalDiag)
    self.assertEqual(inner.batch_shape, [3])
    self.assertEqual(inner.event_shape, [5])
    self.assertAllClose(inner.mean(), params[:, :5])
    expected_scale = 1e-6 + np.log1p(np.exp(params[:, 5:]))
    self.assertAllClose(inner.stddev(), expected_scale, rtol=1e-5)

  def test_zero_params_give_softplus_zero_scale(self):
    inner = layers_lib.MultivariateNormalDiag(4)(tf.zeros([2, 8])).tensor_distribution
    self.assertAllClose(inner.stddev(), np.full([2, 4], np.log(2.0)), atol=1e-5)

  def test_convert_to_tensor_fn_mean_is_deterministic(self):
    params = tf.constant([[1.0, -2.0, 0.0, 0.0]])
    posterior = layers_lib.MultivariateNormalDiag(2, 'mean')(params)
    self.assertAllClose(tf.convert_to_tensor(posterior), [[1.0, -2.0]])

  def test_get_config_round_trip(self):
    layer = layers_lib.MultivariateNormalDiag(3, 'mode', name='q')
    clone = layers_lib.MultivariateNormalDiag.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())
    self.assertNotIn('function', layer.get_config())
    self.assertNotIn('make_distribution_fn', layer.get_config())

  @test_util.parameterized.parameters(0, -2, 2.5, True)
  def test_bad_event_size(self, event_size):
    with self.assertRaisesRegex(ValueError, 'event_size'):
      layers_lib.MultivariateNormalDiag(event_size)

  def test_bad_convert_to_tensor_fn(self):
    with self.assertRaisesRegex(ValueError, 'convert_to_tensor_fn'):
      layers_lib.MultivariateNormalDiag(2, 'median')


class IndependentBernoulliTest(test_util.TestCase):
  def test_is_tfp_layer_with_event_shape(self):
    layer = layers_lib.IndependentBernoulli([4, 6, 1])
    self.assertIsInstance(layer, tfpl.IndependentBernoulli)
    likelihood = layer(tf.zeros([3, 24]))
    inner = likelihood.tensor_distribution
    self.assertIsInstance(inner, tfd.Independent)
    self.assertIsInstance(inner.distribution, tfd.Bernoulli)
    self.assertEqual(inner.event_shape, [4, 6, 1])
    self.assertEqual(inner.batch_shape, [3])
    x = np.ones([3, 4, 6, 1], np.float32)
    self.assertAllClose(likelihood.log_prob(x), np.full(3, 24 * np.log(0.5)), rtol=1e-6)

  def test_log_prob_and_gradient_at_extreme_logits(self):
    logits = np.array([-100.0, -20.0, -1.5, -1e-3, 0.0, 1e-3, 3.0, 20.0, 100.0], np.float32)
    logits = np.stack([logits, logits])
    x = np.stack([np.zeros(9), np.ones(9)]).astype(np.float32)
    expected = x * special.log_expit(logits.astype(np.float64)) + (1 - x) * special.log_expit(
      -logits.astype(np.float64)
    )

    def log_prob_and_gradient(logits):
      with tf.GradientTape() as tape:
        tape.watch(logits)
        log_prob = layers_lib.IndependentBernoulli.new(logits, [9]).distribution.log_prob(x)
      return log_prob, tape.gradient(log_prob, logits)

    for fn in (log_prob_and_gradient, tf.function(log_prob_and_gradient, jit_compile=True)):
      log_prob, gradient = fn(tf.constant(logits))
      self.assertAllClose(log_prob, expected, rtol=1e-6, atol=1e-7)
      self.assertAllClose(gradient, x - special.expit(logits), rtol=1e-6, atol=1e-7)

  def test_get_config_returns_a_copy(self):
    layer = layers_lib.IndependentBernoulli((2, 3), 'mean')
    layer.get_config()['event_shape'].append(7)
    self.assertEqual(layer.get_config()['event_shape'], [2, 3])
    self.assertNotIn('_arguments', dict(layer._trackable_children()))

  def test_get_config_round_trip(self):
    layer = layers_lib.IndependentBernoulli((2, 3), 'mean')
    clone = layers_lib.IndependentBernoulli.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())

  def test_bad_event_shape(self):
    with self.assertRaisesRegex(ValueError, 'event_shape'):
      layers_lib.IndependentBernoulli([4, 0])


class KLDivergenceRegularizerTest(test_util.TestCase):
  def _expected_kl(self, model, x, prior):
    posterior = model(x).tensor_distribution
    return float(tf.reduce_mean(tfd.kl_divergence(posterior, prior)))

  def test_kl_counted_once_as_batch_mean(self):
    prior = prior_lib.make_standard_normal(test_util.LATENT_SIZE)
    model = _encoder(tfvae.KLDivergenceRegularizer(prior))
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    expected = self._expected_kl(model, x, prior)
    model(x)
    nonzero = [float(loss) for loss in model.losses if float(loss) != 0.0]
    self.assertLen(nonzero, 1)
    self.assertAllClose(nonzero[0], expected, rtol=1e-5)
    self.assertAllClose(float(tf.add_n(model.losses)), expected, rtol=1e-5)

  def test_tfp_regularizer_counts_twice_for_reference(self):
    # The motivation for tfvae's regularizer: TFP's stock one, on the same
    # layer, adds the KL for both outputs of the distribution layer.
    prior = prior_lib.make_standard_normal(test_util.LATENT_SIZE)
    model = _encoder(tfpl.KLDivergenceRegularizer(prior, use_exact_kl=True))
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    expected = self._expected_kl(model, x, prior)
    model(x)
    self.assertAllClose(float(tf.add_n(model.losses)), 2 * expected, rtol=1e-5)

  def test_weight_variable_scales_the_loss(self):
    prior = prior_lib.make_standard_normal(test_util.LATENT_SIZE)
    regularizer = tfvae.KLDivergenceRegularizer(prior, kl_weight=1.0)
    model = _encoder(regularizer)
    x = np.random.default_rng(2).normal(size=(3, 4)).astype(np.float32)
    expected = self._expected_kl(model, x, prior)
    regularizer.kl_weight.assign(0.25)
    model(x)
    self.assertAllClose(float(tf.add_n(model.losses)), 0.25 * expected, rtol=1e-5)
    self.assertIn(regularizer.kl_weight, model.non_trainable_weights)

  def test_monte_carlo_when_prior_has_no_closed_form(self):
    prior = tfd.Independent(tfd.Normal(tf.zeros(2), tf.ones(2)), 1)
    regularizer = tfvae.KLDivergenceRegularizer(prior)
    posterior = tfd.MultivariateNormalDiag(tf.fill([10_000, 2], 1.0), tf.fill([10_000, 2], 0.5))
    # The regularizer returns the batch sum: divide by the batch for the mean.
    mean_kl = float(regularizer(posterior)) / 10_000
    exact = 2 * (np.log(2.0) + (0.25 + 1.0) / 2 - 0.5)
    self.assertAllClose(mean_kl, exact, atol=0.03)

  def test_get_config_round_trip(self):
    regularizer = tfvae.KLDivergenceRegularizer(prior_lib.make_standard_normal(3), 0.5)
    clone = tfvae.KLDivergenceRegularizer.from_config(regularizer.get_config())
    self.assertEqual(clone.get_config(), regularizer.get_config())
    self.assertEqual(clone.get_config()['kl_weight'], 0.5)

  def test_survives_saved_model_export(self):
    regularizer = tfvae.KLDivergenceRegularizer(prior_lib.make_standard_normal(5))
    model = _encoder(regularizer, convert_to_tensor_fn='mean')
    regularizer.kl_weight.assign(0.25)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    expected = tf.convert_to_tensor(model(x))
    path = self.create_tempdir().full_path
    tf.saved_model.save(model, path)
    loaded = tf.saved_model.load(path)
    (served,) = loaded.signatures['serving_default'](tf.constant(x)).values()
    self.assertAllClose(served, expected, rtol=1e-6)
    self.assertAllClose(loaded(tf.constant(x)), expected, rtol=1e-6)
    weights = {v.name: v.numpy() for v in loaded.variables}
    self.assertEqual(weights['kl_weight:0'], 0.25)

  @test_util.parameterized.parameters(-1.0, float('nan'), float('inf'))
  def test_bad_kl_weight(self, kl_weight):
    with self.assertRaisesRegex(ValueError, 'kl_weight'):
      tfvae.KLDivergenceRegularizer(prior_lib.make_standard_normal(2), kl_weight)

  def test_bad_prior(self):
    with self.assertRaisesRegex(TypeError, 'prior'):
      tfvae.KLDivergenceRegularizer('normal')

  def test_find_kl_regularizer(self):
    regularizer = tfvae.KLDivergenceRegularizer(prior_lib.make_standard_normal(5))
    self.assertIs(layers_lib.find_kl_regularizer(_encoder(regularizer)), regularizer)
    self.assertIsNone(layers_lib.find_kl_regularizer(_encoder(None)))


class IndependentContinuousBernoulliTest(test_util.TestCase):
  def test_log_prob_and_mean_match_closed_form(self):
    logits = np.array([[-3.0, -0.2, 0.0, 1e-3, 0.7, 4.0]], np.float32)
    x = np.array([[0.1, 0.9, 0.3, 0.5, 0.0, 1.0]], np.float32)
    likelihood = layers_lib.IndependentContinuousBernoulli([2, 3])(logits)
    inner = likelihood.tensor_distribution
    self.assertIsInstance(inner.distribution, tfd.ContinuousBernoulli)
    self.assertEqual(inner.event_shape, [2, 3])
    lam = 1 / (1 + np.exp(-logits.astype(np.float64)))
    # C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam), and 2 at lam = 1/2.
    with np.errstate(divide='ignore', invalid='ignore'):
      log_norm = np.where(
        np.abs(lam - 0.5) < 1e-3,
        np.log(2.0),
        np.log(2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam)),
      )
      mean = np.where(
        np.abs(lam - 0.5) < 1e-3,
        0.5,
        lam / (2 * lam - 1) + 1 / (2 * np.arctanh(1 - 2 * lam)),
      )
    expected = np.sum(log_norm + x * np.log(lam) + (1 - x) * np.log1p(-lam))
    self.assertAllClose(likelihood.log_prob(x.reshape(1, 2, 3)), [expected], rtol=1e-4)
    self.assertAllClose(likelihood.mean(), mean.reshape(1, 2, 3), atol=1e-4)

  def test_each_pixel_integrates_to_one(self):
    likelihood = layers_lib.IndependentContinuousBernoulli([5])(
      tf.constant([[-20.0, -2.0, 0.0, 0.3, 9.0]])
    )
    factors = likelihood.tensor_distribution.distribution
    density = lambda x, i: float(tf.exp(factors.log_prob(x)[0, i]))  # noqa: E731
    for i in range(5):
      total, _ = integrate.quad(density, 0.0, 1.0, args=(i,))
      self.assertAllClose(total, 1.0, atol=1e-5)

  def test_get_config_round_trip(self):
    layer = layers_lib.IndependentContinuousBernoulli((2, 3), 'mean', name='p')
    clone = layers_lib.IndependentContinuousBernoulli.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())
    self.assertNotIn('make_distribution_fn', layer.get_config())
    self.assertEqual(layer.family, 'continuous_bernoulli')

  def test_bad_event_shape(self):
    with self.assertRaisesRegex(ValueError, 'event_shape'):
      layers_lib.IndependentContinuousBernoulli([3, -1])


class IndependentNormalTest(test_util.TestCase):
  def test_log_prob_matches_scipy_with_learned_scale(self):
    layer = layers_lib.IndependentNormal([2, 3], initial_scale=0.5)
    loc = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    likelihood = layer(loc)
    self.assertLen(layer.trainable_weights, 1)
    self.assertEqual(layer.trainable_weights[0].shape, [2, 3])
    x = np.random.default_rng(1).normal(size=(4, 2, 3)).astype(np.float32)
    expected = stats.norm(loc.reshape(4, 2, 3), 0.5).logpdf(x).sum(axis=(1, 2))
    self.assertAllClose(likelihood.log_prob(x), expected, rtol=1e-5)
    self.assertAllClose(likelihood.mean(), loc.reshape(4, 2, 3))

  def test_scale_is_bounded_below_and_trains(self):
    layer = layers_lib.IndependentNormal([3], min_scale=0.01)
    layer(tf.zeros([1, 3]))
    layer.raw_scale.assign([-1e4, 0.0, 3.0])
    self.assertAllClose(layer.scale, [0.01, 0.01 + np.log(2.0), 0.01 + np.log1p(np.exp(3.0))])
    with tf.GradientTape() as tape:
      loss = -layer(tf.zeros([2, 3])).log_prob(tf.ones([2, 3]))
    gradient = tape.gradient(loss, layer.raw_scale)
    self.assertAllClose(gradient[0], 0.0)  # Saturated at the bound.
    self.assertNotAllClose(gradient[1:], [0.0, 0.0])

  def test_get_config_round_trip_and_saved_weights(self):
    inputs = keras.layers.Input(shape=(2,))
    layer = layers_lib.IndependentNormal([4], min_scale=0.05, initial_scale=0.2)
    model = keras.Model(inputs, layer(keras.layers.Dense(4)(inputs)))
    layer.raw_scale.assign([0.1, 0.2, 0.3, 0.4])
    path = os.path.join(self.create_tempdir().full_path, 'model.keras')
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    self.assertAllClose(loaded.layers[-1].scale, layer.scale)
    self.assertEqual(loaded.layers[-1].get_config(), layer.get_config())
    self.assertEqual(layer.family, 'gaussian')

  @test_util.parameterized.parameters(
    dict(min_scale=0.0), dict(min_scale=-1.0), dict(initial_scale=1e-4), dict(min_scale=np.inf)
  )
  def test_bad_scales(self, **kwargs):
    with self.assertRaisesRegex(ValueError, 'scale'):
      layers_lib.IndependentNormal([3], **kwargs)


# One pixel per column: locations inside and outside [0, 1], sharp and broad scales.
_LOC = np.array([[-0.3], [0.0], [0.02], [0.5], [0.97], [1.4], [0.31], [0.6]], np.float32)
_SCALE = np.array([[0.05], [0.01], [0.002], [0.3], [0.01], [0.2], [1e-4], [2.0]], np.float32)


class DiscretizedLogisticMixtureTest(test_util.TestCase):
  def _pixels(self, num_components):
    """`(distribution, (loc, scale, logits))` of 8 pixels with `num_components` each."""
    if num_components == 1:
      return layers_lib.DiscretizedLogisticMixture(_LOC, _SCALE), (_LOC, _SCALE, None)
    rng = np.random.default_rng(num_components)
    loc = (_LOC + rng.normal(0.0, 0.2, size=(8, num_components))).astype(np.float32)
    scale = (_SCALE * rng.uniform(0.5, 2.0, size=(8, num_components))).astype(np.float32)
    logits = rng.normal(size=(8, num_components)).astype(np.float32)
    return layers_lib.DiscretizedLogisticMixture(loc, scale, logits), (loc, scale, logits)

  @test_util.parameterized.named_parameters(('logistic', 1), ('mixture', 3))
  def test_levels_sum_to_one_and_edge_bins_hold_the_tails(self, num_components):
    pixels, params = self._pixels(num_components)
    self.assertEqual(pixels.batch_shape, [8])
    self.assertEqual(pixels.event_shape, [])
    levels = np.arange(256, dtype=np.float32) / np.float32(255)
    probs = np.exp(pixels.log_prob(levels[:, None]).numpy()).T  # [8, 256]
    self.assertAllClose(probs.sum(axis=-1), np.ones(8), atol=1e-5)
    expected = test_util.discretized_logistic_probs(*params)
    self.assertAllClose(probs, expected, atol=2e-6)
    # The edge bins: P(0) = F(0.5) and P(255) = 1 - F(254.5), in the tails too.
    loc, scale, logits = (np.asarray(p, np.float64) if p is not None else p for p in params)
    weights = special.softmax(logits, -1) if logits is not None else np.ones_like(loc)
    left = np.sum(weights * stats.logistic.cdf(0.5, 255 * loc, 255 * scale), axis=-1)
    right = np.sum(weights * stats.logistic.sf(254.5, 255 * loc, 255 * scale), axis=-1)
    self.assertAllClose(probs[:, 0], left, rtol=1e-5, atol=1e-7)
    self.assertAllClose(probs[:, 255], right, rtol=1e-5, atol=1e-7)
    if num_components == 1:
      self.assertGreater(probs[0, 0], 0.99)  # loc -0.3: the left tail is the black bin.
      self.assertGreater(probs[5, 255], 0.85)  # loc 1.4: the right tail is the white bin.
    # Where the mass is not vanishing, the log-probabilities agree closely too.
    big = expected > 1e-6
    self.assertAllClose(np.log(probs[big]), np.log(expected[big]), rtol=1e-4, atol=1e-4)

  @test_util.parameterized.named_parameters(('logistic', 1), ('mixture', 3))
  def test_mean_is_the_enumerated_mean(self, num_components):
    pixels, params = self._pixels(num_components)
    expected = test_util.discretized_logistic_probs(*params) @ (np.arange(256) / 255.0)
    self.assertAllClose(pixels.mean(), expected, atol=2e-6)
    compiled = tf.function(lambda d: d.mean(), jit_compile=True)(pixels)
    self.assertAllClose(compiled, expected, atol=2e-6)

  def test_samples_are_levels_with_the_level_probabilities(self):
    pixels, params = self._pixels(3)
    num_samples = 10_000
    samples = pixels.sample(num_samples, seed=test_util.fixed_seed()).numpy()  # [n, 8]
    self.assertEqual(samples.shape, (num_samples, 8))
    levels = samples * 255.0
    self.assertAllEqual(levels, np.round(levels))
    self.assertAllInRange(samples, 0.0, 1.0)
    # Kolmogorov-Smirnov on each pixel's levels: 1.95 / sqrt(n) is the 0.1% point.
    expected_cdf = np.cumsum(test_util.discretized_logistic_probs(*params), axis=-1)  # [8, 256]
    for i in range(8):
      counts = np.bincount(np.round(levels[:, i]).astype(int), minlength=256)
      empirical_cdf = np.cumsum(counts) / num_samples
      self.assertLess(np.abs(empirical_cdf - expected_cdf[i]).max(), 1.95 / np.sqrt(num_samples))
    # Same seed, same samples (stateless).
    self.assertAllEqual(pixels.sample(5, seed=[1, 2]), pixels.sample(5, seed=[1, 2]))

  def test_log_prob_reads_float_levels_exactly_and_validates(self):
    pixels, _ = self._pixels(3)
    k = np.arange(256, dtype=np.float32)[:, None]
    exact = pixels.levels_distribution().log_prob(k)
    for levels in (k / np.float32(255), (k.astype(np.float64) / 255).astype(np.float32)):
      self.assertAllEqual(pixels.log_prob(levels), exact)
    strict = layers_lib.DiscretizedLogisticMixture(_LOC, _SCALE, validate_args=True)
    strict.log_prob(np.full([8], 7 / 255, np.float32))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, '8-bit levels'):
      strict.log_prob(np.full([8], 0.5, np.float32))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r'\[0, 1\]'):
      strict.log_prob(np.full([8], 2.0, np.float32))

  def test_log_prob_gradients_are_finite_at_extremes(self):
    loc = tf.constant([[-5.0], [6.0], [0.5], [0.5], [0.2]])
    raw_scale = tf.constant([[-12.0], [-12.0], [-12.0], [8.0], [0.0]])
    x = np.array([0.0, 1.0, 0.0, 1.0, 200 / 255], np.float32)
    with tf.GradientTape() as tape:
      tape.watch([loc, raw_scale])
      scale = 1e-5 + tf.math.softplus(raw_scale)
      log_prob = layers_lib.DiscretizedLogisticMixture(loc, scale).log_prob(x)
    gradients = tape.gradient(log_prob, [loc, raw_scale])
    self.assertTrue(np.all(np.isfinite(log_prob)))
    self.assertAllClose(log_prob[:2], [0.0, 0.0], atol=1e-6)  # The tails' bins hold all.
    for gradient in gradients:
      self.assertTrue(np.all(np.isfinite(gradient)))


class IndependentDiscretizedLogisticTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(('logistic', 1), ('mixture', 2))
  def test_parameters_per_pixel_and_image_log_prob(self, num_components):
    shape = (2, 3, 1)
    size = layers_lib.IndependentDiscretizedLogistic.params_size(shape, num_components)
    per_pixel = 2 if num_components == 1 else 3 * num_components
    self.assertEqual(size, 6 * per_pixel)
    params = np.random.default_rng(0).normal(size=(4, size)).astype(np.float32)
    layer = layers_lib.IndependentDiscretizedLogistic(shape, num_components)
    likelihood = layer(params)
    inner = likelihood.tensor_distribution
    self.assertIsInstance(inner, tfd.Independent)
    self.assertIsInstance(inner.distribution, layers_lib.DiscretizedLogisticMixture)
    self.assertEqual(inner.batch_shape, [4])
    self.assertEqual(inner.event_shape, list(shape))
    # Each pixel's parameters are the last axis: logits, locations, scales.
    per = params.reshape(4, *shape, per_pixel)
    logits = None if num_components == 1 else per[..., :num_components]
    raw_loc, raw_scale = np.split(per[..., -2 * num_components :], 2, axis=-1)
    loc, scale = 0.5 + raw_loc, 1e-5 + np.log1p(np.exp(raw_scale))
    self.assertAllClose(inner.distribution.loc, loc)
    self.assertAllClose(inner.distribution.scale, scale, rtol=1e-6)
    x = np.random.default_rng(1).integers(0, 256, size=(4, *shape)) / np.float32(255)
    probs = test_util.discretized_logistic_probs(loc, scale, logits)  # [4, 2, 3, 1, 256]
    k = np.round(x * 255).astype(int)
    expected = np.log(np.take_along_axis(probs, k[..., None], -1)[..., 0]).sum(axis=(1, 2, 3))
    self.assertAllClose(likelihood.log_prob(x.astype(np.float32)), expected, rtol=1e-5)
    self.assertAllClose(likelihood.mean(), probs @ (np.arange(256) / 255.0), atol=2e-6)

  def test_zero_parameters_center_on_mid_grey(self):
    likelihood = layers_lib.IndependentDiscretizedLogistic([3], 2)(tf.zeros([1, 18]))
    pixels = likelihood.tensor_distribution.distribution
    self.assertAllClose(pixels.loc, np.full([1, 3, 2], 0.5))
    self.assertAllClose(pixels.scale, np.full([1, 3, 2], 1e-5 + np.log(2.0)), rtol=1e-6)
    self.assertAllClose(likelihood.mean(), np.full([1, 3], 0.5), atol=1e-6)

  def test_get_config_round_trip(self):
    layer = layers_lib.IndependentDiscretizedLogistic((2, 3), num_components=4, name='p')
    config = layer.get_config()
    self.assertEqual(config['num_components'], 4)
    self.assertEqual(config['event_shape'], [2, 3])
    clone = layers_lib.IndependentDiscretizedLogistic.from_config(config)
    self.assertEqual(clone.get_config(), config)
    self.assertNotIn('make_distribution_fn', config)
    self.assertEqual(layer.family, 'discretized_logistic')

  @test_util.parameterized.named_parameters(
    ('event_shape', dict(event_shape=[3, 0]), 'event_shape'),
    ('num_components', dict(event_shape=[3], num_components=0), 'num_components'),
    ('mode', dict(event_shape=[3], convert_to_tensor_fn='mode'), 'no mode'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      layers_lib.IndependentDiscretizedLogistic(**kwargs)


class MultivariateNormalTriLTest(test_util.TestCase):
  def test_parameters_give_lower_triangular_scale(self):
    params = np.random.default_rng(0).normal(size=(2, 9)).astype(np.float32)
    posterior = layers_lib.MultivariateNormalTriL(3)(params).tensor_distribution
    self.assertIsInstance(posterior, tfd.MultivariateNormalTriL)
    self.assertEqual(layers_lib.MultivariateNormalTriL.params_size(3), 9)
    tril = posterior.scale.to_dense().numpy()
    self.assertAllClose(posterior.mean(), params[:, :3])
    self.assertAllClose(np.triu(tril, 1), np.zeros_like(tril))
    self.assertTrue(np.all(np.diagonal(tril, axis1=1, axis2=2) > 0))
    z = np.random.default_rng(1).normal(size=(2, 3)).astype(np.float32)
    expected = [
      stats.multivariate_normal(params[i, :3], tril[i] @ tril[i].T).logpdf(z[i]) for i in range(2)
    ]
    self.assertAllClose(posterior.log_prob(z), expected, rtol=1e-5)

  def test_zero_params_give_identity_covariance(self):
    posterior = layers_lib.MultivariateNormalTriL(4)(tf.zeros([1, 14]))
    self.assertAllClose(posterior.covariance()[0], np.eye(4), atol=1e-5)

  def test_kl_to_standard_normal_is_closed_form(self):
    prior = prior_lib.make_standard_normal(3)
    params = np.random.default_rng(2).normal(size=(2, 9)).astype(np.float32)
    posterior = layers_lib.MultivariateNormalTriL(3)(params)
    self.assertTrue(tfvae.divergence.has_analytic_kl(posterior, prior))
    covariance = posterior.covariance().numpy().astype(np.float64)
    loc = params[:, :3].astype(np.float64)
    expected = 0.5 * (
      np.trace(covariance, axis1=1, axis2=2)
      + np.sum(loc**2, axis=1)
      - 3
      - np.log(np.linalg.det(covariance))
    )
    self.assertAllClose(tfvae.divergence.kl_divergence(posterior, prior), expected, rtol=1e-4)

  def test_get_config_round_trip(self):
    layer = layers_lib.MultivariateNormalTriL(3, 'mean', name='q')
    clone = layers_lib.MultivariateNormalTriL.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())
    self.assertNotIn('make_distribution_fn', layer.get_config())


class InverseAutoregressiveFlowTest(test_util.TestCase):
  def _layer_and_params(self, context_size=0, batch_size=test_util.BATCH_SIZE):
    layer = layers_lib.InverseAutoregressiveFlow(
      test_util.LATENT_SIZE, num_flows=2, hidden_units=(7,), context_size=context_size
    )
    size = layers_lib.InverseAutoregressiveFlow.params_size(test_util.LATENT_SIZE, context_size)
    params = np.random.default_rng(0).normal(size=(batch_size, size)).astype(np.float32)
    return layer, params

  def test_shapes_weights_and_sample_reparameterized(self):
    layer, params = self._layer_and_params(context_size=4)
    params = tf.constant(params)
    with tf.GradientTape() as tape:
      tape.watch(params)
      posterior = layer(params)
      z = tf.convert_to_tensor(posterior)
    self.assertEqual(posterior.batch_shape, [test_util.BATCH_SIZE])
    self.assertEqual(posterior.event_shape, [test_util.LATENT_SIZE])
    self.assertEqual(z.shape, [test_util.BATCH_SIZE, test_util.LATENT_SIZE])
    self.assertLen(layer.made_networks, 2)
    self.assertLen(layer.trainable_weights, 2 * 6)  # 2 Dense + conditional kernels, biases.
    self.assertIsNotNone(tape.gradient(z, params))

  def test_log_prob_at_own_sample_is_cached_and_exact(self):
    layer, params = self._layer_and_params(context_size=4)
    calls = []
    for made in layer.made_networks:
      made.call = _counting(made.call, calls)
    posterior = layer(params)
    z = tf.convert_to_tensor(posterior)
    after_sample = len(calls)
    cached = posterior.log_prob(z)
    # One MADE pass per step for the log-determinant, no inversion.
    self.assertLen(calls, after_sample + 2)
    fresh = posterior.log_prob(tf.identity(z))  # Not in the cache: inverts the flow.
    self.assertGreater(len(calls), after_sample + 2 + 2 * test_util.LATENT_SIZE)
    self.assertAllClose(cached, fresh, atol=1e-4)

  def test_log_prob_is_change_of_variables(self):
    # log q(z) = log N(eps; loc, scale) - log|det dz/deps|, the Jacobian by autodiff.
    layer, params = self._layer_and_params()
    posterior = layer(params[:1]).tensor_distribution
    base = posterior.distribution
    eps = tf.constant(np.random.default_rng(3).normal(size=(1, test_util.LATENT_SIZE)), tf.float32)
    with tf.GradientTape() as tape:
      tape.watch(eps)
      z = posterior.bijector.forward(eps)
    jacobian = tape.batch_jacobian(z, eps)[0].numpy().astype(np.float64)
    expected = base.log_prob(eps)[0] - np.log(np.abs(np.linalg.det(jacobian)))
    self.assertAllClose(posterior.log_prob(tf.identity(z))[0], expected, atol=1e-4)

  def test_flow_is_not_identity_and_context_matters(self):
    layer, params = self._layer_and_params(context_size=4)
    other = params.copy()
    other[:, -4:] += 1.0  # Same base, other context.
    z = np.random.default_rng(4).normal(size=(test_util.BATCH_SIZE, test_util.LATENT_SIZE))
    z = z.astype(np.float32)
    base = layers_lib.MultivariateNormalDiag.new(params[:, :-4], test_util.LATENT_SIZE)
    log_prob = layer(params).log_prob(z)
    self.assertNotAllClose(log_prob, base.log_prob(z))
    self.assertNotAllClose(log_prob, layer(other).log_prob(z))

  def test_kl_regularizer_is_monte_carlo_at_own_sample(self):
    prior = prior_lib.make_standard_normal(test_util.LATENT_SIZE)
    regularizer = tfvae.KLDivergenceRegularizer(prior, analytic=False)
    layer, params = self._layer_and_params()
    layer.activity_regularizer = regularizer
    posterior = layer(params)
    z = tf.convert_to_tensor(posterior)
    expected = tf.reduce_mean(posterior.log_prob(z) - prior.log_prob(z))
    self.assertAllClose(tf.add_n(layer.losses), expected, rtol=1e-5)

  def test_save_load_round_trip(self):
    inputs = keras.layers.Input(shape=(4,))
    layer, _ = self._layer_and_params(context_size=2)
    size = layers_lib.InverseAutoregressiveFlow.params_size(test_util.LATENT_SIZE, 2)
    model = keras.Model(inputs, layer(keras.layers.Dense(size)(inputs)))
    path = os.path.join(self.create_tempdir().full_path, 'model.keras')
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(5).normal(size=(3, 4)).astype(np.float32)
    z = np.random.default_rng(6).normal(size=(3, test_util.LATENT_SIZE)).astype(np.float32)
    self.assertAllClose(loaded(x).log_prob(z), model(x).log_prob(z), atol=1e-5)
    self.assertEqual(loaded.layers[-1].get_config(), layer.get_config())
    self.assertLen(loaded.weights, len(model.weights))

  @test_util.parameterized.named_parameters(
    ('event_size', dict(event_size=0), 'event_size'),
    ('num_flows', dict(num_flows=0), 'num_flows'),
    ('hidden_units', dict(hidden_units=(4, -1)), 'hidden_units'),
    ('context_size', dict(context_size=-1), 'context_size'),
    ('context_float', dict(context_size=1.5), 'context_size'),
  )
  def test_bad_arguments(self, overrides, message):
    kwargs = dict(event_size=3)
    kwargs.update(overrides)
    with self.assertRaisesRegex(ValueError, message):
      layers_lib.InverseAutoregressiveFlow(**kwargs)


class PointEstimateTest(test_util.TestCase):
  def test_mean_where_analytic(self):
    posterior = layers_lib.MultivariateNormalTriL(2)(tf.constant([[1.0, 2.0, 0.5, 0.1, 0.2]]))
    self.assertAllClose(layers_lib.point_estimate(posterior), [[1.0, 2.0]])

  def test_flow_of_base_mean_for_iaf(self):
    layer = layers_lib.InverseAutoregressiveFlow(3, hidden_units=(7,))
    posterior = layer(np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32))
    inner = posterior.tensor_distribution
    expected = inner.bijector.forward(inner.distribution.mean())
    self.assertAllClose(layers_lib.point_estimate(posterior), expected)
    self.assertAllClose(layers_lib.point_estimate(posterior), layers_lib.point_estimate(posterior))


class LikelihoodFamilyTest(test_util.TestCase):
  @test_util.parameterized.parameters(
    'bernoulli', 'continuous_bernoulli', 'discretized_logistic', 'gaussian'
  )
  def test_reads_the_decoder_family(self, family):
    decoder = tfvae.make_decoder(2, (3,), (4,), likelihood=family)
    self.assertEqual(layers_lib.likelihood_family(decoder), family)

  def test_none_for_other_layers(self):
    self.assertIsNone(layers_lib.likelihood_family(_encoder(None)))


class XlaGradientTest(test_util.TestCase):
  """The posterior layers' losses differentiate under XLA for a batch of unknown size."""

  @test_util.parameterized.named_parameters(
    ('full_covariance', lambda: layers_lib.MultivariateNormalTriL(3), 9),
    ('iaf', lambda: layers_lib.InverseAutoregressiveFlow(3, 2, (7,), context_size=2), 8),
  )
  def test_gradient_compiles_with_xla(self, factory, params_size):
    dense = keras.layers.Dense(params_size)
    layer = factory()
    prior = prior_lib.make_standard_normal(3)

    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def gradient_norm(x):
      with tf.GradientTape() as tape:
        posterior = layer(dense(x))
        z = tf.convert_to_tensor(posterior)
        loss = tf.reduce_mean(posterior.log_prob(z) - prior.log_prob(z))
      gradients = tape.gradient(loss, dense.trainable_weights + layer.trainable_weights)
      return tf.linalg.global_norm(gradients)

    for batch_size in (3, 5):
      x = np.random.default_rng(batch_size).normal(size=(batch_size, 4)).astype(np.float32)
      self.assertTrue(np.isfinite(float(gradient_norm(x))))


def _counting(function, calls):
  def wrapped(*args, **kwargs):
    calls.append(1)
    return function(*args, **kwargs)

  return wrapped


if __name__ == '__main__':
  test_util.main()
