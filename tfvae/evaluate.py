# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a trained run: `python -m tfvae.evaluate --model_dir=...`."""

import os

from absl import flags

from tfvae.internal import cli

__all__ = ['define_flags', 'main', 'run']


def define_flags(flag_values=flags.FLAGS):
  """Defines the flags of `python -m tfvae.evaluate`."""
  flags.DEFINE_integer(
    'batch_size', default=100, help='Examples per batch.', flag_values=flag_values
  )
  flags.DEFINE_string(
    'model_dir',
    default=None,
    required=True,
    help='Directory written by python -m tfvae.train.',
    flag_values=flag_values,
  )
  flags.DEFINE_integer(
    'num_samples',
    default=1000,
    help='Importance samples per example (Burda et al. use 5000).',
    flag_values=flag_values,
  )
  flags.DEFINE_string(
    'output',
    default=None,
    help='JSON output (default: <model_dir>/evaluation.json).',
    flag_values=flag_values,
  )
  flags.DEFINE_integer(
    'verbose',
    default=1,
    help="0: only the output file and the metrics; 1: a progress bar; 2: TensorFlow's logs and "
    'the traceback of any error.',
    flag_values=flag_values,
  )


def main(argv):
  """Evaluates the run in --model_dir and prints the metrics (absl entry point)."""
  del argv  # Unused.
  from tfvae.data import sources as sources_lib
  from tfvae.jobs import evaluation as evaluation_lib

  output = flags.FLAGS.output or os.path.join(flags.FLAGS.model_dir, 'evaluation.json')
  try:
    results = evaluation_lib.evaluate_run(
      model_dir=flags.FLAGS.model_dir,
      num_samples=flags.FLAGS.num_samples,
      batch_size=flags.FLAGS.batch_size,
      output=output,
      verbose=min(flags.FLAGS.verbose, 1),
    )
  except sources_lib.DataError as error:
    raise ValueError(f"`model_dir`: the run's data: {error}") from error
  print(f'tfvae: wrote {os.path.abspath(output)}')
  names = ('loss', 'reconstruction', 'kl', 'nll', 'bits_per_dim', 'elbo_bits_per_dim')
  # elbo_bits_per_dim: 8-bit likelihoods only.
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
