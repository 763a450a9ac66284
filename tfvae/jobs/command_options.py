# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The options the command lines share, declared once; each command defines those it takes.

`python -m tfvae.train` takes the `JobConfig` fields; the commands that read a
finished run (`tfvae.evaluate`, `tfvae.score`, `tfvae.export`) take these.
`--importance_samples` is the sample count of the log-likelihood estimate, not
the objective's `--num_samples` of training (which those commands still accept
as a deprecated alias of `--importance_samples`).
"""

import sys
from typing import NamedTuple

from absl import flags

__all__ = [
  'COMMAND_OPTIONS',
  'CommandOption',
  'define',
]


class CommandOption(NamedTuple):
  """An option shared by the command lines: its flag type, default and help."""

  kind: str  # 'string', 'integer', 'float' or 'bool'.
  default: object
  help: str


COMMAND_OPTIONS = {
  'batch_size': CommandOption('integer', 100, 'Examples per batch.'),
  'dataset': CommandOption(
    'string',
    None,
    "Where the run's data are now, if not where its config.json says (they moved).",
  ),
  'false_positive_rate': CommandOption(
    'float', 0.01, 'Share of normal (validation) examples each threshold flags.'
  ),
  'importance_samples': CommandOption(
    'integer',
    1000,
    'Importance samples per example of the log-likelihood estimate (Burda et al. use 5000); '
    '--num_samples is its deprecated alias.',
  ),
  'model_dir': CommandOption('string', None, 'Directory written by python -m tfvae.train.'),
  'output': CommandOption('string', None, 'Output file (default: in --model_dir).'),
  'run_dataset': CommandOption(
    'string',
    None,
    "Where the run's own data are now (its validation split calibrates the thresholds), if "
    'not where its config.json says (they moved).',
  ),
  'verbose': CommandOption('integer', 1, 'Progress output: 0, 1 or 2.'),
}


def define(name: str, flag_values=flags.FLAGS, **changes) -> None:
  """Defines the flag of the shared option `name` (`changes`: its `default`, `help`, `required`).

  `importance_samples` also gets its deprecated alias `--num_samples`.
  """
  option = COMMAND_OPTIONS[name]
  required = changes.pop('required', False)
  option = option._replace(**changes)
  define_flag = getattr(flags, f'DEFINE_{option.kind}')
  # Key flags of the command that defines them, so that its --help lists them.
  module_name = _caller_module_name()
  define_flag(
    name,
    default=option.default,
    help=option.help,
    required=required,
    flag_values=flag_values,
    module_name=module_name,
  )
  if name == 'importance_samples':
    flags.DEFINE_alias('num_samples', name, flag_values=flag_values, module_name=module_name)


def _caller_module_name():
  """The name absl gives the module that called `define` (`sys.argv[0]` for `__main__`)."""
  name = sys._getframe(2).f_globals.get('__name__')
  return sys.argv[0] if name == '__main__' else name
