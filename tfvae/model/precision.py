# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Compute precision of the networks: `'float32'`, `'bfloat16'` or `'auto'`.

Under `'bfloat16'` the hidden layers (the `Dense` and convolution layers
between the input and the parameter heads) compute in bfloat16 with float32
variables: Keras' `mixed_bfloat16` policy on those layers only. Everything
a probability goes through stays float32: the parameter heads, the
distribution layers, `log_prob`, the KL, the loss, the optimizer's update and
the log-weights that `log_likelihood` sums, so an estimate differs from the
float32 one only by the rounding of the hidden activations. Models take and
return float32 tensors in every precision (and so do their SavedModels).

`'auto'` resolves to `'bfloat16'` on GPUs with bfloat16 tensor cores
(`bfloat16_pays`: assumed from the hardware, not measured by this project)
and to `'float32'` elsewhere, CPUs with bfloat16 instructions included,
where a bfloat16 step was measured slower.

With an explicit `precision`, the networks ignore Keras' global policy: the
layers around the hidden ones (flattening, conditions) compute in float32.
With `precision=None` every layer but the heads follows the global policy.
"""

import functools

import tensorflow as tf

from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'PRECISIONS',
  'bfloat16_pays',
  'hidden_layer_dtype',
  'layer_dtypes',
  'resolve',
]

PRECISIONS = ('auto', 'bfloat16', 'float32')

_POLICIES = {'bfloat16': 'mixed_bfloat16', 'float32': 'float32'}
# NVIDIA GPUs compute bfloat16 in their tensor cores from Ampere on.
_MIN_BFLOAT16_COMPUTE_CAPABILITY = (8, 0)


@functools.cache
def bfloat16_pays() -> bool:
  """Whether `'auto'` picks bfloat16 here: a GPU of compute capability 8.0 or higher.

  On a CPU with AVX512_BF16 and AMX, TensorFlow's bfloat16 matrix products
  ran 2.3-3.7x faster than float32 through oneDNN (2.3-2.4x on the benchmark
  model's shapes), but no faster under XLA, which tfvae's training step
  uses; without XLA the step casts its float32 weights every step and Keras
  leaves the optimizer unfused on CPUs. Every bfloat16 `fit` of the benchmark
  model measured there was slower than the float32 default
  (benchmarks/README.md), so `'auto'` keeps CPUs in float32; `'bfloat16'`
  still runs there. GPUs are assumed to gain (their XLA products use the
  tensor cores); no GPU was measured.
  """
  for device in tf.config.list_physical_devices('GPU'):
    capability = tf.config.experimental.get_device_details(device).get('compute_capability')
    if capability and tuple(capability) >= _MIN_BFLOAT16_COMPUTE_CAPABILITY:
      return True
  return False


def resolve(precision: str) -> str:
  """`'float32'` or `'bfloat16'`: `precision`, with `'auto'` decided for this machine.

  Raises:
    ValueError: if `precision` is not one of `PRECISIONS`.
  """
  precision = checks.check_choice(precision, PRECISIONS, 'precision')
  if precision == 'auto':
    return 'bfloat16' if bfloat16_pays() else 'float32'
  return precision


def hidden_layer_dtype(precision: str | None):
  """The `dtype` argument of a network's hidden layers.

  Args:
    precision: one of `PRECISIONS`, or `None` for Keras' global policy.

  Returns:
    A `tf_keras.mixed_precision.Policy`, or `None` (the global policy).
  """
  if precision is None:
    return None
  return keras.mixed_precision.Policy(_POLICIES[resolve(precision)])


def layer_dtypes(precision: str | None) -> tuple:
  """`(hidden, structural)`: the `dtype` arguments of a network's layers.

  `hidden` is `hidden_layer_dtype(precision)`, for the Dense and convolution
  layers between the input and the parameter heads. `structural` is for the
  layers around them (standardization, flattening, conditions): with an
  explicit precision they ignore Keras' global policy too, so the input
  reaches the first hidden layer unrounded. It is the string `'float32'`
  (a layer's config keeps it as written), or `None` with `precision=None`.

  Args:
    precision: one of `PRECISIONS`, or `None` for Keras' global policy.
  """
  if precision is None:
    return None, None
  return hidden_layer_dtype(precision), 'float32'
