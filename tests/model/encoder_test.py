# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.encoder."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.distributions import transformed_distribution

import test_util
import tfvae
from tfvae.model import layers as layers_lib

tfd = tfp.distributions
tfpl = tfp.layers
# TFP builds this non-composite base class (not `tfd.TransformedDistribution`)
# around bijectors that hold Keras layers, such as the IAF's MADE networks.
_TransformedDistribution = transformed_distribution._TransformedDistribution


class MakeEncoderTest(test_util.TestCase):
  @test_util.parameterized.parameters(
    ('dense', test_util.IMAGE_SHAPE),
    ('conv', test_util.IMAGE_SHAPE),
    ('conv', (7, 5, 2)),
    ('dense', (9,)),
  )
  def test_output_is_multivariate_normal_diag(self, architecture, shape):
    encoder = tfvae.make_encoder(shape, test_util.LATENT_SIZE, architecture=architecture)
    self.assertIsInstance(encoder, tfvae.keras.Model)
    self.assertIsInstance(encoder.layers[-1], tfpl.DistributionLambda)
    posterior = encoder(self.make_images(shape=shape))
    inner = posterior.tensor_distribution
    self.assertIsInstance(inner, tfd.MultivariateNormalDiag)
    self.assertEqual(inner.batch_shape, [test_util.BATCH_SIZE])
    self.assertEqual(inner.event_shape, [test_util.LATENT_SIZE])
    self.assertEqual(encoder.outputs[0].shape.as_list(), [None, test_util.LATENT_SIZE])

  def test_posterior_integrates_to_one(self):
    # Latent size 2: quadrature of q(z|x) on a grid covering +-10 stddev.
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 2, test_util.HIDDEN_UNITS)
    posterior = encoder(self.make_images(n=2)).tensor_distribution
    loc, scale = posterior.mean().numpy(), posterior.stddev().numpy()
    for i in range(2):
      axes = [
        np.linspace(loc[i, d] - 10 * scale[i, d], loc[i, d] + 10 * scale[i, d], 801)
        for d in range(2)
      ]
      grid = np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1).reshape(-1, 1, 2)
      density = np.exp(posterior.log_prob(grid.astype(np.float32)).numpy()[:, i])
      cell = (axes[0][1] - axes[0][0]) * (axes[1][1] - axes[1][0])
      self.assertAllClose(density.sum() * cell, 1.0, atol=1e-4)

  def test_carries_kl_regularizer_by_default(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 3, kl_weight=0.5)
    regularizer = layers_lib.find_kl_regularizer(encoder)
    self.assertIsInstance(regularizer, tfvae.KLDivergenceRegularizer)
    self.assertEqual(float(regularizer.kl_weight.numpy()), 0.5)
    x = self.make_images()
    posterior = encoder(x).tensor_distribution
    kl = tfd.kl_divergence(posterior, tfvae.prior.make_standard_normal(3))
    encoder(x)
    self.assertAllClose(float(tf.add_n(encoder.losses)), 0.5 * float(tf.reduce_mean(kl)), rtol=1e-5)

  def test_without_regularizer(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 3, kl_regularizer=False)
    self.assertIsNone(layers_lib.find_kl_regularizer(encoder))
    encoder(self.make_images())
    self.assertAllEqual([float(loss) for loss in encoder.losses], [])

  def test_hidden_units(self):
    encoder = tfvae.make_encoder((10,), 2, hidden_units=(7, 3))
    dense = [layer for layer in encoder.layers if isinstance(layer, tfvae.keras.layers.Dense)]
    self.assertEqual([layer.units for layer in dense], [7, 3, 4])

  @test_util.parameterized.named_parameters(
    ('latent_zero', dict(latent_size=0), 'latent_size'),
    ('latent_negative', dict(latent_size=-3), 'latent_size'),
    ('latent_float', dict(latent_size=2.0), 'latent_size'),
    ('architecture', dict(architecture='rnn'), 'architecture'),
    ('conv_flat', dict(input_shape=(12,), architecture='conv'), 'conv'),
    ('input_shape', dict(input_shape=(4, -1)), 'input_shape'),
    ('hidden_units', dict(hidden_units=(7, 0)), 'hidden_units'),
  )
  def test_bad_arguments(self, overrides, message):
    kwargs = dict(input_shape=(4, 4, 1), latent_size=2)
    kwargs.update(overrides)
    with self.assertRaisesRegex(ValueError, message):
      tfvae.make_encoder(**kwargs)


class PosteriorFamilyTest(test_util.TestCase):
  @test_util.parameterized.parameters(
    ('full_covariance', 'dense', tfd.MultivariateNormalTriL),
    ('full_covariance', 'conv', tfd.MultivariateNormalTriL),
    ('iaf', 'dense', _TransformedDistribution),
    ('iaf', 'conv', _TransformedDistribution),
  )
  def test_output_family(self, posterior, architecture, distribution_type):
    encoder = tfvae.make_encoder(
      test_util.IMAGE_SHAPE,
      test_util.LATENT_SIZE,
      test_util.HIDDEN_UNITS,
      architecture,
      posterior=posterior,
      flow_hidden_units=(7,),
    )
    posterior = encoder(self.make_images())
    inner = posterior.tensor_distribution
    self.assertIsInstance(inner, distribution_type)
    self.assertEqual(inner.batch_shape, [test_util.BATCH_SIZE])
    self.assertEqual(inner.event_shape, [test_util.LATENT_SIZE])
    self.assertEqual(encoder.outputs[0].shape.as_list(), [None, test_util.LATENT_SIZE])

  def test_full_covariance_kl_is_closed_form(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 3, (7,), posterior='full_covariance')
    regularizer = layers_lib.find_kl_regularizer(encoder)
    self.assertTrue(regularizer.analytic)
    x = self.make_images()
    posterior = encoder(x).tensor_distribution
    prior = tfvae.prior.make_standard_normal(3)
    expected = tf.reduce_mean(tfd.kl_divergence(posterior, prior))
    self.assertAllClose(tf.add_n(encoder.losses), expected, rtol=1e-5)

  def test_iaf_kl_is_monte_carlo_with_context(self):
    encoder = tfvae.make_encoder(
      test_util.IMAGE_SHAPE,
      3,
      (7,),
      posterior='iaf',
      num_flows=3,
      flow_hidden_units=(6, 6),
      flow_context_size=4,
    )
    layer = encoder.layers[-1]
    self.assertIsInstance(layer, layers_lib.InverseAutoregressiveFlow)
    self.assertLen(layer.made_networks, 3)
    self.assertEqual(encoder.get_layer('params').units, 2 * 3 + 4)
    self.assertFalse(layers_lib.find_kl_regularizer(encoder).analytic)
    encoder(self.make_images())
    self.assertTrue(np.isfinite(float(tf.add_n(encoder.losses))))

  @test_util.parameterized.named_parameters(
    ('posterior', dict(posterior='flow'), 'posterior'),
    ('num_flows', dict(posterior='iaf', num_flows=0), 'num_flows'),
    ('flow_hidden_units', dict(posterior='iaf', flow_hidden_units=(0,)), 'hidden_units'),
    ('flow_context_size', dict(posterior='iaf', flow_context_size=-2), 'context_size'),
    ('free_bits', dict(posterior='full_covariance', free_bits=0.5), 'free_bits'),
  )
  def test_bad_arguments(self, overrides, message):
    with self.assertRaisesRegex(ValueError, message):
      tfvae.make_encoder((4, 4, 1), 2, **overrides)


if __name__ == '__main__':
  test_util.main()
