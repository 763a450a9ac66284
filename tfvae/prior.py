# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Priors p(z) over the latent space, and their (de)serialization."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks

tfd = tfp.distributions

__all__ = [
  'deserialize',
  'make_standard_normal',
  'serialize',
]


def make_standard_normal(latent_size: int, dtype=tf.float32) -> tfd.MultivariateNormalDiag:
  """The standard normal prior N(0, I) over `latent_size` dimensions.

  Args:
    latent_size: Python `int` > 0, the number of latent dimensions.
    dtype: float dtype of the prior.
      Default value: `tf.float32`.

  Returns:
    prior: `tfd.MultivariateNormalDiag` with `batch_shape []` and
      `event_shape [latent_size]`.

  Raises:
    ValueError: if `latent_size` is not a positive integer.

  #### Examples

  >>> prior = make_standard_normal(3)
  >>> prior.event_shape.as_list()
  [3]
  """
  latent_size = checks.check_positive_int(latent_size, 'latent_size')
  return tfd.MultivariateNormalDiag(
    loc=tf.zeros([latent_size], dtype=dtype),
    scale_diag=tf.ones([latent_size], dtype=dtype),
    name='standard_normal_prior',
  )


def serialize(prior: tfd.Distribution) -> dict:
  """A JSON-serializable description of a fixed `MultivariateNormalDiag` prior.

  Args:
    prior: a `tfd.MultivariateNormalDiag` whose `loc` and `scale` are constants.

  Returns:
    config: `dict` that `deserialize` turns back into an equal prior.

  Raises:
    TypeError: for any other kind of prior (learnable priors are Keras layers
      and serialize themselves).

  #### Examples

  >>> serialize(make_standard_normal(2))
  {'class_name': 'MultivariateNormalDiag', 'loc': [0.0, 0.0], 'scale_diag': [1.0, 1.0]}
  """
  prior = getattr(prior, 'tensor_distribution', prior)
  if not isinstance(prior, tfd.MultivariateNormalDiag):
    raise TypeError(
      f'`prior` must be a tfd.MultivariateNormalDiag to be serialized; got {type(prior).__name__}.'
    )
  loc = tf.get_static_value(prior.loc)
  scale_diag = tf.get_static_value(prior.stddev())
  if loc is None or scale_diag is None:
    raise TypeError('`prior` must have constant parameters to be serialized.')
  return {
    'class_name': 'MultivariateNormalDiag',
    'loc': np.asarray(loc).tolist(),
    'scale_diag': np.asarray(scale_diag).tolist(),
  }


def deserialize(config: dict) -> tfd.MultivariateNormalDiag:
  """Inverse of `serialize`.

  Args:
    config: `dict` from `serialize`.

  Returns:
    prior: a `tfd.MultivariateNormalDiag`.

  Raises:
    ValueError: if `config` was not made by `serialize`.
  """
  if not isinstance(config, dict) or config.get('class_name') != 'MultivariateNormalDiag':
    raise ValueError(f'`config` is not a serialized tfvae prior: {config!r}.')
  return tfd.MultivariateNormalDiag(
    loc=tf.constant(config['loc'], tf.float32),
    scale_diag=tf.constant(config['scale_diag'], tf.float32),
  )
