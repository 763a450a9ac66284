# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""What the four command lines share: a quiet start, and a user's mistake as one line.

`run(main)` is each command's `absl.app.run`. It parses the flags (a bad
value is one line, exit status 2), keeps absl and TensorFlow quiet unless
asked (`--verbosity`, `--verbose=2`), imports TensorFlow without its start-up
lines, and runs `main`. An error `main` raises for the user's input --
`ValueError` or `TypeError` whose message names an argument in backticks
(`` `image_size` must be ... ``), or `OSError` for a file -- is printed as
`error: --flag: what was wrong and what to pass`, naming the flag, with exit
status 1; anything else, a bug, keeps its traceback. `--verbose=2` shows the
traceback of a user's mistake too.
"""

import os
import re
import sys
import warnings

from absl import app
from absl import flags
from absl import logging

from tfvae.internal import startup

__all__ = ['flag_error', 'run', 'user_error']

_NAMED = re.compile(r'`(\w+)`')
# absl's message for a bad flag value: "flag --name=value: what was wrong".
_ABSL_FLAG_ERROR = re.compile(r'^flag --(\w+)=(.*?): (.*)$', re.S)


def run(main, aliases=None, flag_values=flags.FLAGS):
  """Runs `main` as the command line of this process (does not return).

  Args:
    main: the command's absl `main(argv)`; it may import TensorFlow-heavy
      modules (inside `main`, so that `--help` imports none).
    aliases: `{argument name: flag name}` for messages that name a library
      function's argument rather than the flag behind it (`name` of
      `tfvae.datasets.load` is `--dataset`).
      Default value: `None`: none.
    flag_values: the flags.
      Default value: `absl.flags.FLAGS`.
  """
  aliases = dict(aliases or {})

  def parse(argv):
    try:
      return flag_values(argv)
    except flags.Error as error:
      _exit(flag_error(error, flag_values), 2)

  def run_main(argv):
    verbose = _verbose(flag_values)
    if not flag_values['verbosity'].present:
      logging.set_verbosity(logging.INFO if verbose >= 2 else logging.WARNING)
    # TensorFlow's C++ logs: none by default (not even the error line of a
    # machine without a GPU driver); all of them at --verbose=2.
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '0' if verbose >= 2 else '3')
    startup.import_tensorflow(quiet=verbose < 2)
    if verbose < 2:
      warnings.showwarning = _one_line_warnings(flag_values, aliases)
    try:
      return main(argv)
    except (ValueError, TypeError, OSError) as error:
      message = user_error(error, flag_values, aliases)
      if message is None or verbose >= 2:
        raise
      _exit(message, 1)

  app.run(run_main, flags_parser=parse)


def user_error(error: Exception, flag_values=flags.FLAGS, aliases=None) -> str | None:
  """`--flag: what was wrong` for an error caused by a flag's value, else `None` (a bug).

  `ValueError` and `TypeError` are the user's when their message names, in
  backticks, an argument that is a flag (or an alias of one); `OSError` is
  theirs always, and names the flag whose value is its file, if one is.
  Backticked flag names in the message become `--flag`.
  """
  aliases = dict(aliases or {})
  text = str(error)
  if isinstance(error, OSError):
    text = f'{error.strerror or text}: {error.filename}' if error.filename else text
    flag = _flag_of_file(error.filename, flag_values)
    return f'--{flag}: {text}' if flag else text
  if not isinstance(error, (ValueError, TypeError)):
    return None
  named = [aliases.get(n, n) for n in _NAMED.findall(text)]
  named = [n for n in named if n in flag_values]
  if not named:
    return None
  first = _NAMED.match(text)
  if first and aliases.get(first.group(1), first.group(1)) == named[0]:
    rest = text[first.end() :]
    if rest[:2] == ': ':
      text = rest[2:]
    elif rest[:1] == ' ':
      text = rest[1:]

  return f'--{named[0]}: {_NAMED.sub(lambda m: _as_flag(m, flag_values, aliases), text)}'


def flag_error(error: Exception, flag_values=flags.FLAGS) -> str:
  """absl's error for a bad flag value as `--flag: what was wrong; got value`."""
  match = _ABSL_FLAG_ERROR.match(str(error))
  if not match:
    return str(error)
  name, value, message = match.groups()
  if 'must have a value other than None' in message and name in flag_values:
    return f'--{name}: required ({flag_values[name].help})'
  if message.startswith('invalid literal for int()'):
    message = 'must be an integer'
  elif message.startswith('could not convert string to float'):
    message = 'must be a number'
  message = message.strip().rstrip('.')
  return f'--{name}: {message}; got {value}.' if value not in message else f'--{name}: {message}.'


def _verbose(flag_values):
  if 'verbose' not in flag_values:
    return 1
  return int(flag_values['verbose'].value or 0)


def _flag_of_file(filename, flag_values):
  if not filename:
    return None
  path = os.path.abspath(os.fspath(filename))
  best = None
  for name in flag_values:
    value = flag_values[name].value
    if not isinstance(value, str) or not value or name in ('flagfile', 'log_dir'):
      continue
    value = os.path.abspath(value)
    if path == value or path.startswith(value.rstrip(os.sep) + os.sep) or path.startswith(value):
      if best is None or len(value) > len(best[1]):
        best = (name, value)
  return best and best[0]


def _one_line_warnings(flag_values, aliases):
  """`warnings.showwarning` as one line, `warning: what`, naming flags as `--flag`."""

  def show(message, category, filename, lineno, file=None, line=None):
    del category, filename, lineno, line  # Shown at --verbose=2.
    text = _NAMED.sub(lambda m: _as_flag(m, flag_values, aliases), str(message))
    (file or sys.stderr).write(f'warning: {text}\n')

  return show


def _as_flag(match, flag_values, aliases):
  name = aliases.get(match.group(1), match.group(1))
  return f'--{name}' if name in flag_values else match.group(0)


def _exit(message, status):
  sys.stderr.write(f'error: {message}\n')
  sys.stderr.flush()
  sys.exit(status)
