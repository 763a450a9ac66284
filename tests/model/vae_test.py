# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.VAE."""

import os
import subprocess
import sys
import warnings

import keras as keras3  # Keras 3, what `tf.keras` is on TensorFlow 2.21.
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
import tfvae
from tfvae.internal import keras
from tfvae.model import layers as layers_lib

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
    vae = test_util.make_vae()
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
    vae = test_util.make_vae()
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
    x = self.make_images(n=12)
    labels = np.arange(12)
    forms = {
      'array': dict(x=x, batch_size=4, shuffle=False),
      'dataset': dict(x=tf.data.Dataset.from_tensor_slices(x).batch(4)),
      'dataset_of_pairs': dict(x=tf.data.Dataset.from_tensor_slices((x, labels)).batch(4)),
      'array_and_labels': dict(x=x, y=labels, batch_size=4, shuffle=False),
    }
    weights, losses = {}, {}
    for name, data in forms.items():
      # Same initial weights and the same posterior draws: the same training.
      tfvae.keras.utils.set_random_seed(3)
      vae = tfvae.VAE(_deterministic_encoder(), tfvae.make_decoder(_LATENT, _SHAPE, (7,)))
      vae.compile(keras.optimizers.SGD(0.1), steps_per_execution=1)
      losses[name] = vae.fit(epochs=2, verbose=0, **data).history['loss']
      weights[name] = vae.get_weights()
    for name in forms:
      with self.subTest(form=name):
        self.assertAllClose(losses[name], losses['array'], rtol=1e-6)
        for got, expected in zip(weights[name], weights['array']):
          self.assertAllClose(got, expected, rtol=1e-6, atol=1e-7)
    # Training moved the weights: the comparison is not between untouched models.
    self.assertLess(losses['array'][1], losses['array'][0])

  def test_step_is_traced_once_with_xla(self):
    vae = test_util.make_vae()
    vae.compile(jit_compile=True)
    self.assertTrue(vae._jit_compile)
    x = self.make_images(n=10)
    vae.fit(x, epochs=3, batch_size=4, verbose=0)
    self.assertEqual(vae.train_function.experimental_get_tracing_count(), 1)

  def test_predict_is_deterministic_reconstruction(self):
    vae = test_util.make_vae()
    vae.compile()
    x = self.make_images(n=5)
    first = vae.predict(x, verbose=0)
    self.assertEqual(first.shape, x.shape)
    self.assertAllEqual(first, vae.predict(x, verbose=0))
    posterior = vae.encoder(x)
    expected = vae.decoder(posterior.mean()).mean()
    self.assertAllClose(first, expected, rtol=1e-5)

  def test_sample_is_reproducible(self):
    vae = test_util.make_vae()
    images = vae.sample(4, seed=3)
    self.assertEqual(images.shape, (4, *_SHAPE))
    self.assertAllEqual(images, vae.sample(4, seed=3))
    self.assertNotAllClose(images, vae.sample(4, seed=4))
    binary = vae.sample(4, seed=3, mean=False).numpy()
    self.assertAllEqual(np.unique(binary), [0.0, 1.0])

  def test_sample_at_a_temperature_scales_the_prior_draw(self):
    vae = test_util.make_vae()
    prior_seed, _ = tfp.random.split_seed(tf.constant([3, 0], tf.int32))
    z = vae.prior_distribution().sample(4, seed=prior_seed)
    for temperature in (0.5, 1.0, 1.5):
      with self.subTest(temperature=temperature):
        self.assertAllClose(
          vae.sample(4, seed=3, temperature=temperature),
          vae.decoder(temperature * z).mean(),
          rtol=1e-5,
          atol=1e-6,
        )
    for value, error in ((0, ValueError), (-0.5, ValueError), ('warm', TypeError)):
      with self.subTest(value=value):
        with self.assertRaisesRegex(error, '`temperature`'):
          vae.sample(4, temperature=value)

  def test_check_temperature_refuses_before_anything_is_drawn(self):
    vae = test_util.make_vae()
    value = vae.check_temperature(np.float32(0.5))
    self.assertIsInstance(value, float)
    self.assertEqual(value, 0.5)
    with self.assertRaisesRegex(ValueError, '`sample_temperature` must be > 0; got 0'):
      vae.check_temperature(0, 'sample_temperature')
    with self.assertRaisesRegex(TypeError, '`temperature` must be a float'):
      vae.check_temperature('warm')
    # A conditional prior is built at a one-row condition, then tempered.
    conditional = tfvae.make_vae((2, 3, 1), 2, (4,), prior='conditional_gaussian', condition_size=3)
    self.assertEqual(conditional.check_temperature(0.8), 0.8)
    # A VampPrior of flow posteriors cannot be tempered; at 1 it is itself.
    encoder = tfvae.make_encoder((2, 3, 1), 2, (4,), posterior='iaf', kl_regularizer=False)
    vamp = tfvae.VAE(
      encoder,
      tfvae.make_decoder(2, (2, 3, 1), (4,)),
      prior=tfvae.prior.VampPrior(2, (2, 3, 1)),
    )
    self.assertEqual(vamp.check_temperature(1), 1.0)
    with self.assertRaisesRegex(ValueError, '`temperature`=0.5 scales Gaussians, but .* mixes'):
      vamp.check_temperature(0.5)

  def test_elbo_per_example(self):
    vae = test_util.make_vae(encoder_kwargs={})
    x = self.make_images(n=4)
    elbo = vae.elbo(x)
    self.assertEqual(elbo.shape, [4])
    self.assertTrue(np.all(elbo.numpy() < 0))

  def test_encoder_decoder_return_distributions(self):
    vae = test_util.make_vae()
    x = self.make_images()
    self.assertIsInstance(vae.encoder(x).tensor_distribution, tfd.MultivariateNormalDiag)
    self.assertIsInstance(
      vae.decoder(np.zeros([2, _LATENT], np.float32)).tensor_distribution, tfd.Independent
    )

  def test_config_round_trip(self):
    vae = test_util.make_vae()
    clone = tfvae.VAE.from_config(vae.get_config())
    self.assertEqual(clone.get_config()['kl_weight'], 1.0)
    self.assertEqual(clone.latent_size, _LATENT)
    self.assertEqual(clone.event_shape, _SHAPE)

  def test_keras_save_load_round_trip_in_safe_mode(self):
    vae = test_util.make_vae(architecture='conv', hidden_units=(3,))
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
    self.vae = test_util.make_vae()
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
    integers = np.tile([0, 1], 2 * int(np.prod(_SHAPE))).reshape([4, *_SHAPE]).astype(np.int64)
    floats = integers.astype(np.float32)
    vae = tfvae.VAE(_deterministic_encoder(), tfvae.make_decoder(_LATENT, _SHAPE, (7,)))
    vae.compile()
    expected = vae.evaluate(floats, verbose=0, return_dict=True)
    self.assertEqual(vae.evaluate(integers, verbose=0, return_dict=True), expected)
    self.assertAllEqual(vae.predict(integers, verbose=0), vae.predict(floats, verbose=0))
    history = vae.fit(integers, epochs=2, verbose=0).history
    self.assertLess(history['loss'][1], history['loss'][0])

  def test_encoder_and_decoder_shapes_must_agree(self):
    encoder = tfvae.make_encoder((4, 4, 1), 4)
    decoder = tfvae.make_decoder(4, (8, 8, 1))
    with self.assertRaisesRegex(ValueError, r'`encoder` takes .*\(4, 4, 1\).*\(8, 8, 1\)'):
      tfvae.VAE(encoder, decoder)

  def test_keras_3_objects_are_refused_with_what_to_pass(self):
    hint = r'Keras 3 .*tfvae runs on Keras 2 \(tf_keras\)'
    with self.assertRaisesRegex(TypeError, f'`optimizer` is a {hint}.*tfvae.keras.optimizers.Adam'):
      self.vae.compile(keras3.optimizers.Adam())
    with self.assertRaisesRegex(TypeError, f'`metrics` is a {hint}.*tfvae.keras.metrics.Mean'):
      self.vae.compile('adam', metrics=[keras3.metrics.Mean()])
    self.vae.compile('adam')
    x = self.make_images(n=4)
    for method in ('fit', 'evaluate', 'predict'):
      with self.subTest(method=method):
        with self.assertRaisesRegex(TypeError, f'`callbacks` is a {hint}.*tfvae.keras.callbacks'):
          getattr(self.vae, method)(x, verbose=0, callbacks=[keras3.callbacks.History()])
    inputs = keras3.Input((_LATENT,))
    decoder = keras3.Model(inputs, keras3.layers.Dense(4)(inputs))
    with self.assertRaisesRegex(TypeError, f'`decoder` is a {hint}.*make_decoder'):
      tfvae.VAE(self.vae.encoder, decoder)
    with self.assertRaisesRegex(TypeError, f'`prior` is a {hint}'):
      tfvae.VAE(self.vae.encoder, self.vae.decoder, prior=keras3.layers.Dense(2))

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


def _twelve_pixel_data(n=64):
  """Binary 3x4 images: noisy copies of four stroke patterns."""
  rng = np.random.default_rng(3)
  patterns = np.array(
    [
      [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
      [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0],
      [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0],
    ],
    np.float32,
  )
  x = patterns[rng.integers(0, 4, n)]
  flips = rng.uniform(size=x.shape) < 0.05
  return np.abs(x - flips).reshape(n, 3, 4, 1).astype(np.float32)


def _exact_log_likelihood(vae, x, limit=7.0, points=281):
  """log p(x) = log sum_z p(x|z) p(z) dz by quadrature on a 2-D grid."""
  axis = np.linspace(-limit, limit, points, dtype=np.float32)
  grid = np.stack(np.meshgrid(axis, axis, indexing='ij'), -1).reshape(-1, 2)
  likelihood = vae.decoder(grid)
  log_prior = vae.prior.log_prob(grid).numpy()
  log_cell = 2 * np.log(axis[1] - axis[0])
  result = []
  for image in x:
    log_joint = likelihood.log_prob(np.broadcast_to(image, (len(grid), *image.shape))).numpy()
    result.append(np.logaddexp.reduce(log_joint.astype(np.float64) + log_prior) + log_cell)
  return np.array(result)


class LogLikelihoodTest(test_util.TestCase):
  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
    cls.x = _twelve_pixel_data()
    encoder = tfvae.make_encoder((3, 4, 1), 2, (16,))
    decoder = tfvae.make_decoder(2, (3, 4, 1), (16,))
    cls.vae = tfvae.VAE(encoder, decoder)
    cls.vae.compile(keras.optimizers.Adam(3e-3))
    cls.vae.fit(cls.x, batch_size=16, epochs=15, verbose=0)
    cls.exact = _exact_log_likelihood(cls.vae, cls.x[:8])

  def test_bounds_are_ordered_and_tight(self):
    x = self.x[:8]
    # E[ELBO] and E[IWAE_10] from many independent estimates.
    elbo = [self.vae.log_likelihood(x, num_samples=1, seed=s).numpy().mean() for s in range(200)]
    iwae_10 = [
      self.vae.log_likelihood(x, num_samples=10, seed=s).numpy().mean() for s in range(100)
    ]
    # IWAE_10^4, averaged over four seeds to shrink the estimator's noise.
    iwae_10k = np.mean(
      [self.vae.log_likelihood(x, num_samples=10_000, seed=s).numpy() for s in range(4)], 0
    )
    exact = np.mean(self.exact)
    # ELBO <= IWAE_10 <= log p(x) in expectation; the means carry Monte Carlo
    # error, so allow three standard errors.
    standard_error = lambda v: np.std(v) / np.sqrt(len(v))  # noqa: E731
    self.assertLess(np.mean(elbo), np.mean(iwae_10))
    self.assertLess(np.mean(iwae_10), exact + 3 * standard_error(iwae_10))
    self.assertAllClose(np.mean(iwae_10k), exact, atol=0.01)
    self.assertAllClose(iwae_10k, self.exact, atol=0.05)

  def test_chunking_bounds_memory_not_the_answer_distribution(self):
    x = self.x[:8]
    whole = self.vae.log_likelihood(x, num_samples=2000, seed=3, chunk_size=2000).numpy()
    chunked = self.vae.log_likelihood(x, num_samples=2000, seed=3, chunk_size=37).numpy()
    # Different draws of the same estimator: equal up to Monte Carlo noise.
    self.assertAllClose(np.mean(chunked), np.mean(whole), atol=0.02)
    self.assertAllClose(chunked, whole, atol=0.1)
    self.assertAllEqual(
      chunked, self.vae.log_likelihood(x, num_samples=2000, seed=3, chunk_size=37).numpy()
    )

  def test_bits_per_dim(self):
    x = self.x[:4]
    nll = -self.vae.log_likelihood(x, num_samples=100, seed=0).numpy()
    bits = tfvae.objective.bits_per_dim(-nll, 12).numpy()
    self.assertAllClose(bits, nll / (12 * np.log(2)), rtol=1e-6)


class ObjectiveVariantsTest(test_util.TestCase):
  def _vae(self, **kwargs):
    encoder_kwargs = kwargs.pop('encoder_kwargs', dict(kl_regularizer=False))
    encoder = tfvae.make_encoder((3, 4, 1), 2, (16,), **encoder_kwargs)
    decoder = tfvae.make_decoder(2, (3, 4, 1), (16,))
    vae = tfvae.VAE(encoder, decoder, **kwargs)
    vae.compile(keras.optimizers.Adam(1e-2))
    return vae

  def test_iwae_loss_is_negative_iwae_bound(self):
    vae = self._vae(objective='iwae', num_samples=5)
    x = _twelve_pixel_data(8)
    tf.random.set_seed(5)
    parts = vae(x)
    self.assertEqual(parts['loss'].shape, [8])
    self.assertEmpty(vae.losses)  # The KL is inside the weights, not added.
    # The loss averages one 5-sample draw per example: 50 copies of each
    # example average 50 draws, against 200 of `log_likelihood(x, 5)`.
    repeated = np.tile(x, [50] + [1] * (x.ndim - 1))
    metrics = vae.evaluate(repeated, batch_size=80, verbose=0, return_dict=True)
    iwae = -np.mean(
      [vae.log_likelihood(x, num_samples=5, seed=s).numpy().mean() for s in range(200)]
    )
    self.assertAllClose(metrics['loss'], iwae, rtol=0.05)
    keras.utils.set_random_seed(5)  # Whatever ran before in this process.
    history = vae.fit(x, batch_size=4, epochs=3, verbose=0)
    self.assertLess(history.history['loss'][-1], history.history['loss'][0])

  def test_elbo_with_several_samples_averages_their_reconstruction(self):
    num_samples = 16
    vae = self._vae(objective='elbo', num_samples=num_samples)
    x = _twelve_pixel_data(4)
    posterior = vae.encoder(x).tensor_distribution
    # Reference: E_q[-log p(x|z)] from 20,000 draws, and its per-draw spread.
    z = posterior.sample(20_000, seed=(1, 2))
    likelihood = vae.decoder(tf.reshape(z, [-1, 2]))
    nll = -tf.reshape(likelihood.log_prob(np.tile(x, [20_000, 1, 1, 1])), [20_000, 4]).numpy()
    tf.random.set_seed(4)
    calls = [vae(x) for _ in range(200)]
    reconstruction = np.stack([parts['reconstruction'].numpy() for parts in calls])
    for parts in calls[:3]:
      self.assertAllClose(parts['kl'], tfd.kl_divergence(posterior, vae.prior), rtol=1e-5)
      self.assertAllClose(parts['loss'], parts['reconstruction'] + parts['kl'], rtol=1e-6)
    # Each call averages 16 draws: unbiased, with 1/4 of one draw's spread.
    standard_error = nll.std(0) / np.sqrt(num_samples * 200)
    self.assertAllClose(reconstruction.mean(0), nll.mean(0), atol=4 * standard_error.max())
    self.assertAllClose(reconstruction.std(0), nll.std(0) / np.sqrt(num_samples), rtol=0.25)

  def test_dreg_decoder_surrogate_is_the_iwae_gradient(self):
    vae = self._vae(objective='iwae', num_samples=4, gradient_estimator='dreg')
    x = tf.constant(_twelve_pixel_data(8))
    with tf.GradientTape(persistent=True) as tape:
      parts = vae(x, training=True)
      surrogate = tf.reduce_mean(parts['dreg_decoder'])
      loss = tf.reduce_mean(parts['loss'])
    variables = vae.decoder.trainable_variables
    # Same draws, same weights: for the decoder, DReG is the IWAE gradient itself.
    for got, expected in zip(tape.gradient(surrogate, variables), tape.gradient(loss, variables)):
      self.assertAllClose(got, expected, rtol=1e-5, atol=1e-6)
    self.assertGreater(float(tf.linalg.global_norm(tape.gradient(loss, variables))), 0.0)

  def test_iwae_improves_the_bound_over_elbo_training(self):
    x = _twelve_pixel_data(64)
    scores = {}
    for objective, samples in (('elbo', 1), ('iwae', 8)):
      tfvae.keras.utils.set_random_seed(1)
      vae = self._vae(objective=objective, num_samples=samples)
      vae.fit(x, batch_size=16, epochs=40, verbose=0)
      scores[objective] = float(np.mean(vae.log_likelihood(x, num_samples=2000, seed=0)))
    self.assertGreater(scores['iwae'], scores['elbo'])

  @pytest.mark.slow
  def test_dreg_matches_iwae_gradient_in_expectation(self):
    vae = self._vae(objective='iwae', num_samples=4, gradient_estimator='dreg')
    reference = self._vae(objective='iwae', num_samples=4)
    reference.set_weights(vae.get_weights())
    x = tf.constant(_twelve_pixel_data(8))
    variables = vae.encoder.trainable_variables

    def gradient(model, estimator):
      with tf.GradientTape() as tape:
        parts = model(x, training=True)
        loss = tf.reduce_mean(parts['dreg_encoder'] if estimator == 'dreg' else parts['loss'])
      return tf.concat(
        [tf.reshape(g, [-1]) for g in tape.gradient(loss, model.encoder.trainable_variables)], 0
      )

    tf.random.set_seed(11)
    dreg = np.stack([gradient(vae, 'dreg').numpy() for _ in range(300)])
    standard = np.stack([gradient(reference, 'standard').numpy() for _ in range(300)])
    del variables
    # Same expectation (both are batch means). Lower variance is DReG's purpose
    # near convergence, not a property of an untrained model, so it is not asserted.
    self.assertAllClose(
      dreg.mean(0), standard.mean(0), atol=4 * (standard.std(0).max() / np.sqrt(300))
    )
    vae.fit(x, batch_size=4, epochs=2, verbose=0)

  def test_free_bits_through_regularizer_and_vae(self):
    x = _twelve_pixel_data(8)
    for encoder_kwargs, kwargs in (
      (dict(free_bits=0.5), {}),
      (dict(kl_regularizer=False), dict(free_bits=0.5)),
    ):
      vae = self._vae(encoder_kwargs=encoder_kwargs, **kwargs)
      self.assertEqual(vae.free_bits, 0.5)
      posterior = vae.encoder(x).tensor_distribution
      per_dim = tfvae.divergence.kl_divergence_per_dimension(posterior, vae.prior).numpy()
      expected_term = np.sum(np.maximum(per_dim.mean(0), 0.5))
      vae(x)
      self.assertAllClose(float(tf.add_n(vae.losses)), expected_term, rtol=1e-4)

  def test_free_bits_keep_kl_above_the_floor(self):
    x = _twelve_pixel_data(64)
    kls = {}
    for free_bits in (0.0, 1.0):
      tfvae.keras.utils.set_random_seed(2)
      vae = self._vae(encoder_kwargs=dict(free_bits=free_bits))
      history = vae.fit(x, batch_size=16, epochs=30, verbose=0)
      kls[free_bits] = history.history['kl'][-1]
    self.assertGreater(kls[1.0], kls[0.0])

  @test_util.parameterized.named_parameters(
    ('objective', dict(objective='vi'), 'objective'),
    ('num_samples', dict(num_samples=0), 'num_samples'),
    ('estimator', dict(gradient_estimator='reinforce'), 'gradient_estimator'),
    ('dreg_needs_iwae', dict(gradient_estimator='dreg'), 'dreg'),
    ('free_bits', dict(free_bits=-1.0), 'free_bits'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      self._vae(**kwargs)

  def test_iwae_refuses_encoder_regularizer(self):
    with self.assertRaisesRegex(ValueError, 'kl_regularizer=False'):
      self._vae(encoder_kwargs={}, objective='iwae', num_samples=2)


class NonBinaryDataTest(test_util.TestCase):
  """A Bernoulli likelihood on grey levels: the nats are not a log-likelihood."""

  def _warnings(self, likelihood, call):
    tfvae.keras.utils.set_random_seed(1)
    encoder = tfvae.make_encoder(_SHAPE, _LATENT, (7,))
    vae = tfvae.VAE(encoder, tfvae.make_decoder(_LATENT, _SHAPE, (7,), likelihood=likelihood))
    vae.compile()
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      call(vae)
    return [str(w.message) for w in caught if 'Bernoulli' in str(w.message)]

  def test_grey_levels_warn_once_naming_the_fixes(self):
    grey = self.make_images(n=8, binary=False)

    def everything(vae):
      vae.fit(grey, batch_size=4, epochs=2, verbose=0)
      vae.evaluate(grey, verbose=0)
      vae.log_likelihood(grey, num_samples=2)
      vae.elbo(grey)

    messages = self._warnings('bernoulli', everything)
    self.assertLen(messages, 1)
    for fix in ('datasets.binarize', 'make_dataset', "likelihood='continuous_bernoulli'"):
      self.assertIn(fix, messages[0])

  @test_util.parameterized.named_parameters(
    ('fit_dataset', lambda vae, x: vae.fit(tf.data.Dataset.from_tensors(x), verbose=0)),
    ('evaluate', lambda vae, x: vae.evaluate(x, verbose=0)),
    (
      'log_likelihood_of_a_tensor',
      lambda vae, x: vae.log_likelihood(tf.constant(x), num_samples=2),
    ),
    ('elbo', lambda vae, x: vae.elbo(x)),
  )
  def test_each_way_in_warns(self, call):
    grey = self.make_images(n=4, binary=False)
    self.assertLen(self._warnings('bernoulli', lambda vae: call(vae, grey)), 1)

  def test_binary_data_and_grey_level_likelihoods_do_not_warn(self):
    binary, grey = self.make_images(n=4), self.make_images(n=4, binary=False)
    self.assertEmpty(self._warnings('bernoulli', lambda vae: vae.fit(binary, verbose=0)))
    for likelihood in ('continuous_bernoulli', 'gaussian'):
      self.assertEmpty(self._warnings(likelihood, lambda vae: vae.fit(grey, verbose=0)))


class EightBitLikelihoodTest(test_util.TestCase):
  """The discretized logistic likelihood: exact 8-bit log-likelihoods, data on the levels."""

  # Per pixel and slot, (coefficient of z, bias) of the decoder's one Dense layer.
  _LOGISTIC = [
    [(0.3, -0.2), (0.2, -3.0)],  # 0.5 + raw loc, 1e-5 + softplus(raw scale).
    [(-0.2, 0.1), (0.0, -2.5)],
    [(0.15, 0.45), (-0.1, -3.5)],
  ]
  _MIXTURE = [  # Two logits, two locations, two scales.
    [(0.8, 0.0), (0.0, 0.0), (0.3, -0.2), (-0.1, 0.3), (0.2, -3.0), (0.0, -1.5)],
    [(-0.5, 0.3), (0.0, 0.0), (-0.2, 0.1), (0.1, -0.6), (0.0, -2.5), (0.3, -4.0)],
    [(0.0, -1.0), (0.0, 0.0), (0.15, 0.45), (0.4, 0.0), (-0.1, -3.5), (0.0, -2.0)],
  ]

  def _vae(self, weights):
    """A VAE with q(z|x) = p(z) = N(0, 1), latent size 1 and 3 pixels, and its decoder's params."""
    num_components = 1 if len(weights[0]) == 2 else len(weights[0]) // 3
    encoder = tfvae.make_encoder((3,), 1, ())
    encoder.get_layer('params').set_weights(
      [np.zeros([3, 2], np.float32), np.array([0.0, np.log(np.expm1(1.0 - 1e-6))], np.float32)]
    )
    decoder = tfvae.make_decoder(
      1, (3,), (), likelihood='discretized_logistic', num_components=num_components
    )
    slots = np.array(weights, np.float64).reshape(-1, 2)  # [pixel * slot, (kernel, bias)]
    decoder.get_layer('logits').set_weights(
      [slots[None, :, 0].astype(np.float32), slots[:, 1].astype(np.float32)]
    )
    return tfvae.VAE(encoder, decoder), np.array(weights, np.float64), num_components

  def _exact(self, weights, num_components, x, z):
    """p(x|z) for every z (a `[n_z]` grid), by SciPy: `[n_z, n_x]`."""
    raw = weights[None, :, :, 0] * z[:, None, None] + weights[None, :, :, 1]  # [n_z, 3, P]
    if num_components == 1:
      logits, raw_loc, raw_scale = None, raw[..., :1], raw[..., 1:]
    else:
      logits, raw_loc, raw_scale = np.split(raw, 3, axis=-1)
    probs = test_util.discretized_logistic_probs(
      0.5 + raw_loc, 1e-5 + np.logaddexp(0.0, raw_scale), logits
    )  # [n_z, 3, 256]
    levels = np.round(x * 255).astype(int)  # [n_x, 3]
    pixels = probs[:, np.arange(3)[None, :], levels]  # [n_z, n_x, 3]
    return pixels.prod(axis=-1)

  @test_util.parameterized.named_parameters(('logistic', _LOGISTIC), ('mixture', _MIXTURE))
  def test_log_likelihood_equals_quadrature(self, weights):
    vae, weights, num_components = self._vae(weights)
    x = np.array([[0, 128, 255], [40, 77, 250], [255, 255, 0], [128, 100, 140]]) / np.float32(255)
    x = x.astype(np.float32)
    # p(x) = E_{z ~ N(0, 1)} p(x|z) by Gauss-Hermite quadrature (probabilists').
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(200)
    node_weights = node_weights / np.sqrt(2 * np.pi)
    likelihoods = self._exact(weights, num_components, x, nodes)  # [200, 4]
    exact = np.log(node_weights @ likelihoods)
    # The decoder's own p(x|z) at a few latents is the reference's.
    z = np.array([-1.5, 0.0, 2.0], np.float32)
    self.assertAllClose(
      vae.likelihood(z[:, None]).log_prob(np.repeat(x[:1], 3, axis=0)),
      np.log(self._exact(weights, num_components, x[:1], z.astype(np.float64))[:, 0]),
      rtol=1e-5,
    )
    # With q = p(z), the estimate is log mean_k p(x|z_k): its standard error
    # is the relative standard deviation of p(x|z) over sqrt(K).
    num_samples = 10_000
    second_moment = node_weights @ likelihoods**2
    standard_error = np.sqrt(second_moment / np.exp(2 * exact) - 1) / np.sqrt(num_samples)
    estimate = vae.log_likelihood(x, num_samples=num_samples, seed=test_util.fixed_seed())
    self.assertAllLess(np.abs(estimate.numpy() - exact) / (4 * standard_error + 1e-4), 1.0)
    self.assertAllGreater(standard_error, 1e-4)  # The check is not vacuous...
    self.assertAllLess(standard_error, 0.05)  # ...nor loose.

  def _model(self):
    encoder = tfvae.make_encoder(_SHAPE, _LATENT, (7,))
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, (7,), likelihood='discretized_logistic')
    vae = tfvae.VAE(encoder, decoder)
    vae.compile()
    return vae

  def test_data_off_the_levels_fail_naming_the_input(self):
    vae = self._model()
    levels = np.random.default_rng(0).integers(0, 256, size=(4, *_SHAPE))
    x = (levels / np.float32(255)).astype(np.float32)
    off = x.copy()
    off[1, 2, 3, 0] = 0.5
    message = r'`{}` must hold 8-bit levels k / 255 .* 1 of its 96 values is not, such as 0\.5 at'
    at = r' index \(1, 2, 3, 0\) \(127\.5 / 255\)'
    calls = {
      'x': [
        lambda: vae.check_inputs(off),
        lambda: vae.fit(off, verbose=0),
        lambda: vae.evaluate(tf.data.Dataset.from_tensors(off), verbose=0),
        lambda: vae.log_likelihood(tf.constant(off), num_samples=2),
        lambda: vae.reconstruct(off),
      ],
      'validation_data': [lambda: vae.fit(x, validation_data=off, verbose=0)],
    }
    for name, functions in calls.items():
      for function in functions:
        with self.assertRaisesRegex(ValueError, message.format(name) + at):
          function()
    # Digits' 17 grey levels k / 16 are not 8-bit levels.
    with self.assertRaisesRegex(ValueError, r'such as 0\.0625 .*\(15\.9375 / 255\)'):
      vae.check_inputs(np.full([2, *_SHAPE], 1 / 16, np.float32))

  def test_levels_pass_however_they_were_computed(self):
    vae = self._model()
    levels = np.random.default_rng(0).integers(0, 256, size=(4, *_SHAPE))
    for x in (
      levels.astype(np.uint8) / np.float32(255),
      levels / 255.0,  # float64
      (levels * (1 / 255.0)).astype(np.float32),
      np.round(np.random.default_rng(1).uniform(size=(4, *_SHAPE))).astype(np.int64),
    ):
      self.assertAllEqual(vae.check_inputs(x) * 255, levels if x.dtype != np.int64 else x * 255)
    vae.fit(levels / np.float32(255), batch_size=2, epochs=1, verbose=0)


class ConsoleTest(test_util.TestCase):
  """What a new user sees: Keras' progress, and nothing that looks like a fault."""

  def test_readme_quickstart_prints_no_warning_from_the_training_step(self):
    with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
      readme = f.read()
    quickstart = readme.split('## Quickstart', 1)[1].split('```python\n', 1)[1].split('```')[0]
    self.assertIn('epochs=50', quickstart)
    code = quickstart.replace('epochs=50', 'epochs=2')
    result = subprocess.run(
      [sys.executable, '-c', code],
      cwd=test_util.REPO_ROOT,
      env=dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='0'),
      capture_output=True,
      text=True,
      timeout=300,
    )
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertIn("'loss':", result.stdout)
    self.assertNotIn('ignore seeds', result.stderr)
    self.assertNotRegex(result.stderr, r'(?m)^W\d{4}.*random')

  def test_training_step_draws_only_the_posterior_sample(self):
    vae = test_util.make_vae()
    vae.compile()
    step = tf.function(vae.train_step).get_concrete_function(
      tf.TensorSpec([None, *_SHAPE], tf.float32)
    )
    random_ops = [
      op.name
      for op in step.graph.get_operations()
      if 'Random' in op.type or 'Multinomial' in op.type
    ]
    # One draw of z ~ q(z|x); the likelihood's tensor twin (its mean) draws nothing.
    self.assertLen(random_ops, 1, random_ops)
    self.assertIn('posterior', random_ops[0])
    self.assertEqual(vae.decoder.layers[-1].get_config()['convert_to_tensor_fn'], 'mean')


def _conditional_networks(latent_size=2, condition_size=3, shape=(2, 3), regularize=True):
  """A conditional encoder whose tensor output is the posterior mean (z reproducible)."""
  x = keras.layers.Input(shape=shape)
  c = keras.layers.Input(shape=(condition_size,))
  h = keras.layers.Concatenate()([keras.layers.Flatten()(x), c])
  h = keras.layers.Dense(7, activation='tanh')(h)
  params = keras.layers.Dense(2 * latent_size)(h)
  regularizer = None
  if regularize:
    regularizer = tfvae.KLDivergenceRegularizer(tfvae.prior.make_standard_normal(latent_size))
  posterior = layers_lib.MultivariateNormalDiag(
    latent_size, 'mean', activity_regularizer=regularizer
  )(params)
  encoder = keras.Model([x, c], posterior)
  decoder = tfvae.make_decoder(latent_size, shape, (7,), condition_size=condition_size)
  return encoder, decoder


def _trained_conditional_prior(latent_size=2, condition_size=3):
  prior = tfvae.prior.ConditionalGaussian(latent_size, condition_size)
  rng = np.random.default_rng(5)
  kernel, bias = prior.params_layer.weights
  kernel.assign(rng.normal(size=kernel.shape).astype(np.float32))
  bias.assign(rng.normal(size=bias.shape).astype(np.float32) * 0.3)
  return prior


class ConditionalVAETest(test_util.TestCase):
  """A conditional VAE: q(z|x, c), p(x|z, c), and p(z) or p(z|c)."""

  def _data(self, n=6, shape=(2, 3), condition_size=3):
    rng = np.random.default_rng(2)
    x = np.round(rng.uniform(size=(n, *shape))).astype(np.float32)
    return x, rng.integers(0, condition_size, n)

  @test_util.parameterized.named_parameters(('standard_normal', False), ('conditional', True))
  def test_loss_is_negative_elbo_by_hand(self, conditional_prior):
    encoder, decoder = _conditional_networks(regularize=not conditional_prior)
    prior = _trained_conditional_prior() if conditional_prior else None
    vae = tfvae.VAE(encoder, decoder, prior=prior)
    vae.compile()
    x, labels = self._data()
    c = np.eye(3, dtype=np.float32)[labels]
    posterior = encoder([x, c]).tensor_distribution
    p_z = prior.distribution(condition=c) if prior else tfvae.prior.make_standard_normal(2)
    kl = tfd.kl_divergence(posterior, p_z).numpy()
    reconstruction = -decoder([posterior.mean(), c]).log_prob(x).numpy()
    parts = vae((x, labels))
    self.assertAllClose(parts['kl'], kl, rtol=1e-5, atol=1e-6)
    self.assertAllClose(parts['reconstruction'], reconstruction, rtol=1e-5)
    metrics = vae.evaluate(x, labels, batch_size=6, verbose=0, return_dict=True)
    self.assertAllClose(metrics['kl'], kl.mean(), rtol=1e-5)
    self.assertAllClose(metrics['loss'], reconstruction.mean() + kl.mean(), rtol=1e-5)
    # Labels and one-hot vectors are the same condition.
    self.assertAllClose(vae.evaluate(x, c, verbose=0), vae.evaluate(x, labels, verbose=0))
    if conditional_prior:  # The prior depends on c: other labels, another KL.
      other = vae((x, (labels + 1) % 3))['kl']
      self.assertNotAllClose(other, parts['kl'])

  @test_util.parameterized.named_parameters(('standard_normal', False), ('conditional', True))
  def test_log_likelihood_equals_quadrature(self, conditional_prior):
    tfvae.keras.utils.set_random_seed(4)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 96)
    patterns = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], np.float32)
    x = np.abs(patterns[labels] - (rng.uniform(size=(96, 4)) < 0.15)).astype(np.float32)
    prior = tfvae.prior.ConditionalGaussian(1, 2) if conditional_prior else None
    encoder = tfvae.make_encoder((4,), 1, (16,), condition_size=2, kl_regularizer=prior is None)
    decoder = tfvae.make_decoder(1, (4,), (16,), condition_size=2)
    vae = tfvae.VAE(encoder, decoder, prior=prior)
    vae.compile(keras.optimizers.Adam(1e-2))
    vae.fit(x, labels, batch_size=32, epochs=30, verbose=0)
    x_eval, c_eval = x[:6], labels[:6]
    estimate = vae.log_likelihood(x_eval, c_eval, num_samples=10_000, seed=0).numpy()
    # log p(x|c) = log integral p(x|z, c) p(z|c) dz on a fine grid of z.
    grid = np.linspace(-10, 10, 4001, dtype=np.float32)[:, None]
    exact = []
    for image, label in zip(x_eval, c_eval):
      c = np.tile(np.eye(2, dtype=np.float32)[[label]], [len(grid), 1])
      log_joint = decoder([grid, c]).log_prob(np.tile(image, [len(grid), 1])).numpy()
      log_joint = log_joint + vae.prior_distribution(tf.constant(c)).log_prob(grid).numpy()
      exact.append(
        np.logaddexp.reduce(log_joint.astype(np.float64)) + np.log(grid[1, 0] - grid[0, 0])
      )
    self.assertAllClose(estimate, exact, atol=0.02)
    # The condition matters: the other class explains these images worse.
    other = vae.log_likelihood(x_eval, 1 - c_eval, num_samples=1000, seed=0).numpy()
    self.assertLess(other.mean(), estimate.mean() - 1.0)

  def test_reconstruct_predict_and_sample_follow_the_condition(self):
    encoder, decoder = _conditional_networks(regularize=False)
    vae = tfvae.VAE(encoder, decoder, prior=_trained_conditional_prior())
    x, labels = self._data()
    c = np.eye(3, dtype=np.float32)[labels]
    expected = decoder([encoder([x, c]).tensor_distribution.mean(), c]).mean()
    self.assertAllClose(vae.reconstruct(x, labels), expected, rtol=1e-6)
    vae.compile()
    self.assertAllClose(vae.predict(x, condition=labels, verbose=0), expected, rtol=1e-6)
    dataset = tf.data.Dataset.from_tensor_slices((x, labels)).batch(4)
    self.assertAllClose(vae.predict(dataset, verbose=0), expected, rtol=1e-6)
    # One draw per condition row: z ~ p(z|c), then the likelihood's mean.
    samples = vae.sample(labels, seed=7)
    prior_seed, _ = tfp.random.split_seed(tf.constant([7, 0], tf.int32))
    z = vae.prior_distribution(tf.constant(c)).sample(seed=prior_seed)
    self.assertAllClose(samples, decoder([z, c]).mean(), rtol=1e-6)
    self.assertAllClose(vae.sample(condition=c, seed=7), samples)
    self.assertEqual(vae.sample(c, seed=7, mean=False).shape, (6, 2, 3))
    # At a temperature, the same draw's distance from the mean of p(z|c) scaled.
    mean = vae.prior_distribution(tf.constant(c)).mean()
    cold = vae.sample(labels, seed=7, temperature=0.3)
    self.assertAllClose(cold, decoder([mean + 0.3 * (z - mean), c]).mean(), rtol=1e-5, atol=1e-6)
    self.assertAllClose(vae.sample(labels, seed=7, temperature=1.0), samples)

  @test_util.parameterized.named_parameters(
    ('elbo_3_samples', dict(num_samples=3), {}),
    ('iwae', dict(objective='iwae', num_samples=3), dict(kl_regularizer=False)),
    (
      'dreg',
      dict(objective='iwae', num_samples=3, gradient_estimator='dreg'),
      dict(kl_regularizer=False),
    ),
    ('free_bits', {}, dict(free_bits=0.2)),
    ('free_bits_conditional_prior', dict(free_bits=0.2), dict(kl_regularizer=False)),
  )
  def test_objectives_and_kl_controls_compose(self, vae_kwargs, encoder_kwargs):
    x, labels = self._data(n=16, shape=(3, 4, 1))
    encoder = tfvae.make_encoder((3, 4, 1), 2, (8,), condition_size=3, **encoder_kwargs)
    decoder = tfvae.make_decoder(2, (3, 4, 1), (8,), condition_size=3)
    if not encoder_kwargs.get('kl_regularizer', True) and 'objective' not in vae_kwargs:
      vae_kwargs = dict(vae_kwargs, prior=tfvae.prior.ConditionalGaussian(2, 3))
    vae = tfvae.VAE(encoder, decoder, **vae_kwargs)
    vae.compile(keras.optimizers.Adam(1e-2))
    history = vae.fit(x, labels, batch_size=8, epochs=8, verbose=0).history
    self.assertLess(history['loss'][-1], history['loss'][0])
    self.assertTrue(np.all(np.isfinite(history['loss'])))

  def test_clear_errors(self):
    encoder, decoder = _conditional_networks()
    vae = tfvae.VAE(encoder, decoder)
    vae.compile()
    x, labels = self._data()
    with self.assertRaisesRegex(ValueError, 'conditional; give the conditions'):
      vae.fit(x, verbose=0)
    with self.assertRaisesRegex(ValueError, r'labels must lie in \[0, 3\)'):
      vae.fit(x, labels + 1, verbose=0)
    with self.assertRaisesRegex(ValueError, r'shape \[n, 3\]'):
      vae.evaluate(x, np.zeros([6, 2], np.float32), verbose=0)
    with self.assertRaisesRegex(ValueError, '`condition` is required'):
      vae.reconstruct(x)
    with self.assertRaisesRegex(TypeError, 'keyword'):
      vae.log_likelihood(x, 100)
    with self.assertRaisesRegex(ValueError, 'give batches of \\(x, c\\)|conditional'):
      vae.fit(tf.data.Dataset.from_tensor_slices(x).batch(2), verbose=0)
    unconditional = test_util.make_vae(shape=(2, 3))
    with self.assertRaisesRegex(ValueError, 'unconditional'):
      unconditional.reconstruct(x, labels)
    with self.assertRaisesRegex(ValueError, 'p\\(z\\|c\\).*take no condition'):
      tfvae.VAE(
        tfvae.make_encoder((2, 3), 2, kl_regularizer=False),
        tfvae.make_decoder(2, (2, 3)),
        prior=tfvae.prior.ConditionalGaussian(2, 3),
      )
    with self.assertRaisesRegex(ValueError, 'VampPrior.*pseudo-conditions'):
      tfvae.VAE(
        tfvae.make_encoder((2, 3), 2, condition_size=3, kl_regularizer=False),
        decoder,
        prior=tfvae.prior.VampPrior(4, (2, 3)),
      )
    with self.assertRaisesRegex(ValueError, 'conditions of size 3 but `decoder` of size 4'):
      tfvae.VAE(encoder, tfvae.make_decoder(2, (2, 3), condition_size=4))
    with self.assertRaisesRegex(ValueError, 'takes 2 input.*`decoder` 1'):
      tfvae.VAE(encoder, tfvae.make_decoder(2, (2, 3)))


class MixedPrecisionTest(test_util.TestCase):
  def tearDown(self):
    keras.mixed_precision.set_global_policy('float32')
    super().tearDown()

  def _train(self, policy):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    vae = test_util.make_vae((8, 8, 1), 8, (64, 32))
    vae.compile(keras.optimizers.Adam(1e-3))
    # The distribution heads stay float32 under a mixed policy.
    self.assertEqual(vae.encoder.layers[-1].compute_dtype, 'float32')
    self.assertEqual(vae.decoder.layers[-1].compute_dtype, 'float32')
    x = tfvae.datasets.binarize(x_train, seed=0)
    history = vae.fit(x, batch_size=32, epochs=6, shuffle=False, verbose=0)  # 282 steps
    self.assertTrue(np.all(np.isfinite(history.history['loss'])))
    return vae, vae.evaluate(tfvae.datasets.binarize(x_test, 1), verbose=0, return_dict=True)

  @pytest.mark.slow
  def test_loss_within_one_percent_of_float32(self):
    _, reference = self._train('float32')
    for policy in ('mixed_float16', 'mixed_bfloat16'):
      with self.subTest(policy=policy):
        vae, mixed = self._train(policy)
        self.assertEqual(vae.encoder.layers[1].compute_dtype, policy.split('_')[1])
        if policy == 'mixed_float16':
          self.assertIsInstance(vae.optimizer, keras.mixed_precision.LossScaleOptimizer)
        self.assertAllClose(mixed['loss'], reference['loss'], rtol=0.01)

  @pytest.mark.slow
  def test_conditional_vae_under_bfloat16_within_one_percent(self):
    (x_train, y_train), (x_test, y_test) = tfvae.datasets.load('digits')
    x, x_eval = tfvae.datasets.binarize(x_train, 0), tfvae.datasets.binarize(x_test, 1)
    losses = {}
    for policy in ('float32', 'mixed_bfloat16'):
      keras.mixed_precision.set_global_policy(policy)
      keras.utils.set_random_seed(0)
      encoder = tfvae.make_encoder((8, 8, 1), 8, (64, 32), condition_size=10, kl_regularizer=False)
      decoder = tfvae.make_decoder(8, (8, 8, 1), (32, 64), condition_size=10)
      vae = tfvae.VAE(encoder, decoder, prior=tfvae.prior.ConditionalGaussian(8, 10))
      vae.compile(keras.optimizers.Adam(1e-3))
      vae.fit(x, y_train, batch_size=32, epochs=6, shuffle=False, verbose=0)
      losses[policy] = vae.evaluate(x_eval, y_test, verbose=0, return_dict=True)['loss']
    self.assertEqual(encoder.get_layer('dense_0').compute_dtype, 'bfloat16')
    self.assertAllClose(losses['mixed_bfloat16'], losses['float32'], rtol=0.01)


class VAETrainingTest(test_util.TestCase):
  @test_util.parameterized.parameters('dense', 'conv')
  def test_training_on_digits_lowers_negative_elbo(self, architecture):
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    x_eval = tfvae.datasets.binarize(x_test, seed=0)
    hidden = (64, 32) if architecture == 'dense' else (16, 32)
    vae = test_util.make_vae((8, 8, 1), 8, hidden, architecture=architecture)
    vae.compile(keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x_eval, verbose=0, return_dict=True)['loss']
    vae.fit(tfvae.datasets.make_dataset(x_train, 64, seed=1), epochs=15, verbose=0)
    after = vae.evaluate(x_eval, verbose=0, return_dict=True)['loss']
    # Initialization sits near 64 * log(2) = 44.4 nats; training gains > 10.
    self.assertGreater(before, 40.0)
    self.assertLess(after, before - 10.0)


if __name__ == '__main__':
  test_util.main()
