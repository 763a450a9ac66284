# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Dry runs of the scripts in examples/: each runs as a user runs it, with tiny settings."""

import importlib.util
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from sklearn import metrics as sklearn_metrics

import test_util
import tfvae

# Every example takes these: digits ship with tfvae, so nothing is downloaded.
_TINY = ['--dataset=digits', '--verbose=0']


def run_example(name, *flags):
  """Runs `examples/<name>.py` with `flags` in a fresh interpreter; returns stdout."""
  script = os.path.join(test_util.REPO_ROOT, 'examples', f'{name}.py')
  env = dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run(
    [sys.executable, script, *_TINY, *flags],
    cwd=test_util.REPO_ROOT,
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
  )
  if result.returncode != 0:
    raise AssertionError(f'{name} failed ({result.returncode}):\n{result.stderr[-4000:]}')
  return result.stdout


def import_example(name):
  """`examples/<name>.py` as a module; for examples that define their flags only when run."""
  spec = importlib.util.spec_from_file_location(
    name, os.path.join(test_util.REPO_ROOT, 'examples', f'{name}.py')
  )
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  return example


def read_png(path):
  return tf.io.decode_png(tf.io.read_file(path)).numpy()


class ExamplesTest(test_util.TestCase):
  def _model_dir(self):
    return os.path.join(self.create_tempdir().full_path, 'run')

  def _assert_finite_metrics(self, model_dir):
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      metrics = json.load(f)
    for name in ('loss', 'reconstruction', 'kl'):
      self.assertTrue(np.isfinite(metrics[name]), name)
    return metrics

  def test_dense_main_job_example(self):
    self._check_main_job_example('dense_vae', 'dense', [512, 256])

  @pytest.mark.slow
  def test_conv_main_job_example(self):
    self._check_main_job_example('conv_vae', 'conv', [32, 64])

  def _check_main_job_example(self, name, architecture, hidden_units):
    model_dir = self._model_dir()
    run_example(name, '--epochs=1', '--latent_size=2', f'--model_dir={model_dir}')
    self._assert_finite_metrics(model_dir)
    with open(os.path.join(model_dir, 'config.json')) as f:
      config = json.load(f)
    self.assertEqual(config['architecture'], architecture)
    self.assertEqual(config['hidden_units'], hidden_units)
    self.assertEqual(config['dataset'], 'digits')
    self.assertTrue(os.path.isfile(os.path.join(model_dir, 'model.keras')))
    self.assertTrue(os.path.isfile(os.path.join(model_dir, 'latent_manifold.png')))

  def test_beta_vae_warmup(self):
    model_dir = self._model_dir()
    stdout = run_example(
      'beta_vae_warmup',
      '--epochs=3',
      '--warmup_epochs=2',
      '--kl_weight=4',
      '--latent_size=3',
      f'--model_dir={model_dir}',
    )
    self.assertIn('latent dimensions active', stdout)
    metrics = self._assert_finite_metrics(model_dir)
    history = metrics['history']
    self.assertEqual(history['kl_weight'], [0.0, 2.0, 4.0])
    # Each epoch's loss used the weight then in effect.
    self.assertAllClose(
      history['loss'],
      np.add(history['reconstruction'], np.multiply(history['kl_weight'], history['kl'])),
      rtol=1e-5,
    )
    self.assertAllClose(metrics['loss'], metrics['reconstruction'] + 4.0 * metrics['kl'], rtol=1e-5)
    self.assertBetween(metrics['active_dimensions'], 0, 3)
    for figure in ('reconstructions', 'samples', 'latent_scatter', 'kl_per_dimension'):
      png = tf.io.decode_png(tf.io.read_file(os.path.join(model_dir, f'{figure}.png')))
      self.assertEqual(png.shape[-1], 4, figure)
    self.assertTrue(os.listdir(os.path.join(model_dir, 'tensorboard', 'train')))

  def test_beta_vae_warmup_refuses_a_used_directory(self):
    spec = importlib.util.spec_from_file_location(
      'beta_vae_warmup', os.path.join(test_util.REPO_ROOT, 'examples', 'beta_vae_warmup.py')
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)  # Defines its flags; this file imports no other example.
    model_dir = self.create_tempdir().full_path
    with open(os.path.join(model_dir, 'notes.txt'), 'w') as f:
      f.write('keep')
    with self.assertRaisesRegex(ValueError, 'not empty'):
      example.train_beta_vae(dataset='digits', epochs=1, model_dir=model_dir)
    self.assertEqual(os.listdir(model_dir), ['notes.txt'])

  def test_conditional_vae(self):
    self._check_conditional_vae('class_mixture')

  @test_util.parameterized.parameters('standard_normal', 'conditional_gaussian')
  @pytest.mark.slow
  def test_conditional_vae_with_other_priors(self, prior):
    self._check_conditional_vae(prior)

  def _check_conditional_vae(self, prior):
    example = import_example('conditional_vae')
    model_dir = self._model_dir()
    results = example.train_conditional_vae(
      prior=prior,
      epochs=2,
      latent_size=3,
      hidden_units=(16,),
      num_samples=20,
      model_dir=model_dir,
      verbose=0,
    )
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      metrics = json.load(f)
    self.assertEqual(metrics['prior'], prior)
    self.assertEqual(metrics['num_examples'], 297)  # Every digits test image.
    self.assertEqual(metrics['num_samples'], 20)
    for name in ('nll', 'loss', 'reconstruction', 'kl'):
      self.assertTrue(np.isfinite(metrics[name]), name)
      self.assertAlmostEqual(metrics[name], results[name], places=6)
    # -log p(x|c) of 64 binary pixels: below the uniform model's 64 log 2
    # nats after two epochs (42.7 here: the pixel means are learned first),
    # and below the negative ELBO (k = 20 importance samples: a tighter bound).
    self.assertBetween(metrics['nll'], 1.0, 64 * math.log(2))
    self.assertLess(metrics['nll'], metrics['loss'])
    self.assertAllClose(metrics['loss'], metrics['reconstruction'] + metrics['kl'], rtol=1e-5)
    # Samples: 10 rows (one per class) of 10 digits, 8x8 pixels with 1 of
    # padding, drawn 4x larger; reconstructions: 10 rows of 1 + 10 digits.
    samples = read_png(os.path.join(model_dir, 'samples.png'))
    self.assertEqual(samples.shape, (4 * (10 * 9 + 1), 4 * (10 * 9 + 1), 1))
    padding_rows = [r for r in range(samples.shape[0]) if np.all(samples[r] == 255)]
    self.assertEqual(padding_rows, [4 * 9 * i + j for i in range(11) for j in range(4)])
    reconstructions = read_png(os.path.join(model_dir, 'reconstructions_as_every_class.png'))
    self.assertEqual(reconstructions.shape, (4 * (10 * 9 + 1), 4 * (11 * 9 + 1), 1))
    with open(os.path.join(model_dir, 'config.json')) as f:
      self.assertEqual(json.load(f)['prior'], prior)

  def test_conditional_vae_reconstructs_as_every_class(self):
    example = import_example('conditional_vae')
    encoder = tfvae.make_encoder((8, 8, 1), 2, (7,), condition_size=10)
    vae = tfvae.VAE(encoder, tfvae.make_decoder(2, (8, 8, 1), (7,), condition_size=10))
    x = self.make_images(n=30, shape=(8, 8, 1))
    labels = np.arange(30) % 10
    images = example.reconstructions_as_every_class(vae, x, labels)
    self.assertEqual(images.shape, (110, 8, 8, 1))
    for k in range(10):
      self.assertAllEqual(images[11 * k], x[k])  # The first image of class k.
      # Encoded with its own class: its own entry is `reconstruct(x, k)`.
      self.assertAllClose(images[11 * k + 1 + k], vae.reconstruct(x[k : k + 1], [k])[0])

  def test_anomaly_detection(self):
    example = import_example('anomaly_detection')
    model_dir = self._model_dir()
    export_base = os.path.join(self.create_tempdir().full_path, 'exports')
    rate, seed = 0.1, 3
    detection = example.detect_anomalies(
      normal_class=3,
      score='log_likelihood',
      false_positive_rate=rate,
      num_samples=8,
      epochs=3,
      latent_size=3,
      hidden_units=(16,),
      seed=seed,
      model_dir=model_dir,
      export_base=export_base,
      verbose=0,
    )
    report, threshold = detection.report, detection.threshold
    with open(os.path.join(model_dir, 'anomaly_report.json')) as f:
      written = json.load(f)
    self.assertEqual(written, report)
    self.assertEqual(report['threshold'], threshold.to_json())
    self.assertLen(report['detection_rate_by_class'], 9)
    anomalous = detection.labels != 3
    self.assertEqual(report['num_test_normal'] + report['num_test_anomalous'], 297)
    self.assertEqual(report['num_test_normal'], int((~anomalous).sum()))
    self.assertEqual(sorted(report['auroc']), sorted(tfvae.anomaly.SCORES))
    for score, value in report['auroc'].items():
      self.assertBetween(value, 0.0, 1.0)
      expected = sklearn_metrics.roc_auc_score(anomalous, detection.scores[score])
      self.assertAlmostEqual(value, expected, delta=1e-9, msg=score)
    # The threshold flags exactly floor(rate * n) of the n calibration images.
    n = threshold.num_examples
    self.assertEqual(n, report['num_calibration'])
    self.assertEqual(report['calibration_false_positive_rate'], math.floor(rate * n) / n)
    flagged = detection.scores['log_likelihood'] > threshold.value
    self.assertEqual(report['test_false_positive_rate'], flagged[~anomalous].mean())
    self.assertEqual(report['detection_rate'], flagged[anomalous].mean())
    # The export's `anomaly` signature scores as `tfvae.anomaly.scores` does
    # (its first batch of 100 images used seed fold_in([seed, 0], 0)).
    self.assertEqual(report['export_path'], os.path.join(export_base, '1'))
    signature = tf.saved_model.load(report['export_path']).signatures['anomaly']
    batch_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int32), 0)
    outputs = signature(x=tf.constant(detection.x_test[:100]), seed=batch_seed)
    self.assertAllClose(outputs['score'], detection.scores['log_likelihood'][:100], rtol=1e-5)
    self.assertAllEqual(outputs['is_anomaly'], outputs['score'].numpy() > threshold.value)
    self.assertTrue(np.any(outputs['is_anomaly']) and not np.all(outputs['is_anomaly']))

  @test_util.parameterized.parameters(
    ('conditional_vae', 'test -log p(x|c)', 'metrics.json'),
    ('anomaly_detection', 'AUROC, class 0 (normal)', 'anomaly_report.json'),
  )
  @pytest.mark.slow  # The scripts' functions run by default (above); this checks their flags.
  def test_runs_as_a_script(self, name, summary, output):
    model_dir = self._model_dir()
    stdout = run_example(
      name, '--epochs=1', '--latent_size=2', '--num_samples=5', f'--model_dir={model_dir}'
    )
    self.assertIn(summary, stdout)
    self.assertTrue(os.path.isfile(os.path.join(model_dir, output)))


if __name__ == '__main__':
  test_util.main()
