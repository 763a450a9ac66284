# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Throughput and peak memory of `VAE.log_likelihood` against a plain reference.

The reference is the plain tf_keras + tfp.layers model of
`train_throughput.py` (TFP's own layers) with the estimator such a user
writes: draw all K posterior samples at once, decode them, log-sum-exp the
weights, inside one `tf.function`. Each method runs in its own process so
that its peak resident memory can be read.

  python benchmarks/log_likelihood_throughput.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import resource
import subprocess
import sys
import time

import numpy as np
import tensorflow_probability as tfp
from absl import app
from absl import flags

import reference
import tfvae

tfd = tfp.distributions

_BATCH_SIZE = flags.DEFINE_integer('batch_size', default=100, help='Examples per call.')
_DATA_DIR = flags.DEFINE_string(
  'data_dir', default='/usr/share/datasets/fashion-mnist',
  help='Fashion-MNIST IDX directory; empty string: random binary images.',
)  # fmt: skip
_METHOD = flags.DEFINE_enum(
  'method', default=None, enum_values=['tfvae', 'reference'],
  help='Measure one method in this process (used by the driver).',
)  # fmt: skip
_NUM_EXAMPLES = flags.DEFINE_integer('num_examples', default=1000, help='Test images.')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', default=1000, help='K.')

_LATENT = 32


def _data(data_dir, num_examples):
  if data_dir:
    _, (x_test, _) = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
  else:
    x_test = np.random.default_rng(0).uniform(size=(num_examples, 28, 28, 1)).astype(np.float32)
  return tfvae.datasets.binarize(x_test[:num_examples], seed=0)


def _model():
  tfvae.keras.utils.set_random_seed(0)
  encoder = tfvae.make_encoder((28, 28, 1), _LATENT, (512, 256))
  decoder = tfvae.make_decoder(_LATENT, (28, 28, 1), (256, 512))
  return tfvae.VAE(encoder, decoder)


def measure(method, x, batch_size, num_samples):
  """Examples/s (after one warm-up batch) and the estimate's mean."""
  if method == 'tfvae':
    vae = _model()
    fn = lambda batch: vae.log_likelihood(batch, num_samples=num_samples, seed=1)  # noqa: E731
  else:
    _, encoder, decoder = reference.make_vae()
    fn = reference.log_likelihood_fn(encoder, decoder, num_samples)
  batches = [x[i : i + batch_size] for i in range(0, len(x), batch_size)]
  fn(batches[0]).numpy()
  start = time.perf_counter()
  values = [fn(batch).numpy() for batch in batches]
  seconds = time.perf_counter() - start
  peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  return {
    'examples_per_s': len(x) / seconds,
    'peak_rss_mib': peak_mib,
    'mean_log_likelihood': float(np.mean(np.concatenate(values))),
  }


def main(argv):
  del argv
  if _METHOD.value:
    x = _data(_DATA_DIR.value, _NUM_EXAMPLES.value)
    print(json.dumps(measure(_METHOD.value, x, _BATCH_SIZE.value, _NUM_SAMPLES.value)))
    return
  results = {}
  for method in ('reference', 'tfvae'):
    command = [sys.executable, __file__, f'--method={method}'] + [
      a for a in sys.argv[1:] if not a.startswith('--method')
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    results[method] = json.loads(output.strip().splitlines()[-1])
  for method, values in results.items():
    print(
      f'{method}: {values["examples_per_s"]:.1f} examples/s, peak RSS '
      f'{values["peak_rss_mib"]:.0f} MiB, mean log p(x) {values["mean_log_likelihood"]:.3f}'
    )
  ratio = results['tfvae']['examples_per_s'] / results['reference']['examples_per_s']
  print(f'tfvae_over_reference: {ratio:.2f}')


if __name__ == '__main__':
  app.run(main)
