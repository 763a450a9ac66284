# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.callbacks: TensorBoard summaries and KL warm-up."""

import collections
import glob
import os

import numpy as np
import tensorflow as tf

import test_util
import tfvae
from tfvae.analysis import callbacks as callbacks_lib
from tfvae.analysis import grid as grid_lib
from tfvae.internal import keras
from tfvae.model import layers as layers_lib

_NUM_IMAGES = 5


def read_events(directory):
  """`{plugin: {tag: {step: value}}}` from the event files in `directory`."""
  summaries = collections.defaultdict(lambda: collections.defaultdict(dict))
  for path in sorted(glob.glob(os.path.join(directory, 'events.out.tfevents.*'))):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        plugin = value.metadata.plugin_data.plugin_name
        summaries[plugin][value.tag][event.step] = tf.make_ndarray(value.tensor)
  return summaries


class VAETensorBoardTest(test_util.TestCase):
  def _fit(self, epochs=2, optimizer=None, **kwargs):
    vae = test_util.make_vae()
    vae.compile(optimizer or keras.optimizers.Adam(1e-3))
    x = self.make_images(n=12)
    log_dir = self.create_tempdir().full_path
    callback = callbacks_lib.VAETensorBoard(
      log_dir, images=x[:_NUM_IMAGES], num_samples=6, num_columns=4, **kwargs
    )
    history = vae.fit(
      x, validation_data=x[:6], batch_size=4, epochs=epochs, callbacks=[callback], verbose=0
    )
    return vae, history, log_dir, x[:_NUM_IMAGES]

  def test_writes_scalars_images_and_histogram_each_epoch(self):
    vae, history, log_dir, images = self._fit(image_scale=2)
    self.assertCountEqual(os.listdir(log_dir), ['train', 'validation'])
    train = read_events(os.path.join(log_dir, 'train'))
    validation = read_events(os.path.join(log_dir, 'validation'))
    self.assertCountEqual(
      train['scalars'], ['loss', 'reconstruction', 'kl', 'kl_weight', 'learning_rate']
    )
    self.assertCountEqual(validation['scalars'], ['loss', 'reconstruction', 'kl'])
    self.assertCountEqual(train['images'], ['reconstructions', 'samples'])
    self.assertCountEqual(train['histograms'], ['posterior_scale'])
    for name in ('loss', 'reconstruction', 'kl'):
      self.assertAllClose(
        [train['scalars'][name][e] for e in (0, 1)], history.history[name], rtol=1e-6
      )
      self.assertAllClose(
        [validation['scalars'][name][e] for e in (0, 1)],
        history.history[f'val_{name}'],
        rtol=1e-6,
      )
    self.assertAllClose(train['scalars']['kl_weight'], {0: 1.0, 1: 1.0})
    self.assertAllClose(train['scalars']['learning_rate'], {0: 1e-3, 1: 1e-3})

    # Images: [width, height, png] strings; the grids have the documented size.
    height, width = test_util.IMAGE_SHAPE[:2]
    pairs = tf.io.decode_png(train['images']['reconstructions'][1][2]).numpy()
    self.assertEqual(pairs.shape, (2 * (2 * 2 * (height + 1) + 1), 2 * (4 * (width + 1) + 1), 1))
    expected = grid_lib.make_pairs_grid(images, vae.reconstruct(images), 4)
    self.assertAllEqual(pairs[::2, ::2], expected)
    samples = tf.io.decode_png(train['images']['samples'][1][2]).numpy()
    self.assertEqual(samples.shape, (2 * (2 * (height + 1) + 1), 2 * (4 * (width + 1) + 1), 1))
    self.assertAllEqual(samples[::2, ::2], grid_lib.make_grid(vae.sample(6, seed=0), 4))

    # Histogram buckets [left, right, count] hold every posterior scale once.
    buckets = train['histograms']['posterior_scale'][1]
    self.assertEqual(buckets.shape[1], 3)
    self.assertEqual(buckets[:, 2].sum(), _NUM_IMAGES * test_util.LATENT_SIZE)
    scales = vae.encoder(images).stddev().numpy()
    self.assertAllClose(buckets[0, 0], scales.min(), rtol=1e-5)
    self.assertAllClose(buckets[-1, 1], scales.max(), rtol=1e-5)

  def test_prior_samples_use_the_same_draws_every_epoch(self):
    vae = test_util.make_vae()
    vae.compile()
    log_dir = self.create_tempdir().full_path
    callback = callbacks_lib.VAETensorBoard(log_dir, num_samples=4, seed=3)
    callback.set_model(vae)
    callback.set_params({'epochs': 2})
    callback.on_epoch_end(0, {'loss': 1.0})
    callback.on_epoch_end(1, {'loss': 0.5})
    callback.on_train_end()
    train = read_events(os.path.join(log_dir, 'train'))
    first, second = (tf.io.decode_png(train['images']['samples'][e][2]).numpy() for e in (0, 1))
    self.assertAllEqual(first, second)  # Same weights, same seed: same images.
    self.assertEqual(train['scalars']['loss'], {0: 1.0, 1: 0.5})
    self.assertNotIn('histograms', train)  # No `images`, no histogram.

  def test_prior_samples_at_a_temperature_are_the_models(self):
    vae = test_util.make_vae()
    vae.compile()
    log_dir = self.create_tempdir().full_path
    callback = callbacks_lib.VAETensorBoard(
      log_dir, num_samples=4, num_columns=4, seed=3, sample_temperature=0.5
    )
    callback.set_model(vae)
    callback.on_train_begin()
    callback.on_epoch_end(0, {'loss': 1.0})
    callback.on_train_end()
    png = read_events(os.path.join(log_dir, 'train'))['images']['samples'][0][2]
    expected = grid_lib.make_grid(np.asarray(vae.sample(4, seed=3, temperature=0.5)), num_columns=4)
    self.assertAllClose(tf.io.decode_png(png).numpy(), expected, atol=1)  # uint8 levels.

  def test_a_temperature_the_prior_cannot_take_fails_before_training(self):
    encoder = tfvae.make_encoder((2, 3, 1), 2, (4,), posterior='iaf', kl_regularizer=False)
    decoder = tfvae.make_decoder(2, (2, 3, 1), (4,))
    vae = tfvae.VAE(encoder, decoder, prior=tfvae.prior.VampPrior(2, (2, 3, 1)))
    vae.compile()
    callback = callbacks_lib.VAETensorBoard(
      self.create_tempdir().full_path, num_samples=4, sample_temperature=0.5
    )
    with self.assertRaisesRegex(ValueError, '`temperature`=0.5 scales Gaussians, but .* mixes'):
      vae.fit(self.make_images(n=4, shape=(2, 3, 1)), epochs=1, callbacks=[callback], verbose=0)
    self.assertEqual(int(vae.optimizer.iterations.numpy()), 0)

  def test_image_freq_writes_every_nth_and_last_epoch(self):
    _, _, log_dir, _ = self._fit(epochs=4, image_freq=3)
    train = read_events(os.path.join(log_dir, 'train'))
    self.assertEqual(sorted(train['images']['samples']), [0, 3])
    self.assertEqual(sorted(train['histograms']['posterior_scale']), [0, 3])
    self.assertEqual(sorted(train['scalars']['loss']), [0, 1, 2, 3])

  def test_learning_rate_schedule_is_evaluated(self):
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=1, decay_rate=0.5)
    vae, _, log_dir, _ = self._fit(epochs=1, optimizer=keras.optimizers.Adam(schedule))
    train = read_events(os.path.join(log_dir, 'train'))
    iterations = int(vae.optimizer.iterations.numpy())
    self.assertEqual(iterations, 3)
    # The rate of the last step taken (step 2).
    self.assertAllClose(train['scalars']['learning_rate'][0], 1e-2 * 0.5**2, rtol=1e-6)

  def test_images_the_model_cannot_take(self):
    vae = test_util.make_vae()
    vae.compile()
    x = self.make_images(n=4)
    for images, message in (
      (np.full((2, 4, 6, 1), 2.0), r'`images` must hold values in \[0, 1\]'),
      (np.zeros((2, 3, 3, 1)), r'`images` must have shape \[n, 4, 6, 1\]'),
    ):
      callback = callbacks_lib.VAETensorBoard(self.create_tempdir().full_path, images=images)
      with self.assertRaisesRegex(ValueError, message):
        vae.fit(x, verbose=0, callbacks=[callback])

  @test_util.parameterized.named_parameters(
    ('images', dict(images=np.full((2, 4, 6, 1), np.nan)), 'images'),
    ('num_samples', dict(num_samples=-1), 'num_samples'),
    ('num_columns', dict(num_columns=0), 'num_columns'),
    ('image_freq', dict(image_freq=0), 'image_freq'),
  )
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      callbacks_lib.VAETensorBoard(self.create_tempdir().full_path, **kwargs)


class _RecordWeight(keras.callbacks.Callback):
  """Records (steps taken, kl_weight) after every execution."""

  def __init__(self):
    super().__init__()
    self.records = []

  def on_train_batch_end(self, batch, logs=None):
    self.records.append(
      (int(self.model.optimizer.iterations.numpy()), float(self.model.kl_weight.numpy()))
    )


class KLWarmupTest(test_util.TestCase):
  def _assert_loss_uses_weight(self, history, weights):
    """loss == reconstruction + w * kl per epoch, for the weights in effect."""
    h = history.history
    self.assertAllClose(h['kl_weight'], weights, rtol=1e-6)
    self.assertAllClose(
      h['loss'], np.add(h['reconstruction'], np.multiply(weights, h['kl'])), rtol=1e-5
    )
    # Validation runs after the epoch's training, with the same weight.
    self.assertAllClose(
      h['val_loss'],
      np.add(h['val_reconstruction'], np.multiply(weights, h['val_kl'])),
      rtol=1e-5,
    )

  def test_epoch_ramp(self):
    vae = test_util.make_vae()
    vae.compile()  # 8 steps per execution.
    x = self.make_images(n=20)
    warmup = callbacks_lib.KLWarmup(2.0, warmup_epochs=4)
    history = vae.fit(
      x, validation_data=x[:6], batch_size=4, epochs=6, callbacks=[warmup], verbose=0
    )
    self._assert_loss_uses_weight(history, [0.0, 0.5, 1.0, 1.5, 2.0, 2.0])
    self.assertAllClose(vae.kl_weight.numpy(), 2.0)

  def test_step_ramp_follows_optimizer_iterations(self):
    # 3 batches per epoch run as one execution each (steps_per_execution 8):
    # epoch e starts at step 3e, so its weight is 3 * min(1, 3e / 6).
    vae = test_util.make_vae()
    vae.compile()
    x = self.make_images(n=9)
    warmup = callbacks_lib.KLWarmup(3.0, warmup_steps=6)
    history = vae.fit(
      x, validation_data=x[:6], batch_size=3, epochs=4, callbacks=[warmup], verbose=0
    )
    self._assert_loss_uses_weight(history, [0.0, 1.5, 3.0, 3.0])
    # A second `fit` continues from the optimizer's step count, not from 0.
    vae.kl_weight.assign(0.0)
    history = vae.fit(x, batch_size=3, epochs=1, callbacks=[warmup], verbose=0)
    self.assertEqual(history.history['kl_weight'], [3.0])

  def test_step_ramp_is_per_step_with_one_step_per_execution(self):
    vae = test_util.make_vae()
    vae.compile(steps_per_execution=1)
    record = _RecordWeight()
    warmup = callbacks_lib.KLWarmup(1.0, warmup_steps=8)
    vae.fit(self.make_images(n=12), batch_size=2, epochs=2, callbacks=[warmup, record], verbose=0)
    steps, weights = zip(*record.records)
    self.assertEqual(steps, tuple(range(1, 13)))
    # Step t (0-based; `iterations` is t + 1 after it) used min(1, t / 8).
    self.assertAllClose(weights, [min(1.0, t / 8) for t in range(12)])

  def test_step_ramp_changes_once_per_execution(self):
    vae = test_util.make_vae()
    vae.compile(steps_per_execution=4)
    record = _RecordWeight()
    warmup = callbacks_lib.KLWarmup(1.0, warmup_steps=10)
    vae.fit(self.make_images(n=24), batch_size=2, epochs=1, callbacks=[warmup, record], verbose=0)
    # Executions start at steps 0, 4 and 8; each uses the weight of its first step.
    steps, weights = zip(*record.records)
    self.assertEqual(steps, (4, 8, 12))
    self.assertAllClose(weights, [0.0, 0.4, 0.8])

  def test_anneals_the_regularizer_of_a_keras_composition(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, test_util.LATENT_SIZE, (7,))
    decoder = tfvae.make_decoder(test_util.LATENT_SIZE, test_util.IMAGE_SHAPE, (7,))
    model = keras.Model(encoder.inputs, decoder(encoder.outputs[0]))
    model.compile('adam', loss=lambda x, likelihood: -likelihood.log_prob(x))
    x = self.make_images(n=6)
    history = model.fit(
      x,
      x,
      batch_size=3,
      epochs=3,
      callbacks=[callbacks_lib.KLWarmup(0.5, warmup_epochs=2)],
      verbose=0,
    )
    self.assertAllClose(history.history['kl_weight'], [0.0, 0.25, 0.5])
    self.assertAllClose(layers_lib.find_kl_regularizer(encoder).kl_weight.numpy(), 0.5)

  def test_model_without_kl_weight_is_refused(self):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile('sgd', 'mse')
    with self.assertRaisesRegex(ValueError, 'kl_weight'):
      model.fit(
        np.zeros((2, 2)),
        np.zeros((2, 1)),
        epochs=1,
        verbose=0,
        callbacks=[callbacks_lib.KLWarmup(1.0, warmup_epochs=1)],
      )

  @test_util.parameterized.named_parameters(
    ('neither', dict(), 'exactly one'),
    ('both', dict(warmup_steps=2, warmup_epochs=2), 'exactly one'),
    ('zero_steps', dict(warmup_steps=0), 'warmup_steps'),
    ('float_epochs', dict(warmup_epochs=1.5), 'warmup_epochs'),
    ('negative_target', dict(target=-1.0, warmup_epochs=2), 'target'),
  )
  def test_bad_arguments(self, kwargs, message):
    kwargs = dict(kwargs)
    target = kwargs.pop('target', 1.0)
    with self.assertRaisesRegex(ValueError, message):
      callbacks_lib.KLWarmup(target, **kwargs)

  def test_kl_weight_at(self):
    warmup = callbacks_lib.KLWarmup(3.0, warmup_steps=4)
    self.assertEqual(
      [warmup.kl_weight_at(t) for t in (0, 1, 2, 4, 100)], [0.0, 0.75, 1.5, 3.0, 3.0]
    )


if __name__ == '__main__':
  test_util.main()
