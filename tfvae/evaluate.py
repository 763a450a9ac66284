# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a trained run: `python -m tfvae.evaluate --model_dir=...`."""

from absl import app
from absl import flags
from absl import logging

from tfvae import evaluation as evaluation_lib

__all__ = ['main']

_BATCH_SIZE = flags.DEFINE_integer('batch_size', default=100, help='Examples per batch.')
_MODEL_DIR = flags.DEFINE_string(
  'model_dir', default=None, required=True, help='Directory written by python -m tfvae.train.'
)
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples', default=1000, help='Importance samples per example (Burda et al. use 5000).'
)
_OUTPUT = flags.DEFINE_string(
  'output', default=None, help='JSON output (default: <model_dir>/evaluation.json).'
)
_VERBOSE = flags.DEFINE_integer('verbose', default=1, help='Progress bar: 0 or 1.')


def main(argv):
  """Evaluates the run in --model_dir and prints the metrics (absl entry point)."""
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  results = evaluation_lib.evaluate_run(
    model_dir=_MODEL_DIR.value,
    num_samples=_NUM_SAMPLES.value,
    batch_size=_BATCH_SIZE.value,
    output=_OUTPUT.value,
    verbose=_VERBOSE.value,
  )
  for name in ('loss', 'reconstruction', 'kl', 'nll', 'bits_per_dim', 'active_units'):
    print(
      f'{name}: {results[name]:.4f}'
      if isinstance(results[name], float)
      else f'{name}: {results[name]}'
    )


if __name__ == '__main__':
  app.run(main)
