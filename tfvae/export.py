# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Exports a trained run for TF Serving: `python -m tfvae.export --model_dir=D --export_base=B`."""

from absl import flags

from tfvae.internal import cli
from tfvae.jobs import command_options

__all__ = ['SCORES', 'main', 'run']

# `tfvae.anomaly.SCORES`, spelled out so that the flags are defined without
# importing TensorFlow (export_test checks it).
SCORES = ('complexity', 'elbo', 'log_likelihood', 'reconstruction')


def main(argv):
  """Exports `--model_dir` to `--export_base` (run through `absl.app.run`)."""
  del argv  # Unused.
  from tfvae.jobs import evaluation as evaluation_lib

  path = evaluation_lib.export_run(
    flags.FLAGS.model_dir,
    export_base=flags.FLAGS.export_base,
    version=flags.FLAGS.version,
    overwrite=flags.FLAGS.overwrite,
    warmup=flags.FLAGS.warmup,
    anomaly_score=flags.FLAGS.anomaly_score,
    false_positive_rate=flags.FLAGS.false_positive_rate,
    importance_samples=flags.FLAGS.importance_samples,
    dataset=flags.FLAGS.dataset,
    sample_temperature=flags.FLAGS.sample_temperature,
  )
  print(f'tfvae: exported {path}')


def run():
  """Console-script entry point."""
  _define_flags()
  cli.run(main, aliases={'score': 'anomaly_score'})


def _define_flags():
  # Defined when the command starts, not on import: importing this module (as
  # the API and doctest walkers do) must not claim flag names such as
  # `model_dir` that other entry points define too.
  flags.DEFINE_enum(
    'anomaly_score',
    default=None,
    enum_values=list(SCORES),
    help="Add an `anomaly` signature with this score, its threshold calibrated on the run's "
    'validation split.',
  )
  command_options.define('dataset')
  command_options.define(
    'false_positive_rate',
    help='With --anomaly_score: the share of normal examples the threshold flags.',
  )
  command_options.define(
    'importance_samples', help='With --anomaly_score: importance samples of the score.'
  )
  flags.DEFINE_string(
    'export_base',
    default=None,
    required=True,
    help='Directory of versions that TensorFlow Serving polls (its --model_base_path); the '
    'SavedModel goes to <export_base>/<version>/.',
  )
  command_options.define(
    'model_dir', required=True, help='A finished run of python -m tfvae.train (holds model.keras).'
  )
  flags.DEFINE_bool('overwrite', default=False, help='Replace an existing --version.')
  flags.DEFINE_float(
    'sample_temperature',
    default=None,
    help="Temperature of the `sample` signature's prior draws (1: the model's own draws). "
    "Default: the run's --sample_temperature.",
  )
  command_options.define(
    'verbose',
    help="0 or 1: the version written; 2: TensorFlow's logs and the traceback of any error.",
  )
  flags.DEFINE_integer(
    'version',
    default=None,
    help='Version number (default: one more than the largest in --export_base, or 1).',
  )
  flags.DEFINE_bool(
    'warmup',
    default=True,
    help='Write TF Serving warmup requests (needs tensorflow-serving-api).',
  )


if __name__ == '__main__':
  run()
