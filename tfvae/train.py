# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job: `python -m tfvae.train [--flags]` trains a VAE and writes the run.

Its flags are the fields of `tfvae.config.JobConfig` (same names, same
defaults, same help), plus where the run goes: `--model_dir`,
`--export_base` and `--verbose`. Defining them imports no TensorFlow (the
job is imported in `main`), so `--help` answers at once.
"""

import dataclasses
import os
import typing

from absl import flags

from tfvae.internal import cli
from tfvae.jobs import command_options
from tfvae.jobs import config as config_lib

__all__ = ['config_from_flags', 'define_flags', 'main', 'run']

# Arguments of the library functions the job calls, and the flags that set them.
_ALIASES = {'name': 'dataset', 'spec': 'dataset'}
# `jit_compile`, and any other optional yes/no option, as a three-way flag.
_TRISTATE = {'auto': None, 'true': True, 'false': False}


def define_flags(flag_values=flags.FLAGS):
  """Defines one flag per `JobConfig` option, and the run's own flags."""
  hints = typing.get_type_hints(config_lib.JobConfig)
  for field in sorted(dataclasses.fields(config_lib.JobConfig), key=lambda f: f.name):
    _define(field, hints[field.name], flag_values)
  flags.DEFINE_string(
    'export_base',
    default=None,
    help='If set, export the trained model for TensorFlow Serving to the next version '
    'directory <export_base>/<version>/ (see python -m tfvae.export).',
    flag_values=flag_values,
  )
  command_options.define(
    'model_dir',
    flag_values,
    help='Output directory (default: tfvae_runs/<dataset>-<time>). Rerun with the same '
    'flags to resume an interrupted run, or to finish one whose steps after training failed.',
  )
  command_options.define(
    'verbose',
    flag_values,
    help='0: only where the run goes and its test metrics; 1: Keras progress bars; 2: one line '
    "per epoch, TensorFlow's logs and the traceback of any error.",
  )


def config_from_flags(flag_values=flags.FLAGS) -> config_lib.JobConfig:
  """The `JobConfig` the flags give (validated; a bad value raises `ValueError`)."""
  hints = typing.get_type_hints(config_lib.JobConfig)
  options = {}
  for field in dataclasses.fields(config_lib.JobConfig):
    value = flag_values[field.name].value
    types = typing.get_args(hints[field.name]) or (hints[field.name],)
    if bool in types and type(None) in types:
      value = _TRISTATE[value]
    elif tuple in types and value is not None:
      try:
        value = tuple(int(v) for v in value)
      except ValueError:
        raise ValueError(
          f'`{field.name}` must be integers separated by commas; got {",".join(value)}.'
        ) from None
    options[field.name] = value
  return config_lib.JobConfig(**options)


def main(argv):
  """Trains as the flags say (absl entry point)."""
  del argv  # Unused.
  from tfvae.data import sources as sources_lib
  from tfvae.jobs import experiment as experiment_lib

  config = config_from_flags()
  verbose = flags.FLAGS.verbose
  model_dir = flags.FLAGS.model_dir or experiment_lib.default_model_dir(config.dataset)
  try:
    metrics = experiment_lib.train(
      config, model_dir=model_dir, export_base=flags.FLAGS.export_base, verbose=verbose
    )
  except sources_lib.DataError as error:
    raise ValueError(f'`dataset`: {error}') from error
  if not verbose:  # At verbose >= 1 the job says both as it goes.
    print(f'tfvae: wrote the run to {os.path.abspath(model_dir)}')
    print('tfvae: test ' + ', '.join(f'{k}={v:.3f}' for k, v in metrics.items()))


def run():
  """Console-script entry point."""
  define_flags()
  cli.run(main, aliases=_ALIASES)


def _define(field, hint, flag_values):
  """One flag for a `JobConfig` field, by its type."""
  types = typing.get_args(hint) or (hint,)
  choices = field.metadata['choices']
  kwargs = dict(default=field.default, help=field.metadata['help'], flag_values=flag_values)
  if bool in types and type(None) in types:
    kwargs['default'] = next(k for k, v in _TRISTATE.items() if v is field.default)
    flags.DEFINE_enum(field.name, enum_values=list(_TRISTATE), **kwargs)
  elif bool in types:
    flags.DEFINE_bool(field.name, **kwargs)
  elif tuple in types:
    flags.DEFINE_list(field.name, **kwargs)
  elif str in types and choices:
    flags.DEFINE_enum(field.name, enum_values=list(choices), **kwargs)
  elif str in types:
    flags.DEFINE_string(field.name, **kwargs)
  elif int in types:
    flags.DEFINE_integer(field.name, **kwargs)
  elif float in types:
    flags.DEFINE_float(field.name, **kwargs)
  else:
    raise TypeError(f'JobConfig.{field.name}: no flag type for {hint}.')


if __name__ == '__main__':
  run()
