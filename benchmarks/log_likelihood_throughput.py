# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Throughput and peak memory of `VAE.log_likelihood` against a plain reference.

The reference is the plain tf_keras + tfp.layers model of
`train_throughput.py` (TFP's own layers) with the estimator such a user
writes: draw all K posterior samples at once, decode them, log-sum-exp the
weights, inside one `tf.function`. Each method runs in its own process so
that its peak resident memory can be read, and so that its first call
(building the networks, tracing and compiling included; the libraries are
imported before the clock starts) is a fresh process's. Reported: the steady
examples/s (after the first batch), the one-shot examples/s (every batch,
the first included), the first call's seconds and the peak RSS: the median
of `--repeats` processes per method, run in turn. With
`--precision=bfloat16` tfvae is also measured computing its hidden layers in
bfloat16 (the same weights), with the mean difference of its estimates from
float32's.

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
  'method', default=None, enum_values=['tfvae', 'tfvae_bfloat16', 'reference'],
  help='Measure one method in this process (used by the driver).',
)  # fmt: skip
_PRECISION = flags.DEFINE_enum(
  'precision', default='float32', enum_values=['bfloat16', 'float32'],
  help='Also measure tfvae at this precision (float32: tfvae in float32 only).',
)  # fmt: skip
_NUM_EXAMPLES = flags.DEFINE_integer('num_examples', default=1000, help='Test images.')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', default=1000, help='K.')
_REPEATS = flags.DEFINE_integer(
  'repeats', default=3, help='Fresh processes per method, interleaved; medians reported.'
)

_NUMBERS = (
  'examples_per_s',
  'one_shot_examples_per_s',
  'first_call_s',
  'peak_rss_mib',
  'mean_log_likelihood',
)

_LATENT = 32


def _data(data_dir, num_examples):
  if data_dir:
    _, (x_test, _) = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
  else:
    x_test = np.random.default_rng(0).uniform(size=(num_examples, 28, 28, 1)).astype(np.float32)
  return tfvae.datasets.binarize(x_test[:num_examples], seed=0)


def _model(precision='float32'):
  tfvae.keras.utils.set_random_seed(0)  # The same weights in every precision.
  encoder = tfvae.make_encoder((28, 28, 1), _LATENT, (512, 256), precision=precision)
  decoder = tfvae.make_decoder(_LATENT, (28, 28, 1), (256, 512), precision=precision)
  return tfvae.VAE(encoder, decoder)


def measure(method, x, batch_size, num_samples):
  """Steady and one-shot examples/s, first-call seconds, peak RSS, the estimates."""
  if method.startswith('tfvae'):
    # Its modules load on first use: loaded before the clock starts, as reference.py's are
    # when it is imported (its module-level `tfp.layers`).
    _ = (tfvae.make_encoder, tfvae.make_decoder, tfvae.VAE)
  start = time.perf_counter()
  if method.startswith('tfvae'):
    vae = _model('bfloat16' if method == 'tfvae_bfloat16' else 'float32')
    fn = lambda batch: vae.log_likelihood(batch, num_samples=num_samples, seed=1)  # noqa: E731
  else:
    _, encoder, decoder = reference.make_vae()
    fn = reference.log_likelihood_fn(encoder, decoder, num_samples)
  batches = [x[i : i + batch_size] for i in range(0, len(x), batch_size)]
  values = [fn(batches[0]).numpy()]
  first_call_s = time.perf_counter() - start
  steady_start = time.perf_counter()
  values += [fn(batch).numpy() for batch in batches[1:]]
  end = time.perf_counter()
  peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  values = np.concatenate(values)
  return {
    'examples_per_s': (len(x) - len(batches[0])) / (end - steady_start),
    'one_shot_examples_per_s': len(x) / (end - start),
    'first_call_s': first_call_s,
    'peak_rss_mib': peak_mib,
    'mean_log_likelihood': float(np.mean(values)),
    'log_likelihoods': values.tolist(),
  }


def main(argv):
  del argv
  if _METHOD.value:
    x = _data(_DATA_DIR.value, _NUM_EXAMPLES.value)
    print(json.dumps(measure(_METHOD.value, x, _BATCH_SIZE.value, _NUM_SAMPLES.value)))
    return
  methods = ['reference', 'tfvae'] + (['tfvae_bfloat16'] if _PRECISION.value == 'bfloat16' else [])
  runs = {method: [] for method in methods}
  for _ in range(_REPEATS.value):  # Interleaved: a slow spell of the host hits every method.
    for method in methods:
      command = [sys.executable, __file__, f'--method={method}'] + [
        a for a in sys.argv[1:] if not a.startswith(('--method', '--repeats'))
      ]
      output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
      runs[method].append(json.loads(output.strip().splitlines()[-1]))
  results = {}
  for method, values in runs.items():
    # The median of each number over the repeats (the estimates are the same in each).
    results[method] = {key: float(np.median([v[key] for v in values])) for key in _NUMBERS} | {
      'log_likelihoods': values[0]['log_likelihoods']
    }
    print(
      f'{method} (median of {len(values)}): {results[method]["examples_per_s"]:.1f} examples/s '
      f'steady, {results[method]["one_shot_examples_per_s"]:.1f} one shot (first call '
      f'{results[method]["first_call_s"]:.2f} s), peak RSS {results[method]["peak_rss_mib"]:.0f} '
      f'MiB, mean log p(x) {results[method]["mean_log_likelihood"]:.3f}; one shot in each run: '
      + ', '.join(f'{v["one_shot_examples_per_s"]:.1f}' for v in values)
    )
  reference_values = results['reference']
  for method in methods[1:]:
    for key in ('examples_per_s', 'one_shot_examples_per_s'):
      ratio = results[method][key] / reference_values[key]
      each = [a[key] / b[key] for a, b in zip(runs[method], runs['reference'], strict=True)]
      print(
        f'{method}_over_reference ({key}): {ratio:.2f} (medians; each run: '
        + ', '.join(f'{r:.2f}' for r in each)
        + ')'
      )
  if 'tfvae_bfloat16' in results:
    difference = np.subtract(
      results['tfvae_bfloat16']['log_likelihoods'], results['tfvae']['log_likelihoods']
    )
    print(
      f'bfloat16 - float32 estimates: mean {difference.mean():+.4f}, '
      f'mean |.| {np.abs(difference).mean():.4f}, max |.| {np.abs(difference).max():.4f} nats'
    )


if __name__ == '__main__':
  app.run(main)
