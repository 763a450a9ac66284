# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.experiment: the main job as a function."""

import json
import os

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

import test_util
import tfvae
from tfvae import experiment as experiment_lib

_TINY = dict(latent_size=2, hidden_units=(8,), epochs=2, batch_size=256, verbose=0)


class TrainTest(test_util.TestCase):
  def test_writes_the_run(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    metrics = experiment_lib.train(model_dir=model_dir, **_TINY)
    self.assertEqual(sorted(metrics), ['kl', 'loss', 'reconstruction'])
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()))
    for name in (
      'config.json',
      'metrics.json',
      'model.keras',
      'reconstructions.png',
      'samples.png',
    ):
      self.assertTrue(os.path.isfile(os.path.join(model_dir, name)), name)
    with open(os.path.join(model_dir, 'config.json')) as f:
      config = json.load(f)
    self.assertEqual(config['latent_size'], 2)
    self.assertEqual(config['dataset'], 'digits')
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      self.assertAllClose(json.load(f)['loss'], metrics['loss'])
    self.assertTrue(tf.train.latest_checkpoint(os.path.join(model_dir, 'checkpoints')))
    self.assertTrue(os.listdir(os.path.join(model_dir, 'tensorboard')))
    png = tf.io.decode_png(tf.io.read_file(os.path.join(model_dir, 'samples.png')))
    self.assertEqual(png.shape, (4 * (8 * 9 + 1), 4 * (8 * 9 + 1), 1))
    loaded = tfvae.keras.saving.load_model(os.path.join(model_dir, 'model.keras'))
    self.assertIsInstance(loaded, tfvae.VAE)

  def test_tensorboard_summaries_and_every_png(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    experiment_lib.train(model_dir=model_dir, **_TINY)
    expected = {'train': {'scalars', 'images', 'histograms'}, 'validation': {'scalars'}}
    for run, plugins in expected.items():
      events = event_accumulator.EventAccumulator(
        os.path.join(model_dir, 'tensorboard', run), size_guidance={event_accumulator.TENSORS: 0}
      )
      events.Reload()
      tags = {}
      for tag in events.Tags()['tensors']:
        plugin = events.SummaryMetadata(tag).plugin_data.plugin_name
        tags.setdefault(plugin, set()).add(tag)
        self.assertEqual([e.step for e in events.Tensors(tag)], [0, 1], tag)  # Each epoch.
      self.assertEqual(set(tags), plugins)
      if run == 'train':
        self.assertEqual(
          tags['scalars'], {'loss', 'reconstruction', 'kl', 'kl_weight', 'learning_rate'}
        )
        self.assertEqual(tags['images'], {'reconstructions', 'samples'})
        self.assertEqual(tags['histograms'], {'posterior_scale'})
        images = tf.make_ndarray(events.Tensors('reconstructions')[-1].tensor_proto)
        pairs = tf.io.decode_png(images[2])  # [width, height, png...]
        self.assertEqual(pairs.shape, (4 * (4 * 9 + 1), 4 * (8 * 9 + 1), 1))  # 16 pairs.
      else:
        self.assertEqual(tags['scalars'], {'loss', 'reconstruction', 'kl'})

    # Every PNG of the run opens and has its grid's (or figure's) size.
    shapes = {
      'reconstructions.png': (4 * (2 * 9 + 1), 4 * (10 * 9 + 1), 1),  # 10 pairs of 8x8.
      'samples.png': (4 * (8 * 9 + 1), 4 * (8 * 9 + 1), 1),  # 8 x 8 samples.
      'latent_manifold.png': (600, 600, 4),  # Latent size 2.
      'latent_scatter.png': (500, 600, 4),
      'kl_per_dimension.png': (300, 700, 4),
    }
    pngs = [f for f in os.listdir(model_dir) if f.endswith('.png')]
    self.assertCountEqual(pngs, shapes)
    for name, shape in shapes.items():
      png = tf.io.decode_png(tf.io.read_file(os.path.join(model_dir, name)))
      self.assertEqual(png.shape, shape, name)

  def test_refuses_foreign_directory_and_keeps_it(self):
    model_dir = self.create_tempdir().full_path
    with open(os.path.join(model_dir, 'thesis.tex'), 'w') as f:
      f.write('precious')
    with self.assertRaisesRegex(ValueError, 'model_dir'):
      experiment_lib.train(model_dir=model_dir, **_TINY)
    self.assertEqual(os.listdir(model_dir), ['thesis.tex'])

  def test_refuses_finished_run_and_other_config(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    experiment_lib.train(model_dir=model_dir, **_TINY)
    with self.assertRaisesRegex(ValueError, 'finished'):
      experiment_lib.train(model_dir=model_dir, **_TINY)
    with self.assertRaisesRegex(ValueError, 'latent_size'):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, latent_size=3))

  @test_util.parameterized.named_parameters(
    ('epochs', dict(epochs=0), 'epochs'),
    ('learning_rate', dict(learning_rate=-1.0), 'learning_rate'),
    ('dataset', dict(dataset='imagenet'), 'name'),
    ('strategy', dict(strategy='tpu'), 'strategy'),
    ('architecture', dict(architecture='rnn'), 'architecture'),
    ('posterior', dict(posterior='flow'), 'posterior'),
    ('likelihood', dict(likelihood='poisson'), 'likelihood'),
    ('prior', dict(prior='laplace'), 'prior'),
    ('objective', dict(objective='vi'), 'objective'),
    ('kl_warmup_epochs', dict(kl_warmup_epochs=-1), 'kl_warmup_epochs'),
    ('free_bits_with_vamp', dict(free_bits=0.1, prior='vamp'), 'free_bits'),
  )
  def test_bad_arguments_fail_before_writing(self, overrides, message):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with self.assertRaisesRegex(ValueError, message):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, **overrides))
    self.assertFalse(os.path.exists(model_dir))

  @test_util.parameterized.named_parameters(
    ('continuous_bernoulli_mixture_iwae', dict(likelihood='continuous_bernoulli', prior='mixture', objective='iwae', num_samples=2)),
    ('gaussian_iaf_warmup', dict(likelihood='gaussian', posterior='iaf', kl_warmup_epochs=2)),
    ('vamp', dict(prior='vamp')),
    ('free_bits', dict(free_bits=0.1, kl_warmup_epochs=1)),
  )  # fmt: skip
  def test_families_objectives_and_kl_controls(self, overrides):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    metrics = experiment_lib.train(model_dir=model_dir, **dict(_TINY, **overrides))
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()))
    with open(os.path.join(model_dir, 'config.json')) as f:
      config = json.load(f)
    for key, value in overrides.items():
      self.assertEqual(config[key], value)
    loaded = tfvae.keras.saving.load_model(os.path.join(model_dir, 'model.keras'))
    self.assertEqual(loaded.objective, overrides.get('objective', 'elbo'))

  def test_divergence_is_reported(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with self.assertRaisesRegex(experiment_lib.TrainingDivergedError, 'NaN'):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, learning_rate=1e30))


if __name__ == '__main__':
  test_util.main()
