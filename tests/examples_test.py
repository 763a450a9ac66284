# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Dry runs of the scripts in examples/: each runs as a user runs it, with tiny settings."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

import test_util

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


class ExamplesTest(test_util.TestCase):
  def _model_dir(self):
    return os.path.join(self.create_tempdir().full_path, 'run')

  def _assert_finite_metrics(self, model_dir):
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      metrics = json.load(f)
    for name in ('loss', 'reconstruction', 'kl'):
      self.assertTrue(np.isfinite(metrics[name]), name)
    return metrics

  @test_util.parameterized.parameters(
    ('dense_vae', 'dense', [512, 256]), ('conv_vae', 'conv', [32, 64])
  )
  def test_main_job_examples(self, name, architecture, hidden_units):
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


if __name__ == '__main__':
  test_util.main()
