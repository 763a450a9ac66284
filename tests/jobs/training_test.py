# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.jobs.training: reading every split first, and losing nothing trained."""

import csv
import os
from unittest import mock

import numpy as np
import tensorflow as tf

import test_util
from tfvae.jobs import models
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir as run_dir_lib
from tfvae.jobs import training
from tfvae.model import precision as precision_lib
from tfvae.model import prior as prior_lib

_TINY = dict(latent_size=2, hidden_units=(8,), epochs=3, batch_size=256, verbose=0)
_ITERATIONS = 'optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE'  # Optimizer steps taken.


def _log_rows(model_dir):
  with open(os.path.join(model_dir, run_dir_lib.RunDir.TRAINING_LOG), newline='') as f:
    return list(csv.reader(f))


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


class TrainingTest(test_util.TestCase):
  def test_a_split_that_cannot_be_read_stops_the_job_before_training(self):
    make_dataset = pipelines.make_dataset

    def test_split_fails(config, source, split, *args, **kwargs):
      if split == 'test':  # As the CSV split files of issue 17 failed, after training.
        raise TypeError('tf__decode() takes 1 positional argument but 30 were given')
      return make_dataset(config, source, split, *args, **kwargs)

    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with mock.patch.object(pipelines, 'make_dataset', side_effect=test_split_fails):
      with mock.patch.object(training, '_fit', wraps=training._fit) as fit:
        with self.assertRaisesRegex(ValueError, 'cannot read the test split of digits.*tf__decode'):
          training.train(model_dir=model_dir, **_TINY)
    self.assertEqual(fit.call_count, 0)
    self.assertFalse(os.path.exists(model_dir))

  def test_a_failure_after_training_loses_nothing_and_a_rerun_finishes(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with mock.patch.object(training, '_write_figures', side_effect=RuntimeError('no figures')):
      with self.assertRaisesRegex(RuntimeError, 'no figures'):
        training.train(model_dir=model_dir, **_TINY)
    run_dir = run_dir_lib.RunDir(model_dir)
    self.assertTrue(run_dir.has(run_dir.MODEL))  # Saved as soon as training ended.
    self.assertFalse(run_dir.has(run_dir.METRICS))
    model = _read(run_dir.file(run_dir.MODEL))
    log = _log_rows(model_dir)
    self.assertEqual([row[0] for row in log[1:]], ['0', '1', '2'])
    checkpoints = run_dir.file(run_dir.CHECKPOINTS)
    iterations = tf.train.load_variable(tf.train.latest_checkpoint(checkpoints), _ITERATIONS)
    saved = sorted(os.listdir(checkpoints))

    # The same options again: no training, the remaining steps done.
    with mock.patch.object(training, '_fit', wraps=training._fit) as fit:
      metrics = training.train(model_dir=model_dir, **_TINY)
    self.assertEqual(fit.call_count, 0)
    self.assertEqual(_read(run_dir.file(run_dir.MODEL)), model)
    self.assertEqual(_log_rows(model_dir), log)  # No epoch again, no row twice.
    self.assertEqual(sorted(os.listdir(checkpoints)), saved)
    self.assertEqual(
      tf.train.load_variable(tf.train.latest_checkpoint(checkpoints), _ITERATIONS),
      iterations,
    )
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()))
    for name in (run_dir.METRICS, run_dir.SAMPLES, run_dir.RECONSTRUCTIONS):
      self.assertTrue(run_dir.has(name), name)
    with self.assertRaisesRegex(ValueError, 'finished run'):
      training.train(model_dir=model_dir, **_TINY)

  def test_an_unfinished_run_of_an_earlier_release_resumes(self):
    # Its config.json predates `sample_temperature`: not compared, then recorded.
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    options = dict(_TINY, conditional=True)
    with mock.patch.object(training, '_write_figures', side_effect=RuntimeError('no figures')):
      with self.assertRaisesRegex(RuntimeError, 'no figures'):
        training.train(model_dir=model_dir, **options)
    run_dir = run_dir_lib.RunDir(model_dir)
    recorded = run_dir.read_json(run_dir.CONFIG)
    self.assertEqual(recorded.pop('sample_temperature'), 0.8)
    run_dir.write_json(run_dir.CONFIG, recorded)
    self.assertEqual(run_dir.read_config().sample_temperature, 1.0)
    with self.assertRaisesRegex(ValueError, r"differs in \['epochs'\]"):
      training.train(model_dir=model_dir, **dict(options, epochs=7))
    training.train(model_dir=model_dir, **options)
    self.assertTrue(run_dir.has(run_dir.METRICS))
    self.assertEqual(run_dir.read_config().sample_temperature, 0.8)

  def test_a_run_resumes_under_any_precision_that_resolves_to_its_own(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    with mock.patch.object(training, '_write_figures', side_effect=RuntimeError('no figures')):
      with self.assertRaisesRegex(RuntimeError, 'no figures'):
        training.train(model_dir=model_dir, precision='float32', **_TINY)
    run_dir = run_dir_lib.RunDir(model_dir)
    self.assertEqual(run_dir.read_config().precision, 'float32')
    # A config.json written before `precision` existed reads as float32.
    recorded = run_dir.read_json(run_dir.CONFIG)
    run_dir.write_json(run_dir.CONFIG, {k: v for k, v in recorded.items() if k != 'precision'})
    self.assertEqual(run_dir.read_config().precision, 'float32')
    run_dir.write_json(run_dir.CONFIG, recorded)
    # Where 'auto' (the default) means bfloat16, a float32 run does not resume
    # under it; where it means float32 (CPUs), a rerun without --precision does.
    with mock.patch.object(precision_lib, 'bfloat16_pays', return_value=True):
      with self.assertRaisesRegex(ValueError, r"differs in \['precision'\]"):
        training.train(model_dir=model_dir, **_TINY)
    with self.assertRaisesRegex(ValueError, r"differs in \['precision'\]"):
      training.train(model_dir=model_dir, precision='bfloat16', **_TINY)
    with mock.patch.object(precision_lib, 'bfloat16_pays', return_value=False):
      training.train(model_dir=model_dir, **_TINY)
    self.assertTrue(run_dir.has(run_dir.METRICS))
    self.assertEqual(run_dir.read_config().precision, 'float32')

  def test_the_ex_post_fit_failing_loses_no_training_and_a_rerun_fits_it(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    options = dict(_TINY, conditional=True)  # The ex-post class_mixture prior by default.
    with mock.patch.object(models, 'finish', side_effect=MemoryError('fit failed')):
      with self.assertRaises(MemoryError):
        training.train(model_dir=model_dir, **options)
    run_dir = run_dir_lib.RunDir(model_dir)
    trained = run_dir_lib.load_model(run_dir.file(run_dir.MODEL))  # Saved before the fit.
    self.assertIsNone(trained.prior_layer)  # Trained under N(0, I).
    log = _log_rows(model_dir)
    with mock.patch.object(training, '_fit', wraps=training._fit) as fit:
      training.train(model_dir=model_dir, **options)
    self.assertEqual(fit.call_count, 0)
    self.assertEqual(_log_rows(model_dir), log)
    finished = run_dir_lib.load_model(run_dir.file(run_dir.MODEL))
    self.assertIsInstance(finished.prior_layer, prior_lib.ClassMixture)
    x = np.zeros([2, 8, 8, 1], np.float32)
    self.assertAllClose(finished.posterior(x, [0, 1]).mean(), trained.posterior(x, [0, 1]).mean())


if __name__ == '__main__':
  test_util.main()
