# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Argument checks that raise clear errors naming the argument."""

import math

import numpy as np

__all__ = [
  'LEVEL_TOLERANCE',
  'MAX_LEVEL',
  'check_choice',
  'check_eight_bit',
  'check_images',
  'check_kl_weight',
  'check_non_negative_int',
  'check_positive_float',
  'check_positive_int',
  'check_real_array',
  'check_shape',
  'check_standardization',
  'check_units',
  'is_integer',
  'stateless_seed',
]

# 8-bit data: the levels k / MAX_LEVEL, and how far (in levels) a value may lie
# from one: float32 `k / 255.` is within 3e-5 levels of k.
MAX_LEVEL = 255
LEVEL_TOLERANCE = 1e-3


def check_positive_int(value, name):
  """Returns `value` as an `int`, or raises `ValueError` naming `name`."""
  if not is_integer(value) or value <= 0:
    raise ValueError(f'`{name}` must be a positive integer; got {value!r}.')
  return int(value)


def check_non_negative_int(value, name):
  """Returns `value` as an `int` >= 0, or raises `ValueError` naming `name`."""
  if not is_integer(value) or value < 0:
    raise ValueError(f'`{name}` must be a non-negative integer; got {value!r}.')
  return int(value)


def check_shape(shape, name):
  """Returns `shape` as a tuple of positive ints, or raises `ValueError`."""
  if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
    shape = (shape,)
  try:
    dims = tuple(shape)
  except TypeError:
    raise ValueError(f'`{name}` must be a sequence of positive integers; got {shape!r}.') from None
  if not dims:
    raise ValueError(f'`{name}` must not be empty.')
  return tuple(check_positive_int(d, name) for d in dims)


def check_units(units, name):
  """Returns `units` (a sequence of positive ints, may be empty) as a tuple."""
  if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
    units = (units,)
  try:
    units = tuple(units)
  except TypeError:
    raise ValueError(f'`{name}` must be a sequence of positive integers; got {units!r}.') from None
  return tuple(check_positive_int(u, name) for u in units)


def check_choice(value, choices, name):
  """Returns `value` if it is one of `choices`, else raises `ValueError`."""
  if value not in choices:
    raise ValueError(f'`{name}` must be one of {list(choices)}; got {value!r}.')
  return value


def _finite_float(value, name):
  if isinstance(value, bool):
    raise TypeError(f'`{name}` must be a float; got {value!r}.')
  try:
    number = float(value)
  except (TypeError, ValueError):
    raise TypeError(f'`{name}` must be a float; got {value!r}.') from None
  if not math.isfinite(number):
    raise ValueError(f'`{name}` must be finite; got {value!r}.')
  return number


def check_kl_weight(kl_weight, name='kl_weight'):
  """Returns `kl_weight` as a finite non-negative float."""
  value = _finite_float(kl_weight, name)
  if value < 0:
    raise ValueError(f'`{name}` must be finite and >= 0; got {kl_weight!r}.')
  return value


def check_positive_float(value, name):
  """Returns `value` as a finite float > 0."""
  number = _finite_float(value, name)
  if number <= 0:
    raise ValueError(f'`{name}` must be > 0; got {value!r}.')
  return number


def check_images(x, name, event_shape=None):
  """Validates an array of examples with values in [0, 1]; returns it as float32.

  Accepts float arrays in [0, 1] and integer arrays holding only 0 and 1.

  Args:
    x: array-like `[n, *event_shape]`.
    name: the argument's name, for error messages.
    event_shape: expected shape of one example, or `None` to accept any.

  Returns:
    `np.ndarray` of dtype float32.

  Raises:
    TypeError: if `x` is not numeric.
    ValueError: if `x` is empty, has the wrong shape, holds NaN/Inf, or values
      outside [0, 1].
  """
  array = np.asarray(x)
  if array.dtype == bool:
    array = array.astype(np.float32)
  _check_numeric_batch(array, name, event_shape, 'numbers in [0, 1]')
  if np.issubdtype(array.dtype, np.integer):
    low, high = array.min(), array.max()
    if low < 0 or high > 1:
      raise ValueError(
        f'`{name}` is an integer array with values in [{low}, {high}]; pass floats in '
        f'[0, 1] (for 8-bit images: `{name} / 255.`).'
      )
    return array.astype(np.float32)
  if not np.all(np.isfinite(array)):
    raise ValueError(f'`{name}` contains NaN or Inf values.')
  low, high = array.min(), array.max()
  if low < 0 or high > 1:
    raise ValueError(f'`{name}` must hold values in [0, 1]; got values in [{low}, {high}].')
  return array.astype(np.float32, copy=False)


def check_eight_bit(x, name):
  """Raises `ValueError` unless every value of `x` is an 8-bit level `k / 255`.

  A value counts as level `k` when `255 * x` is within `LEVEL_TOLERANCE` of
  `k`, for `k` in `0, ..., 255` (float32 `k / 255.` is).

  Args:
    x: array-like.
    name: the argument's name, for the error message.

  Raises:
    ValueError: naming `x`, the first value off the levels and how many are.

  #### Examples

  >>> check_eight_bit(np.array([0., 1 / 255., 1.], np.float32), 'x')
  >>> check_eight_bit(np.array([0., 0.5]), 'x')
  Traceback (most recent call last):
  ...
  ValueError: `x` must hold 8-bit levels k / 255 (k = 0, ..., 255), ... such as 0.5 at index (1,) (127.5 / 255). ...
  """
  array = np.asarray(x)
  level = array.astype(np.float32, copy=False) * np.float32(MAX_LEVEL)
  with np.errstate(invalid='ignore'):
    off = ~(np.abs(level - np.round(level)) <= LEVEL_TOLERANCE)
    off |= (level < -LEVEL_TOLERANCE) | (level > MAX_LEVEL + LEVEL_TOLERANCE)
  count = int(np.count_nonzero(off))
  if not count:
    return
  index = tuple(int(i) for i in np.unravel_index(np.argmax(off), off.shape))
  value = float(array[index])
  raise ValueError(
    f'`{name}` must hold 8-bit levels k / {MAX_LEVEL} (k = 0, ..., {MAX_LEVEL}), which the '
    f'discretized logistic likelihood models; {count} of its {array.size} values '
    f'{"is" if count == 1 else "are"} not, such as {value:.6g} at index {index} '
    f'({float(level[index]):.6g} / {MAX_LEVEL}). Read 8-bit images as `uint8_images / 255.`, '
    'or quantize: `np.round(x * 255) / 255`.'
  )


def check_real_array(x, name, event_shape=None):
  """Validates an array of real-valued examples (any finite floats); returns float32.

  Args:
    x: array-like `[n, *event_shape]`.
    name: the argument's name, for error messages.
    event_shape: expected shape of one example, or `None` to accept any.

  Returns:
    `np.ndarray` of dtype float32.

  Raises:
    TypeError: if `x` is not numeric.
    ValueError: if `x` is empty, has the wrong shape, or holds NaN/Inf.
  """
  array = np.asarray(x)
  _check_numeric_batch(array, name, event_shape, 'real numbers')
  array = array.astype(np.float32, copy=False)
  if not np.all(np.isfinite(array)):
    raise ValueError(f'`{name}` contains NaN or Inf values.')
  return array


def check_standardization(standardization, event_shape, name='standardization'):
  """`(loc, scale)` as float32 arrays of `event_shape`, or `None`.

  Args:
    standardization: `None`, or a pair of array-likes (or scalars) that
      broadcast to `event_shape`: finite `loc`, finite `scale > 0`.
    event_shape: the shape of one example.
    name: the argument's name, for error messages.

  Returns:
    `None`, or `(loc, scale)`.

  Raises:
    ValueError: if it is not such a pair.
  """
  if standardization is None:
    return None
  if isinstance(standardization, dict):
    standardization = (standardization.get('loc'), standardization.get('scale'))
  try:
    loc, scale = standardization
    loc = np.broadcast_to(np.asarray(loc, np.float32), event_shape).copy()
    scale = np.broadcast_to(np.asarray(scale, np.float32), event_shape).copy()
  except (TypeError, ValueError):
    raise ValueError(
      f'`{name}` must be a pair (loc, scale) of arrays of shape {tuple(event_shape)}; got '
      f'{standardization!r}.'
    ) from None
  if not (np.all(np.isfinite(loc)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
    raise ValueError(f'`{name}` needs finite `loc` and finite `scale` > 0.')
  return loc, scale


def stateless_seed(seed, name='seed'):
  """An int32 `[2]` stateless seed from an `int` or an integer `[2]` seed."""
  import tensorflow as tf  # Here: the checks of job options import no TensorFlow.

  if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
    return tf.constant([int(seed) % (2**31), 0], tf.int32)
  seed = tf.convert_to_tensor(seed)
  if seed.shape != [2] or not seed.dtype.is_integer:
    raise ValueError(f'`{name}` must be an int or an integer [2] tensor; got {seed!r}.')
  return tf.cast(seed, tf.int32)


def _check_numeric_batch(array, name, event_shape, expected):
  """Raises unless `array` holds integers or floats in a batch of `event_shape` examples."""
  if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
    raise TypeError(f'`{name}` must hold {expected}; got dtype {array.dtype}.')
  _check_batch_shape(array, name, event_shape)


def _check_batch_shape(array, name, event_shape):
  if array.ndim < 2 or array.shape[0] == 0:
    raise ValueError(
      f'`{name}` must be a non-empty batch `[n, *event_shape]`; got shape {array.shape}.'
    )
  if event_shape is not None and tuple(array.shape[1:]) != tuple(event_shape):
    raise ValueError(
      f'`{name}` must have shape [n, {", ".join(map(str, event_shape))}] to match the '
      f'model; got {array.shape}.'
    )


def is_integer(value) -> bool:
  """Whether `value` is a Python or NumPy integer (not a `bool`)."""
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
