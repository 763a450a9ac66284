# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a trained run: `python -m tfvae.evaluate --model_dir=...`."""

from absl import app
from absl import flags
from absl import logging

from tfvae.jobs import command_options
from tfvae.jobs import evaluation as evaluation_lib

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
  command_options.define('verbose', flag_values, help='Progress bar: 0 or 1.')


def main(argv):
  """Evaluates the run in --model_dir and prints the metrics (absl entry point)."""
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  results = evaluation_lib.evaluate_run(
    flags.FLAGS.model_dir,
    importance_samples=flags.FLAGS.importance_samples,
    batch_size=flags.FLAGS.batch_size,
    output=flags.FLAGS.output,
    verbose=flags.FLAGS.verbose,
    dataset=flags.FLAGS.dataset,
  )
  for name in ('loss', 'reconstruction', 'kl', 'nll', 'bits_per_dim', 'active_units'):
    value = results[name]
    print(f'{name}: {value:.4f}' if isinstance(value, float) else f'{name}: {value}')


def run():
  """Console-script entry point."""
  define_flags()
  app.run(main)


if __name__ == '__main__':
  run()
