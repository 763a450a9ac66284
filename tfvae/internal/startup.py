# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Importing TensorFlow with its start-up lines shown once, or not at all.

TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, CPU
instructions) to file descriptor 2 from C++ before its logging is set up, so
`TF_CPP_MIN_LOG_LEVEL` does not hold them back, and it writes them twice (two
of its shared libraries load them). `import_tensorflow` imports it with that
descriptor captured, then writes back what it caught: every other line as it
came, the start-up lines once each, or not at all when `quiet`.
"""

import os
import re
import sys
import tempfile

__all__ = ['STARTUP_LINE', 'import_tensorflow']

# A line TensorFlow writes while it loads, with nothing for the user to do.
STARTUP_LINE = re.compile(
  r'^(WARNING: All log messages before absl::InitializeLog\(\) is called'
  r'|[IW]\d{4} [\d:. ]+\d+ (port|cudart_stub|cpu_feature_guard|cuda_\w+)\.cc:\d+\]'
  r'|To enable the following instructions: )'
)
_PREFIX = re.compile(r'^[IW]\d{4} [\d:. ]+\d+ ')


def import_tensorflow(quiet: bool | None = None):
  """Imports `tensorflow` (and `tensorflow_probability`), its start-up lines once at most.

  Args:
    quiet: drop the start-up lines.
      Default value: `None`: drop them when `TF_CPP_MIN_LOG_LEVEL` is 1 or
      more (what TensorFlow itself would do, were they logged later).

  Returns:
    The `tensorflow` module.
  """
  if 'tensorflow' in sys.modules:
    return sys.modules['tensorflow']
  if quiet is None:
    quiet = os.environ.get('TF_CPP_MIN_LOG_LEVEL', '0') not in ('', '0')
  for stream in (sys.stdout, sys.stderr):
    stream.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import tensorflow  # noqa: F401
      import tensorflow_probability  # noqa: F401
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      captured.seek(0)
      _write_back(captured.read().decode('utf-8', 'replace'), quiet)
  return sys.modules['tensorflow']


def _write_back(text, quiet):
  seen = set()
  for line in text.splitlines(keepends=True):
    if STARTUP_LINE.match(line):
      key = _PREFIX.sub('', line)  # The same line but for its time stamp and thread.
      if quiet or key in seen:
        continue
      seen.add(key)
    sys.stderr.write(line)
  sys.stderr.flush()
