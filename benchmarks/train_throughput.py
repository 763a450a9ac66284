# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Training throughput of tfvae against a plain tf_keras + tfp.layers VAE.

Prints examples/s for both on the same data in the same run, the throughput
that TensorFlow's matrix products alone allow for the model's GEMM shapes
(the "GEMM bound", in float32 and in bfloat16), and the ratios. With
`--precision=bfloat16` (or `auto`) the tfvae models compute their hidden
layers in that precision (`make_vae(precision=...)`); the reference stays
float32.

  python benchmarks/train_throughput.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import time

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from absl import app
from absl import flags

import reference
import tfvae
from tfvae.internal import keras

tfd = tfp.distributions
tfpl = tfp.layers

_BATCH_SIZE = flags.DEFINE_integer('batch_size', default=128, help='Batch size.')
_DATA_DIR = flags.DEFINE_string(
  'data_dir',
  default='/usr/share/datasets/fashion-mnist',
  help='Fashion-MNIST IDX directory; empty string: random binary images.',
)
_EPOCHS = flags.DEFINE_integer(
  'epochs', default=3, help='Timed epochs per model, interleaved (after one warm-up each).'
)
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_PRECISION = flags.DEFINE_enum(
  'precision',
  default='float32',
  enum_values=['auto', 'bfloat16', 'float32'],
  help="The tfvae models' `precision`.",
)

_LATENT = 32
_ENCODER_UNITS = (512, 256)


def load_data(data_dir):
  """Fashion-MNIST training images `[60000, 28, 28, 1]` in [0, 1] (grey levels)."""
  if data_dir:
    (x_train, _), _ = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
    return x_train
  return np.random.default_rng(0).uniform(size=(60000, 28, 28, 1)).astype(np.float32)


def make_tfvae_model(precision='float32'):
  encoder = tfvae.make_encoder((28, 28, 1), _LATENT, _ENCODER_UNITS, precision=precision)
  decoder = tfvae.make_decoder(
    _LATENT, (28, 28, 1), tuple(reversed(_ENCODER_UNITS)), precision=precision
  )
  model = tfvae.VAE(encoder, decoder)
  model.compile(keras.optimizers.Adam(1e-3))
  return model


class _EpochTimer(keras.callbacks.Callback):
  def on_epoch_begin(self, epoch, logs=None):
    self.start = time.perf_counter()

  def on_epoch_end(self, epoch, logs=None):
    self.seconds = time.perf_counter() - self.start


class _Trainer:
  """One model and its data; `epoch()` returns the examples/s of one epoch.

  Each call fits two epochs and times the second, so the one-off cost of a
  `fit` call (converting arrays, building the iterator) is not counted.
  """

  def __init__(self, model, x, batch_size, supervised):
    self._model = model
    if isinstance(x, tf.data.Dataset):
      self._num_examples = sum(int(tf.shape(batch)[0]) for batch in x)
      self._kwargs = dict(x=x)
    else:
      self._num_examples = len(x)
      self._kwargs = dict(x=x, y=x if supervised else None, batch_size=batch_size, shuffle=True)
    self.epoch()  # Warm-up: tracing and XLA compilation.

  def epoch(self):
    timer = _EpochTimer()
    self._model.fit(epochs=2, verbose=0, callbacks=[timer], **self._kwargs)
    return self._num_examples / timer.seconds


class _Speeds(dict):
  """Median examples/s per trainer; `samples` keeps every round's value."""

  samples: dict


def compare(trainers, rounds):
  """Median examples/s of each trainer over `rounds` interleaved epochs."""
  samples = {name: [] for name in trainers}
  for _ in range(rounds):
    for name, trainer in trainers.items():
      samples[name].append(trainer.epoch())
  speeds = _Speeds({name: float(np.median(values)) for name, values in samples.items()})
  speeds.samples = samples
  return speeds


def gemm_bound(batch_size, dtype=tf.float32, repeats=200):
  """Examples/s if a step cost only its matrix products (forward and backward) in `dtype`."""
  widths = [784, *_ENCODER_UNITS, 2 * _LATENT]
  decoder_widths = [_LATENT, *reversed(_ENCODER_UNITS), 784]
  layers = list(zip(widths[:-1], widths[1:])) + list(zip(decoder_widths[:-1], decoder_widths[1:]))
  shapes = []
  for i, (fan_in, fan_out) in enumerate(layers):
    shapes.append((batch_size, fan_in, fan_out))  # forward: X @ W
    shapes.append((fan_in, batch_size, fan_out))  # dW = X^T @ dY
    if i != 0:
      shapes.append((batch_size, fan_out, fan_in))  # dX = dY @ W^T (not for the input)
  operands = [
    (tf.cast(tf.random.normal([m, k]), dtype), tf.cast(tf.random.normal([k, n]), dtype))
    for m, k, n in shapes
  ]

  @tf.function
  def step():
    return [tf.reduce_sum(tf.matmul(a, b)[:1, :1]) for a, b in operands]

  step()
  start = time.perf_counter()
  for _ in range(repeats):
    results = step()
  float(results[0])
  seconds = (time.perf_counter() - start) / repeats
  flops = sum(2 * m * k * n for m, k, n in shapes)
  return batch_size / seconds, flops / seconds / 1e9


def main(argv):
  del argv
  batch_size = _BATCH_SIZE.value
  precision = _PRECISION.value
  x_grey = load_data(_DATA_DIR.value)
  x = tfvae.datasets.binarize(x_grey, seed=0)  # statically binarized, as specified
  keras.utils.set_random_seed(0)
  pipeline = tfvae.datasets.make_dataset(x_grey, batch_size, binarization='dynamic')
  trainers = {
    'reference': _Trainer(reference.make_vae(batch_size)[0], x, batch_size, supervised=True),
    # The path most users take: compile(optimizer) defaults, fit(array, shuffle=True).
    'tfvae': _Trainer(make_tfvae_model(precision), x, batch_size, supervised=False),
    # The main job's path: tf.data pipeline binarizing on the fly.
    'pipeline': _Trainer(make_tfvae_model(precision), pipeline, batch_size, supervised=False),
  }
  speed = compare(trainers, _EPOCHS.value)
  baseline, ours, ours_pipeline = speed['reference'], speed['tfvae'], speed['pipeline']
  bound, gflops = gemm_bound(batch_size)
  bound_bf16, gflops_bf16 = gemm_bound(batch_size, tf.bfloat16)
  per_round = {name: [round(v) for v in values] for name, values in speed.samples.items()}
  results = {
    'precision': precision,
    'resolved_precision': tfvae.precision.resolve(precision),
    'tfvae_examples_per_s': round(ours),
    'tfvae_dynamic_pipeline_examples_per_s': round(ours_pipeline),
    'reference_examples_per_s': round(baseline),
    'gemm_bound_examples_per_s': round(bound),
    'gemm_gflops': round(gflops, 1),
    'gemm_bound_bfloat16_examples_per_s': round(bound_bf16),
    'gemm_bfloat16_gflops': round(gflops_bf16, 1),
    'tfvae_over_reference': round(ours / baseline, 2),
    'tfvae_over_gemm_bound': round(ours / bound, 2),
    'pipeline_over_reference': round(ours_pipeline / baseline, 2),
    'pipeline_over_gemm_bound': round(ours_pipeline / bound, 2),
  }
  for name, value in results.items():
    print(f'{name}: {value}')
  print(f'per-round examples/s: {per_round}')
  results['per_round_examples_per_s'] = per_round
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
