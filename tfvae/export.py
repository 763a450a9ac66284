# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Exports a trained run for TF Serving: `python -m tfvae.export --model_dir=D --export_base=B`."""

from absl import app
from absl import flags
from absl import logging

from tfvae import experiment as experiment_lib
from tfvae import serving as serving_lib

__all__ = ['export_run', 'main', 'run']


def export_run(
  model_dir: str,
  export_base: str,
  version: int | None = None,
  overwrite: bool = False,
  warmup: bool = True,
) -> str:
  """Exports the model of a finished training run as a versioned SavedModel.

  Args:
    model_dir: the run directory of `python -m tfvae.train` (or
      `tfvae.experiment.train`); its `model.keras` is exported.
    export_base: directory of versions; see `tfvae.export_saved_model`.
    version: positive integer version.
      Default value: `None`: the next one.
    overwrite: replace an existing version.
      Default value: `False`.
    warmup: write TF Serving warmup requests.
      Default value: `True`.

  Returns:
    The path of the version directory written.

  Raises:
    ValueError: if `model_dir` holds no finished run.
    FileExistsError: if the version exists and `overwrite` is false.
  """
  run = experiment_lib.load_run(model_dir)
  return serving_lib.export_saved_model(
    run.model, export_base, version=version, overwrite=overwrite, warmup=warmup
  )


def main(argv):
  """Exports `--model_dir` to `--export_base` (run through `absl.app.run`)."""
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)  # TensorFlow logs each file it writes at INFO.
  path = export_run(
    model_dir=flags.FLAGS.model_dir,
    export_base=flags.FLAGS.export_base,
    version=flags.FLAGS.version,
    overwrite=flags.FLAGS.overwrite,
    warmup=flags.FLAGS.warmup,
  )
  print(f'tfvae: exported {path}')


def run():
  """Console-script entry point."""
  _define_flags()
  app.run(main)


def _define_flags():
  # Defined when the command starts, not on import: importing this module (as
  # the API and doctest walkers do) must not claim flag names such as
  # `model_dir` that other entry points define too.
  flags.DEFINE_string(
    'export_base',
    default=None,
    required=True,
    help='Directory of versions that TensorFlow Serving polls (its --model_base_path); the '
    'SavedModel goes to <export_base>/<version>/.',
  )
  flags.DEFINE_string(
    'model_dir',
    default=None,
    required=True,
    help='A finished run of python -m tfvae.train (holds model.keras).',
  )
  flags.DEFINE_bool('overwrite', default=False, help='Replace an existing --version.')
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
