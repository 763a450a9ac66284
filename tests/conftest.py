# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""pytest setup: make `tests/` importable and keep TensorFlow quiet."""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import flags  # noqa: E402

# absltest helpers (create_tempdir, ...) read flags; pytest does not parse them.
if not flags.FLAGS.is_parsed():
  flags.FLAGS.mark_as_parsed()
