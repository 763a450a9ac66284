# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.internal.cli and .startup: one-line errors, quiet starts, light --help."""

import os
import subprocess
import sys

import pytest
from absl import flags

import test_util
from tfvae.internal import cli
from tfvae.internal import startup

_COMMANDS = {
  'train': 'define_flags()',
  'evaluate': 'define_flags()',
  'score': 'define_flags()',
  'export': '_define_flags()',
}


def _env(**changes):
  env = dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, **changes)
  if 'TF_CPP_MIN_LOG_LEVEL' not in changes:
    env.pop('TF_CPP_MIN_LOG_LEVEL', None)  # The commands' own default.
  return env


def _run(*argv, **env):
  return subprocess.run(
    [sys.executable, *argv],
    cwd=test_util.REPO_ROOT,
    env=_env(**env),
    capture_output=True,
    text=True,
    timeout=300,
  )


def _flag_values():
  flag_values = flags.FlagValues()
  flags.DEFINE_string('dataset', None, 'Data.', flag_values=flag_values)
  flags.DEFINE_list('image_size', None, 'Size.', flag_values=flag_values)
  flags.DEFINE_string('output', None, 'Output.', flag_values=flag_values)
  flag_values(['command', '--output=/no/such/dir/out.csv'])
  return flag_values


class UserErrorTest(test_util.TestCase):
  def test_names_the_flag_not_the_argument(self):
    flag_values = _flag_values()
    error = ValueError('`image_size` must be (height, width); got (3,).')
    self.assertEqual(
      cli.user_error(error, flag_values), '--image_size: must be (height, width); got (3,).'
    )
    error = ValueError("`name`: no such file 'x.npz'; see `image_size`.")
    self.assertEqual(
      cli.user_error(error, flag_values, {'name': 'dataset'}),
      "--dataset: no such file 'x.npz'; see --image_size.",
    )

  def test_a_file_error_names_the_flag_of_the_file(self):
    error = FileNotFoundError(2, 'No such file or directory', '/no/such/dir/out.csv.tmp')
    self.assertEqual(
      cli.user_error(error, _flag_values()),
      '--output: No such file or directory: /no/such/dir/out.csv.tmp',
    )

  def test_an_error_that_names_no_flag_is_a_bug(self):
    flag_values = _flag_values()
    self.assertIsNone(cli.user_error(ValueError('Shapes (3, 4) and (5,) differ'), flag_values))
    self.assertIsNone(cli.user_error(ValueError('`units` must be positive'), flag_values))
    self.assertIsNone(cli.user_error(KeyError('dataset'), flag_values))


class CommandLineTest(test_util.TestCase):
  def test_defining_the_flags_imports_no_tensorflow(self):
    # What makes `--help` answer at once: ~0.3-0.6 s here, against ~11 s
    # when the command modules imported TensorFlow.
    for command, define in _COMMANDS.items():
      with self.subTest(command=command):
        code = (
          f'import sys\nfrom tfvae import {command}\n{command}.{define}\n'
          "print(sorted(m for m in ('tensorflow', 'tf_keras', 'tensorflow_probability') "
          'if m in sys.modules))'
        )
        self.assertEqual(test_util.run_python(code).strip(), '[]')

  def test_help_answers_without_tensorflow(self):
    result = _run('-m', 'tfvae.score', '--help')
    self.assertIn('--false_positive_rate', result.stdout)
    self.assertNotIn('oneDNN', result.stderr)

  @pytest.mark.slow
  def test_a_bad_flag_value_is_one_line_naming_the_flag(self):
    directory = self.create_tempdir().full_path
    model_dir = os.path.join(directory, 'run')
    bad_csv = os.path.join(directory, 'bad.csv')
    with open(bad_csv, 'w') as f:
      f.write('a,b\n1,2\n3,n/a\n' + '5,6\n' * 40)
    cases = [
      # Refused by absl while parsing: exit status 2.
      (['--latent_size=abc'], 2, 'error: --latent_size: must be an integer; got abc.'),
      (['--posterior=round'], 2, 'error: --posterior: value should be one of'),
      # Refused by the job's options: exit status 1.
      (['--image_size=3'], 1, 'error: --image_size: must be (height, width); got (3,).'),
      (
        ['--prior=vamp', '--conditional'],
        1,
        "error: --prior: --prior='vamp' cannot condition",
      ),
      (['--hidden_units=8,x'], 1, 'error: --hidden_units: must be integers separated by commas'),
      (['--dataset=/no/such/data.csv'], 1, "error: --dataset: '/no/such/data.csv' is neither"),
      (['--dataset=' + bad_csv], 1, f"error: --dataset: {bad_csv}, line 3, column 'b': 'n/a' is"),
      (['--dataset=' + bad_csv, '--ignore_columns=c'], 1, 'error: --ignore_columns: no column(s)'),
    ]
    for argv, status, message in cases:
      with self.subTest(argv=argv):
        result = _run('-m', 'tfvae.train', f'--model_dir={model_dir}', *argv)
        self.assertEqual(result.returncode, status)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertStartsWith(result.stderr, message)
        self.assertFalse(os.path.exists(model_dir))

  def test_a_missing_run_or_flag_is_one_line(self):
    missing = os.path.join(self.create_tempdir().full_path, 'nothing')
    for argv, message in [
      (['tfvae.evaluate', f'--model_dir={missing}'], f'error: --model_dir: {missing} holds no'),
      (['tfvae.export', f'--model_dir={missing}', '--export_base=b'], 'error: --model_dir: '),
      (['tfvae.score'], 'error: --model_dir: required (Directory written by'),
    ]:
      with self.subTest(argv=argv):
        result = _run('-m', *argv)
        self.assertIn(result.returncode, (1, 2))
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertStartsWith(result.stderr, message)

  def test_verbose_2_shows_the_traceback(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    result = _run('-m', 'tfvae.train', f'--model_dir={model_dir}', '--latent_size=0', '--verbose=2')
    self.assertEqual(result.returncode, 1)
    self.assertIn('Traceback', result.stderr)
    self.assertIn('`latent_size` must be a positive integer', result.stderr)

  def test_a_bug_keeps_its_traceback(self):
    code = (
      'from absl import flags\nfrom tfvae.internal import cli\n'
      "flags.DEFINE_string('dataset', 'd', 'Data.')\n"
      'def main(argv):\n  raise ValueError("Shapes (3, 4) and (5,) are incompatible")\n'
      'cli.run(main)\n'
    )
    result = _run('-c', code)
    self.assertEqual(result.returncode, 1)
    self.assertIn('Traceback', result.stderr)
    self.assertNotIn('error: ', result.stderr)


class StartupTest(test_util.TestCase):
  def test_tensorflow_start_up_lines_show_once(self):
    code = 'import tfvae\nprint(tfvae.VAE.__name__)'
    result = _run('-c', code, TF_CPP_MIN_LOG_LEVEL='0')
    self.assertEqual(result.returncode, 0, result.stderr)
    lines = result.stderr.splitlines()
    for line in set(startup.STARTUP_LINE.sub('', line) for line in lines):
      with self.subTest(line=line):
        self.assertLessEqual(sum(line in seen for seen in lines), 1)
    self.assertLessEqual(sum('oneDNN' in line for line in lines), 1)

  def test_quiet_when_the_log_level_says_so(self):
    result = _run('-c', 'import tfvae\nprint(tfvae.VAE.__name__)', TF_CPP_MIN_LOG_LEVEL='1')
    self.assertEqual(result.stdout, 'VAE\n')
    self.assertEqual(
      [line for line in result.stderr.splitlines() if startup.STARTUP_LINE.match(line)], []
    )

  def test_import_tfvae_imports_no_tensorflow(self):
    code = "import sys, tfvae\nprint('tensorflow' in sys.modules, tfvae.__version__)"
    self.assertEqual(test_util.run_python(code).split()[0], 'False')


if __name__ == '__main__':
  test_util.main()
