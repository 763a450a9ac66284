# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for `python -m tfvae.export` and the main job's export at its end."""

import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

import test_util
import tfvae
from tfvae.jobs import experiment as experiment_lib


def _env():
  return dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2')


def _served_reconstruction(path, x):
  return tf.saved_model.load(path).signatures['reconstruct'](x=tf.constant(x))['probs']


class ExportRunTest(test_util.TestCase):
  def setUp(self):
    super().setUp()
    # A finished run, as far as the export is concerned: its model.keras.
    self.model_dir = self.create_tempdir().full_path
    self.vae = test_util.make_vae()
    self.vae.save(os.path.join(self.model_dir, experiment_lib.MODEL_FILE))
    self.x = self.make_images()

  def test_exports_the_saved_model_of_the_run(self):
    export_base = os.path.join(self.create_tempdir().full_path, 'tfvae')
    path = tfvae.evaluation.export_run(self.model_dir, export_base, warmup=False)
    self.assertEqual(path, os.path.join(export_base, '1'))
    self.assertAllClose(
      _served_reconstruction(path, self.x), self.vae.reconstruct(self.x), rtol=1e-6, atol=1e-6
    )
    self.assertEqual(
      tfvae.evaluation.export_run(self.model_dir, export_base, warmup=False), f'{export_base}/2'
    )
    with self.assertRaisesRegex(FileExistsError, 'overwrite'):
      tfvae.evaluation.export_run(self.model_dir, export_base, version=2, warmup=False)

  def test_sample_temperature_of_a_bare_model_is_one_unless_given(self):
    export_base = self.create_tempdir().full_path
    seed = tf.constant([1, 2])
    for temperature in (None, 0.5):
      with self.subTest(temperature=temperature):
        path = tfvae.evaluation.export_run(
          self.model_dir, export_base, warmup=False, sample_temperature=temperature
        )
        served = tf.saved_model.load(path).signatures['sample'](num=tf.constant(3), seed=seed)
        expected = self.vae.sample(3, seed=[1, 2], temperature=temperature or 1.0)
        self.assertAllClose(served['probs'], expected, rtol=1e-5, atol=1e-6)
    with self.assertRaisesRegex(ValueError, '`sample_temperature` must be > 0'):
      tfvae.evaluation.export_run(self.model_dir, export_base, sample_temperature=0.0)

  def test_refuses_a_directory_without_a_model(self):
    with self.assertRaisesRegex(ValueError, 'model_dir.*model.keras'):
      tfvae.evaluation.export_run(self.create_tempdir().full_path, self.create_tempdir().full_path)

  def test_command_line(self):
    export_base = self.create_tempdir().full_path
    result = subprocess.run(
      [
        sys.executable,
        '-m',
        'tfvae.export',
        f'--model_dir={self.model_dir}',
        f'--export_base={export_base}',
        '--version=5',
        '--nowarmup',
        '--sample_temperature=0.5',
      ],
      env=_env(),
      capture_output=True,
      text=True,
      timeout=300,
      check=True,
    )
    path = os.path.join(export_base, '5')
    self.assertEqual(result.stdout.strip(), f'tfvae: exported {path}')
    self.assertEqual(os.listdir(export_base), ['5'])
    self.assertFalse(os.path.exists(os.path.join(path, 'assets.extra')))
    self.assertAllClose(
      _served_reconstruction(path, self.x), self.vae.reconstruct(self.x), rtol=1e-6, atol=1e-6
    )
    sample = tf.saved_model.load(path).signatures['sample']
    self.assertAllClose(
      sample(num=tf.constant(3), seed=tf.constant([1, 2]))['probs'],
      self.vae.sample(3, seed=[1, 2], temperature=0.5),
      rtol=1e-5,
      atol=1e-6,
    )


class MainJobExportTest(test_util.TestCase):
  def test_train_exports_the_finished_model(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    export_base = os.path.join(self.create_tempdir().full_path, 'tfvae')
    experiment_lib.train(
      model_dir=model_dir,
      export_base=export_base,
      latent_size=2,
      hidden_units=(8,),
      epochs=1,
      batch_size=256,
      verbose=0,
    )
    self.assertEqual(os.listdir(export_base), ['1'])
    path = os.path.join(export_base, '1')
    self.assertTrue(
      os.path.isfile(os.path.join(path, 'assets.extra', 'tf_serving_warmup_requests'))
    )
    trained = tfvae.keras.saving.load_model(os.path.join(model_dir, experiment_lib.MODEL_FILE))
    x = np.round(tfvae.datasets.load('digits')[1][0][:5])
    self.assertAllClose(
      _served_reconstruction(path, x), trained.reconstruct(x), rtol=1e-6, atol=1e-6
    )

  def test_train_flag_reaches_the_main_job(self):
    code = (
      'from unittest import mock\n'
      'from absl import flags\n'
      'from tfvae import train\n'
      'from tfvae.jobs import experiment\n'
      'train.define_flags()\n'
      "flags.FLAGS(['train', '--export_base=/models/tfvae', '--epochs=1'])\n"
      "with mock.patch.object(experiment, 'train') as run:\n"
      '  train.main([])\n'
      "print(run.call_args.kwargs['export_base'])\n"
    )
    self.assertEqual(test_util.run_python(code).strip(), '/models/tfvae')


if __name__ == '__main__':
  test_util.main()
