# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.evaluation and the `python -m tfvae.evaluate` entry point."""

import csv
import json
import os
import subprocess
import sys
import tempfile
from unittest import mock

import numpy as np
import tensorflow as tf

import test_util
import tfvae
from tfvae.data import sources as sources_lib
from tfvae.jobs import evaluation as evaluation_lib
from tfvae.jobs import experiment as experiment_lib
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir as run_dir_lib
from tfvae.jobs import scoring


class EvaluateTest(test_util.TestCase):
  def test_metrics_are_consistent(self):
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    vae = test_util.make_vae((8, 8, 1), 4, (32,))
    vae.compile(tfvae.keras.optimizers.Adam(3e-3))
    vae.fit(tfvae.datasets.make_dataset(x_train, 64), epochs=5, verbose=0)
    x = tfvae.datasets.binarize(x_test[:60], seed=0)
    results = evaluation_lib.evaluate(vae, x, num_samples=200, batch_size=25, verbose=0)
    self.assertEqual(results['num_examples'], 60)
    self.assertAllClose(results['loss'], results['reconstruction'] + results['kl'], rtol=1e-5)
    # log p(x) >= IWAE_200 >= ELBO on average: the NLL estimate is below the bound.
    self.assertLess(results['nll'], results['loss'])
    self.assertAllClose(results['bits_per_dim'], results['nll'] / (64 * np.log(2)), rtol=1e-5)
    means = vae.encoder(x).mean().numpy()
    self.assertAllClose(results['active_unit_variances'], means.var(axis=0), rtol=1e-4)
    self.assertEqual(results['active_units'], int(np.sum(means.var(axis=0) > 0.01)))

  def test_bad_arguments(self):
    vae = test_util.make_vae()
    with self.assertRaisesRegex(TypeError, 'vae'):
      evaluation_lib.evaluate('model', self.make_images())
    with self.assertRaisesRegex(ValueError, 'num_samples'):
      evaluation_lib.evaluate(vae, self.make_images(), num_samples=0)
    with self.assertRaisesRegex(ValueError, 'x'):
      evaluation_lib.evaluate(vae, np.zeros([2, 3], np.float32))

  def test_evaluate_run_and_entry_point(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    experiment_lib.train(
      model_dir=model_dir, latent_size=2, hidden_units=(8,), epochs=1, batch_size=256, verbose=0
    )
    results = evaluation_lib.evaluate_run(model_dir, importance_samples=20, verbose=0)
    with open(os.path.join(model_dir, 'evaluation.json')) as f:
      self.assertEqual(json.load(f)['nll'], results['nll'])
    output = os.path.join(model_dir, 'cli.json')
    subprocess.run(
      [sys.executable, '-m', 'tfvae.evaluate', f'--model_dir={model_dir}', '--num_samples=20',
       f'--output={output}', '--verbose=0'],
      env=dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
      check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    with open(output) as f:
      cli = json.load(f)
    self.assertEqual(cli['num_examples'], 297)
    self.assertAllClose(cli['nll'], results['nll'], rtol=1e-6)  # Same seed, same samples.

  def test_evaluate_run_needs_a_finished_run(self):
    with self.assertRaisesRegex(ValueError, 'model_dir'):
      evaluation_lib.evaluate_run(self.create_tempdir().full_path)


class AnomalyRunTest(test_util.TestCase):
  """Scoring a run's data, and other data, with thresholds calibrated on its validation split."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model_dir = os.path.join(tempfile.mkdtemp(), 'run')
    experiment_lib.train(
      model_dir=cls.model_dir, latent_size=2, hidden_units=(8,), epochs=2, batch_size=128,
      verbose=0, validation_fraction=0.2,
    )  # fmt: skip

  def test_score_run_writes_scores_and_calibrated_flags(self):
    output = os.path.join(self.create_tempdir().full_path, 'scores.csv')
    result = evaluation_lib.score_run(
      self.model_dir,
      scores=('log_likelihood', 'reconstruction'),
      false_positive_rate=0.1,
      importance_samples=16,
      output=output,
    )
    with open(output) as f:
      rows = list(csv.DictReader(f))
    self.assertLen(rows, 297)  # The test split of digits.
    self.assertEqual(result['num_examples'], 297)
    self.assertEqual(
      list(rows[0]),
      ['file', 'row', 'split', 'label', 'log_likelihood', 'log_likelihood_anomaly',
       'reconstruction', 'reconstruction_anomaly'],
    )  # fmt: skip
    for score in ('log_likelihood', 'reconstruction'):
      values = np.array([float(r[score]) for r in rows])
      flags = np.array([int(r[f'{score}_anomaly']) for r in rows])
      self.assertAllEqual(flags, values > result['thresholds'][score])
      # Test digits are normal data too: about 10% flagged (binomial sd 1.7%).
      self.assertBetween(flags.mean(), 0.03, 0.2)
    with open(f'{output}.thresholds.json') as f:
      thresholds = json.load(f)
    self.assertEqual(thresholds['log_likelihood']['num_examples'], 300)  # The validation split.
    # The same examples and seed give the same scores as the library: the rows
    # name the digits' stored rows, in order; the test split is binarized once.
    run = experiment_lib.load_run(self.model_dir)
    _, (x, _, stored_rows, _) = tfvae.datasets.load_with_rows('digits', seed=run.config.seed)
    x = tfvae.datasets.binarize(x, run.config.seed)[np.argsort(stored_rows)]
    self.assertEqual([int(r['row']) for r in rows], sorted(stored_rows))
    self.assertEqual({r['file'] for r in rows}, {'digits'})
    expected = tfvae.anomaly.scores(run.model, x, num_samples=16, seed=run.config.seed)
    self.assertAllClose([float(r['log_likelihood']) for r in rows], expected, rtol=1e-5)

  def test_combined_score_the_default_for_images_is_standardized_on_validation_data(self):
    output = os.path.join(self.create_tempdir().full_path, 'scores.csv')
    self.assertEqual(scoring.default_scores(self.model_dir), ('combined',))
    result = evaluation_lib.score_run(
      self.model_dir,  # No `scores`: the default for images.
      splits=('validation', 'test'),
      false_positive_rate=0.1,
      importance_samples=4,
      output=output,
    )
    with open(output) as f:
      rows = list(csv.DictReader(f))
    self.assertEqual(
      list(rows[0])[4:],
      ['complexity', 'complexity_anomaly', 'reconstruction', 'reconstruction_anomaly',
       'combined', 'combined_anomaly'],
    )  # fmt: skip
    self.assertLen(rows, 597)
    column = {k: np.array([float(r[k]) for r in rows]) for k in ('complexity', 'reconstruction')}
    validation = np.array([r['split'] == 'validation' for r in rows])
    expected = sum(
      (values - values[validation].mean()) / values[validation].std() for values in column.values()
    )
    combined = np.array([float(r['combined']) for r in rows])
    self.assertAllClose(combined, expected, rtol=1e-9, atol=1e-9)
    self.assertAllClose(combined[validation].mean(), 0.0, atol=1e-9)
    # Thresholded on the validation split like any score: 30 of its 300 above.
    self.assertEqual(np.sum(combined[validation] > result['thresholds']['combined']), 30)
    self.assertAllEqual(
      [int(r['combined_anomaly']) for r in rows], combined > result['thresholds']['combined']
    )

  def test_four_scores_load_the_model_once_and_read_each_split_once(self):
    # Spies that count real calls (each wraps the real function).
    reads = []

    def rows(source, splits=None, *args, **kwargs):
      reads.extend(splits or sources_lib.SPLITS)
      return real_rows(source, splits, *args, **kwargs)

    def dataset(source, split, *args, **kwargs):
      reads.append(split)
      return real_dataset(source, split, *args, **kwargs)

    real_rows, real_dataset = sources_lib.Source.rows, sources_lib.Source.dataset
    with (
      mock.patch.object(run_dir_lib, 'load_model', wraps=run_dir_lib.load_model) as loads,
      mock.patch.object(sources_lib, 'open_source', wraps=sources_lib.open_source) as opens,
      mock.patch.object(sources_lib.Source, 'rows', autospec=True, side_effect=rows),
      mock.patch.object(sources_lib.Source, 'dataset', autospec=True, side_effect=dataset),
    ):
      result = evaluation_lib.score_run(
        self.model_dir,
        scores=tfvae.anomaly.SCORES,
        importance_samples=4,
        output=os.path.join(self.create_tempdir().full_path, 'scores.csv'),
      )
    self.assertEqual(result['num_examples'], 297)
    self.assertLen(result['thresholds'], 4)
    self.assertEqual(loads.call_count, 1)  # model.keras, once.
    self.assertEqual(opens.call_count, 1)  # The source, opened and scanned once.
    self.assertCountEqual(reads, ['validation', 'test'])  # Each split read once.

  def test_other_data_and_the_entry_point(self):
    directory = self.create_tempdir().full_path
    rng = np.random.default_rng(0)
    noise = np.round(rng.uniform(size=(50, 8, 8, 1))).astype(np.float32)
    np.savez(os.path.join(directory, 'noise.npz'), x=noise)
    output = os.path.join(directory, 'noise.csv')
    subprocess.run(
      [sys.executable, '-m', 'tfvae.score', f'--model_dir={self.model_dir}',
       f'--dataset={directory}/noise.npz', '--importance_samples=16', f'--output={output}',
       '--scores=log_likelihood', '--scores=complexity'],
      env=dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
      check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    with open(output) as f:
      rows = list(csv.DictReader(f))
    self.assertLen(rows, 50)  # The other data, read whole, in order.
    self.assertEqual({r['split'] for r in rows}, {'all'})
    self.assertEqual([int(r['row']) for r in rows], list(range(50)))
    # Noise is not a digit: far more than the calibrated 1% is flagged (52% by this
    # small model, trained 2 epochs).
    self.assertGreater(np.mean([int(r['log_likelihood_anomaly']) for r in rows]), 0.3)

  def test_export_with_an_anomaly_signature(self):
    export_base = self.create_tempdir().full_path
    path = tfvae.evaluation.export_run(
      self.model_dir,
      export_base,
      anomaly_score='log_likelihood',
      importance_samples=16,
      warmup=False,
    )
    signature = tf.saved_model.load(path).signatures['anomaly']
    x = tfvae.datasets.binarize(tfvae.datasets.load('digits')[1][0][:5], seed=0)
    outputs = signature(x=tf.constant(x), seed=tf.constant([1, 2]))
    self.assertEqual(outputs['score'].shape, (5,))
    self.assertEqual(outputs['is_anomaly'].dtype, tf.bool)

  def test_scoring_a_bernoulli_run_of_grey_data_warns_and_names_the_fix(self):
    # The digits are grey (levels k/16); the default run binarizes them.
    run = experiment_lib.load_run(self.model_dir)
    x, _ = run.source.take('train', 1000)
    share = np.mean((x > 0) & (x < 1))
    self.assertBetween(share, 0.2, 0.6)  # Measured: 42% of the pixels.
    # Training recorded the share in the run; scoring reads it, not the data.
    self.assertAllClose(run.dir.read_json(run.dir.LEVELS), {'grey_share': share})
    with self.assertWarnsRegex(UserWarning, 'binarizes grey levels') as caught:
      evaluation_lib.score_run(
        run, scores=('reconstruction',), output=self.create_tempfile().full_path
      )
    message = str(caught.warning)
    self.assertIn(f'({share:.0%} of the pixels of its first training examples', message)
    self.assertIn('--likelihood=discretized_logistic', message)
    # A likelihood that keeps grey levels, or binary data: no warning.
    self.assertFalse(pipelines.warn_if_binarized(run.config.replace(likelihood='gaussian'), share))
    path = os.path.join(self.create_tempdir().full_path, 'binary.npz')
    (x_train, y_train), (x_test, y_test) = tfvae.datasets.load('digits')
    np.savez(
      path,
      x_train=tfvae.datasets.binarize(x_train), y_train=y_train,
      x_test=tfvae.datasets.binarize(x_test), y_test=y_test,
    )  # fmt: skip
    config = pipelines.absolute_paths(run.config.replace(dataset=path))
    binary_share = pipelines.check_levels(config, pipelines.make_source(config))
    self.assertEqual(binary_share, 0.0)
    self.assertFalse(pipelines.warn_if_binarized(config, binary_share))

  def test_calibration_needs_a_validation_split(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    experiment_lib.train(
      model_dir=model_dir, latent_size=2, hidden_units=(8,), epochs=1, batch_size=256, verbose=0,
      validation_fraction=0.0,
    )  # fmt: skip
    with self.assertRaisesRegex(ValueError, 'no validation split'):
      evaluation_lib.calibrate_run(model_dir)


if __name__ == '__main__':
  test_util.main()
