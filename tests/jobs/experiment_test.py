# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.experiment: the main job as a function."""

import csv
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats
from tensorboard.backend.event_processing import event_accumulator

import test_util
import tfvae
from tfvae.jobs import experiment as experiment_lib
from tfvae.model import layers as layers_lib

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
    ('dataset', dict(dataset='imagenet'), "'imagenet' is neither a dataset name"),
    ('strategy', dict(strategy='tpu'), 'strategy'),
    ('architecture', dict(architecture='rnn'), 'architecture'),
    ('posterior', dict(posterior='flow'), 'posterior'),
    ('likelihood', dict(likelihood='poisson'), 'likelihood'),
    ('prior', dict(prior='laplace'), 'prior'),
    ('objective', dict(objective='vi'), 'objective'),
    ('kl_warmup_epochs', dict(kl_warmup_epochs=-1), 'kl_warmup_epochs'),
    ('free_bits_with_vamp', dict(free_bits=0.1, prior='vamp'), 'free_bits'),
    ('likelihood_components', dict(likelihood_components=2), 'likelihood_components'),
  )
  def test_bad_arguments_fail_before_writing(self, overrides, message):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with self.assertRaisesRegex(ValueError, message):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, **overrides))
    self.assertFalse(os.path.exists(model_dir))

  @test_util.parameterized.named_parameters(
    ('continuous_bernoulli_mixture_iwae', dict(likelihood='continuous_bernoulli', prior='mixture', objective='iwae', num_samples=2)),
    ('gaussian_iaf_warmup', dict(likelihood='gaussian', posterior='iaf', kl_warmup_epochs=2)),
  )  # fmt: skip
  def test_families_objectives_and_kl_controls(self, overrides):
    self._check_families_objectives_and_kl_controls(overrides)

  @test_util.parameterized.named_parameters(
    ('vamp', dict(prior='vamp')),
    ('free_bits', dict(free_bits=0.1, kl_warmup_epochs=1)),
  )  # fmt: skip
  @pytest.mark.slow
  def test_more_families_and_kl_controls(self, overrides):
    self._check_families_objectives_and_kl_controls(overrides)

  def _check_families_objectives_and_kl_controls(self, overrides):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    metrics = experiment_lib.train(model_dir=model_dir, **dict(_TINY, **overrides))
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()))
    with open(os.path.join(model_dir, 'config.json')) as f:
      config = json.load(f)
    for key, value in overrides.items():
      self.assertEqual(config[key], value)
    loaded = tfvae.keras.saving.load_model(os.path.join(model_dir, 'model.keras'))
    self.assertEqual(loaded.objective, overrides.get('objective', 'elbo'))

  def test_bfloat16_precision_trains_saves_and_loads(self):
    losses = {}
    for precision in ('float32', 'bfloat16'):
      model_dir = os.path.join(self.create_tempdir().full_path, 'run')
      losses[precision] = experiment_lib.train(model_dir=model_dir, precision=precision, **_TINY)[
        'loss'
      ]
      with open(os.path.join(model_dir, 'config.json')) as f:
        self.assertEqual(json.load(f)['precision'], precision)
      loaded = tfvae.keras.saving.load_model(os.path.join(model_dir, 'model.keras'))
      for network in (loaded.encoder, loaded.decoder):
        self.assertEqual(network.get_layer('dense_0').compute_dtype, precision)
        self.assertTrue(all(w.dtype == tf.float32 for w in network.weights))
    # The same seeds: the test loss moves by bfloat16's rounding only.
    self.assertAllClose(losses['bfloat16'], losses['float32'], rtol=0.01)

  def test_divergence_is_reported(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with self.assertRaisesRegex(experiment_lib.TrainingDivergedError, 'NaN'):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, learning_rate=1e30))


def _write_png_folder(root, n_per_class=24, shape=(8, 8, 1), classes=('cat', 'dog')):
  """A folder of PNG files in class subfolders; returns the images by class."""
  rng = np.random.default_rng(0)
  images = {}
  for k, name in enumerate(classes):
    os.makedirs(os.path.join(root, name))
    # Class k: a bright band at row k, on noise.
    x = rng.integers(0, 80, size=(n_per_class, *shape)).astype(np.uint8)
    x[:, 2 * k : 2 * k + 3] = 250
    for i, image in enumerate(x):
      tf.io.write_file(os.path.join(root, name, f'{i:03d}.png'), tf.io.encode_png(image))
    images[name] = x
  return images


def _write_csv(path, rows, header):
  with open(path, 'w') as f:
    f.write(','.join(header) + '\n')
    for row in rows:
      f.write(','.join(str(v) for v in row) + '\n')


class FileSourcesTest(test_util.TestCase):
  """The main job on the user's own files: image folders, TFRecord shards, CSV tables."""

  def _run(self, dataset, **options):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    metrics = experiment_lib.train(model_dir=model_dir, dataset=dataset, **dict(_TINY, **options))
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()), metrics)
    return model_dir, metrics

  def test_png_folder_with_class_subfolders(self):
    root = self.create_tempdir().full_path
    _write_png_folder(root)
    model_dir, metrics = self._run(root, conditional=True, epochs=3)
    config = tfvae.config.JobConfig.read(os.path.join(model_dir, 'config.json'))
    self.assertEqual((config.likelihood, config.conditional), ('bernoulli', True))
    run = experiment_lib.load_run(model_dir)
    self.assertEqual((run.model.event_shape, run.model.condition_size), ((8, 8, 1), 2))
    # The test split is scored once at the end, as evaluate scores it again.
    evaluation = tfvae.evaluation.evaluate_run(model_dir, importance_samples=4, verbose=0)
    self.assertAllClose(evaluation['loss'], metrics['loss'], rtol=0.05)
    with open(os.path.join(model_dir, 'class_names.json')) as f:
      self.assertEqual(json.load(f), ['cat', 'dog'])

  def test_figures_draw_every_class_and_name_the_rows(self):
    # Class folders read in folder order, the first class the largest: the
    # first examples of the split are all of it.
    root = self.create_tempdir().full_path
    for name, count, value in (('ant', 40, 0), ('bee', 16, 1), ('cat', 12, 2)):
      os.makedirs(os.path.join(root, name))
      image = np.zeros((8, 8, 1), np.uint8)
      image[:, : 4 * value] = 255  # Black, left half white, white.
      for i in range(count):
        tf.io.write_file(os.path.join(root, name, f'{i:03d}.png'), tf.io.encode_png(image))
    model_dir, _ = self._run(root, conditional=True, epochs=1, validation_fraction=0.3)
    with open(os.path.join(model_dir, 'class_names.json')) as f:
      self.assertEqual(json.load(f), ['ant', 'bee', 'cat'])
    # The inputs of reconstructions.png (its top row, 4x, 1 pixel apart): one of
    # each class first, then round again.
    grid = tf.io.decode_png(tf.io.read_file(os.path.join(model_dir, 'reconstructions.png')))
    tiles = [grid[4:36, 4 * (1 + 9 * i) : 4 * (9 + 9 * i)].numpy() / 255 for i in range(10)]
    self.assertEqual([round(2 * tile.mean()) for tile in tiles[:6]], [0, 1, 2, 0, 1, 2])
    # samples.png names its rows (plot_test checks that the names are drawn).
    samples = tf.io.decode_png(tf.io.read_file(os.path.join(model_dir, 'samples.png'))).numpy()
    self.assertLess(samples[:, : int(0.18 * samples.shape[1]), :3].min(), 128)  # Text.

  def test_conditional_job_on_digits_serves_and_needs_labels(self):
    model_dir, _ = self._run('digits', conditional=True, prior='conditional_gaussian')
    run = experiment_lib.load_run(model_dir)
    self.assertEqual(run.model.condition_size, 10)
    self.assertIsInstance(run.model.prior_layer, tfvae.prior.ConditionalGaussian)
    # TensorBoard's samples: one row of 8 per class.
    events = event_accumulator.EventAccumulator(
      os.path.join(model_dir, 'tensorboard', 'train'), size_guidance={event_accumulator.TENSORS: 0}
    )
    events.Reload()
    samples = tf.make_ndarray(events.Tensors('samples')[-1].tensor_proto)
    self.assertEqual(tf.io.decode_png(samples[2]).shape[0], 4 * (10 * 9 + 1))
    # The export takes `condition`.
    path = tfvae.evaluation.export_run(model_dir, self.create_tempdir().full_path, warmup=False)
    sample = tf.saved_model.load(path).signatures['sample']
    condition = tf.one_hot([3, 7], 10)
    self.assertEqual(
      sample(condition=condition, seed=tf.constant([1, 2]))['probs'].shape, (2, 8, 8, 1)
    )
    # Data without labels: a clear error before anything is written.
    directory = self.create_tempdir().full_path
    (x, _), _ = tfvae.datasets.load('digits')
    np.save(os.path.join(directory, 'unlabeled.npy'), x[:200])
    bad_dir = os.path.join(directory, 'run')
    with self.assertRaisesRegex(ValueError, '`conditional` conditions on class labels.*has none'):
      experiment_lib.train(
        model_dir=bad_dir,
        dataset=os.path.join(directory, 'unlabeled.npy'),
        conditional=True,
        **_TINY,
      )
    self.assertFalse(os.path.exists(bad_dir))

  def test_conditional_default_fits_an_ex_post_prior_that_serves(self):
    model_dir, metrics = self._run('digits', conditional=True, epochs=2)
    config = tfvae.config.JobConfig.read(os.path.join(model_dir, 'config.json'))
    self.assertEqual((config.prior, config.sample_temperature), ('class_mixture', 0.8))
    run = experiment_lib.load_run(model_dir)
    self.assertIsInstance(run.model.prior_layer, tfvae.prior.ClassMixture)
    self.assertIsNone(tfvae.model.layers.find_kl_regularizer(run.model.encoder))
    # metrics.json is the final model's: the KL against the fitted mixtures.
    evaluation = tfvae.evaluation.evaluate_run(model_dir, importance_samples=4, verbose=0)
    self.assertAllClose(evaluation['loss'], metrics['loss'], rtol=0.05)
    # The export draws from the same mixtures as the library, at the run's temperature.
    path = tfvae.evaluation.export_run(model_dir, self.create_tempdir().full_path, warmup=False)
    sample = tf.saved_model.load(path).signatures['sample']
    labels = np.repeat([3, 7], 200)
    served = sample(condition=tf.one_hot(labels, 10), seed=tf.constant([1, 2]))['probs'].numpy()
    library = run.model.sample(labels, seed=[1, 2], temperature=0.8).numpy()
    self.assertAllClose(served, library, atol=1e-5)
    self.assertNotAllClose(served, run.model.sample(labels, seed=[1, 2]).numpy(), atol=1e-3)

  def test_tfrecord_shards(self):
    self._check_tfrecord_shards('png')

  @pytest.mark.slow
  def test_tfrecord_shards_of_raw_bytes(self):
    self._check_tfrecord_shards('raw')

  def _check_tfrecord_shards(self, encoding):
    directory = self.create_tempdir().full_path
    (x, y), _ = tfvae.datasets.load('digits')
    tfvae.sources.write_tfrecords(
      os.path.join(directory, 'digits-train'), x[:400], y[:400], num_shards=3, encoding=encoding
    )
    tfvae.sources.write_tfrecords(
      os.path.join(directory, 'digits-test'), x[400:500], y[400:500], encoding=encoding
    )
    model_dir, _ = self._run(os.path.join(directory, '*.tfrecord'), prior='mixture')
    run = experiment_lib.load_run(model_dir)
    self.assertEqual(run.model.event_shape, (8, 8, 1))
    evaluation = tfvae.evaluation.evaluate_run(model_dir, importance_samples=4, verbose=0)
    self.assertEqual(evaluation['num_examples'], 100)  # The test files.

  def test_csv_table_in_raw_units(self):
    rng = np.random.default_rng(1)
    n = 300
    z = rng.normal(size=(n, 1))
    features = np.concatenate([1000 + 50 * z, -3 + 0.01 * z, rng.normal(size=(n, 1))], 1)
    labels = rng.integers(0, 3, n)
    path = os.path.join(self.create_tempdir().full_path, 'sensors.csv')
    _write_csv(
      path, [[*row, label] for row, label in zip(features, labels)], ['a', 'b', 'c', 'label']
    )
    model_dir, _ = self._run(path, epochs=5, hidden_units=(16,), learning_rate=1e-2)
    run = experiment_lib.load_run(model_dir)
    config = run.config
    self.assertEqual((config.likelihood, run.model.event_shape), ('gaussian', (3,)))
    # The model takes and gives raw values: reconstructions are in the data's units.
    reconstruction = run.model.reconstruct(features[:50].astype(np.float32)).numpy()
    self.assertAllClose(reconstruction[:, 0].mean(), features[:50, 0].mean(), rtol=0.01)
    self.assertLess(np.abs(reconstruction[:, 1] + 3).max(), 0.1)

  def test_csv_log_likelihood_is_the_closed_form_through_standardization(self):
    # Probabilistic PCA in raw units: x = loc + scale * (W z + b + noise), so
    # p(x) = N(loc + scale * b, diag(scale) (W W^T + diag(sigma^2)) diag(scale)).
    rng = np.random.default_rng(2)
    n = 600
    loc_true = np.array([500.0, -20.0, 0.5, 8.0])
    factors = rng.normal(size=(n, 2)) @ np.array([[3.0, 1.0, 0.0, 2.0], [0.0, 2.0, 0.1, -1.0]])
    rows = loc_true + factors * np.array([10.0, 1.0, 0.05, 2.0]) + rng.normal(size=(n, 4)) * 0.5
    path = os.path.join(self.create_tempdir().full_path, 'table.csv')
    _write_csv(path, rows, ['w', 'x', 'y', 'z'])
    model_dir, _ = self._run(
      path, epochs=30, hidden_units=(), latent_size=2, batch_size=64, learning_rate=2e-2
    )
    vae = experiment_lib.load_run(model_dir).model
    dense = vae.decoder.get_layer('logits')
    likelihood_layer = vae.decoder.get_layer('likelihood')
    standardization = likelihood_layer.get_config()['standardization']
    scale = np.asarray(standardization['scale'])
    kernel, bias = (w.numpy().astype(np.float64) for w in dense.weights)
    sigma = likelihood_layer.scale.numpy().astype(np.float64)
    mean = np.asarray(standardization['loc']) + scale * bias
    covariance = np.diag(scale) @ (kernel.T @ kernel + np.diag(sigma**2)) @ np.diag(scale)
    x = rows[:20].astype(np.float32)
    exact = stats.multivariate_normal(mean, covariance).logpdf(rows[:20])
    estimates = vae.log_likelihood(x, num_samples=10_000, seed=0).numpy()
    self.assertAllClose(estimates, exact, atol=0.05)
    self.assertGreater(np.abs(exact).mean(), 5.0)  # Raw units: far from a standardized answer.

  def test_eight_bit_png_folder_with_a_logistic_mixture(self):
    root = self.create_tempdir().full_path
    images = _write_png_folder(root)
    model_dir, metrics = self._run(
      root, likelihood='discretized_logistic', likelihood_components=2, epochs=3
    )
    run = experiment_lib.load_run(model_dir)
    self.assertEqual(layers_lib.likelihood_family(run.model.decoder), 'discretized_logistic')
    self.assertEqual(run.model.decoder.layers[-1].get_config()['num_components'], 2)
    # The images are read onto the levels k / 255 exactly, and not binarized.
    source = experiment_lib.make_source(run.config)
    written = np.concatenate(list(images.values()))
    for split in ('train', 'test'):
      x = np.concatenate(
        [b.numpy() for b in experiment_lib.make_dataset(run.config, source, split)]
      )
      levels = np.round(x * 255)
      self.assertAllEqual(x, levels.astype(np.float32) / np.float32(255))
      self.assertContainsSubset(set(levels.ravel().astype(int)), set(written.ravel().tolist()))
      self.assertGreater(len(np.unique(levels)), 2)
    # Bits per dimension beside the nats: nats / (D log 2), D = 64 pixels.
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      written_metrics = json.load(f)
    self.assertEqual(written_metrics, metrics)
    negative_elbo = metrics['reconstruction'] + metrics['kl']
    self.assertAllClose(metrics['elbo_bits_per_dim'], negative_elbo / (64 * np.log(2)), rtol=1e-6)
    evaluation = tfvae.evaluation.evaluate_run(model_dir, importance_samples=8, verbose=0)
    self.assertAllClose(evaluation['bits_per_dim'], evaluation['nll'] / (64 * np.log(2)), rtol=1e-6)
    self.assertAllClose(
      evaluation['elbo_bits_per_dim'],
      (evaluation['reconstruction'] + evaluation['kl']) / (64 * np.log(2)),
      rtol=1e-6,
    )
    self.assertAllClose(evaluation['loss'], metrics['loss'], rtol=0.05)

  def test_eight_bit_likelihood_refuses_data_off_the_levels(self):
    # Digits have 17 grey levels k / 16: stopped before anything is written...
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    message = r'`dataset` must hold 8-bit levels k / 255 .* training examples of digits'
    with self.assertRaisesRegex(ValueError, message):
      experiment_lib.train(model_dir=model_dir, **dict(_TINY, likelihood='discretized_logistic'))
    self.assertFalse(os.path.exists(model_dir))
    # ...and each batch the job reads asserts the levels again.
    config = tfvae.config.JobConfig(likelihood='discretized_logistic', batch_size=8)
    data = experiment_lib.make_dataset(config, experiment_lib.make_source(config), 'test')
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, '`x` must hold 8-bit levels'):
      next(iter(data))

  @test_util.parameterized.named_parameters(
    ('corrupt_png', 'corrupt_png', r'broken\.png'),
    ('empty_directory', 'empty_directory', r'no image files|empty'),
    ('mixed_sizes', 'mixed_sizes', r'image_size'),
    ('tfrecord_without_feature', 'tfrecord_without_feature', r'data-00000-of-00001\.tfrecord.*record 2'),
    ('csv_not_a_number', 'csv_not_a_number', r'table\.csv.*line 4.*b'),
    ('csv_missing_cell', 'csv_missing_cell', r'table\.csv.*line 3'),
  )  # fmt: skip
  def test_bad_data_fails_before_anything_is_written(self, case, message):
    root = self.create_tempdir().full_path
    dataset = _bad_data(root, case)
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with self.assertRaisesRegex(ValueError, message):
      experiment_lib.train(model_dir=model_dir, dataset=dataset, **_TINY)
    self.assertFalse(os.path.exists(model_dir))


@pytest.mark.slow
class EarlyStoppingTest(test_util.TestCase):
  def test_restores_the_epoch_with_the_lowest_validation_loss(self):
    # A few hundred rows of a table: early stopping watches the validation loss.
    root = self.create_tempdir().full_path
    rng = np.random.default_rng(0)
    x = np.tanh(rng.normal(size=(240, 2)) @ rng.normal(size=(2, 12)))
    x += 0.5 * rng.normal(size=x.shape)
    _write_csv(os.path.join(root, 'table.csv'), x.round(5), [f'f{i}' for i in range(12)])
    model_dir = os.path.join(root, 'run')
    options = dict(
      latent_size=6, hidden_units=(64,), epochs=40, batch_size=16, learning_rate=3e-2,
      validation_fraction=0.3, early_stopping_patience=2, verbose=0,
    )  # fmt: skip
    experiment_lib.train(model_dir=model_dir, dataset=os.path.join(root, 'table.csv'), **options)
    with open(os.path.join(model_dir, 'training_log.csv')) as f:
      log = list(csv.DictReader(f))
    val_loss = np.array([float(row['val_loss']) for row in log])
    best = int(np.argmin(val_loss))
    # It stopped 2 epochs after the best one, well before the 40 asked for.
    self.assertEqual([int(row['epoch']) for row in log], list(range(best + 3)))
    self.assertLess(best + 3, 40)
    run = experiment_lib.load_run(model_dir)
    self.assertEqual(run.config.early_stopping_patience, 2)
    # The saved model holds the weights of the best epoch: its checkpoint's, exactly...
    at_best = tf.train.load_checkpoint(os.path.join(model_dir, 'checkpoints', f'ckpt-{best + 1}'))
    saved = tf.train.load_checkpoint(
      tf.train.Checkpoint(model=run.model).write(os.path.join(root, 'saved'))
    )
    keys = [
      key
      for key in saved.get_variable_to_shape_map()
      if key.endswith('VARIABLE_VALUE') and '/optimizer/' not in key and 'OPTIMIZER' not in key
    ]
    self.assertGreater(len(keys), 4)
    for key in keys:
      self.assertAllEqual(saved.get_tensor(key), at_best.get_tensor(key), msg=key)
    last = tf.train.load_checkpoint(os.path.join(model_dir, 'checkpoints', f'ckpt-{best + 3}'))
    self.assertNotAllClose(saved.get_tensor(keys[0]), last.get_tensor(keys[0]))
    # ...and its validation loss is the best one logged, up to the Monte Carlo
    # noise of the posterior sample (the logged value is one draw).
    source = experiment_lib.make_source(run.config)
    validation = experiment_lib.make_dataset(run.config, source, 'validation')
    run.model.compile()
    losses = [run.model.evaluate(validation, verbose=0, return_dict=True)['loss'] for _ in range(8)]
    noise = np.std(losses, ddof=1)
    self.assertLess(abs(np.mean(losses) - val_loss[best]), 4 * noise + 1e-3)


def _bad_data(root, case):
  """Writes one kind of bad data under `root`; returns the `dataset` to give the job."""
  if case in ('corrupt_png', 'mixed_sizes'):
    _write_png_folder(root, n_per_class=6)
    if case == 'corrupt_png':
      with open(os.path.join(root, 'dog', 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\nnot really')
    else:
      image = tf.io.encode_png(np.zeros([9, 8, 1], np.uint8))
      tf.io.write_file(os.path.join(root, 'cat', 'taller.png'), image)
    return root
  if case == 'empty_directory':
    os.makedirs(os.path.join(root, 'cat'))
    return root
  if case == 'tfrecord_without_feature':
    path = os.path.join(root, 'data-00000-of-00001.tfrecord')
    with tf.io.TFRecordWriter(path) as writer:
      for i in range(4):
        key = 'pixels' if i == 2 else 'x'
        feature = {key: tf.train.Feature(float_list=tf.train.FloatList(value=[0.5] * 6))}
        writer.write(
          tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
        )
    return os.path.join(root, '*.tfrecord')
  path = os.path.join(root, 'table.csv')
  rows = [[1.0, 2.0], [3.0, 4.0], [5.0, 'oops'], [7.0, 8.0]]
  if case == 'csv_missing_cell':
    rows = [[1.0, 2.0], [3.0, ''], [5.0, 6.0]]
  _write_csv(path, rows, ['a', 'b'])
  return path


if __name__ == '__main__':
  test_util.main()
