# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The one place tfvae imports Keras: Keras 2 (`tf_keras`), as `tfp.layers` needs.

Every other module does `from tfvae.internal import keras` and uses the names
below, so the package never mixes Keras 3 objects with `tfp.layers`.
"""

import tf_keras

__all__ = [
  'Model',
  'Sequential',
  'backend',
  'callbacks',
  'datasets',
  'initializers',
  'layers',
  'metrics',
  'mixed_precision',
  'optimizers',
  'register',
  'regularizers',
  'saving',
  'utils',
]

Model = tf_keras.Model
Sequential = tf_keras.Sequential
backend = tf_keras.backend
callbacks = tf_keras.callbacks
datasets = tf_keras.datasets
initializers = tf_keras.initializers
layers = tf_keras.layers
metrics = tf_keras.metrics
mixed_precision = tf_keras.mixed_precision
optimizers = tf_keras.optimizers
regularizers = tf_keras.regularizers
saving = tf_keras.saving
utils = tf_keras.utils


def register(cls):
  """Registers `cls` for Keras (de)serialization under the `tfvae` package."""
  return tf_keras.saving.register_keras_serializable(package='tfvae')(cls)
