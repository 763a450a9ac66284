# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: the wings import one way (internal <- data, model <- analysis <- serving <- jobs)."""

import ast
import os

import test_util

_PACKAGE = os.path.join(test_util.REPO_ROOT, 'tfvae')
_COMMANDS = ('tfvae.evaluate', 'tfvae.export', 'tfvae.score', 'tfvae.train')
# What each wing may import, besides itself.
_ALLOWED = {
  'tfvae.internal': set(),
  'tfvae.data': {'tfvae.internal'},
  'tfvae.model': {'tfvae.internal'},
  'tfvae.analysis': {'tfvae.internal', 'tfvae.data', 'tfvae.model'},
  'tfvae.serving': {'tfvae.internal', 'tfvae.model', 'tfvae.analysis'},
  'tfvae.jobs': {'tfvae.internal', 'tfvae.data', 'tfvae.model', 'tfvae.analysis', 'tfvae.serving'},
}
_WINGS = tuple(_ALLOWED)


def _modules():
  """`(module name, path)` of every module of the package."""
  for directory, _, files in os.walk(_PACKAGE):
    for name in sorted(files):
      if name.endswith('.py'):
        path = os.path.join(directory, name)
        relative = os.path.relpath(path, os.path.dirname(_PACKAGE))[: -len('.py')]
        module = relative.replace(os.sep, '.').removesuffix('.__init__')
        yield module, path


def _imports(path):
  """Every module name `path` imports (at any depth, lazy imports included)."""
  with open(path) as f:
    tree = ast.parse(f.read())
  names = []
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names += [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module:
      names += [node.module] + [f'{node.module}.{alias.name}' for alias in node.names]
  return names


def _upward_imports(module, path):
  """The imports of `module` (at `path`) that its wing may not make."""
  wing = _wing(module)
  if wing is None:  # tfvae/__init__.py and the command lines compose the wings.
    return []
  return [
    name
    for name in _imports(path)
    if _wing(name) not in (None, wing) and _wing(name) not in _ALLOWED[wing]
  ]


def _wing(name):
  for wing in _WINGS:
    if name == wing or name.startswith(wing + '.'):
      return wing
  return None


class LayeringTest(test_util.TestCase):
  def test_the_tree_shows_the_wings(self):
    top = sorted(os.listdir(_PACKAGE))
    modules = {n[: -len('.py')] for n in top if n.endswith('.py')}
    packages = {n for n in top if os.path.isdir(os.path.join(_PACKAGE, n)) and n != '__pycache__'}
    self.assertEqual(modules, {'__init__', 'evaluate', 'export', 'score', 'train'})
    self.assertEqual(packages, {w.split('.')[1] for w in _WINGS})

  def test_no_wing_imports_upward(self):
    checked = 0
    for module, path in _modules():
      with self.subTest(module=module):
        self.assertEqual(_upward_imports(module, path), [])
      checked += 1
    self.assertGreater(checked, 40)

  def test_nothing_imports_the_commands_and_only_they_and_the_api_import_jobs(self):
    for module, path in _modules():
      for name in _imports(path):
        with self.subTest(module=module, imports=name):
          self.assertNotIn(name, _COMMANDS, f'{module} imports a command line')
          if _wing(name) == 'tfvae.jobs':
            self.assertIn(_wing(module) or module, ('tfvae.jobs', 'tfvae', *_COMMANDS))

  def test_only_the_internal_keras_module_imports_keras(self):
    keras = ('keras', 'tf_keras', 'tensorflow.keras', 'tensorflow.python.keras')
    for module, path in _modules():
      imports_keras = any(
        name.split('.')[0] in keras[:2] or name in keras for name in _imports(path)
      )
      with open(path) as f:
        imports_keras |= 'tf.keras' in f.read()
      with self.subTest(module=module):
        self.assertEqual(imports_keras, module == 'tfvae.internal.keras', module)

  def test_conditions_are_checked_in_one_place_for_values_and_one_for_graphs(self):
    calls = []
    for module, path in _modules():
      with open(path) as f:
        tree = ast.parse(f.read())
      for node in ast.walk(tree):
        func = getattr(node, 'func', None)
        if isinstance(node, ast.Call) and isinstance(func, ast.Attribute):
          owner = getattr(func.value, 'id', None)
          if func.attr == 'check_condition' and owner in ('conditioning_lib', 'graph_checks'):
            calls.append((module, owner))
    self.assertEqual(
      sorted(calls),
      [
        ('tfvae.model.data_contract', 'conditioning_lib'),
        ('tfvae.serving.saved_model', 'graph_checks'),
      ],
    )

  def test_an_upward_import_is_caught(self):
    path = os.path.join(self.create_tempdir().full_path, 'bad.py')
    with open(path, 'w') as f:
      f.write('def f():\n  from tfvae.data import sources\n  from tfvae.model import prior\n')
    self.assertEqual(_upward_imports('tfvae.model.bad', path), ['tfvae.data', 'tfvae.data.sources'])
    self.assertEqual(_upward_imports('tfvae.analysis.bad', path), [])


if __name__ == '__main__':
  test_util.main()
