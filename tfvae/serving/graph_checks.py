# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Checks of serving inputs inside a graph: a bad request fails with INVALID_ARGUMENT.

Each check asserts with `tf.debugging.Assert` (a core op, kept by TensorFlow
Serving) and returns its input behind the assertion, with a message that
names the input.
"""

import tensorflow as tf

from tfvae.internal import checks

__all__ = [
  'check_condition',
  'check_count',
  'check_data',
  'check_eight_bit',
  'check_latents',
  'check_seed',
]


def _assert(condition, *data):
  return tf.debugging.Assert(condition, list(data), summarize=16)


def _assert_shape(x, name, inner_shape):
  """Asserts that `x` has shape `[batch_size, *inner_shape]` with `batch_size >= 1`."""
  shape = tf.shape(x)
  rank = len(inner_shape) + 1
  # Padded, so that a wrong rank compares unequal instead of failing to compare.
  padded = tf.concat([shape, tf.zeros([rank], tf.int32)], 0)[:rank]
  shape_ok = tf.logical_and(
    tf.equal(tf.size(shape), rank),
    tf.logical_and(padded[0] >= 1, tf.reduce_all(tf.equal(padded[1:], inner_shape))),
  )
  dims = ', '.join(str(d) for d in inner_shape)
  return _assert(
    shape_ok, f'`{name}` must have shape [batch_size, {dims}], batch_size >= 1; got', shape
  )


def check_data(x, name, event_shape, unit_interval=True, eight_bit=False):
  """`x` after asserting shape `[n, *event_shape]`, finite values and range [0, 1].

  With `eight_bit`, also that every value is a level `k / 255`
  (`check_eight_bit`).
  """
  asserts = [_assert_shape(x, name, event_shape)]
  with tf.control_dependencies(asserts):
    finite = tf.reduce_all(tf.math.is_finite(x))
    asserts.append(_assert(finite, f'`{name}` must not contain NaN or Inf values.'))
  if not unit_interval:
    with tf.control_dependencies(asserts):
      return tf.identity(x)
  with tf.control_dependencies(asserts):
    in_range = tf.logical_and(tf.reduce_all(x >= 0.0), tf.reduce_all(x <= 1.0))
    asserts.append(
      _assert(
        in_range,
        f'`{name}` must hold values in [0, 1]; got values in',
        tf.reduce_min(x),
        tf.reduce_max(x),
      )
    )
  if eight_bit:
    with tf.control_dependencies(asserts):
      return check_eight_bit(x, name)
  with tf.control_dependencies(asserts):
    return tf.identity(x)


def check_eight_bit(x, name):
  """`x` after asserting that every value is an 8-bit level `k / 255`.

  As `tfvae.internal.checks.check_eight_bit`: within `LEVEL_TOLERANCE` of a
  level. The message shows the first value off the levels.
  """
  level = x * float(checks.MAX_LEVEL)
  off = tf.reshape(tf.abs(level - tf.round(level)) > checks.LEVEL_TOLERANCE, [-1])
  first = tf.gather(tf.reshape(x, [-1]), tf.argmax(tf.cast(off, tf.int32), output_type=tf.int32))
  check = _assert(
    tf.logical_not(tf.reduce_any(off)),
    f'`{name}` must hold 8-bit levels k / {checks.MAX_LEVEL} (k = 0, ..., {checks.MAX_LEVEL}), '
    'which the discretized logistic likelihood models; got values off the levels, such as',
    first,
  )
  with tf.control_dependencies([check]):
    return tf.identity(x)


def check_latents(z, latent_size):
  """`z` after asserting shape `[n, latent_size]` and finite values."""
  asserts = [_assert_shape(z, 'z', (latent_size,))]
  with tf.control_dependencies(asserts):
    finite = tf.reduce_all(tf.math.is_finite(z))
    asserts.append(_assert(finite, '`z` must not contain NaN or Inf values.'))
  with tf.control_dependencies(asserts):
    return tf.identity(z)


def check_count(value, name):
  """One positive int32 from a scalar, or from equal values (one per instance)."""
  flat = tf.reshape(value, [-1])
  message = f'`{name}` must be one positive integer (or the same one in every instance); got'
  check = _assert(tf.size(flat) >= 1, message, value)
  with tf.control_dependencies([check]):
    first = flat[0]
    ok = tf.logical_and(tf.reduce_all(tf.equal(flat, first)), first >= 1)
    check = _assert(ok, message, value)
  with tf.control_dependencies([check]):
    return tf.identity(first)


def check_seed(seed):
  """An int32 `[2]` seed from `[2]`, or from equal rows `[n, 2]` (one per instance)."""
  shape = tf.shape(seed)
  message = '`seed` must be 2 int32 values (or the same 2 in every instance); got'
  shape_ok = tf.logical_and(
    tf.logical_or(tf.equal(tf.size(shape), 1), tf.equal(tf.size(shape), 2)),
    tf.logical_and(tf.equal(tf.concat([[0], shape], 0)[-1], 2), tf.size(seed) >= 2),
  )
  check = _assert(shape_ok, message, seed)
  with tf.control_dependencies([check]):
    rows = tf.reshape(seed, [-1, 2])
    check = _assert(tf.reduce_all(tf.equal(rows, rows[0])), message, seed)
  with tf.control_dependencies([check]):
    return tf.identity(rows[0])


def check_condition(condition, condition_size, batch_like, batch_name):
  """float32 `[n, K]` conditions from vectors `[n, K]` or class labels `[n]`, asserted.

  The forms the library takes (`tfvae.VAE` methods): float vectors, or class
  labels in `[0, K)` that become one-hot vectors; in a request both are
  float32, told apart by their rank (`[n, 1]` is a vector when `K` is 1).

  Args:
    condition: the `condition` input, of any rank.
    condition_size: `K`.
    batch_like: the input whose batch size `condition` must have (`x`, `z`),
      or `condition` itself.
    batch_name: its name, for the message.
  """
  rank = tf.rank(condition)
  message = (
    f'`condition` must be float vectors [batch_size, {condition_size}] or class labels '
    f'[batch_size] in [0, {condition_size}); got shape'
  )
  shape = tf.concat([tf.shape(condition), [0, 0]], 0)
  shape_ok = tf.logical_or(
    tf.equal(rank, 1), tf.logical_and(tf.equal(rank, 2), tf.equal(shape[1], condition_size))
  )
  asserts = [_assert(tf.logical_and(shape_ok, shape[0] >= 1), message, tf.shape(condition))]
  with tf.control_dependencies(asserts):
    finite = tf.reduce_all(tf.math.is_finite(condition))
    asserts.append(_assert(finite, '`condition` must not contain NaN or Inf values.'))
    labels = tf.reshape(condition, [-1])
    labels_ok = tf.logical_or(
      tf.not_equal(rank, 1),
      tf.reduce_all(
        (labels == tf.round(labels)) & (labels >= 0.0) & (labels < float(condition_size))
      ),
    )
    asserts.append(
      _assert(
        labels_ok, f'`condition`: class labels must be whole numbers in [0, {condition_size}).'
      )
    )
    rows, batch = shape[0], tf.shape(batch_like)[0]
    asserts.append(
      _assert(
        tf.equal(rows, batch),
        f'`condition` must have one row per example of `{batch_name}`; got rows and examples',
        rows,
        batch,
      )
    )
  with tf.control_dependencies(asserts):
    vectors = tf.cond(
      tf.equal(rank, 1),
      lambda: tf.one_hot(tf.cast(labels, tf.int32), condition_size, dtype=tf.float32),
      lambda: tf.reshape(condition, [-1, condition_size]),
    )
    return tf.identity(vectors)
