# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: the public API is exactly `__all__`, and every name is documented."""

import importlib
import inspect
import pkgutil
import re

import test_util
import tfvae


def _modules():
  for info in pkgutil.walk_packages(tfvae.__path__, 'tfvae.'):
    if info.name in ('tfvae.evaluate', 'tfvae.train'):  # Entry points define flags on import.
      continue
    yield importlib.import_module(info.name)


class ApiTest(test_util.TestCase):
  def test_public_names_equal_all(self):
    public = {
      name
      for name, obj in vars(tfvae).items()
      if not name.startswith('_') and not inspect.ismodule(obj)
    }
    exported_non_modules = {n for n in tfvae.__all__ if not inspect.ismodule(getattr(tfvae, n))}
    self.assertEqual(public, exported_non_modules)
    self.assertEqual(tfvae.__all__, sorted(tfvae.__all__))
    self.assertLen(set(tfvae.__all__), len(tfvae.__all__))

  def test_every_public_name_has_a_docstring(self):
    for name in tfvae.__all__:
      obj = getattr(tfvae, name)
      self.assertTrue(inspect.getdoc(obj), f'tfvae.{name} has no docstring')

  def test_every_module_declares_all_and_documents_it(self):
    for module in _modules():
      with self.subTest(module=module.__name__):
        self.assertTrue(module.__doc__, f'{module.__name__} has no docstring')
        self.assertTrue(hasattr(module, '__all__'), f'{module.__name__} has no __all__')
        for name in module.__all__:
          obj = getattr(module, name)
          if inspect.isfunction(obj) or inspect.isclass(obj):
            self.assertTrue(inspect.getdoc(obj), f'{module.__name__}.{name} has no docstring')

  def test_only_the_internal_keras_module_imports_keras(self):
    for module in _modules():
      source = inspect.getsource(module)
      imports_keras = bool(
        re.search(
          r'^\s*(import (tf_)?keras\b|from (tf_)?keras\b|from tensorflow import keras)',
          source,
          re.M,
        )
        or 'tf.keras' in source
      )
      self.assertEqual(imports_keras, module.__name__ == 'tfvae.internal.keras', module.__name__)

  def test_version(self):
    self.assertRegex(tfvae.__version__, r'^\d+\.\d+\.\d+$')


if __name__ == '__main__':
  test_util.main()
