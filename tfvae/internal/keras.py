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
  'check_keras2',
  'mixed_precision',
  'models',
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
models = tf_keras.models
optimizers = tf_keras.optimizers
regularizers = tf_keras.regularizers
saving = tf_keras.saving
utils = tf_keras.utils


def register(cls):
  """Registers `cls` for Keras (de)serialization under the `tfvae` package."""
  return tf_keras.saving.register_keras_serializable(package='tfvae')(cls)


def check_keras2(value, name):
  """Returns `value`, or raises `TypeError` if it is a Keras 3 object.

  On TensorFlow 2.21, `import keras` and `tf.keras` are Keras 3, whose
  optimizers, models, layers and callbacks tf_keras cannot use: it fails far
  from the cause ("Could not interpret optimizer identifier"). This names the
  argument and what to pass instead.

  Args:
    value: anything handed to tfvae (an object or a class).
    name: the argument's name, for the message.

  Returns:
    `value`.

  Raises:
    TypeError: if `value` (or its class) comes from Keras 3.
  """
  cls = value if isinstance(value, type) else type(value)
  modules = [getattr(base, '__module__', '') or '' for base in cls.__mro__]
  keras3 = [module for module in modules if module == 'keras' or module.startswith('keras.')]
  if not keras3:
    return value
  kind = keras3[0].split('.')[2] if keras3[0].startswith('keras.src.') else ''
  base = next(b for b in cls.__mro__ if (getattr(b, '__module__', '') or '').startswith('keras'))
  raise TypeError(
    f'`{name}` is a Keras 3 object ({cls.__module__}.{cls.__qualname__}), but tfvae runs on '
    'Keras 2 (tf_keras), as tfp.layers needs; on TensorFlow 2.21 `import keras` and `tf.keras` '
    f'are Keras 3. Pass {_KERAS2_HINTS.get(kind, _DEFAULT_HINT).format(name=base.__name__)} '
    'instead.'
  )


_KERAS2_HINTS = {
  'optimizers': "`tfvae.keras.optimizers.{name}(...)` or a string such as 'adam'",
  'callbacks': '`tfvae.keras.callbacks.{name}(...)` (derive your own from '
  '`tfvae.keras.callbacks.Callback`)',
  'metrics': '`tfvae.keras.metrics.{name}(...)` or its name as a string',
  'layers': 'a tf_keras layer (`tfvae.keras.layers.{name}`)',
  'models': 'a tf_keras model (`tfvae.make_encoder`, `tfvae.make_decoder`, or `tfvae.keras.Model`)',
}
_DEFAULT_HINT = 'the tf_keras equivalent (`tfvae.keras` holds its namespaces)'
