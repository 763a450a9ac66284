# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.evaluation and the `python -m tfvae.evaluate` entry point."""

import json
import os
import subprocess
import sys

import numpy as np

import test_util
import tfvae
from tfvae import evaluation as evaluation_lib
from tfvae import experiment as experiment_lib


class EvaluateTest(test_util.TestCase):
  def test_metrics_are_consistent(self):
    (x_train, _), (x_test, _) = tfvae.datasets.load('digits')
    vae = self.make_vae((8, 8, 1), 4, (32,))
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
    vae = self.make_vae()
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
    results = evaluation_lib.evaluate_run(model_dir, num_samples=20, verbose=0)
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


if __name__ == '__main__':
  test_util.main()
