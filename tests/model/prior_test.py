# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.prior."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import special
from scipy import stats

import test_util
import tfvae
from tfvae.model import prior as prior_lib

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


def _quadrature_2d(distribution, half_width=12.0, n=601):
  """Riemann sum of a 2-D density over [-half_width, half_width]^2."""
  axis = np.linspace(-half_width, half_width, n)
  grid = np.stack(np.meshgrid(axis, axis, indexing='ij'), axis=-1).reshape(-1, 2)
  density = np.exp(distribution.log_prob(grid.astype(np.float32)).numpy().astype(np.float64))
  return density.sum() * (axis[1] - axis[0]) ** 2


class LearnablePriorTest(test_util.TestCase):
  def test_base_class_is_a_keras_layer_without_distribution(self):
    prior = prior_lib.LearnablePrior()
    self.assertIsInstance(prior, tfvae.keras.layers.Layer)
    with self.assertRaises(NotImplementedError):
      prior.distribution()

  def test_learnable_priors_do_not_serialize_as_fixed_ones(self):
    with self.assertRaisesRegex(TypeError, 'prior'):
      prior_lib.serialize(prior_lib.MixtureOfGaussians(2, 3))


class MixtureOfGaussiansTest(test_util.TestCase):
  def _prior(self):
    prior = prior_lib.MixtureOfGaussians(latent_size=3, num_components=4)
    rng = np.random.default_rng(0)
    prior.loc.assign(rng.normal(size=(4, 3)))
    prior.raw_scale.assign(rng.normal(size=(4, 3)))
    prior.logits.assign(rng.normal(size=4))
    return prior

  def test_log_prob_matches_scipy_mixture(self):
    prior = self._prior()
    distribution = prior.distribution()
    self.assertIsInstance(prior, prior_lib.LearnablePrior)
    self.assertEqual(distribution.batch_shape, [])
    self.assertEqual(distribution.event_shape, [3])
    loc, logits = prior.loc.numpy(), prior.logits.numpy()
    scale = 1e-6 + np.log1p(np.exp(prior.raw_scale.numpy() + np.log(np.expm1(1.0))))
    z = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    log_weights = logits - special.logsumexp(logits)
    components = np.stack(
      [stats.multivariate_normal(loc[k], np.diag(scale[k] ** 2)).logpdf(z) for k in range(4)]
    )
    expected = special.logsumexp(log_weights[:, None] + components, axis=0)
    self.assertAllClose(distribution.log_prob(z), expected, rtol=1e-5)

  def test_initial_prior_is_uniform_mixture_of_unit_gaussians(self):
    prior = prior_lib.MixtureOfGaussians(2, 3)
    distribution = prior.distribution()
    self.assertAllClose(distribution.mixture_distribution.probs_parameter(), np.full(3, 1 / 3))
    self.assertAllClose(distribution.components_distribution.stddev(), np.ones([3, 2]), atol=1e-5)
    self.assertEqual(prior.distribution(encoder='ignored').event_shape, [2])

  def test_integrates_to_one(self):
    prior = prior_lib.MixtureOfGaussians(latent_size=2, num_components=3)
    prior.raw_scale.assign(np.full([3, 2], -1.0))
    self.assertAllClose(_quadrature_2d(prior.distribution()), 1.0, atol=1e-4)

  def test_gradients_reach_every_weight(self):
    prior = self._prior()
    z = np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
      log_prob = tf.reduce_sum(prior.distribution().log_prob(z))
    gradients = tape.gradient(log_prob, prior.trainable_weights)
    self.assertLen(gradients, 3)
    for gradient in gradients:
      self.assertGreater(float(tf.reduce_max(tf.abs(gradient))), 0.0)

  def test_config_and_weights_round_trip(self):
    prior = self._prior()
    config = tfvae.keras.layers.serialize(prior)
    clone = tfvae.keras.layers.deserialize(config)
    self.assertIsInstance(clone, prior_lib.MixtureOfGaussians)
    self.assertEqual(clone.get_config(), prior.get_config())
    clone.set_weights(prior.get_weights())
    z = np.zeros([2, 3], np.float32)
    self.assertAllClose(clone.distribution().log_prob(z), prior.distribution().log_prob(z))

  @test_util.parameterized.named_parameters(
    ('latent_size', dict(latent_size=0, num_components=2), 'latent_size'),
    ('num_components', dict(latent_size=2, num_components=-1), 'num_components'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      prior_lib.MixtureOfGaussians(**kwargs)


class VampPriorTest(test_util.TestCase):
  def _encoder(self, latent_size=2, **kwargs):
    return tfvae.make_encoder(
      test_util.IMAGE_SHAPE, latent_size, test_util.HIDDEN_UNITS, kl_regularizer=False, **kwargs
    )

  def test_log_prob_is_uniform_mixture_of_posteriors_at_pseudo_inputs(self):
    encoder = self._encoder(latent_size=3)
    prior = prior_lib.VampPrior(num_components=4, input_shape=test_util.IMAGE_SHAPE)
    pseudo_inputs = prior.pseudo_inputs.numpy()
    self.assertEqual(pseudo_inputs.shape, (4, *test_util.IMAGE_SHAPE))
    self.assertTrue(np.all((pseudo_inputs > 0) & (pseudo_inputs < 1)))
    posterior = encoder(pseudo_inputs).tensor_distribution
    loc, scale = posterior.mean().numpy(), posterior.stddev().numpy()
    z = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    components = np.stack(
      [stats.multivariate_normal(loc[k], np.diag(scale[k] ** 2)).logpdf(z) for k in range(4)]
    )
    expected = special.logsumexp(components, axis=0) - np.log(4)
    distribution = prior.distribution(encoder)
    self.assertEqual(distribution.batch_shape, [])
    self.assertEqual(distribution.event_shape, [3])
    self.assertAllClose(distribution.log_prob(z), expected, rtol=1e-5)

  @test_util.parameterized.parameters('diagonal', 'iaf')
  def test_integrates_to_one(self, posterior):
    encoder = self._encoder(posterior=posterior, flow_hidden_units=(7,))
    prior = prior_lib.VampPrior(num_components=3, input_shape=test_util.IMAGE_SHAPE)
    self.assertAllClose(_quadrature_2d(prior.distribution(encoder), n=301), 1.0, atol=1e-3)

  def test_gradients_reach_pseudo_inputs_and_encoder(self):
    encoder = self._encoder()
    prior = prior_lib.VampPrior(num_components=3, input_shape=test_util.IMAGE_SHAPE)
    z = np.random.default_rng(1).normal(size=(6, 2)).astype(np.float32)
    variables = prior.trainable_weights + encoder.trainable_weights
    with tf.GradientTape() as tape:
      log_prob = tf.reduce_sum(prior.distribution(encoder).log_prob(z))
    gradients = tape.gradient(log_prob, variables)
    self.assertLen(prior.trainable_weights, 1)
    self.assertTrue(all(g is not None for g in gradients))
    self.assertGreater(float(tf.reduce_max(tf.abs(gradients[0]))), 0.0)

  def test_config_round_trip(self):
    prior = prior_lib.VampPrior(5, (4, 6, 1), name='vamp')
    clone = tfvae.keras.layers.deserialize(tfvae.keras.layers.serialize(prior))
    self.assertEqual(clone.get_config(), prior.get_config())
    self.assertEqual(clone.pseudo_input_shape, (4, 6, 1))
    self.assertEqual(clone.pseudo_input_logits.shape, [5, 4, 6, 1])

  def test_needs_an_encoder_without_regularizer_of_matching_shape(self):
    prior = prior_lib.VampPrior(3, test_util.IMAGE_SHAPE)
    with self.assertRaisesRegex(ValueError, 'encoder'):
      prior.distribution()
    regularized = tfvae.make_encoder(test_util.IMAGE_SHAPE, 2, test_util.HIDDEN_UNITS)
    with self.assertRaisesRegex(ValueError, 'kl_regularizer=False'):
      prior.distribution(regularized)
    other_shape = tfvae.make_encoder((3, 3, 1), 2, (4,), kl_regularizer=False)
    with self.assertRaisesRegex(ValueError, 'shape'):
      prior.distribution(other_shape)

  @test_util.parameterized.named_parameters(
    ('num_components', dict(num_components=0, input_shape=(2,)), 'num_components'),
    ('input_shape', dict(num_components=2, input_shape=(2, 0)), 'input_shape'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      prior_lib.VampPrior(**kwargs)


class ConditionalGaussianTest(test_util.TestCase):
  def _prior(self, hidden_units=()):
    prior = prior_lib.ConditionalGaussian(
      latent_size=2, condition_size=3, hidden_units=hidden_units
    )
    rng = np.random.default_rng(1)
    for weight in prior.trainable_weights:
      weight.assign(rng.normal(size=weight.shape).astype(np.float32))
    return prior

  def test_log_prob_matches_scipy_for_each_condition(self):
    prior = self._prior()
    c = np.array([[1, 0, 0], [0, 0, 1], [0.5, 0.5, 0]], np.float32)
    kernel, bias = (w.numpy() for w in prior.params_layer.weights)
    params = c @ kernel + bias
    loc, scale = params[:, :2], 1e-6 + special.softplus(params[:, 2:] + np.log(np.e - 1))
    z = np.random.default_rng(2).normal(size=(3, 2)).astype(np.float32)
    expected = stats.norm.logpdf(z, loc, scale).sum(-1)
    p = prior.distribution(condition=c)
    self.assertIsInstance(p, tfd.MultivariateNormalDiag)
    self.assertEqual(p.batch_shape, [3])
    self.assertAllClose(p.log_prob(z), expected, rtol=1e-5)

  def test_starts_as_the_standard_normal(self):
    prior = prior_lib.ConditionalGaussian(latent_size=4, condition_size=2, hidden_units=(5,))
    p = prior.distribution(condition=np.eye(2, dtype=np.float32))
    self.assertAllClose(p.mean(), np.zeros([2, 4]))
    self.assertAllClose(p.stddev(), np.ones([2, 4]), atol=1e-5)

  def test_analytic_kl_from_a_gaussian_posterior(self):
    prior = self._prior(hidden_units=(4,))
    c = np.eye(3, dtype=np.float32)
    q = tfd.MultivariateNormalDiag([[0.5, -1.0]] * 3, [[0.7, 1.3]] * 3)
    p = prior.distribution(condition=c)
    kl = tfvae.divergence.kl_divergence(q, p)
    self.assertTrue(tfvae.divergence.has_analytic_kl(q, p))
    by_hand = np.sum(
      np.log(p.stddev() / q.stddev())
      + (q.stddev() ** 2 + (q.mean() - p.mean()) ** 2) / (2 * p.stddev() ** 2)
      - 0.5,
      axis=-1,
    )
    self.assertAllClose(kl, by_hand, rtol=1e-5)

  def test_gradients_reach_every_weight_and_config_round_trip(self):
    prior = self._prior(hidden_units=(4,))
    c = np.eye(3, dtype=np.float32)
    with tf.GradientTape() as tape:
      log_prob = tf.reduce_sum(prior.distribution(condition=c).log_prob(tf.ones([3, 2])))
    gradients = tape.gradient(log_prob, prior.trainable_weights)
    self.assertLen(gradients, 4)
    self.assertTrue(all(float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients))
    clone = tfvae.keras.layers.deserialize(tfvae.keras.layers.serialize(prior))
    self.assertEqual(clone.get_config(), prior.get_config())
    clone.set_weights(prior.get_weights())
    self.assertAllClose(
      clone.distribution(condition=c).log_prob(tf.ones([3, 2])),
      prior.distribution(condition=c).log_prob(tf.ones([3, 2])),
    )

  def test_needs_a_condition_and_valid_arguments(self):
    with self.assertRaisesRegex(ValueError, '`condition` is required'):
      self._prior().distribution()
    for kwargs, message in (
      (dict(latent_size=0, condition_size=2), 'latent_size'),
      (dict(latent_size=2, condition_size=0), 'condition_size'),
      (dict(latent_size=2, condition_size=2, hidden_units=(0,)), 'hidden_units'),
    ):
      with self.assertRaisesRegex(ValueError, message):
        prior_lib.ConditionalGaussian(**kwargs)


class ClassMixtureTest(test_util.TestCase):
  def test_starts_as_the_standard_normal_for_every_class(self):
    prior = prior_lib.ClassMixture(latent_size=3, num_classes=2, num_components=4)
    p = prior.distribution(condition=np.eye(2, dtype=np.float32))
    self.assertIsInstance(p, tfd.MixtureSameFamily)
    self.assertEqual((p.batch_shape, p.event_shape), ([2], [3]))
    z = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
    self.assertAllClose(p.log_prob(z), stats.multivariate_normal(np.zeros(3)).logpdf(z), atol=1e-5)

  def test_log_prob_is_the_set_mixture_of_each_class(self):
    rng = np.random.default_rng(1)
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=3, num_components=2)
    weights = rng.uniform(0.2, 1.0, size=(3, 2))
    loc = rng.normal(size=(3, 2, 2))
    factor = rng.normal(size=(3, 2, 2, 2))
    covariance = factor @ np.swapaxes(factor, -1, -2) + 0.5 * np.eye(2)
    prior.set_mixtures(weights, loc, covariance)
    labels = np.array([2, 0, 1, 2])
    z = rng.normal(size=(4, 2))
    p = prior.distribution(condition=np.eye(3, dtype=np.float32)[labels])
    w = weights / weights.sum(-1, keepdims=True)
    expected = [
      special.logsumexp(
        [
          np.log(w[c, j]) + stats.multivariate_normal(loc[c, j], covariance[c, j]).logpdf(z[i])
          for j in range(2)
        ]
      )
      for i, c in enumerate(labels)
    ]
    self.assertAllClose(p.log_prob(z.astype(np.float32)), expected, rtol=1e-4)

  def test_one_component_fit_is_the_moments_of_the_posteriors(self):
    # The aggregate posterior's mean and covariance: the scatter of the
    # posterior means plus their mean variance (closed form; EM's fixed point).
    rng = np.random.default_rng(2)
    z = rng.normal(size=(500, 2)) @ np.array([[1.0, 0.0], [0.8, 0.5]]) + [1.0, -2.0]
    variance = rng.uniform(0.1, 0.3, size=(500, 2))
    labels = np.repeat([0, 1], 250)
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=2, num_components=1)
    prior.fit(z, labels, variance)
    p = prior.distribution(condition=np.eye(2, dtype=np.float32))
    for c in range(2):
      members = labels == c
      covariance = np.cov(z[members].T, bias=True) + np.diag(variance[members].mean(0))
      self.assertAllClose(p.mean()[c], z[members].mean(0), atol=1e-5)
      self.assertAllClose(p.covariance()[c], covariance, rtol=1e-4)

  def test_em_recovers_a_known_mixture(self):
    rng = np.random.default_rng(3)
    centres = np.array([[-4.0, 0.0], [4.0, 1.0]])
    which = rng.uniform(size=4000) < 0.3
    z = np.where(which[:, None], centres[0], centres[1]) + 0.5 * rng.normal(size=(4000, 2))
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=1, num_components=2)
    log_likelihood = prior.fit(z, np.zeros(4000, np.int64), seed=0)
    p = prior.distribution(condition=np.ones([1, 1], np.float32))
    weights = p.mixture_distribution.probs_parameter().numpy()[0]
    order = np.argsort(p.components_distribution.mean().numpy()[0, :, 0])
    self.assertAllClose(weights[order], [which.mean(), 1 - which.mean()], atol=1e-3)
    self.assertAllClose(p.components_distribution.mean().numpy()[0][order], centres, atol=0.05)
    self.assertAllClose(
      p.components_distribution.covariance().numpy()[0][order], [0.25 * np.eye(2)] * 2, atol=0.03
    )
    # The returned mean log-likelihood is that of the draws under the fit.
    self.assertAllClose(
      log_likelihood[0], np.mean(p.log_prob(z.astype(np.float32)[:, None]).numpy()), rtol=1e-4
    )

  def test_em_on_posteriors_raises_its_bound_and_recovers_their_spread(self):
    # Two clusters of posterior means (spread 0.5) whose posteriors have
    # variance 0.09: each component's covariance is 0.25 + 0.09 per axis.
    rng = np.random.default_rng(6)
    centres = np.array([[-3.0, 0.0], [3.0, 2.0]])
    which = rng.uniform(size=3000) < 0.4
    z = np.where(which[:, None], centres[0], centres[1]) + 0.5 * rng.normal(size=(3000, 2))
    variance = np.full_like(z, 0.09)
    bounds = []
    for iterations in (1, 2, 4, 8, 100):
      prior = prior_lib.ClassMixture(latent_size=2, num_classes=1, num_components=2)
      bounds.append(prior.fit(z, np.zeros(3000, np.int64), variance, max_iterations=iterations)[0])
    self.assertTrue(np.all(np.diff(bounds) >= -1e-9), bounds)  # EM never lowers it.
    p = prior.distribution(condition=np.ones([1, 1], np.float32)).components_distribution
    order = np.argsort(p.mean().numpy()[0, :, 0])
    self.assertAllClose(p.mean().numpy()[0][order], centres, atol=0.05)
    self.assertAllClose(p.covariance().numpy()[0][order], [0.34 * np.eye(2)] * 2, atol=0.03)
    # The bound is E_q[log p(z)], exactly, where a component takes its examples whole:
    # log w + log N(z_i) - tr(covariance^-1 diag(variance_i)) / 2, averaged.
    weights = prior.distribution(condition=np.ones([1, 1])).mixture_distribution.probs_parameter()
    members = p.log_prob(z.astype(np.float32)[:, None]).numpy()  # [n, 2]
    own = np.where(which, order[0], order[1])
    covariance = p.covariance().numpy()[0]
    trace = np.einsum('nd,nd->n', variance, np.linalg.inv(covariance)[own].diagonal(0, 1, 2))
    exact = np.log(weights.numpy()[0][own]) + members[np.arange(3000), own] - trace / 2
    self.assertAllClose(bounds[-1], exact.mean(), atol=1e-3)

  def test_few_examples_get_few_components_and_config_round_trips(self):
    # 10 examples in 2 dimensions: one component per 6 examples at most.
    rng = np.random.default_rng(4)
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=1, num_components=5)
    prior.fit(rng.normal(size=(10, 2)), np.zeros(10, np.int64))
    weights = prior.distribution(condition=np.ones([1, 1])).mixture_distribution.probs_parameter()
    self.assertEqual(int(np.sum(weights.numpy() > 1e-6)), 1)
    clone = tfvae.keras.layers.deserialize(tfvae.keras.layers.serialize(prior))
    clone.set_weights(prior.get_weights())
    z = np.zeros([1, 2], np.float32)
    self.assertAllClose(
      clone.distribution(condition=np.ones([1, 1])).log_prob(z),
      prior.distribution(condition=np.ones([1, 1])).log_prob(z),
    )

  def test_a_class_without_examples_keeps_the_standard_normal(self):
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=3, num_components=1)
    z = np.random.default_rng(5).normal(2.0, 0.5, size=(40, 2))
    with self.assertWarnsRegex(UserWarning, r'classes \[1\] have no examples'):
      log_likelihoods = prior.fit(z, np.arange(40) % 2 * 2)  # Classes 0 and 2.
    self.assertEqual(sorted(log_likelihoods), [0, 2])
    p = prior.distribution(condition=np.eye(3, dtype=np.float32))
    self.assertAllClose(p.mean()[1], [0.0, 0.0])
    self.assertAllClose(p.covariance()[1], np.eye(2), atol=1e-5)
    self.assertAllClose(p.mean()[0], z[::2].mean(0), atol=1e-5)

  def test_bad_arguments(self):
    prior = prior_lib.ClassMixture(latent_size=2, num_classes=2, num_components=1)
    z = np.zeros([4, 2])
    for args, message in (
      ((z, np.array([0, 1, 2, 0])), r'\[0, 2\)'),
      ((z, np.array([0.0, 1.0, 0.0, 1.0])), 'integer classes'),
      ((z, np.array([0, 1, 0, 1]), -np.ones([4, 2])), 'non-negative variances'),
    ):
      with self.assertRaisesRegex(ValueError, message):
        prior.fit(*args)
    with self.assertRaisesRegex(ValueError, 'shape'):
      prior.set_mixtures(np.ones([2, 2]), np.zeros([2, 1, 2]), np.tile(np.eye(2), [2, 1, 1, 1]))
    for covariance in (
      np.zeros([2, 1, 2, 2]),
      np.tile([[1.0, 0.5], [0.0, 1.0]], [2, 1, 1, 1]),  # Not symmetric.
      np.full([2, 1, 2, 2], np.nan),
    ):
      with self.assertRaisesRegex(ValueError, 'symmetric and positive-definite'):
        prior.set_mixtures(np.ones([2, 1]), np.zeros([2, 1, 2]), covariance)
    with self.assertRaisesRegex(ValueError, '`loc` must be finite'):
      prior.set_mixtures(
        np.ones([2, 1]), np.full([2, 1, 2], np.nan), np.tile(np.eye(2), [2, 1, 1, 1])
      )
    with self.assertRaisesRegex(ValueError, '`condition` is required'):
      prior.distribution()


def _tempered_covariance(prior, t):
  """The covariance of `prior` at temperature `t`, from its components' moments."""
  if not hasattr(prior, 'components_distribution'):  # TFP's private mixture class too.
    return t**2 * prior.covariance().numpy()
  weights = prior.mixture_distribution.probs_parameter().numpy()[..., np.newaxis, np.newaxis]
  components = prior.components_distribution
  loc = components.mean().numpy()
  second = np.sum(
    weights * (t**2 * components.covariance().numpy() + np.einsum('...i,...j->...ij', loc, loc)),
    axis=-3,
  )
  mean = prior.mean().numpy()
  return second - np.einsum('...i,...j->...ij', mean, mean)


class TemperTest(test_util.TestCase):
  def test_gaussians_draw_the_same_noise_with_their_spread_scaled(self):
    rng = np.random.default_rng(0)
    loc = rng.normal(size=[3, 4]).astype(np.float32)
    tril = np.tril(rng.normal(size=[3, 4, 4])).astype(np.float32) + 2 * np.eye(4, dtype=np.float32)
    priors = {
      'diag': tfd.MultivariateNormalDiag(loc, np.abs(tril[:, 0]) + 0.1),
      'tril': tfd.MultivariateNormalTriL(loc, tril),
      'independent': tfd.Independent(tfd.Normal(loc, np.abs(tril[:, 0]) + 0.1), 1),
    }
    for name, prior in priors.items():
      with self.subTest(prior=name):
        tempered = prior_lib.temper(prior, 0.6)
        self.assertEqual(tempered.batch_shape, [3])
        self.assertEqual(tempered.event_shape, [4])
        self.assertAllClose(tempered.mean(), loc)
        self.assertAllClose(tempered.stddev(), 0.6 * prior.stddev(), rtol=1e-5)
        # The same seed draws the same standard noise: z_t - m = t (z_1 - m).
        draw, tempered_draw = (p.sample(5, seed=[1, 2]) for p in (prior, tempered))
        self.assertAllClose(tempered_draw - loc, 0.6 * (draw - loc), rtol=1e-5, atol=1e-5)

  def test_mixture_keeps_weights_and_means_and_scales_each_component(self):
    # Cov = sum_k w_k (t^2 S_k + m_k m_k^T) - m m^T, in closed form and by 200,000 draws.
    weights = np.array([0.2, 0.5, 0.3])
    loc = np.array([[-3.0, 0.0], [0.0, 2.0], [3.0, -1.0]])
    tril = np.array([[[1.0, 0.0], [0.5, 0.7]], [[0.4, 0.0], [-0.3, 1.2]], [[0.8, 0.0], [0.0, 0.2]]])
    prior = tfd.MixtureSameFamily(
      tfd.Categorical(probs=weights.astype(np.float32)),
      tfd.MultivariateNormalTriL(loc.astype(np.float32), tril.astype(np.float32)),
    )
    t = 0.5
    mean = weights @ loc
    second = sum(
      w * (t**2 * s @ s.T + np.outer(m, m)) for w, m, s in zip(weights, loc, tril, strict=True)
    )
    covariance = second - np.outer(mean, mean)
    tempered = prior_lib.temper(prior, t)
    self.assertIsInstance(tempered, tfd.MixtureSameFamily)
    self.assertAllClose(tempered.covariance(), covariance, rtol=1e-5, atol=1e-5)
    draws = tempered.sample(200_000, seed=[3, 4]).numpy().astype(np.float64)
    self.assertAllClose(draws.mean(0), mean, atol=0.02)
    self.assertAllClose(np.cov(draws.T), covariance, atol=0.03)

  def test_every_prior_of_the_library_tempers(self):
    encoder = tfvae.make_encoder((4,), latent_size=2, hidden_units=(3,), kl_regularizer=False)
    conditions = tf.eye(3)
    priors = {
      'standard_normal': prior_lib.make_standard_normal(2),
      'mixture': prior_lib.MixtureOfGaussians(2, 3).distribution(),
      'vamp': prior_lib.VampPrior(3, (4,)).distribution(encoder),
      'conditional_gaussian': prior_lib.ConditionalGaussian(2, 3).distribution(
        condition=conditions
      ),
      'class_mixture': prior_lib.ClassMixture(2, 3, 2).distribution(condition=conditions),
    }
    for name, prior in priors.items():
      with self.subTest(prior=name):
        tempered = prior_lib.temper(prior, 0.25)
        self.assertAllClose(tempered.mean(), prior.mean(), atol=1e-6)
        expected = _tempered_covariance(prior, 0.25)
        self.assertAllClose(tempered.covariance(), expected, rtol=1e-4, atol=1e-6)
        draws = tempered.sample(50_000, seed=[5, 6]).numpy().astype(np.float64)
        self.assertAllClose(draws.mean(0), prior.mean(), atol=0.03)
        draws -= draws.mean(0)
        empirical = np.einsum('n...i,n...j->...ij', draws, draws) / len(draws)
        self.assertAllClose(empirical, expected, atol=0.03)

  def test_temperature_one_is_the_prior_itself(self):
    prior = prior_lib.make_standard_normal(2)
    self.assertIs(prior_lib.temper(prior, 1.0), prior)

  def test_refuses_bad_temperatures_and_other_priors(self):
    prior = prior_lib.make_standard_normal(2)
    for value in (0.0, -1.0, float('nan'), float('inf')):
      with self.subTest(value=value):
        with self.assertRaisesRegex(ValueError, '`temperature`'):
          prior_lib.temper(prior, value)
    with self.assertRaisesRegex(TypeError, '`temperature` must be a float'):
      prior_lib.temper(prior, 'cold')
    flow = tfd.TransformedDistribution(prior, tfp.bijectors.Exp())
    with self.assertRaisesRegex(ValueError, 'scales a Gaussian prior.*TransformedDistribution'):
      prior_lib.temper(flow, 0.5)
    flows = tfd.MixtureSameFamily(
      tfd.Categorical(logits=[0.0, 0.0]),
      tfd.TransformedDistribution(tfd.Normal([0.0, 1.0], 1.0), tfp.bijectors.Exp()),
    )
    with self.assertRaisesRegex(ValueError, 'scales Gaussians, but the prior .* mixes'):
      prior_lib.temper(flows, 0.5)

  def test_wrapped_and_sampled_gaussians_temper(self):
    # A tfp.layers output (its tensor-coercible wrapper), in a mixture TFP
    # builds with its private class, and tfd.Sample over a Normal.
    params = tf.constant([[0.0, 1.0, 0.3, -0.2], [2.0, -1.0, 0.1, 0.4]])
    components = tfvae.MultivariateNormalDiag(2)(params)
    mixture = tfd.MixtureSameFamily(tfd.Categorical(logits=[0.0, 0.5]), components)
    for name, prior in (('wrapped', components), ('mixture', mixture)):
      with self.subTest(prior=name):
        tempered = prior_lib.temper(prior, 0.5)
        self.assertAllClose(tempered.covariance(), _tempered_covariance(prior, 0.5), atol=1e-6)
    sampled = tfd.Sample(tfd.Normal(1.0, 2.0), 3)
    tempered = prior_lib.temper(sampled, 0.5)
    self.assertEqual(tempered.event_shape, [3])
    draw, tempered_draw = (p.sample(4, seed=[7, 8]) for p in (sampled, tempered))
    self.assertAllClose(tempered_draw - 1.0, 0.5 * (draw - 1.0), rtol=1e-5, atol=1e-6)


if __name__ == '__main__':
  test_util.main()
