# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The README's walk-through, run as written: train on a CSV, score a new one, join, AUROC."""

import os
import re
import shlex
import subprocess
import sys

import test_util

_SECTION = '### Walk-through: score a new CSV and join the scores to its rows'


def _steps():
  """`(language, code)` of each code block of the walk-through, in order."""
  with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
    readme = f.read()
  section = readme.split(_SECTION, 1)[1].split('\n## ', 1)[0].split('\n### ', 1)[0]
  return re.findall(r'```(python|sh)\n(.*?)```', section, re.DOTALL)


class WalkthroughTest(test_util.TestCase):
  def test_the_readme_walkthrough_runs_as_written(self):
    steps = _steps()
    self.assertEqual([language for language, _ in steps], ['python', 'sh', 'python'])
    directory = self.create_tempdir().full_path
    bin_dir = os.path.join(directory, 'bin')  # `python` is this interpreter (its venv too).
    os.makedirs(bin_dir)
    python = os.path.join(bin_dir, 'python')
    with open(python, 'w') as f:
      f.write(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    os.chmod(python, 0o755)
    env = dict(
      os.environ,
      PATH=f'{bin_dir}{os.pathsep}{os.environ.get("PATH", "")}',
      PYTHONPATH=test_util.REPO_ROOT,
      TF_CPP_MIN_LOG_LEVEL='2',
    )
    output = ''
    for language, code in steps:
      command = ['bash', '-euc', code] if language == 'sh' else [sys.executable, '-c', code]
      result = subprocess.run(
        command, cwd=directory, env=env, capture_output=True, text=True, timeout=600
      )
      self.assertEqual(result.returncode, 0, f'{language} step failed:\n{result.stderr[-3000:]}')
      output += result.stdout
    auroc = float(re.search(r'AUROC (\S+)', output).group(1))
    self.assertGreater(auroc, 0.9, output)  # The faulty machines score far higher.


if __name__ == '__main__':
  test_util.main()
