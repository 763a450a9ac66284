# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.layers: distribution layers and the KL regularizer."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
import tfvae
from tfvae import layers as layers_lib
from tfvae import prior as prior_lib
from tfvae.internal import keras

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
    expected_scale = 1e-6 + np.log1p(np.exp(params[:, 5:] + np.log(np.expm1(1.0))))
    self.assertAllClose(inner.stddev(), expected_scale, rtol=1e-5)

  def test_zero_params_give_unit_scale(self):
    inner = layers_lib.MultivariateNormalDiag(4)(tf.zeros([2, 8])).tensor_distribution
    self.assertAllClose(inner.stddev(), np.ones([2, 4]), atol=1e-5)

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
    model = _encoder(tfvae.KLDivergenceRegularizer(prior_lib.make_standard_normal(5)))
    model(np.zeros([2, 4], np.float32))
    tf.saved_model.save(model, self.create_tempdir().full_path)

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


if __name__ == '__main__':
  test_util.main()
