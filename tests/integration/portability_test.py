# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A run read from another working directory, and after its data moved (the command lines)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np

import test_util

_TRAIN_FLAGS = [
  '--epochs=1',
  '--latent_size=2',
  '--hidden_units=4',
  '--batch_size=32',
  '--verbose=0',
]


def _tfvae(command, cwd, *flags, check=True):
  result = subprocess.run(
    [sys.executable, '-m', f'tfvae.{command}', *flags],
    cwd=cwd,
    env=dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
    capture_output=True,
    text=True,
    timeout=300,
  )
  if check and result.returncode:
    raise AssertionError(f'tfvae.{command} failed:\n{result.stderr[-3000:]}')
  return result


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
    _tfvae('train', project, '--dataset=data/table.csv', '--model_dir=runs/table', *_TRAIN_FLAGS)
    model_dir = os.path.join(project, 'runs', 'table')
    with open(os.path.join(model_dir, 'config.json')) as f:
      self.assertEqual(json.load(f)['dataset'], os.path.join(project, 'data', 'table.csv'))

    # Read from another directory.
    relative = os.path.relpath(model_dir, elsewhere)
    _tfvae(
      'evaluate', elsewhere, f'--model_dir={relative}', '--importance_samples=4', '--verbose=0'
    )
    _tfvae('score', elsewhere, f'--model_dir={relative}', '--importance_samples=4')
    self.assertTrue(os.path.isfile(os.path.join(model_dir, 'anomaly_scores.csv')))

    # The data moved: the error says where the path came from and what to pass.
    shutil.move(os.path.join(project, 'data'), os.path.join(project, 'moved'))
    moved = os.path.join(project, 'moved', 'table.csv')
    config_json = os.path.join(model_dir, 'config.json')
    for command, flag in (('evaluate', '--dataset'), ('score', '--run_dataset')):
      result = _tfvae(
        command, elsewhere, f'--model_dir={relative}', '--importance_samples=4', check=False
      )
      self.assertNotEqual(result.returncode, 0)
      self.assertIn(f'comes from {config_json}', result.stderr)
      self.assertIn(f'pass their new location with {flag}', result.stderr)
    output = os.path.join(elsewhere, 'evaluation.json')
    _tfvae(
      'evaluate', elsewhere, f'--model_dir={relative}', f'--dataset={moved}',
      '--importance_samples=4', '--verbose=0', f'--output={output}',
    )  # fmt: skip
    with open(output) as f:
      self.assertGreater(json.load(f)['num_examples'], 0)
    _tfvae('score', elsewhere, f'--model_dir={relative}', f'--run_dataset={moved}')
    export_base = os.path.join(elsewhere, 'exports')
    _tfvae(
      'export', elsewhere, f'--model_dir={relative}', f'--export_base={export_base}',
      '--anomaly_score=elbo', f'--dataset={moved}', '--importance_samples=4', '--nowarmup',
    )  # fmt: skip
    self.assertEqual(os.listdir(export_base), ['1'])


if __name__ == '__main__':
  test_util.main()
