# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: the objective under tf.distribute equals the one without.

Each case runs in a fresh interpreter: logical devices and collective ops
must be configured before TensorFlow runs its first op.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import test_util
import tfvae

_MIRRORED = r"""
import json
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import tfvae
from tfvae.internal import keras

SHAPE, LATENT = (4, 6, 1), 5

def build(regularize):
  inputs = keras.layers.Input(shape=SHAPE)
  h = keras.layers.Dense(7, activation='tanh')(keras.layers.Flatten()(inputs))
  params = keras.layers.Dense(2 * LATENT)(h)
  regularizer = tfvae.KLDivergenceRegularizer(tfvae.prior.make_standard_normal(LATENT)) if regularize else None
  # 'mean' makes z deterministic, so both runs see the same sample.
  posterior = tfvae.MultivariateNormalDiag(LATENT, 'mean', activity_regularizer=regularizer)(params)
  encoder = keras.Model(inputs, posterior)
  decoder = tfvae.make_decoder(LATENT, SHAPE, (7,))
  vae = tfvae.VAE(encoder, decoder)
  vae.compile(keras.optimizers.SGD(0.1))
  return vae

x = np.round(np.random.default_rng(0).uniform(size=(6, *SHAPE))).astype(np.float32)
results = {}
for regularize in (True, False):
  keras.utils.set_random_seed(1)
  single = build(regularize)
  strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
  with strategy.scope():
    mirrored = build(regularize)
  mirrored.set_weights(single.get_weights())
  assert strategy.num_replicas_in_sync == 2
  before = [m.evaluate(x, batch_size=6, verbose=0, return_dict=True) for m in (single, mirrored)]
  for m in (single, mirrored):
    m.fit(x, batch_size=6, epochs=1, shuffle=False, verbose=0)
  after = [m.evaluate(x, batch_size=6, verbose=0, return_dict=True) for m in (single, mirrored)]
  weight_gap = max(float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), mirrored.get_weights()))
  results[str(regularize)] = dict(before=before, after=after, weight_gap=weight_gap)
print(json.dumps(results))
"""


class MirroredStrategyTest(test_util.TestCase):
  def test_same_loss_and_update_as_one_device(self):
    results = json.loads(test_util.run_python(_MIRRORED).strip().splitlines()[-1])
    for regularize, result in results.items():
      with self.subTest(regularize=regularize):
        single, mirrored = result['before']
        for name in ('loss', 'reconstruction', 'kl'):
          self.assertAllClose(mirrored[name], single[name], rtol=1e-5)
        single, mirrored = result['after']
        self.assertAllClose(mirrored['loss'], single['loss'], rtol=1e-4)
        # One SGD step on the same batch: gradients averaged, not summed.
        self.assertLess(result['weight_gap'], 1e-5)
        self.assertNotAllClose(result['before'][0]['loss'], result['after'][0]['loss'])


_WORKER = r"""
import sys
import numpy as np
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # Before any other op.
import tfvae
from tfvae.internal import keras
keras.utils.set_random_seed(3)
x = np.round(np.random.default_rng(0).uniform(size=(64, 4, 6, 1))).astype(np.float32)
with strategy.scope():
  encoder = tfvae.make_encoder((4, 6, 1), 5, (7,))
  decoder = tfvae.make_decoder(5, (4, 6, 1), (7,))
  vae = tfvae.VAE(encoder, decoder)
  vae.compile(keras.optimizers.Adam(1e-2))
ds = tfvae.datasets.make_dataset(x, batch_size=16, seed=1)
history = vae.fit(ds, epochs=3, verbose=0)
np.savez(sys.argv[1], *vae.get_weights(), loss=np.array(history.history['loss']))
"""


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(('127.0.0.1', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def _run_workers(command_for_task, timeout=240):
  """Starts two workers on 127.0.0.1 with TF_CONFIG; returns their outputs."""
  ports = _free_ports(2)
  cluster = {'worker': [f'127.0.0.1:{port}' for port in ports]}
  processes = []
  for task in range(2):
    env = dict(
      os.environ,
      PYTHONPATH=test_util.REPO_ROOT,
      TF_CPP_MIN_LOG_LEVEL='2',
      TF_CONFIG=json.dumps({'cluster': cluster, 'task': {'type': 'worker', 'index': task}}),
    )
    processes.append(
      subprocess.Popen(
        command_for_task(task), env=env, cwd=test_util.REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
      )
    )  # fmt: skip
  outputs = []
  try:
    for process in processes:
      _, stderr = process.communicate(timeout=timeout)
      outputs.append((process.returncode, stderr))
  finally:
    for process in processes:
      process.kill()
  failed = [(task, code, err) for task, (code, err) in enumerate(outputs) if code != 0]
  if failed:
    raise AssertionError(
      '\n'.join(f'worker {task} failed ({code}):\n{err[-3000:]}' for task, code, err in failed)
    )
  return outputs


# Each worker reads its shard of the TFRecord training split as the main job
# does (`experiment.make_dataset`) for one epoch and writes the ids it saw.
_SHARD_READER = r"""
import sys
import numpy as np
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # Before any other op.
from tfvae.jobs import config as config_lib
from tfvae.jobs import experiment
config = config_lib.JobConfig(
  dataset=sys.argv[1], batch_size=8, conditional=True, validation_fraction=0.0
)
source = experiment.make_source(config)
config = config.resolve(source.scan())
ids = []
data, steps = experiment.distribute_dataset(config, source, 'train', strategy)
iterator = iter(data)
for _ in range(steps):
  x, y = next(iterator)
  for local in strategy.experimental_local_results(y):
    ids.extend(int(i) for i in local.numpy())
assert next(iterator, None) is None, 'more batches than steps'
np.save(sys.argv[2], np.array(ids, np.int64))
"""


def _write_id_shards(directory, num_train, num_shards):
  """TFRecord shards whose labels are unique example ids; returns the glob."""
  rng = np.random.default_rng(0)
  x = np.round(rng.uniform(size=(num_train + 20, 4, 6, 1))).astype(np.float32)
  ids = np.arange(num_train + 20)
  tfvae.sources.write_tfrecords(
    os.path.join(directory, 'ids-train'), x[:num_train], ids[:num_train], num_shards, 'raw'
  )
  tfvae.sources.write_tfrecords(
    os.path.join(directory, 'ids-test'), x[num_train:], ids[num_train:], encoding='raw'
  )
  return os.path.join(directory, '*.tfrecord')


class MultiWorkerTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(
    ('by_file', 101, 3),  # Uneven: one worker reads two files, the other one.
    ('by_record', 45, 1),  # Fewer files than workers.
  )
  def test_each_training_example_once_per_epoch_across_workers(self, num_train, num_shards):
    directory = self.create_tempdir().full_path
    pattern = _write_id_shards(directory, num_train, num_shards)
    paths = [os.path.join(directory, f'worker{task}.npy') for task in range(2)]
    _run_workers(lambda task: [sys.executable, '-c', _SHARD_READER, pattern, paths[task]])
    seen = [np.load(path) for path in paths]
    self.assertAllEqual(np.sort(np.concatenate(seen)), np.arange(num_train))
    self.assertTrue(all(len(ids) > 0 for ids in seen))  # Both workers read.

  @pytest.mark.slow  # The by-record and by-file sharding tests run by default.
  def test_main_job_over_tfrecord_shards(self):
    directory = self.create_tempdir().full_path
    pattern = _write_id_shards(directory, 101, 3)
    model_dir = os.path.join(directory, 'run')
    flags = [
      f'--model_dir={model_dir}', '--strategy=multi_worker', '--epochs=2', '--latent_size=2',
      '--hidden_units=8', '--batch_size=16', '--verbose=0', f'--dataset={pattern}',
      '--conditional',  # On the shards' labels.
    ]  # fmt: skip
    _run_workers(lambda task: [sys.executable, '-m', 'tfvae.train', *flags])
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      metrics = json.load(f)
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()), metrics)

  @pytest.mark.slow
  def test_two_workers_end_with_identical_weights(self):
    directory = self.create_tempdir().full_path
    paths = [os.path.join(directory, f'worker{task}.npz') for task in range(2)]
    _run_workers(lambda task: [sys.executable, '-c', _WORKER, paths[task]])
    weights = [np.load(path) for path in paths]
    self.assertEqual(weights[0].files, weights[1].files)
    for name in weights[0].files:
      self.assertAllEqual(weights[0][name], weights[1][name])
    losses = weights[0]['loss']
    self.assertTrue(np.all(np.isfinite(losses)))
    self.assertLess(losses[-1], losses[0])

  @pytest.mark.slow
  def test_main_job_with_multi_worker_strategy(self):
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    flags = [
      f'--model_dir={model_dir}', '--strategy=multi_worker', '--epochs=2', '--latent_size=2',
      '--hidden_units=8', '--batch_size=256', '--verbose=0',
    ]  # fmt: skip
    _run_workers(lambda task: [sys.executable, '-m', 'tfvae.train', *flags])
    with open(os.path.join(model_dir, 'metrics.json')) as f:
      self.assertTrue(np.isfinite(json.load(f)['loss']))
    with open(os.path.join(model_dir, 'config.json')) as f:
      self.assertEqual(json.load(f)['strategy'], 'multi_worker')


if __name__ == '__main__':
  test_util.main()
