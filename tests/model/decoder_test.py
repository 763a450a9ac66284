# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.decoder."""

import itertools

import numpy as np
import tensorflow_probability as tfp
from scipy import stats

import test_util
import tfvae
from tfvae.model import layers as layers_lib

tfd = tfp.distributions
tfpl = tfp.layers


class MakeDecoderTest(test_util.TestCase):
  @test_util.parameterized.parameters(
    ('dense', test_util.IMAGE_SHAPE),
    ('conv', test_util.IMAGE_SHAPE),
    ('conv', (7, 5, 2)),
    ('conv', (28, 28, 1)),
    ('dense', (9,)),
  )
  def test_output_is_independent_bernoulli(self, architecture, shape):
    decoder = tfvae.make_decoder(test_util.LATENT_SIZE, shape, architecture=architecture)
    self.assertIsInstance(decoder.layers[-1], tfpl.IndependentBernoulli)
    z = np.random.default_rng(0).normal(size=(3, test_util.LATENT_SIZE)).astype(np.float32)
    likelihood = decoder(z)
    inner = likelihood.tensor_distribution
    self.assertIsInstance(inner, tfd.Independent)
    self.assertIsInstance(inner.distribution, tfd.Bernoulli)
    self.assertEqual(inner.event_shape, list(shape))
    self.assertEqual(inner.batch_shape, [3])
    self.assertEqual(likelihood.mean().shape, (3, *shape))

  def test_likelihood_sums_to_one_over_all_binary_images(self):
    # D = 12 pixels: enumerate all 2**12 images exactly.
    shape = (3, 4, 1)
    decoder = tfvae.make_decoder(2, shape, test_util.HIDDEN_UNITS)
    z = np.random.default_rng(1).normal(size=(2, 2)).astype(np.float32)
    likelihood = decoder(z)
    images = np.array(list(itertools.product([0.0, 1.0], repeat=12)), np.float32)
    images = images.reshape(-1, 1, *shape)  # [4096, 1, ...] broadcasts over the batch of 2.
    log_probs = likelihood.log_prob(images).numpy()
    self.assertEqual(log_probs.shape, (4096, 2))
    self.assertAllClose(np.exp(log_probs).sum(axis=0), [1.0, 1.0], atol=1e-5)

  def test_default_dense_units_mirror_encoder(self):
    decoder = tfvae.make_decoder(3, (10,))
    dense = [layer for layer in decoder.layers if isinstance(layer, tfvae.keras.layers.Dense)]
    self.assertEqual([layer.units for layer in dense], [256, 512, 10])

  @test_util.parameterized.named_parameters(
    ('latent_zero', dict(latent_size=0), 'latent_size'),
    ('output_shape', dict(output_shape=()), 'output_shape'),
    ('architecture', dict(architecture='mlp'), 'architecture'),
    ('likelihood', dict(likelihood='poisson'), 'likelihood'),
    ('conv_flat', dict(output_shape=(12,), architecture='conv'), 'conv'),
    ('num_components_zero', dict(likelihood='discretized_logistic', num_components=0), 'num_'),
    ('num_components_bernoulli', dict(num_components=3), "needs `likelihood='discretized_"),
  )
  def test_bad_arguments(self, overrides, message):
    kwargs = dict(latent_size=2, output_shape=(4, 4, 1))
    kwargs.update(overrides)
    with self.assertRaisesRegex(ValueError, message):
      tfvae.make_decoder(**kwargs)


class LikelihoodFamilyTest(test_util.TestCase):
  @test_util.parameterized.parameters(
    ('continuous_bernoulli', 'dense', tfd.ContinuousBernoulli),
    ('continuous_bernoulli', 'conv', tfd.ContinuousBernoulli),
    ('gaussian', 'dense', tfd.Normal),
    ('gaussian', 'conv', tfd.Normal),
    ('bernoulli', 'dense', tfd.Bernoulli),
    ('discretized_logistic', 'dense', layers_lib.DiscretizedLogisticMixture),
    ('discretized_logistic', 'conv', layers_lib.DiscretizedLogisticMixture),
  )
  def test_output_family(self, likelihood, architecture, factor_type):
    decoder = tfvae.make_decoder(
      test_util.LATENT_SIZE, test_util.IMAGE_SHAPE, (7,), architecture, likelihood=likelihood
    )
    z = np.random.default_rng(0).normal(size=(3, test_util.LATENT_SIZE)).astype(np.float32)
    inner = decoder(z).tensor_distribution
    self.assertIsInstance(inner, tfd.Independent)
    self.assertIsInstance(inner.distribution, factor_type)
    self.assertEqual(inner.batch_shape, [3])
    self.assertEqual(inner.event_shape, list(test_util.IMAGE_SHAPE))
    self.assertEqual(layers_lib.likelihood_family(decoder), likelihood)
    self.assertEqual(decoder.layers[-1].dtype, 'float32')

  def test_gaussian_scale_is_a_decoder_weight(self):
    decoder = tfvae.make_decoder(2, (3, 2, 1), (7,), likelihood='gaussian')
    layer = decoder.layers[-1]
    self.assertIn(layer.raw_scale.ref(), {w.ref() for w in decoder.trainable_weights})
    z = np.zeros([4, 2], np.float32)
    likelihood = decoder(z)
    x = np.random.default_rng(1).uniform(size=(4, 3, 2, 1)).astype(np.float32)
    loc = likelihood.mean().numpy()
    expected = stats.norm(loc, 0.1).logpdf(x).sum(axis=(1, 2, 3))
    self.assertAllClose(likelihood.log_prob(x), expected, rtol=1e-5)

  def test_continuous_bernoulli_is_a_density_on_grey_levels(self):
    # Unlike the Bernoulli "likelihood" of a grey level, it integrates to 1.
    decoder = tfvae.make_decoder(2, (1,), (7,), likelihood='continuous_bernoulli')
    likelihood = decoder(np.ones([1, 2], np.float32))
    grid = np.linspace(0.0, 1.0, 20001, dtype=np.float32).reshape(-1, 1, 1)
    density = np.exp(likelihood.log_prob(grid).numpy()[:, 0])
    self.assertAllClose(np.trapezoid(density, grid[:, 0, 0]), 1.0, atol=1e-5)

  @test_util.parameterized.named_parameters(('dense', 'dense'), ('conv', 'conv'))
  def test_discretized_logistic_mixture_levels_sum_to_one(self, architecture):
    shape = (3, 2, 2)
    decoder = tfvae.make_decoder(
      2, shape, (7,), architecture, likelihood='discretized_logistic', num_components=3
    )
    self.assertEqual(decoder.layers[-1].get_config()['num_components'], 3)
    z = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)
    likelihood = decoder(z)
    pixels = likelihood.tensor_distribution.distribution
    self.assertEqual(pixels.loc.shape, (4, *shape, 3))
    self.assertEqual(pixels.mixture_logits.shape, (4, *shape, 3))
    levels = np.arange(256, dtype=np.float32).reshape(256, 1, 1, 1, 1) / np.float32(255)
    probs = np.exp(pixels.log_prob(levels).numpy())  # [256, 4, *shape]
    self.assertAllClose(probs.sum(axis=0), np.ones([4, *shape]), atol=1e-5)
    # The image's log-probability is the sum over its pixels' (no Jacobian).
    x = np.random.default_rng(1).integers(0, 256, size=(4, *shape)).astype(np.float32) / 255
    by_pixel = np.log(np.take_along_axis(probs, np.round(x * 255).astype(int)[None], 0)[0])
    self.assertAllClose(likelihood.log_prob(x), by_pixel.sum(axis=(1, 2, 3)), rtol=1e-5)


if __name__ == '__main__':
  test_util.main()
