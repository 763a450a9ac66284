# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Latency and throughput of each serving signature, against Keras `predict`.

Exports a VAE with `tfvae.export_saved_model`, loads it in this process with
`tf.saved_model.load` (the graphs TF Serving runs, without the network hop)
and times sequential calls of each signature at each batch size, then the
same reconstructions through `VAE.predict` and `VAE.predict_on_batch`:

  python benchmarks/serving_latency.py [--model_dir=RUN] [--iterations=200]

Prints p50 and p99 latency (ms per call) and throughput (examples/s).
"""

import json
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags
from absl import logging

import tfvae

_BATCH_SIZES = flags.DEFINE_list('batch_sizes', default=['1', '128'], help='Batch sizes.')
_IMAGE_SIZE = flags.DEFINE_integer(
  'image_size', default=28, help='Height and width of the fresh model (without --model_dir).'
)
_ITERATIONS = flags.DEFINE_integer('iterations', default=200, help='Timed calls per case.')
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_MODEL_DIR = flags.DEFINE_string(
  'model_dir',
  default=None,
  help='A finished run of python -m tfvae.train; default: a fresh dense model '
  '(512-256 units, 32 latents) of --image_size images.',
)
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples', default=16, help='Importance samples per example for log_likelihood.'
)

_WARMUP_CALLS = 5


def make_model(model_dir, image_size):
  """The run's model, or a fresh model of the main job's default architecture."""
  if model_dir:
    return tfvae.keras.saving.load_model(os.path.join(model_dir, 'model.keras'))
  tfvae.keras.utils.set_random_seed(0)
  shape = (image_size, image_size, 1)
  encoder = tfvae.make_encoder(shape, latent_size=32)
  return tfvae.VAE(encoder, tfvae.make_decoder(32, shape))


def requests(vae, batch_size, num_samples):
  """Signature name -> inputs of one request of `batch_size` examples."""
  rng = np.random.default_rng(0)
  x = tf.constant(np.round(rng.uniform(size=(batch_size, *vae.event_shape))), tf.float32)
  seed = tf.constant([1, 2], tf.int32)
  return {
    'reconstruct': {'x': x},
    'encode': {'x': x},
    'decode': {'z': tf.constant(rng.normal(size=(batch_size, vae.latent_size)), tf.float32)},
    'sample': {'num': tf.constant(batch_size), 'seed': seed},
    'elbo': {'x': x, 'seed': seed},
    'log_likelihood': {'x': x, 'num_samples': tf.constant(num_samples), 'seed': seed},
  }


def time_calls(call, iterations):
  """Seconds per call of `call` (after warm-up calls), one per iteration."""
  for _ in range(_WARMUP_CALLS):
    call()
  seconds = []
  for _ in range(iterations):
    start = time.perf_counter()
    call()
    seconds.append(time.perf_counter() - start)
  return np.array(seconds)


def summarize(seconds, batch_size):
  return {
    'p50_ms': round(1e3 * float(np.percentile(seconds, 50)), 3),
    'p99_ms': round(1e3 * float(np.percentile(seconds, 99)), 3),
    'examples_per_s': round(batch_size * len(seconds) / float(seconds.sum())),
  }


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # TensorFlow logs each file the export writes.
  vae = make_model(_MODEL_DIR.value, _IMAGE_SIZE.value)
  with tempfile.TemporaryDirectory() as export_base:
    signatures = tf.saved_model.load(
      tfvae.export_saved_model(vae, export_base, warmup=False)
    ).signatures
  results = []
  for batch_size in [int(b) for b in _BATCH_SIZES.value]:
    for name, inputs in requests(vae, batch_size, _NUM_SAMPLES.value).items():
      if name not in signatures:
        continue

      def call(function=signatures[name], inputs=inputs):
        return {key: value.numpy() for key, value in function(**inputs).items()}

      seconds = time_calls(call, _ITERATIONS.value)
      results.append({'case': name, 'batch_size': batch_size, **summarize(seconds, batch_size)})
    x = requests(vae, batch_size, 1)['reconstruct']['x'].numpy()
    for name, call in (
      ('keras_predict', lambda x=x, b=batch_size: vae.predict(x, batch_size=b, verbose=0)),
      ('keras_predict_on_batch', lambda x=x: vae.predict_on_batch(x)),
    ):
      seconds = time_calls(call, _ITERATIONS.value)
      results.append({'case': name, 'batch_size': batch_size, **summarize(seconds, batch_size)})

  print(f'{os.cpu_count()} CPUs, TensorFlow {tf.__version__}, {_ITERATIONS.value} calls per case')
  print(f'{"case":<24}{"batch":>6}{"p50 ms":>10}{"p99 ms":>10}{"examples/s":>12}')
  for row in results:
    print(
      f'{row["case"]:<24}{row["batch_size"]:>6}{row["p50_ms"]:>10.3f}{row["p99_ms"]:>10.3f}'
      f'{row["examples_per_s"]:>12}'
    )
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
