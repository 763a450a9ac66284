# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""What bounds a training step of the benchmark model on this machine.

Hand-written steps of the benchmark VAE (dense 784-512-256 -> 32 latents ->
256-512-784, Bernoulli pixels, analytic KL, Adam 1e-3, batch 128), plain
TensorFlow without Keras, so that each is the best its layout allows:

- `float32_xla`: the whole step in one XLA computation (tfvae's default
  layout).
- `bfloat16_copies`: the products outside XLA on oneDNN in bfloat16, reading
  bfloat16 copies of the weights that the Adam update (one XLA computation)
  writes beside the float32 weights, so no step casts a weight; the heads,
  the loss and the update in float32.
- `bfloat16_copies_heads`: the same with the two parameter heads' products in
  bfloat16 too (their outputs cast to float32).
- `float32_no_xla`: the `bfloat16_copies` layout in float32.

Each runs `--rounds` timed epochs of 60,000 statically binarized images,
interleaved, after a warm-up. Then the Adam update alone over the model's
1.09M parameters (XLA-fused, TensorFlow's fused `ResourceApplyAdam`, and
unfused), and the machine's memory copy rate, which bounds that update.

  python benchmarks/step_anatomy.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import time

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags

import tfvae

_DATA_DIR = flags.DEFINE_string(
  'data_dir',
  default='/usr/share/datasets/fashion-mnist',
  help='Fashion-MNIST IDX directory; empty string: random binary images.',
)
_ROUNDS = flags.DEFINE_integer('rounds', default=3, help='Timed epochs per step, interleaved.')
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')

_BATCH = 128
_LATENT = 32
_ENCODER = ((784, 512), (512, 256), (256, 2 * _LATENT))
_DECODER = ((_LATENT, 256), (256, 512), (512, 784))
_STEPS = ('float32_xla', 'bfloat16_copies', 'bfloat16_copies_heads', 'float32_no_xla')


class _Step:
  """One step layout with its own weights, Adam moments and weight copies."""

  def __init__(self, layout, seed=0):
    rng = np.random.default_rng(seed)
    shapes = _ENCODER + _DECODER
    self.kernels = [
      tf.Variable((rng.uniform(-1, 1, s) * np.sqrt(6 / sum(s))).astype(np.float32)) for s in shapes
    ]
    self.biases = [tf.Variable(tf.zeros([s[1]])) for s in shapes]
    self.params = self.kernels + self.biases
    self.m = [tf.Variable(tf.zeros_like(p)) for p in self.params]
    self.v = [tf.Variable(tf.zeros_like(p)) for p in self.params]
    self.iterations = tf.Variable(0.0)
    self.xla = layout == 'float32_xla'
    self.low = tf.bfloat16 if layout.startswith('bfloat16') else tf.float32
    self.low_heads = layout == 'bfloat16_copies_heads'
    self.copies = [tf.Variable(tf.cast(k, self.low), trainable=False) for k in self.kernels]
    self.update = tf.function(self._update, jit_compile=True)
    step = self._xla_step if self.xla else self._step
    self.step = tf.function(step, jit_compile=self.xla)

  def _loss(self, kernels, x, eps):
    low = self.low

    def dense(h, i, relu=True, head=False):
      if head and not self.low_heads:
        h, w = tf.cast(h, tf.float32), tf.cast(kernels[i], tf.float32)
        return tf.matmul(h, w) + self.biases[i]
      y = tf.matmul(h, kernels[i])
      if head:
        return tf.cast(y, tf.float32) + self.biases[i]
      y += tf.cast(self.biases[i], low)
      return tf.nn.relu(y) if relu else y

    h = dense(dense(tf.cast(x, low), 0), 1)
    params = dense(h, 2, head=True)
    loc, scale = params[:, :_LATENT], tf.nn.softplus(params[:, _LATENT:]) + 1e-5
    z = loc + scale * eps
    kl = tf.reduce_sum(0.5 * (loc**2 + scale**2 - 1.0) - tf.math.log(scale), axis=-1)
    h = dense(dense(tf.cast(z, low), 3), 4)
    logits = dense(h, 5, head=True)
    log_likelihood = tf.reduce_sum(x * logits - tf.nn.softplus(logits), axis=-1)
    return tf.reduce_mean(kl - log_likelihood)

  def _update(self, gradients):
    self.iterations.assign_add(1.0)
    t = self.iterations
    lr = 1e-3 * tf.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t)
    for i, (p, g) in enumerate(zip(self.params, gradients)):
      g = tf.cast(g, tf.float32)
      self.m[i].assign(0.9 * self.m[i] + 0.1 * g)
      self.v[i].assign(0.999 * self.v[i] + 0.001 * tf.square(g))
      p.assign_sub(lr * self.m[i] / (tf.sqrt(self.v[i]) + 1e-7))
      if i < len(self.copies) and not self.xla:
        self.copies[i].assign(tf.cast(p, self.low))

  def _xla_step(self, x, eps):
    with tf.GradientTape() as tape:
      loss = self._loss(self.kernels, x, eps)
    self._update(tape.gradient(loss, self.params))
    return loss

  def _step(self, x, eps):
    with tf.GradientTape() as tape:
      tape.watch(self.copies)
      loss = self._loss(self.copies, x, eps)
    self.update(tape.gradient(loss, self.copies + self.biases))
    return loss

  @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32)])
  def _epoch(self, x):
    loss = tf.constant(0.0)
    for i in tf.range(tf.shape(x)[0] // _BATCH):
      loss = self.step(x[i * _BATCH : (i + 1) * _BATCH], tf.random.normal([_BATCH, _LATENT]))
    return loss

  def epoch(self, x):
    """Examples/s of one pass over `x` (a loop in one graph, as Keras' steps_per_execution)."""
    start = time.perf_counter()
    float(self._epoch(x))
    return (len(x) // _BATCH * _BATCH) / (time.perf_counter() - start)


def _load(data_dir):
  if data_dir:
    (x, _), _ = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
    x = x.reshape(-1, 784)
  else:
    x = np.random.default_rng(0).uniform(size=(60000, 784))
  return (x > 0.5).astype(np.float32)


def _adam_milliseconds(repeats=300):
  """Milliseconds per Adam update of the model's parameters, three ways."""
  step = _Step('float32_xla')
  gradients = [tf.random.normal(p.shape) for p in step.params]

  def fused(gradients):
    step.iterations.assign_add(1.0)
    t = step.iterations
    for p, m, v, g in zip(step.params, step.m, step.v, gradients):
      tf.raw_ops.ResourceApplyAdam(
        var=p.handle, m=m.handle, v=v.handle, beta1_power=0.9**t, beta2_power=0.999**t,
        lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-7, grad=g,
      )  # fmt: skip

  updates = {
    'xla': step.update,
    'resource_apply_adam': tf.function(fused),
    'unfused': tf.function(step._update),
  }
  result = {}
  for name, update in updates.items():
    update(gradients)
    start = time.perf_counter()
    for _ in range(repeats):
      update(gradients)
    float(step.iterations)
    result[name] = (time.perf_counter() - start) / repeats * 1e3
  return result


def _copy_gigabytes_per_second(repeats=20):
  source = np.ones(8 * 1_090_000, np.float32)  # Eight arrays of the model's size.
  target = np.empty_like(source)
  start = time.perf_counter()
  for _ in range(repeats):
    np.copyto(target, source)
  return 2 * source.nbytes * repeats / (time.perf_counter() - start) / 1e9


def main(argv):
  del argv
  x = tf.constant(_load(_DATA_DIR.value))
  steps = {name: _Step(name) for name in _STEPS}
  for step in steps.values():
    step.epoch(x[: 20 * _BATCH])  # Warm-up: tracing and XLA compilation.
  samples = {name: [] for name in steps}
  for _ in range(_ROUNDS.value):
    for name, step in steps.items():
      samples[name].append(step.epoch(x))
  medians = {name: float(np.median(values)) for name, values in samples.items()}
  base = medians['float32_xla']
  parameters = sum(int(np.prod(p.shape)) for p in steps['float32_xla'].params)
  adam = _adam_milliseconds()
  copy_rate = _copy_gigabytes_per_second()
  results = {
    'examples_per_second': medians,
    'rounds': samples,
    'over_float32_xla': {name: value / base for name, value in medians.items()},
    'parameters': parameters,
    'adam_update_ms': adam,
    'memory_copy_gb_per_s': copy_rate,
    # Adam reads weights, both moments and the gradient and writes the first three.
    'adam_bytes_moved_mb': 7 * 4 * parameters / 1e6,
  }
  print('step                     examples/s   / float32_xla')
  for name, value in medians.items():
    print(f'{name:24s} {value:10,.0f} {value / base:14.2f}')
  print(f'Adam update of {parameters:,} parameters (ms):', json.dumps(adam))
  print(f'memory copy: {copy_rate:.1f} GB/s; Adam moves {results["adam_bytes_moved_mb"]:.1f} MB')
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
