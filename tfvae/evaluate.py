# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a trained run: `python -m tfvae.evaluate --model_dir=...`."""

from absl import app
from absl import flags
from absl import logging

from tfvae.jobs import evaluation as evaluation_lib

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
  flags.DEFINE_integer('verbose', default=1, help='Progress bar: 0 or 1.', flag_values=flag_values)


def main(argv):
  """Evaluates the run in --model_dir and prints the metrics (absl entry point)."""
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  results = evaluation_lib.evaluate_run(
    model_dir=flags.FLAGS.model_dir,
    num_samples=flags.FLAGS.num_samples,
    batch_size=flags.FLAGS.batch_size,
    output=flags.FLAGS.output,
    verbose=flags.FLAGS.verbose,
  )
  names = ('loss', 'reconstruction', 'kl', 'nll', 'bits_per_dim', 'elbo_bits_per_dim')
  for name in (*names, 'active_units'):
    if name in results:  # elbo_bits_per_dim: 8-bit likelihoods only.
      value = results[name]
      print(f'{name}: {value:.4f}' if isinstance(value, float) else f'{name}: {value}')


def run():
  """Console-script entry point."""
  define_flags()
  app.run(main)


if __name__ == '__main__':
  run()
