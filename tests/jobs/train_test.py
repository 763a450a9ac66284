# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for the main job, `python -m tfvae.train`, run as a user runs it."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import test_util
import tfvae

_FLAGS = ['--latent_size=2', '--hidden_units=8', '--batch_size=64', '--verbose=0']


def _command(model_dir, *flags):
  return [sys.executable, '-m', 'tfvae.train', f'--model_dir={model_dir}', *_FLAGS, *flags]


def _env():
  return dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2')


def _epochs_logged(model_dir):
  path = os.path.join(model_dir, 'training_log.csv')
  if not os.path.isfile(path):
    return []
  with open(path) as f:
    return [int(row['epoch']) for row in csv.DictReader(f)]


class TrainMainTest(test_util.TestCase):
  def test_runs_and_writes_outputs(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    subprocess.run(
      _command(model_dir, '--epochs=2'), env=_env(), check=True, capture_output=True, timeout=300
    )
    with open(os.path.join(model_dir, 'config.json')) as f:
      config = json.load(f)
    self.assertEqual(config['epochs'], 2)
    self.assertEqual(config['hidden_units'], [8])
    self.assertEqual(_epochs_logged(model_dir), [0, 1])
    self.assertFalse(os.path.exists(os.path.join(model_dir, 'backup')))

  def test_bad_flag_value_exits_with_message(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    result = subprocess.run(
      _command(model_dir, '--latent_size=0'),
      env=_env(),
      capture_output=True,
      text=True,
      timeout=300,
    )
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('latent_size', result.stderr)
    self.assertFalse(os.path.exists(model_dir))

  @pytest.mark.slow  # training_test checks a failure after training by default.
  def test_resumes_after_sigkill_over_tfrecord_shards(self):
    self._check_resumes_after_sigkill('tfrecord_shards')

  @pytest.mark.slow
  def test_resumes_after_sigkill_in_memory(self):
    self._check_resumes_after_sigkill('digits')

  def _check_resumes_after_sigkill(self, dataset):
    directory = self.create_tempdir().full_path
    model_dir = os.path.join(directory, 'run')
    if dataset == 'tfrecord_shards':
      (x, y), (x_test, y_test) = tfvae.datasets.load('digits')
      tfvae.sources.write_tfrecords(os.path.join(directory, 'd-train'), x, y, num_shards=4)
      tfvae.sources.write_tfrecords(os.path.join(directory, 'd-test'), x_test, y_test)
      dataset = os.path.join(directory, '*.tfrecord')
    epochs = 12
    command = _command(model_dir, f'--epochs={epochs}', '--batch_size=16', f'--dataset={dataset}')
    process = subprocess.Popen(
      command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    while len(_epochs_logged(model_dir)) < 3 and time.time() < deadline and process.poll() is None:
      time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _epochs_logged(model_dir)
    self.assertBetween(len(before), 3, epochs - 1)  # Killed mid-run.
    subprocess.run(command, env=_env(), check=True, capture_output=True, timeout=300)
    after = _epochs_logged(model_dir)
    # Every epoch ran; the resumed run started where the killed one stopped
    # (at most the interrupted epoch is repeated), not from scratch.
    self.assertEqual(sorted(set(after)), list(range(epochs)))
    self.assertEqual(after[: len(before)], before)
    self.assertLessEqual(len(after), epochs + 1)
    self.assertTrue(os.path.isfile(os.path.join(model_dir, 'metrics.json')))


if __name__ == '__main__':
  test_util.main()
