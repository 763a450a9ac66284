# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.diagnostics."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate
from scipy import stats

import test_util
import tfvae
from tfvae.analysis import diagnostics
from tfvae.internal import keras
from tfvae.model import layers as layers_lib
from tfvae.model import prior as prior_lib

tfd = tfp.distributions
tfpl = tfp.layers


def _unnormalized(distribution, log_constant=0.1):
  """The same distribution class with `log_prob` off by `log_constant`."""

  class Unnormalized(type(distribution)):
    def _log_prob(self, x, **kwargs):
      return super()._log_prob(x, **kwargs) + log_constant

  return Unnormalized(**distribution.parameters)


def _logits(shape, seed=0, scale=2.0):
  return tf.constant(np.random.default_rng(seed).normal(0, scale, size=shape), tf.float32)


def _mixture(components, num_components=2):
  return tfd.MixtureSameFamily(tfd.Categorical(logits=tf.constant([0.3, -0.2])), components)


def _gaussian(size, batch_size=3, seed=0):
  rng = np.random.default_rng(seed)
  tril = np.tril(rng.normal(0, 0.5, size=(batch_size, size, size)))
  tril[:, np.arange(size), np.arange(size)] = rng.uniform(0.3, 2.0, size=(batch_size, size))
  loc = rng.normal(size=(batch_size, size))
  return tfd.MultivariateNormalTriL(loc.astype(np.float32), tril.astype(np.float32))


# Name -> (factory of a normalized distribution, the method that checks it).
DISTRIBUTIONS = {
  'bernoulli_10_pixels': (
    lambda: tfd.Independent(tfd.Bernoulli(logits=_logits([3, 2, 5]), dtype=tf.float32), 2),
    'enumeration',
  ),
  'bernoulli_30_pixels': (
    lambda: tfd.Independent(tfd.Bernoulli(logits=_logits([3, 30]), dtype=tf.float32), 1),
    'factorized_enumeration',
  ),
  'bernoulli_mixture_20_pixels': (
    lambda: _mixture(tfd.Independent(tfd.Bernoulli(logits=_logits([3, 2, 20], scale=1.0)), 1)),
    'importance_sampling',
  ),
  'continuous_bernoulli': (
    lambda: tfd.Independent(
      tfd.ContinuousBernoulli(logits=_logits([3, 4, 5], scale=8.0)), reinterpreted_batch_ndims=2
    ),
    'factorized_quadrature',
  ),
  'continuous_bernoulli_mixture_2_pixels': (
    lambda: _mixture(tfd.Independent(tfd.ContinuousBernoulli(logits=_logits([3, 2, 2])), 1)),
    'quadrature',
  ),
  'continuous_bernoulli_mixture_4_pixels': (
    lambda: _mixture(
      tfd.Independent(tfd.ContinuousBernoulli(logits=_logits([3, 2, 4], scale=1.0)), 1)
    ),
    'importance_sampling',
  ),
  'discretized_logistic_pixels': (
    lambda: tfd.Independent(
      layers_lib.DiscretizedLogisticMixture(
        0.5 + 0.5 * _logits([3, 4, 5, 2]),
        tf.exp(_logits([3, 4, 5, 2], seed=1, scale=1.5) - 3.0),
        _logits([3, 4, 5, 2], seed=2),
      ),
      reinterpreted_batch_ndims=2,
    ),
    'factorized_enumeration',
  ),
  'normal_pixels': (
    lambda: tfd.Independent(tfd.Normal(_logits([3, 6]), tf.exp(_logits([3, 6], seed=1))), 1),
    'factorized_quadrature',
  ),
  'gaussian_1d': (lambda: _gaussian(1), 'quadrature'),
  'gaussian_2d': (lambda: _gaussian(2), 'quadrature'),
  'gaussian_5d': (lambda: _gaussian(5), 'importance_sampling'),
  'gaussian_mixture_prior_2d': (
    lambda: _mixture(
      tfd.MultivariateNormalDiag(_logits([2, 2]), tf.exp(_logits([2, 2], 1, scale=1.0)))
    ),
    'quadrature',
  ),
  'gaussian_mixture_prior_4d': (
    lambda: _mixture(
      tfd.MultivariateNormalDiag(_logits([2, 4]), tf.exp(_logits([2, 4], 1, scale=0.3)))
    ),
    'importance_sampling',
  ),
}


class CheckDistributionTest(test_util.TestCase):
  @test_util.parameterized.named_parameters((name, name) for name in DISTRIBUTIONS)
  def test_normalized_distribution_passes(self, name):
    factory, method = DISTRIBUTIONS[name]
    distribution = factory()
    result = diagnostics.check_distribution(distribution)
    self.assertEqual(result.method, method)
    self.assertTrue(result.passed, result)
    batch = distribution.batch_shape.num_elements()
    self.assertEqual(result.total.shape, (batch,))
    self.assertAllClose(result.total, np.ones(batch), atol=result.tolerance)
    self.assertTrue(np.all(result.error <= result.tolerance), result)

  @test_util.parameterized.named_parameters((name, name) for name in DISTRIBUTIONS)
  def test_distribution_off_by_a_constant_fails(self, name):
    factory, method = DISTRIBUTIONS[name]
    for log_constant in (0.1, -0.1):
      distribution = _unnormalized(factory(), log_constant)
      result = diagnostics.check_distribution(distribution)
      self.assertEqual(result.method, method)
      self.assertFalse(result.passed, result)
      batch = distribution.batch_shape.num_elements()
      self.assertAllClose(result.total, np.full(batch, np.exp(log_constant)), rtol=0.05)

  def test_joint_that_is_not_the_product_of_its_factors_fails(self):
    distribution = tfd.Independent(tfd.Bernoulli(logits=_logits([3, 30]), dtype=tf.float32), 1)

    class NotAProduct(tfd.Independent):
      def _log_prob(self, x, **kwargs):
        return super()._log_prob(x, **kwargs) + 0.3 * tf.reduce_sum(x, axis=-1)

    result = diagnostics.check_distribution(NotAProduct(**distribution.parameters))
    self.assertEqual(result.method, 'factorized_enumeration')
    self.assertFalse(result.passed)
    self.assertTrue(np.all(result.error > result.tolerance))

  def test_quadrature_error_is_an_upper_bound_here(self):
    result = diagnostics.check_distribution(_gaussian(2))
    self.assertTrue(np.all(np.abs(result.total - 1) <= result.error + 1e-6))

  def test_importance_sampling_standard_error_matches_spread_over_seeds(self):
    distribution = _gaussian(4, batch_size=1)
    results = [diagnostics.check_distribution(distribution, seed=s) for s in range(8)]
    totals = np.array([r.total[0] for r in results])
    errors = np.array([r.error[0] for r in results])
    self.assertBetween(np.std(totals, ddof=1) / np.mean(errors), 0.3, 3.0)
    self.assertAllClose(np.mean(totals), 1.0, atol=3 * np.mean(errors))

  def test_same_seed_same_result(self):
    distribution = _gaussian(5)
    first = diagnostics.check_distribution(distribution, seed=3)
    second = diagnostics.check_distribution(distribution, seed=3)
    self.assertAllEqual(first.total, second.total)

  def test_tolerance_decides(self):
    distribution = _unnormalized(_gaussian(2), 0.01)
    self.assertFalse(diagnostics.check_distribution(distribution).passed)
    self.assertTrue(diagnostics.check_distribution(distribution, tolerance=0.02).passed)

  def test_support_can_be_given(self):
    # A Gaussian read as a density on [0, 1] misses most of its mass.
    distribution = _mixture(tfd.Independent(tfd.Normal(tf.zeros([2, 2]), tf.ones([2, 2])), 1))
    self.assertTrue(diagnostics.check_distribution(distribution).passed)
    result = diagnostics.check_distribution(distribution, support='unit_interval')
    self.assertEqual(result.method, 'quadrature')
    self.assertFalse(result.passed)
    self.assertAllClose(result.total, [(stats.norm.cdf(1.0) - 0.5) ** 2], rtol=1e-3)

  @test_util.parameterized.named_parameters(
    ('support', dict(support='integers'), 'support'),
    ('tolerance', dict(tolerance=0.0), 'tolerance'),
    ('num_samples', dict(num_samples=0), 'num_samples'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      diagnostics.check_distribution(_gaussian(2), **kwargs)

  def test_integer_distributions(self):
    logits = _logits([3, 20])
    binary = tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.int32), 1)
    result = diagnostics.check_distribution(binary)
    self.assertEqual(result.method, 'factorized_enumeration')
    self.assertTrue(result.passed, result)
    # A user's own discrete distribution: binary events, integer dtype.
    two_classes = tfd.Independent(tfd.Categorical(logits=tf.stack([logits, -logits], -1)), 1)
    with self.assertRaisesRegex(ValueError, r"`support` is needed.*int32.*support='binary'"):
      diagnostics.check_distribution(two_classes)
    with self.assertRaisesRegex(ValueError, r"`support`='real'.*int32"):
      diagnostics.check_distribution(two_classes, support='real')
    result = diagnostics.check_distribution(two_classes, support='binary', max_enumeration_size=20)
    self.assertEqual(result.method, 'enumeration')
    self.assertAllClose(result.total, np.ones(3), atol=1e-5)
    self.assertTrue(result.passed, result)

  def test_batch_rank_above_one_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'batch_shape'):
      diagnostics.check_distribution(tfd.Normal(tf.zeros([2, 3]), 1.0))


# Name -> keyword arguments of `_networks`.
FAMILIES = {
  'diagonal_bernoulli_2d': dict(latent_size=2),
  'diagonal_bernoulli_5d': dict(latent_size=5),
  'full_covariance': dict(encoder=dict(posterior='full_covariance')),
  'full_covariance_5d': dict(latent_size=5, encoder=dict(posterior='full_covariance')),
  'iaf': dict(encoder=dict(posterior='iaf', flow_hidden_units=(7,))),
  'iaf_with_context_5d': dict(
    latent_size=5, encoder=dict(posterior='iaf', flow_hidden_units=(7,), flow_context_size=3)
  ),
  'continuous_bernoulli': dict(decoder=dict(likelihood='continuous_bernoulli')),
  'gaussian': dict(decoder=dict(likelihood='gaussian')),
  'discretized_logistic_mixture': dict(
    decoder=dict(likelihood='discretized_logistic', num_components=3)
  ),
  'bernoulli_12_pixels': dict(shape=(3, 4, 1)),
  'mixture_of_gaussians': dict(prior=lambda: prior_lib.MixtureOfGaussians(2, 3)),
  'vamp_prior': dict(prior=lambda: prior_lib.VampPrior(3, test_util.IMAGE_SHAPE)),
  'vamp_prior_iaf': dict(
    encoder=dict(posterior='iaf', flow_hidden_units=(7,)),
    prior=lambda: prior_lib.VampPrior(3, test_util.IMAGE_SHAPE),
  ),
}


def _networks(shape=test_util.IMAGE_SHAPE, latent_size=2, encoder=None, decoder=None, prior=None):
  encoder = tfvae.make_encoder(
    shape, latent_size, test_util.HIDDEN_UNITS, kl_regularizer=prior is None, **(encoder or {})
  )
  decoder = tfvae.make_decoder(latent_size, shape, test_util.HIDDEN_UNITS, **(decoder or {}))
  return (encoder, decoder) if prior is None else (encoder, decoder, prior())


class CheckNormalizationTest(test_util.TestCase):
  @test_util.parameterized.named_parameters((name, name) for name in FAMILIES)
  def test_every_family_passes(self, name):
    kwargs = FAMILIES[name]
    networks = _networks(**kwargs)
    shape = kwargs.get('shape', test_util.IMAGE_SHAPE)
    likelihood = kwargs.get('decoder', {}).get('likelihood', 'bernoulli')
    x = self.make_images(shape=shape, binary=likelihood == 'bernoulli')
    if likelihood == 'discretized_logistic':
      x = np.round(x * 255) / np.float32(255)
    results = diagnostics.check_normalization(networks, x)
    self.assertEqual(sorted(results), ['data', 'likelihood', 'posterior', 'prior'])
    for part, result in results.items():
      self.assertTrue(result.passed, f'{part}: {result}')
    latent_size = kwargs.get('latent_size', 2)
    expected = 'quadrature' if latent_size <= 2 else 'importance_sampling'
    self.assertEqual(results['posterior'].method, expected)
    self.assertEqual(results['posterior'].total.shape, (test_util.BATCH_SIZE,))
    self.assertEqual(results['prior'].total.shape, (1,))

  @test_util.parameterized.named_parameters(
    ('bernoulli_grey', 'bernoulli', 0.25, 'binary', 6),
    ('bernoulli_binary', 'bernoulli', 0.0, 'binary', 0),
    ('continuous_bernoulli_grey', 'continuous_bernoulli', 0.25, 'unit_interval', 0),
    ('continuous_bernoulli_above_one', 'continuous_bernoulli', 1.5, 'unit_interval', 6),
    ('gaussian_any', 'gaussian', 7.0, 'real', 0),
    ('discretized_logistic_level', 'discretized_logistic', 64 / 255, 'eight_bit', 0),
    ('discretized_logistic_off_levels', 'discretized_logistic', 0.25, 'eight_bit', 6),
  )
  def test_reports_data_outside_the_likelihood_support(self, likelihood, value, support, outside):
    networks = _networks(shape=(2, 3), decoder=dict(likelihood=likelihood))
    x = np.zeros([2, 2, 3], np.float32)
    x[0] = value  # 6 of 12 values
    result = diagnostics.check_normalization(networks, x)['data']
    self.assertEqual(result, diagnostics.SupportResult(support, outside, outside / 12, not outside))

  @test_util.parameterized.named_parameters(
    ('standard_normal', None, 'bernoulli'),
    ('conditional_gaussian_prior', 'conditional', 'continuous_bernoulli'),
  )
  def test_conditional_model_at_its_conditions(self, prior, likelihood):
    kwargs = dict(condition_size=3)
    encoder = tfvae.make_encoder(
      test_util.IMAGE_SHAPE, 2, test_util.HIDDEN_UNITS, kl_regularizer=prior is None, **kwargs
    )
    decoder = tfvae.make_decoder(
      2, test_util.IMAGE_SHAPE, test_util.HIDDEN_UNITS, likelihood=likelihood, **kwargs
    )
    prior_layer = prior_lib.ConditionalGaussian(2, 3, hidden_units=(4,)) if prior else None
    if prior_layer:
      rng = np.random.default_rng(0)
      for weight in prior_layer.trainable_weights:
        weight.assign(rng.normal(size=weight.shape).astype(np.float32))
    vae = tfvae.VAE(encoder, decoder, prior=prior_layer)
    x = self.make_images(binary=likelihood == 'bernoulli')
    labels = np.array([2, 0, 1])
    results = diagnostics.check_normalization(vae, x, condition=labels)
    for part, result in results.items():
      self.assertTrue(result.passed, f'{part}: {result}')
    # p(z|c) is one distribution per example; p(z) one for all.
    self.assertEqual(results['prior'].total.shape, (3,) if prior else (1,))
    kl = diagnostics.kl_per_dimension(vae, x, condition=labels)
    c = np.eye(3, dtype=np.float32)[labels]
    expected = tfd.kl_divergence(
      encoder([x, c]).tensor_distribution, vae.prior_distribution(tf.constant(c))
    )
    self.assertAllClose(kl.sum(-1), expected, rtol=1e-5)
    with self.assertRaisesRegex(ValueError, '`condition` is required'):
      diagnostics.check_normalization(vae, x)

  def test_unnormalized_likelihood_fails_alone(self):
    encoder, decoder = _networks(decoder=dict(likelihood='continuous_bernoulli'))
    shape = test_util.IMAGE_SHAPE
    z = keras.layers.Input(shape=(2,))
    logits = keras.layers.Flatten()(decoder.layers[-2].output)
    sub = keras.Model(decoder.inputs, logits)(z)
    likelihood = tfpl.DistributionLambda(
      lambda t: _unnormalized(layers_lib.IndependentContinuousBernoulli.new(t, shape), 0.2)
    )(sub)
    broken = keras.Model(z, likelihood)
    results = diagnostics.check_normalization(
      (encoder, broken), self.make_images(binary=False), seed=1
    )
    self.assertTrue(results['posterior'].passed)
    self.assertTrue(results['prior'].passed)
    self.assertFalse(results['likelihood'].passed)
    self.assertEqual(results['likelihood'].method, 'factorized_quadrature')
    self.assertAllClose(results['likelihood'].total, np.full(3, np.exp(0.2)), rtol=1e-3)

  def test_accepts_a_vae(self):
    encoder, decoder, prior = _networks(prior=lambda: prior_lib.MixtureOfGaussians(2, 3))
    vae = tfvae.VAE(encoder, decoder, prior=prior)
    results = diagnostics.check_normalization(vae, self.make_images())
    self.assertTrue(all(result.passed for result in results.values()), results)

  def test_bad_model(self):
    with self.assertRaisesRegex(TypeError, 'model'):
      diagnostics.check_normalization('vae', self.make_images())


class KlPerDimensionTest(test_util.TestCase):
  def test_diagonal_is_closed_form_and_sums_to_kl(self):
    encoder, decoder = _networks(latent_size=test_util.LATENT_SIZE)
    x = self.make_images()
    kl = diagnostics.kl_per_dimension((encoder, decoder), x)
    self.assertEqual(kl.shape, (test_util.BATCH_SIZE, test_util.LATENT_SIZE))
    posterior = encoder(x).tensor_distribution
    loc, scale = posterior.mean().numpy(), posterior.stddev().numpy()
    self.assertAllClose(kl, 0.5 * (scale**2 + loc**2 - 1) - np.log(scale), rtol=1e-4, atol=1e-6)
    prior = prior_lib.make_standard_normal(test_util.LATENT_SIZE)
    self.assertAllClose(kl.sum(axis=1), tfd.kl_divergence(posterior, prior), rtol=1e-4)

  def test_full_covariance_uses_gaussian_marginals(self):
    encoder, decoder = _networks(latent_size=3, encoder=dict(posterior='full_covariance'))
    x = self.make_images()
    kl = diagnostics.kl_per_dimension((encoder, decoder), x)
    posterior = encoder(x).tensor_distribution
    loc = posterior.mean().numpy().astype(np.float64)
    variance = np.diagonal(posterior.covariance().numpy(), axis1=1, axis2=2).astype(np.float64)
    self.assertAllClose(kl, 0.5 * (variance + loc**2 - 1 - np.log(variance)), rtol=1e-4)

  def test_mixture_prior_marginals_by_monte_carlo(self):
    prior = prior_lib.MixtureOfGaussians(2, 3)
    encoder, decoder = _networks()
    x = self.make_images(n=1)
    kl = diagnostics.kl_per_dimension((encoder, decoder, prior), x, num_samples=10_000)
    posterior = encoder(x).tensor_distribution
    loc, scale = posterior.mean().numpy()[0], posterior.stddev().numpy()[0]
    mixture = prior.distribution()
    weights = mixture.mixture_distribution.probs_parameter().numpy()
    means = mixture.components_distribution.mean().numpy()
    stddevs = mixture.components_distribution.stddev().numpy()
    for i in range(2):
      q = stats.norm(loc[i], scale[i])
      p = lambda z, i=i: np.sum(weights * stats.norm(means[:, i], stddevs[:, i]).pdf(z))  # noqa: E731
      integrand = lambda z, q=q, p=p: q.pdf(z) * (q.logpdf(z) - np.log(p(z)))  # noqa: E731
      expected, _ = integrate.quad(integrand, loc[i] - 12 * scale[i], loc[i] + 12 * scale[i])
      self.assertAllClose(kl[0, i], expected, atol=0.03)

  def test_flow_posterior(self):
    encoder, decoder = _networks(latent_size=3, encoder=dict(posterior='iaf'))
    kl = diagnostics.kl_per_dimension((encoder, decoder), self.make_images())
    self.assertEqual(kl.shape, (test_util.BATCH_SIZE, 3))
    self.assertTrue(np.all(np.isfinite(kl)))


class ActiveUnitsTest(test_util.TestCase):
  def _encoder(self, slopes):
    inputs = keras.layers.Input(shape=(4,))
    params = keras.layers.Dense(2 * len(slopes), use_bias=False)(inputs)
    kernel = np.zeros([4, 2 * len(slopes)], np.float32)
    kernel[0, : len(slopes)] = slopes  # Posterior mean i: slopes[i] * x[0].
    params.node.layer.set_weights([kernel])
    return keras.Model(inputs, layers_lib.MultivariateNormalDiag(len(slopes))(params))

  def test_counts_units_whose_mean_varies(self):
    encoder = self._encoder([1.0, 0.05, 0.0])
    x = np.random.default_rng(0).uniform(size=(500, 4)).astype(np.float32)
    units = diagnostics.active_units((encoder, None), x, batch_size=64)
    expected = np.var(x[:, :1] * np.array([[1.0, 0.05, 0.0]]), axis=0)
    self.assertAllClose(units.variances, expected, rtol=1e-5, atol=1e-12)
    self.assertEqual(units.count, 1)
    self.assertEqual(diagnostics.active_units((encoder, None), x, threshold=1e-4).count, 2)

  def test_flow_posterior_means_by_sampling(self):
    encoder, decoder = _networks(latent_size=3, encoder=dict(posterior='iaf'))
    x = self.make_images(n=20, binary=False)
    units = diagnostics.active_units((encoder, decoder), x, threshold=0.0, num_samples=50)
    self.assertEqual(units.count, 3)
    again = diagnostics.active_units((encoder, decoder), x, threshold=0.0, num_samples=50)
    self.assertAllEqual(units.variances, again.variances)

  def test_needs_two_examples(self):
    with self.assertRaisesRegex(ValueError, 'two examples'):
      diagnostics.active_units(_networks(), self.make_images(n=1))


class TrainedFamiliesTest(test_util.TestCase):
  """Acceptance: each family trains on digits and passes the normalization check."""

  @test_util.parameterized.named_parameters(
    ('diagonal_bernoulli', {}, {}, None),
    ('full_covariance', dict(posterior='full_covariance'), {}, None),
    ('iaf', dict(posterior='iaf', flow_hidden_units=(16,), flow_context_size=4), {}, None),
    ('continuous_bernoulli', {}, dict(likelihood='continuous_bernoulli'), None),
    ('gaussian', {}, dict(likelihood='gaussian'), None),
    ('mixture_of_gaussians', {}, {}, lambda: prior_lib.MixtureOfGaussians(2, 4)),
    ('vamp_prior', {}, {}, lambda: prior_lib.VampPrior(8, (8, 8, 1))),
  )
  def test_trains_on_digits_and_stays_normalized(self, encoder_kwargs, decoder_kwargs, prior):
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    if not decoder_kwargs:  # Bernoulli pixels: binary data.
      x_train = tfvae.datasets.binarize(x_train, seed=0)
      x_test = tfvae.datasets.binarize(x_test, seed=1)
    encoder = tfvae.make_encoder(
      (8, 8, 1), 2, (32,), kl_regularizer=prior is None, **encoder_kwargs
    )
    decoder = tfvae.make_decoder(2, (8, 8, 1), (32,), **decoder_kwargs)
    vae = tfvae.VAE(encoder, decoder, prior=prior and prior())
    vae.compile(tfvae.keras.optimizers.Adam(3e-3), jit_compile=False)  # XLA: layers_test.
    before = vae.evaluate(x_test, batch_size=297, verbose=0, return_dict=True)
    vae.fit(x_train, batch_size=100, epochs=3, verbose=0)
    after = vae.evaluate(x_test, batch_size=297, verbose=0, return_dict=True)
    self.assertTrue(all(np.isfinite(v) for v in after.values()), after)
    self.assertLess(after['loss'], before['loss'] - 5.0)
    results = diagnostics.check_normalization(vae, x_test[:3])
    for part, result in results.items():
      self.assertTrue(result.passed, f'{part}: {result}')


if __name__ == '__main__':
  test_util.main()
