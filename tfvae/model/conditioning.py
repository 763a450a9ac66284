# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Conditions `c` of a conditional VAE: how networks take them, and how they are checked.

A conditional VAE (Sohn et al., 2015) models p(x|c) with q(z|x, c), p(x|z, c)
and a prior p(z) or p(z|c). A condition is a float vector `[batch_size, K]`
(a one-hot class, or any side information); integer class labels `[batch_size]`
are turned into one-hot vectors of size `K` (`as_condition`), so users never
write the one-hot themselves.
"""

import numpy as np
import tensorflow as tf

from tfvae.internal import keras

__all__ = [
  'ConcatenateCondition',
  'as_condition',
  'check_condition',
  'repeat_for',
]


@keras.register
class ConcatenateCondition(keras.layers.Layer):
  """Joins a condition `c` `[batch_size, K]` to a network's features.

  Called on `[h, c]`: for vectors `h` `[batch_size, D]` it returns their
  concatenation `[batch_size, D + K]`; for images `h`
  `[batch_size, height, width, channels]` it tiles `c` over every pixel and
  returns `[batch_size, height, width, channels + K]`, so every convolution
  sees the condition.

  #### Examples

  >>> layer = ConcatenateCondition()
  >>> layer([tf.zeros([2, 3]), tf.ones([2, 4])]).shape
  TensorShape([2, 7])
  >>> layer([tf.zeros([2, 5, 6, 1]), tf.ones([2, 4])]).shape
  TensorShape([2, 5, 6, 5])
  """

  def call(self, inputs):
    features, condition = inputs
    condition = tf.cast(condition, features.dtype)
    if features.shape.rank == 4:
      shape = tf.shape(features)
      condition = tf.tile(condition[:, tf.newaxis, tf.newaxis, :], [1, shape[1], shape[2], 1])
    return tf.concat([features, condition], axis=-1)

  def compute_output_shape(self, input_shape):
    features, condition = (tf.TensorShape(s) for s in input_shape)
    return features[:-1].concatenate([features[-1] + condition[-1]])


def check_condition(
  condition, condition_size: int, num_examples: int | None = None, name='condition'
):
  """Validates conditions given as arrays; returns them as float32 `[n, K]`.

  Args:
    condition: float `[n, K]` vectors, or integer class labels `[n]` (or
      `[n, 1]`) in `[0, K)`, which become one-hot vectors.
    condition_size: `K`.
    num_examples: the `n` the conditions must have (that of `x`), or `None`.
      Default value: `None`.
    name: the argument's name, for error messages.
      Default value: `'condition'`.

  Returns:
    `np.ndarray` float32 `[n, K]`.

  Raises:
    TypeError: non-numeric conditions.
    ValueError: a wrong shape or batch size, NaN or Inf, or labels outside
      `[0, K)`.

  #### Examples

  >>> check_condition([2, 0], condition_size=3)
  array([[0., 0., 1.],
         [1., 0., 0.]], dtype=float32)
  """
  array = np.asarray(condition)
  if array.dtype == bool or not (
    np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
  ):
    raise TypeError(
      f'`{name}` must hold float vectors [n, {condition_size}] or integer class labels [n]; '
      f'got dtype {array.dtype}.'
    )
  if np.issubdtype(array.dtype, np.integer):
    if array.ndim == 2 and array.shape[1] == 1:
      array = array[:, 0]
    if array.ndim != 1:
      raise ValueError(
        f'`{name}`: integer class labels must have shape [n]; got shape {array.shape}.'
      )
    if array.size and (array.min() < 0 or array.max() >= condition_size):
      raise ValueError(
        f'`{name}`: class labels must lie in [0, {condition_size}) (the condition size); '
        f'got labels in [{array.min()}, {array.max()}].'
      )
    array = np.eye(condition_size, dtype=np.float32)[array]
  if array.ndim != 2 or array.shape[1] != condition_size:
    raise ValueError(
      f'`{name}` must have shape [n, {condition_size}] (or be integer class labels [n]); got '
      f'shape {array.shape}.'
    )
  if not np.all(np.isfinite(array)):
    raise ValueError(f'`{name}` contains NaN or Inf values.')
  if num_examples is not None and array.shape[0] != num_examples:
    raise ValueError(
      f'`{name}` has {array.shape[0]} rows, but there are {num_examples} examples: give one '
      'condition per example.'
    )
  return array.astype(np.float32, copy=False)


def as_condition(condition, condition_size: int) -> tf.Tensor:
  """Conditions as float `[n, K]` tensors, inside a graph too (no value checks).

  Integer labels `[n]` (or `[n, 1]`) become one-hot vectors; float vectors are
  cast to float32. Use `check_condition` first where the values can be seen.

  Args:
    condition: a tensor of labels or vectors.
    condition_size: `K`.

  Returns:
    float32 `[n, K]` tensor.
  """
  condition = tf.convert_to_tensor(condition)
  if condition.dtype.is_integer:
    labels = tf.reshape(condition, [-1])
    return tf.one_hot(labels, condition_size, dtype=tf.float32)
  return tf.cast(condition, tf.float32)


def repeat_for(condition, latents) -> tf.Tensor:
  """The condition of each latent of `latents`, `k` per example, samples major.

  Args:
    condition: `[n, K]` conditions.
    latents: `[k * n, latent_size]` latents, row `i * n + j` for example `j`
      (as `posterior.sample(k)` of a batch of `n`, reshaped).

  Returns:
    `[k * n, K]`: row `i * n + j` is `condition[j]`. An empty batch gives an
    empty result.

  #### Examples

  >>> repeat_for(tf.constant([[1.0], [2.0]]), tf.zeros([6, 3])).numpy().ravel().tolist()
  [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
  """
  repeats = tf.shape(latents)[0] // tf.maximum(tf.shape(condition)[0], 1)
  return tf.tile(condition, [repeats, 1])
