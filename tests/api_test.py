# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: the public API is exactly `__all__`, and every name is documented."""

import fnmatch
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re

import test_util
import tfvae


def _modules():
  # Every module, entry points included: none defines flags on import.
  for info in pkgutil.walk_packages(tfvae.__path__, 'tfvae.'):
    yield importlib.import_module(info.name)


class ApiTest(test_util.TestCase):
  def test_public_names_equal_all(self):
    public = {
      name
      for name in dir(tfvae)
      if not name.startswith('_') and not inspect.ismodule(getattr(tfvae, name))
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

  def test_every_name_the_readme_shows_resolves(self):
    with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
      readme = f.read()
    # Entry points are shown as commands (`python -m tfvae.train`): modules.
    commands = set(re.findall(r'python -m (tfvae\.\w+)', readme))
    names = set(re.findall(r'\btfvae\.[A-Za-z_][\w.]*[A-Za-z_0-9]', readme)) - commands
    self.assertIn('tfvae.evaluation.evaluate', names)
    for name in sorted(names):
      with self.subTest(name=name):
        _resolve(name)
    for command in sorted(commands):
      self.assertIsNotNone(importlib.util.find_spec(command), command)

  def test_the_readme_names_the_installed_commands_beside_their_module_form(self):
    with open(os.path.join(test_util.REPO_ROOT, 'setup.py')) as f:
      scripts = re.findall(r"'(tfvae-\w+)=(tfvae\.\w+):(\w+)'", f.read())
    self.assertLen(scripts, 4)
    with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
      readme = f.read().splitlines()
    for command, module, function in scripts:
      with self.subTest(command=command):
        self.assertTrue(callable(getattr(importlib.import_module(module), function)))
        rows = [
          line for line in readme if f'`{command}`' in line and f'python -m {module}`' in line
        ]
        self.assertTrue(rows, f'README names {command} beside python -m {module} on no line')

  def test_every_name_of_the_readme_api_table_resolves(self):
    with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
      readme = f.read()
    table = readme.split('## Public API', 1)[1].split('\n#', 1)[0]
    rows = [line for line in table.splitlines() if line.startswith('| `')]
    self.assertGreater(len(rows), 10)
    for row in rows:
      for name in re.findall(r'`([\w.*]+)[(`]', row.split(' | ')[0]):
        with self.subTest(name=name):
          _resolve('tfvae.' + name)

  def test_every_relative_link_of_the_docs_resolves(self):
    documents = [
      'README.md',
      'benchmarks/README.md',
      'examples/serving/README.md',
      'tfvae/data/README.md',
    ]
    checked = 0
    for document in documents:
      path = os.path.join(test_util.REPO_ROOT, document)
      if not os.path.exists(path):
        continue
      with open(path) as f:
        text = f.read()
      for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', target):  # http:, https:, mailto:
          continue
        file_part, _, anchor = target.partition('#')
        linked = (
          os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        )
        with self.subTest(document=document, link=target):
          self.assertTrue(os.path.exists(linked), f'{document}: {target}: no such file')
          if anchor:
            with open(linked) as f:
              self.assertIn(anchor, _heading_anchors(f.read()), f'{document}: {target}')
          checked += 1
    self.assertGreater(checked, 5)

  def test_keras_namespaces_people_type(self):
    self.assertIs(tfvae.keras.models.load_model, tfvae.keras.saving.load_model)
    self.assertTrue(tfvae.keras.models.Model)

  def test_logic_lives_in_one_place(self):
    # Each pattern may appear only in the module that owns it.
    owners = {
      r"'tensor_distribution'": 'tfvae.internal.distributions',  # unwrapping a layer's output
      r'\.layers\[-1\]': 'tfvae.internal.distributions',  # a network's distribution layer
      r'apply_free_bits\(': 'tfvae.model.divergence',  # the free-bits KL term
      r'\(int, np\.integer\)': 'tfvae.internal.checks',  # integer checks
      # Private TensorFlow Probability API.
      r'_make_distribution_fn|_registered_kl|kullback_leibler\.': None,
    }
    for module in _modules():
      source = inspect.getsource(module)
      code = '\n'.join(line for line in source.splitlines() if not line.strip().startswith('#'))
      for pattern, owner in owners.items():
        if module.__name__ == owner:
          continue
        hits = [line.strip() for line in code.splitlines() if re.search(pattern, line)]
        hits = [line for line in hits if not line.startswith(('>>>', '`', '[', '(', 'Args'))]
        with self.subTest(module=module.__name__, pattern=pattern):
          self.assertEqual(hits, [], f'{module.__name__} repeats logic owned by {owner}')

  def test_version(self):
    self.assertRegex(tfvae.__version__, r'^\d+\.\d+\.\d+$')


def _resolve(dotted):
  """The object `dotted` names (`tfvae.plot.plot_*` needs one match), or AssertionError."""
  obj = importlib.import_module('tfvae')
  for part in dotted.split('.')[1:]:
    if '*' in part:
      matches = fnmatch.filter(dir(obj), part)
      if not matches:
        raise AssertionError(f'{dotted}: nothing matches {part}')
      return [getattr(obj, match) for match in matches]
    if not hasattr(obj, part):
      raise AssertionError(f'{dotted} does not resolve: no {part!r} in {obj!r}')
    obj = getattr(obj, part)
  return obj


def _heading_anchors(markdown):
  """GitHub's anchors of a Markdown file's headings (code blocks skipped)."""
  anchors, fenced = set(), False
  for line in markdown.splitlines():
    if line.startswith('```'):
      fenced = not fenced
    elif not fenced and line.startswith('#'):
      title = line.lstrip('#').strip().lower()
      anchors.add(re.sub(r'[^\w\- ]', '', title).replace(' ', '-'))
  return anchors


if __name__ == '__main__':
  test_util.main()
