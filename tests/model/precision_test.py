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

  def test_layer_dtypes(self):
    self.assertEqual(precision_lib.layer_dtypes(None), (None, None))
    hidden, structural = precision_lib.layer_dtypes('bfloat16')
    self.assertEqual(hidden.name, 'mixed_bfloat16')
    # A string, as a layer's config keeps it (a conditional model saves).
    self.assertEqual(structural, 'float32')
    self.assertIsInstance(structural, str)
    self.assertEqual(precision_lib.layer_dtypes('float32')[0].name, 'float32')

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
      hidden = [
        layer
        for layer in network.layers
        if layer.weights and (layer.name[-1].isdigit() or layer.name == 'project')
      ]
      self.assertNotEmpty(hidden)
      for layer in hidden:
        self.assertEqual(layer.compute_dtype, 'bfloat16', layer.name)
      for variable in network.weights:  # Variables stay float32.
        self.assertEqual(variable.dtype, tf.float32, variable.name)
    decoder_head = 'logits_map' if architecture == 'conv' else 'logits'
    heads = (
      vae.encoder.get_layer('params'),
      vae.encoder.layers[-1],
      vae.decoder.get_layer(decoder_head),
      vae.decoder.layers[-1],
    )
    for layer in heads:
      self.assertEqual(layer.compute_dtype, 'float32', layer.name)
    x = self.make_images()
    posterior = vae.posterior(x)
    self.assertEqual(posterior.dtype, tf.float32)
    self.assertEqual(vae.likelihood(posterior.mean()).log_prob(x).dtype, tf.float32)
    self.assertEqual(vae.log_likelihood(x, num_samples=4, seed=0).dtype, tf.float32)

  @test_util.parameterized.parameters(
    dict(architecture='dense', condition_size=3),
    dict(architecture='conv', condition_size=3, likelihood='gaussian'),
    dict(architecture='conv', shape=(5, 7, 1)),  # The decoder crops.
  )
  def test_explicit_float32_is_float32_under_a_mixed_global_policy(
    self, shape=test_util.IMAGE_SHAPE, **kwargs
  ):
    x = self.make_images(n=4, shape=shape)
    c = np.arange(4) % 3 if kwargs.get('condition_size') else None
    keras.utils.set_random_seed(0)
    reference = test_util.make_vae(shape, **kwargs)
    expected = reference.log_likelihood(x, c, num_samples=8, seed=1)
    keras.mixed_precision.set_global_policy('mixed_bfloat16')
    explicit = test_util.make_vae(shape, precision='float32', **kwargs)
    default = test_util.make_vae(shape, **kwargs)
    self.assertEqual(
      default.encoder.get_layer(
        'dense_0' if kwargs['architecture'] == 'dense' else 'conv_0'
      ).compute_dtype,
      'bfloat16',
    )
    explicit.set_weights(reference.get_weights())
    for network in (explicit.encoder, explicit.decoder):
      for layer in network.layers[1:]:
        self.assertEqual(layer.compute_dtype, 'float32', layer.name)
    # Bit for bit the float32 model: nothing rounds the data or the features.
    self.assertAllEqual(explicit.log_likelihood(x, c, num_samples=8, seed=1), expected)

  def test_gaussian_trains_under_a_mixed_global_policy(self):
    # The VAE passes the data on as given: log p(x|z) of float32 data,
    # whatever the policy (Keras' autocast once fed bfloat16 x to log_prob).
    keras.mixed_precision.set_global_policy('mixed_bfloat16')
    keras.utils.set_random_seed(0)
    vae = test_util.make_vae(likelihood='gaussian')
    vae.compile(keras.optimizers.Adam(1e-3))
    x = self.make_images(n=8, binary=False)
    history = vae.fit(x, batch_size=4, epochs=2, verbose=0)
    self.assertTrue(np.all(np.isfinite(history.history['loss'])))
    parts = vae(x)
    self.assertEqual(parts['reconstruction'].dtype, tf.float32)
    expected = -vae.likelihood(vae.posterior(x).mean()).log_prob(x)
    self.assertEqual(expected.dtype, tf.float32)

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
