# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Training from TFRecord shards streamed by `tfvae.sources` against training from an array.

Writes Fashion-MNIST's 60,000 training images as TFRecord shards: the
statically binarized images that `fit(array)` trains on (`binary`, raw float
vectors), and the grey levels (`raw` and `png` encodings). Then in one run
times `fit` of the benchmark model (784-512-256-32, batch 128), interleaved
(`--epochs` rounds, median; wall time and process CPU time), on:

- `array`: `fit(x_binary, batch_size=128, shuffle=True)`;
- `binary`: the same images from the shards, `binarization=None` (the same
  data and model as `array`: what reading from files costs);
- `memory_dynamic`: the grey array through `tfvae.datasets.make_dataset` with
  dynamic binarization (the main job's in-memory path);
- `raw`, `png`: the grey shards, dynamic binarization (the main job's path
  for file sources).

Then measures the peak resident memory of a one-epoch `fit` on the raw shards
against one on ten times as many records (`--copies`), each in a fresh
process, `--memory_rounds` times interleaved (median).

  python benchmarks/input_pipeline.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import train_throughput  # Defines --batch_size, --data_dir, --epochs (timed rounds), --json.
from absl import app
from absl import flags

import tfvae
from tfvae.data import sources as sources_lib

_COPIES = flags.DEFINE_integer(
  'copies', default=10, help='Copies of the training shards in the large-data memory case.'
)
_NUM_SHARDS = flags.DEFINE_integer('num_shards', default=8, help='TFRecord files of train.')
_MEMORY_ROUNDS = flags.DEFINE_integer(
  'memory_rounds', default=3, help='Fresh processes per memory case (the median is reported).'
)
_RSS_SOURCE = flags.DEFINE_string(
  'rss_source', default=None, help='Internal: fit one epoch on this glob and print the peak RSS.'
)
_WORK_DIR = flags.DEFINE_string(
  'work_dir', default=None, help='Where to write the shards (default: a temporary folder).'
)


class _CpuTimed:
  """A `train_throughput._Trainer` that also records the process CPU seconds per epoch.

  CPU time is less disturbed than wall time by other programs on the machine.
  """

  def __init__(self, trainer):
    self._trainer, self.cpu_seconds = trainer, []

  def epoch(self):
    start = time.process_time()
    speed = self._trainer.epoch()  # Fits two epochs, times the second.
    self.cpu_seconds.append((time.process_time() - start) / 2)
    return speed


def write_shards(x, y, x_test, y_test, directory, encoding, num_shards):
  """Train and test shards of one encoding; returns the glob and the seconds it took."""
  start = time.perf_counter()
  sources_lib.write_tfrecords(
    os.path.join(directory, 'fmnist-train'), x, y, num_shards, encoding=encoding
  )
  sources_lib.write_tfrecords(os.path.join(directory, 'fmnist-test'), x_test, y_test, 1, encoding)
  return os.path.join(directory, '*.tfrecord'), time.perf_counter() - start


def pipeline_only(ds, num_examples, epochs=2):
  """Examples/s and CPU s per epoch of iterating a pipeline alone (no model), after a warm-up."""
  for _ in ds:  # Warm-up.
    pass
  start, cpu = time.perf_counter(), time.process_time()
  for _ in range(epochs):
    for _ in ds:
      pass
  seconds = time.perf_counter() - start
  return epochs * num_examples / seconds, (time.process_time() - cpu) / epochs


def fit_one_epoch(pattern, batch_size):
  """One epoch of `fit` on the shards: peak resident memory (MiB), examples, seconds."""
  tfvae.keras.utils.set_random_seed(0)
  start = time.perf_counter()
  source = sources_lib.open_source(pattern, validation_fraction=0.0)
  examples = source.scan().num_examples['train']
  scanned = time.perf_counter()
  ds = source.dataset('train', batch_size, shuffle=True, binarization='dynamic')
  train_throughput.make_tfvae_model().fit(ds, epochs=1, verbose=0)
  return {
    'peak_rss_mib': _peak_rss_mib(),
    # Linux folds the parent's memory at fork into a child's getrusage maxrss.
    'getrusage_maxrss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    'examples': examples,
    'scan_s': round(scanned - start, 1),
    'fit_s': round(time.perf_counter() - scanned, 1),
  }


def _peak_rss_mib():
  """This process's own peak resident memory (`VmHWM`), in MiB."""
  with open('/proc/self/status') as f:
    for line in f:
      if line.startswith('VmHWM:'):
        return round(int(line.split()[1]) / 1024)
  return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_rss_in_subprocess(pattern, batch_size):
  """`fit_one_epoch` in a fresh Python process."""
  command = [sys.executable, os.path.abspath(__file__), f'--rss_source={pattern}']
  command.append(f'--batch_size={batch_size}')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
  if result.returncode:
    raise RuntimeError(f'memory case failed:\n{result.stderr[-3000:]}')
  return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv):
  del argv
  batch_size = train_throughput._BATCH_SIZE.value
  if _RSS_SOURCE.value:
    print(json.dumps(fit_one_epoch(_RSS_SOURCE.value, batch_size)))
    return
  work_dir = _WORK_DIR.value or tempfile.mkdtemp(prefix='tfvae_input_pipeline_')
  try:
    results = run(work_dir, batch_size)
  finally:
    if not _WORK_DIR.value:  # Only a folder this run made.
      shutil.rmtree(work_dir, ignore_errors=True)
  for name, value in results.items():
    print(f'{name}: {value}')
  if train_throughput._JSON.value:
    with open(train_throughput._JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


def run(work_dir, batch_size):
  data_dir = train_throughput._DATA_DIR.value
  (x, y), (x_test, y_test) = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
  x_binary = tfvae.datasets.binarize(x, seed=0)
  results = {}
  sources = {}
  shards = {  # name: (training images, encoding, binarization when training)
    'binary': (x_binary, 'raw', None),
    'raw': (x, 'raw', 'dynamic'),
    'png': (x, 'png', 'dynamic'),
  }
  for name, (images, encoding, binarization) in shards.items():
    directory = os.path.join(work_dir, name)
    pattern, seconds = write_shards(
      images, y, x_test, y_test, directory, encoding, _NUM_SHARDS.value
    )
    size = sum(os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory))
    source = sources_lib.open_source(pattern, validation_fraction=0.0)
    start = time.perf_counter()
    num_examples = source.scan().num_examples['train']
    sources[name] = pattern, source
    results[f'{name}_write_s'] = round(seconds, 1)
    results[f'{name}_mib'] = round(size / 2**20, 1)
    results[f'{name}_scan_s'] = round(time.perf_counter() - start, 2)
    speed, cpu = pipeline_only(
      source.dataset('train', batch_size, shuffle=True, binarization=binarization), num_examples
    )
    results[f'{name}_pipeline_only_examples_per_s'] = round(speed)
    results[f'{name}_pipeline_only_cpu_s_per_epoch'] = round(cpu, 2)
  memory_dynamic = tfvae.datasets.make_dataset(x, batch_size, shuffle=True, binarization='dynamic')
  speed, cpu = pipeline_only(memory_dynamic, len(x))
  results['memory_dynamic_pipeline_only_examples_per_s'] = round(speed)
  results['memory_dynamic_pipeline_only_cpu_s_per_epoch'] = round(cpu, 2)

  # Throughput: the same model and defaults fed by the array or by the shards.
  tfvae.keras.utils.set_random_seed(0)

  def trainer(x):
    model = train_throughput.make_tfvae_model()
    return _CpuTimed(train_throughput._Trainer(model, x, batch_size, supervised=False))

  trainers = {'array': trainer(x_binary), 'memory_dynamic': trainer(memory_dynamic)}
  for name, (_, _, binarization) in shards.items():
    trainers[name] = trainer(
      sources[name][1].dataset('train', batch_size, shuffle=True, binarization=binarization)
    )
  speed = train_throughput.compare(trainers, train_throughput._EPOCHS.value)
  for name, timed in trainers.items():
    results[f'fit_{name}_examples_per_s'] = round(speed[name])
    results[f'fit_{name}_cpu_s_per_epoch'] = round(float(np.median(timed.cpu_seconds)), 2)
  results['fit_binary_over_array'] = round(speed['binary'] / speed['array'], 3)
  for name in ('raw', 'png'):  # Dynamic binarization: against the in-memory pipeline and the array.
    results[f'fit_{name}_over_memory_dynamic'] = round(speed[name] / speed['memory_dynamic'], 3)
    results[f'fit_{name}_over_array'] = round(speed[name] / speed['array'], 3)
  results['per_round_examples_per_s'] = {
    name: [round(v) for v in values] for name, values in speed.samples.items()
  }

  # Memory: one epoch on the raw shards, then on `copies` times as many records.
  raw_dir = os.path.dirname(sources['raw'][0])
  large = os.path.join(work_dir, 'raw_large')
  os.makedirs(large)
  for name in os.listdir(raw_dir):
    source_path = os.path.join(raw_dir, name)
    if name.startswith('fmnist-test'):
      shutil.copyfile(source_path, os.path.join(large, name))
      continue
    for copy in range(_COPIES.value):
      shutil.copyfile(source_path, os.path.join(large, name.replace('train', f'train-copy{copy}')))
  cases = {'small': sources['raw'][0], 'large': os.path.join(large, '*.tfrecord')}
  runs = {case: [] for case in cases}
  for _ in range(_MEMORY_ROUNDS.value):  # Interleaved: both cases see the same machine.
    for case, pattern in cases.items():
      runs[case].append(peak_rss_in_subprocess(pattern, batch_size))
  for case, measured in runs.items():
    results[f'rss_{case}_mib'] = [m['peak_rss_mib'] for m in measured]
    results[f'rss_{case}'] = measured[-1]
  median = {case: float(np.median(results[f'rss_{case}_mib'])) for case in cases}
  results['rss_growth'] = round(median['large'] / median['small'] - 1, 3)
  return results


if __name__ == '__main__':
  app.run(main)
