# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.VAE."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
import tfvae
from tfvae import layers as layers_lib
from tfvae.internal import keras

tfd = tfp.distributions

_SHAPE = test_util.IMAGE_SHAPE
_LATENT = test_util.LATENT_SIZE


def _deterministic_encoder(kl_weight=1.0, regularize=True):
  """An encoder whose tensor output is the posterior mean, so z is reproducible."""
  inputs = keras.layers.Input(shape=_SHAPE)
  h = keras.layers.Flatten()(inputs)
  h = keras.layers.Dense(7, activation='tanh')(h)
  params = keras.layers.Dense(2 * _LATENT)(h)
  regularizer = None
  if regularize:
    regularizer = tfvae.KLDivergenceRegularizer(
      tfvae.prior.make_standard_normal(_LATENT), kl_weight=kl_weight
    )
  posterior = layers_lib.MultivariateNormalDiag(_LATENT, 'mean', activity_regularizer=regularizer)(
    params
  )
  return keras.Model(inputs, posterior)


def _by_hand(encoder, decoder, x, kl_weight=1.0):
  """mean(-log p(x|z)) + kl_weight * mean(KL) with z the posterior mean."""
  posterior = encoder(x).tensor_distribution
  likelihood = decoder(posterior.mean())
  prior = tfvae.prior.make_standard_normal(_LATENT)
  reconstruction = float(tf.reduce_mean(-likelihood.log_prob(x)))
  kl = float(tf.reduce_mean(tfd.kl_divergence(posterior, prior)))
  return reconstruction, kl, reconstruction + kl_weight * kl


class VAELossTest(test_util.TestCase):
  @test_util.parameterized.parameters(True, False)
  def test_evaluate_loss_is_negative_elbo_by_hand(self, regularize):
    encoder = _deterministic_encoder(regularize=regularize)
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, test_util.HIDDEN_UNITS)
    vae = tfvae.VAE(encoder, decoder)
    vae.compile()
    x = self.make_images(n=6)
    reconstruction, kl, loss = _by_hand(encoder, decoder, x)
    metrics = vae.evaluate(x, batch_size=6, verbose=0, return_dict=True)
    self.assertAllClose(metrics['loss'], loss, rtol=1e-4)
    self.assertAllClose(metrics['reconstruction'], reconstruction, rtol=1e-4)
    self.assertAllClose(metrics['kl'], kl, rtol=1e-4)
    vae(x)
    nonzero = [float(v) for v in vae.losses if float(v) != 0.0]
    self.assertLen(nonzero, 1)
    self.assertAllClose(nonzero[0], kl, rtol=1e-4)

  def test_kl_weight_applies_once(self):
    encoder = _deterministic_encoder(kl_weight=0.25)
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, test_util.HIDDEN_UNITS)
    vae = tfvae.VAE(encoder, decoder, kl_weight=0.25)
    vae.compile()
    x = self.make_images(n=6)
    _, _, loss = _by_hand(encoder, decoder, x, kl_weight=0.25)
    metrics = vae.evaluate(x, batch_size=6, verbose=0, return_dict=True)
    self.assertAllClose(metrics['loss'], loss, rtol=1e-4)
    vae.kl_weight.assign(0.0)
    metrics = vae.evaluate(x, batch_size=6, verbose=0, return_dict=True)
    self.assertAllClose(metrics['loss'], metrics['reconstruction'], rtol=1e-6)

  def test_tfp_tutorial_composition_reports_negative_elbo(self):
    encoder = _deterministic_encoder()
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, test_util.HIDDEN_UNITS)
    model = keras.Model(encoder.inputs, decoder(encoder.outputs[0]))
    model.compile(keras.optimizers.Adam(1e-3), loss=lambda x, rv_x: -rv_x.log_prob(x))
    x = self.make_images(n=6)
    _, kl, loss = _by_hand(encoder, decoder, x)
    self.assertAllClose(model.evaluate(x, x, batch_size=6, verbose=0), loss, rtol=1e-4)
    model(x)
    self.assertAllClose(float(tf.add_n(model.losses)), kl, rtol=1e-4)
    history = model.fit(x, x, epochs=2, batch_size=3, verbose=0)
    self.assertTrue(np.all(np.isfinite(history.history['loss'])))

  def test_stochastic_loss_is_unbiased(self):
    # With the default sampling encoder, the evaluate loss averages to the
    # negative ELBO: compare against a 2,000-sample Monte Carlo reference.
    vae = self.make_vae()
    vae.compile()
    x = self.make_images(n=4)
    posterior = vae.encoder(x).tensor_distribution
    z = posterior.sample(2000, seed=(5, 6))
    reconstruction = -vae.decoder(tf.reshape(z, [-1, _LATENT])).log_prob(
      np.tile(x, [2000, 1, 1, 1])
    )
    kl = tfd.kl_divergence(posterior, vae.prior)
    expected = float(tf.reduce_mean(reconstruction) + tf.reduce_mean(kl))
    losses = [vae.evaluate(x, batch_size=4, verbose=0, return_dict=True)['loss'] for _ in range(50)]
    self.assertAllClose(np.mean(losses), expected, rtol=0.02)


class VAEModelTest(test_util.TestCase):
  def test_fit_reports_named_parts(self):
    vae = self.make_vae()
    vae.compile()
    x = self.make_images(n=12)
    history = vae.fit(x, epochs=2, batch_size=4, verbose=0, validation_data=x[:6])
    self.assertEqual(
      sorted(history.history),
      ['kl', 'loss', 'reconstruction', 'val_kl', 'val_loss', 'val_reconstruction'],
    )
    for values in history.history.values():
      self.assertTrue(np.all(np.isfinite(values)))

  def test_fit_accepts_datasets_of_x_and_pairs(self):
    vae = self.make_vae()
    vae.compile()
    x = self.make_images(n=12)
    labels = np.arange(12)
    vae.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), verbose=0)
    vae.fit(tf.data.Dataset.from_tensor_slices((x, labels)).batch(4), verbose=0)
    vae.fit(x, labels, batch_size=4, verbose=0)

  def test_step_is_traced_once_with_xla(self):
    vae = self.make_vae()
    vae.compile(jit_compile=True)
    self.assertTrue(vae._jit_compile)
    x = self.make_images(n=10)
    vae.fit(x, epochs=3, batch_size=4, verbose=0)
    self.assertEqual(vae.train_function.experimental_get_tracing_count(), 1)

  def test_predict_is_deterministic_reconstruction(self):
    vae = self.make_vae()
    vae.compile()
    x = self.make_images(n=5)
    first = vae.predict(x, verbose=0)
    self.assertEqual(first.shape, x.shape)
    self.assertAllEqual(first, vae.predict(x, verbose=0))
    posterior = vae.encoder(x)
    expected = vae.decoder(posterior.mean()).mean()
    self.assertAllClose(first, expected, rtol=1e-5)

  def test_sample_is_reproducible(self):
    vae = self.make_vae()
    images = vae.sample(4, seed=3)
    self.assertEqual(images.shape, (4, *_SHAPE))
    self.assertAllEqual(images, vae.sample(4, seed=3))
    self.assertNotAllClose(images, vae.sample(4, seed=4))
    binary = vae.sample(4, seed=3, mean=False).numpy()
    self.assertAllEqual(np.unique(binary), [0.0, 1.0])

  def test_elbo_per_example(self):
    vae = self.make_vae(encoder_kwargs={})
    x = self.make_images(n=4)
    elbo = vae.elbo(x)
    self.assertEqual(elbo.shape, [4])
    self.assertTrue(np.all(elbo.numpy() < 0))

  def test_encoder_decoder_return_distributions(self):
    vae = self.make_vae()
    x = self.make_images()
    self.assertIsInstance(vae.encoder(x).tensor_distribution, tfd.MultivariateNormalDiag)
    self.assertIsInstance(
      vae.decoder(np.zeros([2, _LATENT], np.float32)).tensor_distribution, tfd.Independent
    )

  def test_config_round_trip(self):
    vae = self.make_vae()
    clone = tfvae.VAE.from_config(vae.get_config())
    self.assertEqual(clone.get_config()['kl_weight'], 1.0)
    self.assertEqual(clone.latent_size, _LATENT)
    self.assertEqual(clone.event_shape, _SHAPE)

  def test_keras_save_load_round_trip_in_safe_mode(self):
    vae = self.make_vae(architecture='conv', hidden_units=(3,))
    vae.compile()
    x = self.make_images(n=4)
    vae.fit(x, batch_size=2, verbose=0)
    path = self.create_tempdir().full_path + '/vae.keras'
    vae.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    self.assertIsInstance(loaded, tfvae.VAE)
    self.assertAllClose(loaded.predict(x, verbose=0), vae.predict(x, verbose=0), atol=1e-6)
    loaded.fit(x, batch_size=2, verbose=0)

  def test_vae_owned_kl_appears_once(self):
    encoder = tfvae.make_encoder(_SHAPE, _LATENT, test_util.HIDDEN_UNITS, kl_regularizer=False)
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, test_util.HIDDEN_UNITS)
    vae = tfvae.VAE(encoder, decoder, kl_weight=0.5)
    parts = vae(self.make_images())
    self.assertLen(vae.losses, 1)
    self.assertAllClose(float(vae.losses[0]), 0.5 * float(tf.reduce_mean(parts['kl'])), rtol=1e-6)


class VAEBadInputTest(test_util.TestCase):
  def setUp(self):
    super().setUp()
    self.vae = self.make_vae()
    self.vae.compile()

  @test_util.parameterized.named_parameters(
    ('wrong_shape', np.zeros([4, 5, 6, 1], np.float32), ValueError, 'shape'),
    ('wrong_rank', np.zeros([4, 24], np.float32), ValueError, 'shape'),
    ('uint8', np.full([4, *_SHAPE], 255, np.uint8), ValueError, '255'),
    ('above_one', np.full([4, *_SHAPE], 1.5, np.float32), ValueError, r'\[0, 1\]'),
    ('nan', np.full([4, *_SHAPE], np.nan, np.float32), ValueError, 'NaN'),
    ('empty', np.zeros([0, *_SHAPE], np.float32), ValueError, 'non-empty'),
    ('strings', np.full([4, *_SHAPE], 'a'), TypeError, 'dtype'),
  )
  def test_fit_rejects_before_training(self, x, error, message):
    with self.assertRaisesRegex(error, message):
      self.vae.fit(x, verbose=0)
    self.assertIsNone(
      self.vae.history if hasattr(self.vae, 'history') and self.vae.history else None
    )

  def test_integer_binary_images_are_accepted(self):
    self.vae.fit(np.ones([4, *_SHAPE], np.int64), verbose=0)

  def test_dataset_with_wrong_shape(self):
    ds = tf.data.Dataset.from_tensor_slices(np.zeros([4, 3, 3, 1], np.float32)).batch(2)
    with self.assertRaisesRegex(ValueError, 'x'):
      self.vae.fit(ds, verbose=0)

  def test_compile_rejects_loss(self):
    with self.assertRaisesRegex(ValueError, 'loss'):
      self.vae.compile('adam', loss='mse')

  def test_prior_conflicts_with_encoder_regularizer(self):
    encoder = tfvae.make_encoder(_SHAPE, _LATENT)
    decoder = tfvae.make_decoder(_LATENT, _SHAPE)
    with self.assertRaisesRegex(ValueError, 'prior'):
      tfvae.VAE(encoder, decoder, prior=tfvae.prior.make_standard_normal(_LATENT))
    with self.assertRaisesRegex(ValueError, 'kl_weight'):
      tfvae.VAE(encoder, decoder, kl_weight=0.5)

  def test_mismatched_networks(self):
    encoder = tfvae.make_encoder(_SHAPE, _LATENT)
    decoder = tfvae.make_decoder(_LATENT + 1, _SHAPE)
    with self.assertRaisesRegex(ValueError, 'latent size'):
      tfvae.VAE(encoder, decoder)
    with self.assertRaisesRegex(TypeError, 'encoder'):
      tfvae.VAE('encoder', decoder)


class VAETrainingTest(test_util.TestCase):
  @test_util.parameterized.parameters('dense', 'conv')
  def test_training_on_digits_lowers_negative_elbo(self, architecture):
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    x_eval = tfvae.datasets.binarize(x_test, seed=0)
    hidden = (64, 32) if architecture == 'dense' else (16, 32)
    vae = self.make_vae((8, 8, 1), 8, hidden, architecture=architecture)
    vae.compile(keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x_eval, verbose=0, return_dict=True)['loss']
    vae.fit(tfvae.datasets.make_dataset(x_train, 64, seed=1), epochs=15, verbose=0)
    after = vae.evaluate(x_eval, verbose=0, return_dict=True)['loss']
    # Initialization sits near 64 * log(2) = 44.4 nats; training gains > 10.
    self.assertGreater(before, 40.0)
    self.assertLess(after, before - 10.0)


if __name__ == '__main__':
  test_util.main()
