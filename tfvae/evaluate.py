# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a trained run: `python -m tfvae.evaluate --model_dir=...`."""

import os

from absl import flags

from tfvae.internal import cli
from tfvae.jobs import command_options

__all__ = ['define_flags', 'main', 'run']


def define_flags(flag_values=flags.FLAGS):
  """Defines the flags of `python -m tfvae.evaluate`."""
  command_options.define('batch_size', flag_values)
  command_options.define('dataset', flag_values)
  command_options.define('importance_samples', flag_values)
  command_options.define('model_dir', flag_values, required=True)
  command_options.define(
    'output', flag_values, help='JSON output (default: <model_dir>/evaluation.json).'
  )
  command_options.define(
    'verbose',
    flag_values,
    help="0: only the output file and the metrics; 1: a progress bar; 2: TensorFlow's logs and "
    'the traceback of any error.',
  )


def main(argv):
  """Evaluates the run in --model_dir and prints the metrics (absl entry point)."""
  del argv  # Unused.
  from tfvae.data import sources as sources_lib
  from tfvae.jobs import evaluation as evaluation_lib
  from tfvae.jobs import run_dir as run_dir_lib

  default = run_dir_lib.RunDir(flags.FLAGS.model_dir).file(run_dir_lib.RunDir.EVALUATION)
  output = flags.FLAGS.output or default
  try:
    results = evaluation_lib.evaluate_run(
      flags.FLAGS.model_dir,
      importance_samples=flags.FLAGS.importance_samples,
      batch_size=flags.FLAGS.batch_size,
      output=output,
      verbose=min(flags.FLAGS.verbose, 1),
      dataset=flags.FLAGS.dataset,
    )
  except sources_lib.DataError as error:
    raise ValueError(f"`model_dir`: the run's data: {error}") from error
  print(f'tfvae: wrote {os.path.abspath(output)}')
  # elbo_bits_per_dim: 8-bit likelihoods only.
  names = ('loss', 'reconstruction', 'kl', 'nll', 'bits_per_dim', 'elbo_bits_per_dim')
  values = [(n, results[n]) for n in (*names, 'active_units') if n in results]
  print(
    'tfvae: test '
    + ', '.join(f'{n}={v:.4f}' if isinstance(v, float) else f'{n}={v}' for n, v in values)
  )


def run():
  """Console-script entry point."""
  define_flags()
  cli.run(main)


if __name__ == '__main__':
  run()
