# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: every `>>>` example in tfvae's docstrings runs and gives its output."""

import doctest
import importlib
import pkgutil

import numpy as np
import tensorflow as tf

import test_util
import tfvae

_SKIP = ('tfvae.evaluate', 'tfvae.train')  # Entry points define flags on import.


def _module_names():
  return sorted(
    info.name for info in pkgutil.walk_packages(tfvae.__path__, 'tfvae.') if info.name not in _SKIP
  )


class DoctestTest(test_util.TestCase):
  @test_util.parameterized.parameters(*_module_names())
  def test_docstring_examples(self, module_name):
    module = importlib.import_module(module_name)
    tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
    result = doctest.testmod(
      module,
      extraglobs={'np': np, 'tf': tf, 'tfvae': tfvae},
      optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
      verbose=False,
    )
    self.assertEqual(result.failed, 0, f'{result.failed} doctest(s) failed in {module_name}')


if __name__ == '__main__':
  test_util.main()
