# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""What a network ending in a distribution layer returns, and that layer."""

import tensorflow_probability as tfp

__all__ = [
  'distribution_layer',
  'unwrap',
]


def unwrap(distribution):
  """The `tfd.Distribution` inside TFP's tensor-coercible wrapper, if any.

  A `tfp.layers` distribution layer returns its distribution wrapped so that
  it converts to a tensor (its "tensor twin"); the wrapper is a
  `tfd.Distribution` but not an instance of the wrapped class.

  Args:
    distribution: a `tfd.Distribution`, wrapped or not.

  Returns:
    The wrapped distribution, or `distribution` itself.
  """
  return getattr(distribution, 'tensor_distribution', distribution)


def distribution_layer(network):
  """The distribution layer a network ends in, or `None`.

  Args:
    network: a `tf_keras.Model` (functional or `Sequential`), or a layer.

  Returns:
    The network's last layer (or `network` itself, for a layer) when it is a
    `tfp.layers.DistributionLambda`, else `None`.
  """
  layers = getattr(network, 'layers', None)
  layer = layers[-1] if layers else network
  return layer if isinstance(layer, tfp.layers.DistributionLambda) else None
