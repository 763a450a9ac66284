# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The four commands, run as a user runs them: quiet by default, one line per result."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import test_util


def _run(*argv):
  env = dict(os.environ, PYTHONPATH=test_util.REPO_ROOT)
  env.pop('TF_CPP_MIN_LOG_LEVEL', None)  # The commands' own default.
  return subprocess.run(
    [sys.executable, '-m', *argv],
    cwd=test_util.REPO_ROOT,
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
  )


@pytest.mark.slow
class QuietCommandsTest(test_util.TestCase):
  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.directory = tempfile.mkdtemp()
    cls.model_dir = os.path.join(cls.directory, 'run')
    cls.train = _run(
      'tfvae.train',
      f'--model_dir={cls.model_dir}',
      '--epochs=1',
      '--latent_size=2',
      '--hidden_units=8',
      '--batch_size=256',
      # Grey digits kept as they are: scoring a Bernoulli run of grey data warns
      # (tests/jobs/evaluation_test.py), and these commands must print nothing.
      '--likelihood=continuous_bernoulli',
      '--verbose=0',
    )

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.directory, ignore_errors=True)
    super().tearDownClass()

  def assert_quiet(self, result, *stdout_starts):
    self.assertEqual(result.returncode, 0, result.stderr)
    # No TensorFlow start-up lines, no warnings about what the user did not do
    # ("Skipping variable loading for optimizer", retracing): nothing at all.
    self.assertEqual(result.stderr, '')
    lines = result.stdout.splitlines()
    self.assertLen(lines, len(stdout_starts), result.stdout)
    for line, start in zip(lines, stdout_starts):
      self.assertStartsWith(line, start)

  def test_train_at_verbose_0_says_where_and_what(self):
    self.assert_quiet(self.train, f'tfvae: wrote the run to {self.model_dir}', 'tfvae: test loss=')

  def test_evaluate(self):
    result = _run(
      'tfvae.evaluate', f'--model_dir={self.model_dir}', '--num_samples=3', '--verbose=0'
    )
    self.assert_quiet(result, 'tfvae: wrote ', 'tfvae: test loss=')

  def test_score_several_scores_and_splits(self):
    output = os.path.join(self.directory, 'scores.csv')
    result = _run(
      'tfvae.score',
      f'--model_dir={self.model_dir}',
      '--num_samples=3',
      '--scores=elbo',
      '--scores=log_likelihood',
      '--scores=reconstruction',
      '--splits=validation',
      '--splits=test',
      f'--output={output}',
    )
    self.assert_quiet(result, 'tfvae: scored ', 'tfvae: thresholds elbo=')
    self.assertTrue(result.stdout.splitlines()[0].endswith(f'examples into {output}'))

  def test_a_rate_the_validation_split_cannot_resolve_is_one_warning(self):
    output = os.path.join(self.directory, 'rare.csv')
    result = _run(
      'tfvae.score',
      f'--model_dir={self.model_dir}',
      '--num_samples=3',
      '--scores=reconstruction',
      '--false_positive_rate=0.0001',
      f'--output={output}',
    )
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertRegex(
      result.stderr,
      r'^warning: --false_positive_rate=0.0001 is below what \d+ normal examples can resolve: '
      r'.* the smallest reachable rate; pass a rate >= 0.00\d+ .*\n$',
    )

  def test_export(self):
    base = os.path.join(self.directory, 'exports')
    result = _run(
      'tfvae.export', f'--model_dir={self.model_dir}', f'--export_base={base}', '--nowarmup'
    )
    self.assert_quiet(result, f'tfvae: exported {base}/1')


if __name__ == '__main__':
  test_util.main()
