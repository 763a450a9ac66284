# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.model.precision and the networks' `precision` argument."""

from unittest import mock

import numpy as np
import tensorflow as tf

import test_util
import tfvae
from tfvae.internal import keras
from tfvae.model import precision as precision_lib


class ResolveTest(test_util.TestCase):
  def test_explicit_precisions_are_kept(self):
    self.assertEqual(precision_lib.resolve('float32'), 'float32')
    self.assertEqual(precision_lib.resolve('bfloat16'), 'bfloat16')

  def test_auto_follows_bfloat16_pays(self):
    for pays, expected in ((True, 'bfloat16'), (False, 'float32')):
      with mock.patch.object(precision_lib, 'bfloat16_pays', return_value=pays):
        self.assertEqual(precision_lib.resolve('auto'), expected)

  def test_auto_is_float32_without_a_bfloat16_gpu(self):
    if tf.config.list_physical_devices('GPU'):
      self.skipTest('a GPU is visible')
    self.assertFalse(precision_lib.bfloat16_pays())
    self.assertEqual(precision_lib.resolve('auto'), 'float32')

  def test_bad_precision_names_the_argument(self):
    with self.assertRaisesRegex(ValueError, '`precision`.*half'):
      precision_lib.resolve('half')
    with self.assertRaisesRegex(ValueError, '`precision`'):
      tfvae.make_encoder(test_util.IMAGE_SHAPE, 2, precision='float16')

  def test_hidden_layer_dtype(self):
    self.assertIsNone(precision_lib.hidden_layer_dtype(None))
    self.assertEqual(precision_lib.hidden_layer_dtype('bfloat16').name, 'mixed_bfloat16')
    self.assertEqual(precision_lib.hidden_layer_dtype('float32').name, 'float32')


class NetworkPrecisionTest(test_util.TestCase):
  def tearDown(self):
    keras.mixed_precision.set_global_policy('float32')
    super().tearDown()

  @test_util.parameterized.parameters('dense', 'conv')
  def test_bfloat16_computes_hidden_layers_only(self, architecture):
    vae = test_util.make_vae(architecture=architecture, precision='bfloat16')
    for network in (vae.encoder, vae.decoder):
      hidden = [layer for layer in network.layers if layer.weights and layer.name[-1].isdigit()]
      self.assertNotEmpty(hidden)
      for layer in hidden:
        self.assertEqual(layer.compute_dtype, 'bfloat16', layer.name)
      for variable in network.weights:  # Variables stay float32.
        self.assertEqual(variable.dtype, tf.float32, variable.name)
    heads = (vae.encoder.get_layer('params'), vae.decoder.layers[-1], vae.encoder.layers[-1])
    for layer in heads:
      self.assertEqual(layer.compute_dtype, 'float32', layer.name)
    x = self.make_images()
    posterior = vae.posterior(x)
    self.assertEqual(posterior.dtype, tf.float32)
    self.assertEqual(vae.likelihood(posterior.mean()).log_prob(x).dtype, tf.float32)
    self.assertEqual(vae.log_likelihood(x, num_samples=4, seed=0).dtype, tf.float32)

  def test_explicit_float32_overrides_a_mixed_global_policy(self):
    keras.mixed_precision.set_global_policy('mixed_bfloat16')
    default = test_util.make_vae()
    explicit = test_util.make_vae(precision='float32')
    self.assertEqual(default.encoder.get_layer('dense_0').compute_dtype, 'bfloat16')
    self.assertEqual(explicit.encoder.get_layer('dense_0').compute_dtype, 'float32')

  def test_bfloat16_estimates_within_rounding_of_float32(self):
    # The same weights in both precisions: log p(x) differs only by the
    # rounding of the hidden activations (8-bit mantissas).
    x = self.make_images(n=16)
    models = {}
    for precision in ('float32', 'bfloat16'):
      keras.utils.set_random_seed(0)
      models[precision] = test_util.make_vae(hidden_units=(32, 16), precision=precision)
    models['bfloat16'].set_weights(models['float32'].get_weights())
    estimates = {
      name: model.log_likelihood(x, num_samples=256, seed=3).numpy()
      for name, model in models.items()
    }
    difference = np.abs(estimates['bfloat16'] - estimates['float32'])
    self.assertLess(difference.mean(), 0.05)
    self.assertLess(difference.max(), 0.2)

  def test_config_round_trip_keeps_precision(self):
    vae = test_util.make_vae(precision='bfloat16')
    clone = tfvae.VAE.from_config(vae.get_config())
    self.assertEqual(clone.encoder.get_layer('dense_0').compute_dtype, 'bfloat16')
    self.assertEqual(clone.decoder.get_layer('dense_0').compute_dtype, 'bfloat16')


if __name__ == '__main__':
  test_util.main()
