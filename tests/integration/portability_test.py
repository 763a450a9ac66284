# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A run read from another working directory, and after its data moved."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import test_util
from tfvae.jobs import evaluation as evaluation_lib
from tfvae.jobs import experiment as experiment_lib
from tfvae.jobs import run_dir as run_dir_lib

_TINY = dict(epochs=1, latent_size=2, hidden_units=(4,), batch_size=32, verbose=0)


def _tfvae(command, cwd, *flags):
  return subprocess.run(
    [sys.executable, '-m', f'tfvae.{command}', *flags],
    cwd=cwd,
    env=dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
    capture_output=True,
    text=True,
    timeout=300,
  )


@pytest.mark.slow
class PortabilityTest(test_util.TestCase):
  def test_a_run_is_read_from_anywhere_and_its_moved_data_are_named(self):
    project = self.create_tempdir().full_path
    elsewhere = self.create_tempdir().full_path
    os.makedirs(os.path.join(project, 'data'))
    rng = np.random.default_rng(0)
    with open(os.path.join(project, 'data', 'table.csv'), 'w') as f:
      f.write('a,b,c\n')
      for row in rng.normal(size=(120, 3)):
        f.write(','.join(f'{v:.4f}' for v in row) + '\n')
    # Trained with relative paths, from the project's directory.
    cwd = os.getcwd()
    os.chdir(project)
    try:
      experiment_lib.train(model_dir='runs/table', dataset='data/table.csv', **_TINY)
    finally:
      os.chdir(cwd)
    model_dir = os.path.join(project, 'runs', 'table')
    config_json = os.path.join(model_dir, 'config.json')
    with open(config_json) as f:
      self.assertEqual(json.load(f)['dataset'], os.path.join(project, 'data', 'table.csv'))

    # Read from another directory, by a relative path.
    relative = os.path.relpath(model_dir, elsewhere)
    output = os.path.join(elsewhere, 'evaluation.json')
    flags = [
      f'--model_dir={relative}',
      '--importance_samples=4',
      '--verbose=0',
      f'--output={output}',
    ]
    result = _tfvae('evaluate', elsewhere, *flags)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    with open(output) as f:
      num_examples = json.load(f)['num_examples']

    # The data moved: the error says where the path came from and what to pass.
    shutil.move(os.path.join(project, 'data'), os.path.join(project, 'moved'))
    moved = os.path.join(project, 'moved', 'table.csv')
    result = _tfvae('evaluate', elsewhere, *flags)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn(f'comes from {config_json}', result.stderr)
    self.assertIn('pass their new location with --dataset', result.stderr)
    with self.assertRaisesRegex(
      run_dir_lib.MissingDatasetError, f'comes from {config_json}.*with --run_dataset'
    ):
      evaluation_lib.score_run(model_dir, importance_samples=4)

    # Given the new place, every command reads the run.
    results = evaluation_lib.evaluate_run(model_dir, importance_samples=4, verbose=0, dataset=moved)
    self.assertEqual(results['num_examples'], num_examples)
    scored = evaluation_lib.score_run(
      model_dir, importance_samples=4, run_dataset=moved, output=os.path.join(elsewhere, 's.csv')
    )
    self.assertEqual(scored['num_examples'], num_examples)
    self.assertEqual(list(scored['thresholds']), ['log_likelihood'])  # The default for tables.
    export_base = os.path.join(elsewhere, 'exports')
    evaluation_lib.export_run(
      model_dir, export_base, anomaly_score='elbo', importance_samples=4, warmup=False,
      dataset=moved,
    )  # fmt: skip
    self.assertEqual(os.listdir(export_base), ['1'])


if __name__ == '__main__':
  test_util.main()
