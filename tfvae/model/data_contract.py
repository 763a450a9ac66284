# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""What data a VAE takes, checked where they come in: arrays, datasets, conditions, networks.

`tfvae.VAE` owns a `DataContract` built from its networks; `fit`, `evaluate`,
`predict` and every method that takes data go through it, so bad data get a
clear error naming the argument before TensorFlow sees them.
"""

import warnings

import numpy as np
import tensorflow as tf

from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import conditioning as conditioning_lib

__all__ = [
  'DATASETS',
  'DataContract',
  'check_callbacks',
  'network_shapes',
]

# What `fit`, `evaluate` and `predict` take besides arrays.
DATASETS = (tf.data.Dataset, tf.distribute.DistributedDataset)


class DataContract:
  """The examples and conditions a VAE takes, and how they are checked.

  Args:
    event_shape: the shape of one example, or `None` when the networks do not
      say.
    condition_size: `K` for a conditional VAE, `0` otherwise.
    likelihood_family: `tfvae.model.layers.likelihood_family(decoder)`: Gaussian
      likelihoods take any finite values, others values in [0, 1]; a
      Bernoulli likelihood warns (once) about grey levels, and a discretized
      logistic one refuses values other than the 8-bit levels `k / 255`.
  """

  def __init__(self, event_shape, condition_size, likelihood_family):
    self.event_shape = event_shape
    self.condition_size = condition_size
    self.real_valued = likelihood_family == 'gaussian'
    self.binary = likelihood_family == 'bernoulli'
    self.eight_bit = likelihood_family == 'discretized_logistic'
    self._warned_not_binary = False

  def unpack(self, data):
    """A batch of Keras data as the model's inputs: `x`, or `(x, c)` if conditional."""
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    if sample_weight is not None:
      raise ValueError('`sample_weight` is not supported by tfvae.VAE.')
    if not self.condition_size:
      return x  # `y` (labels, say) is not part of an unconditional model.
    if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
      x, y = x
    if y is None:
      raise ValueError(
        'The VAE is conditional, but the data hold no condition: give batches of (x, c).'
      )
    return x, conditioning_lib.as_condition(y, self.condition_size)

  def split(self, inputs):
    """`(x, c)` tensors from `x` or `(x, c)`; `c` is `None` for an unconditional VAE."""
    if not self.condition_size:
      return tf.convert_to_tensor(inputs), None
    if not (isinstance(inputs, (tuple, list)) and len(inputs) == 2):
      raise ValueError('The VAE is conditional: call it on (x, c).')
    x, condition = inputs
    return tf.convert_to_tensor(x), conditioning_lib.as_condition(condition, self.condition_size)

  def tensors(self, x, condition):
    """Checked `(x, c)` tensors for the methods that take data."""
    if not tf.is_tensor(x):
      x = self.check_inputs(x, 'x')
    elif tf.executing_eagerly():
      self.check_values(x.numpy(), 'x')
    x = tf.convert_to_tensor(x, tf.float32)
    if self.condition_size and tf.is_tensor(condition) and not tf.executing_eagerly():
      return x, conditioning_lib.as_condition(condition, self.condition_size)  # In a graph.
    condition = self.check_condition(condition, int(x.shape[0]))
    return x, None if condition is None else tf.constant(condition)

  def check_condition(self, condition, num_examples=None, name: str = 'condition'):
    """The one check of conditions given as values: float32 `[n, K]`, or `None`.

    Every method and function that takes a condition comes through here (a
    served model checks its `condition` input in the graph instead).

    Args:
      condition: float `[n, K]` vectors or integer class labels `[n]` for a
        conditional model; `None` for an unconditional one.
      num_examples: the `n` the conditions must have, or `None`.
        Default value: `None`.
      name: the argument's name, for error messages.
        Default value: `'condition'`.

    Returns:
      `np.ndarray` float32 `[n, K]`, or `None` for an unconditional model.

    Raises:
      TypeError: a count where conditions belong, or non-numeric conditions.
      ValueError: a missing or superfluous condition, a wrong shape or batch
        size, NaN or Inf, or labels outside `[0, K)`.
    """
    if checks.is_integer(condition):
      raise TypeError(
        f'`{name}`={condition!r}: give one condition per example; counts such as '
        '`num_samples` are keyword arguments: `log_likelihood(x, c, num_samples=1000)`.'
      )
    if not self.condition_size:
      if condition is not None:
        raise ValueError(f'`{name}` must be None: the VAE is unconditional.')
      return None
    if condition is None:
      raise ValueError(
        f'`{name}` is required: the VAE is conditional (float [n, '
        f'{self.condition_size}] conditions or integer class labels [n]).'
      )
    if tf.is_tensor(condition):
      condition = condition.numpy()
    return conditioning_lib.check_condition(
      np.asarray(condition), self.condition_size, num_examples, name
    )

  def check_inputs(self, x, name: str = 'x') -> np.ndarray:
    """`VAE.check_inputs`: the array as float32, or a clear error."""
    if self.real_valued:
      return checks.check_real_array(x, name, self.event_shape)
    x = checks.check_images(x, name, self.event_shape)
    self.check_values(x, name)
    return x

  def check_values(self, x, name):
    """What the likelihood's support asks of values already in [0, 1].

    Raises `ValueError` for values off the 8-bit levels of a discretized
    logistic likelihood; warns about grey levels given to a Bernoulli one.
    """
    if self.eight_bit:
      checks.check_eight_bit(x, name)
    self.warn_if_not_binary(x, name)

  def warn_if_not_binary(self, x, name):
    """Warns, once per model, when a Bernoulli likelihood is given grey levels."""
    if not self.binary or self._warned_not_binary or np.all((x == 0) | (x == 1)):
      return
    self._warned_not_binary = True
    warnings.warn(
      f'`{name}` holds values other than 0 and 1, but the likelihood p(x|z) is Bernoulli: its '
      '`log_prob` of a grey level is a cross-entropy, not the probability of anything, so the '
      'reported nats are not a log-likelihood of the data. Binarize the data '
      '(`tfvae.datasets.binarize(x, seed)`, or dynamic binarization with '
      '`tfvae.datasets.make_dataset(x)`), or model grey levels with `make_decoder(..., '
      "likelihood='continuous_bernoulli')`.",
      UserWarning,
      stacklevel=5,
    )

  def check_data(self, x, y, name):
    """Checks `fit`/`evaluate`/`predict` data: arrays eagerly, datasets by their spec.

    Returns `(x, y)`: for a conditional VAE given `x=(x, c)`, `(x, c)`.
    """
    if x is None:
      raise ValueError(f'`{name}` is required.')
    if isinstance(x, DATASETS):
      self.check_dataset(x, name)
      return x, y
    if self.condition_size and y is None and isinstance(x, (tuple, list)) and len(x) == 2:
      x, y = x
    if not (isinstance(x, (np.ndarray, list)) or tf.is_tensor(x)):
      raise TypeError(f'`{name}` must be an array or a tf.data.Dataset; got {type(x).__name__}.')
    x = self.check_inputs(np.asarray(x), name)
    if self.condition_size:
      if y is None:
        raise ValueError(
          f'`{name}`: the VAE is conditional; give the conditions too: `fit(x, c)`, '
          '`evaluate(x, c)`, `predict(x, condition=c)`, or a dataset of (x, c).'
        )
      y = self.check_condition(y, len(x), 'c')
    return x, y

  def check_validation_data(self, data):
    if isinstance(data, DATASETS):
      self.check_dataset(data, 'validation_data')
      return data
    if isinstance(data, (np.ndarray, list)) or tf.is_tensor(data):
      data = (data,)
    if not isinstance(data, tuple) or not 1 <= len(data) <= 3:
      raise TypeError(
        '`validation_data` must be a dataset, an array, or a tuple (x,) or (x, c); got '
        f'{type(data).__name__}.'
      )
    x, y = self.check_data(data[0], data[1] if len(data) > 1 else None, 'validation_data')
    return (x,) + ((y,) if len(data) > 1 or y is not None else ()) + tuple(data[2:])

  def check_dataset(self, data, name):
    spec = data.element_spec
    parts = spec if isinstance(spec, tuple) else (spec,)
    x_spec = parts[0]
    if not isinstance(data, tf.data.Dataset) and not isinstance(x_spec, tf.TensorSpec):
      return  # A distributed dataset of several replicas: Keras checks it per replica.
    if not isinstance(x_spec, tf.TensorSpec) or not x_spec.dtype.is_floating:
      raise TypeError(f'`{name}` must yield float batches (or tuples of them); got {spec}.')
    if self.event_shape is not None and not x_spec.shape[1:].is_compatible_with(self.event_shape):
      raise ValueError(
        f'`{name}` yields batches of shape {x_spec.shape}; the model takes '
        f'[batch_size, {", ".join(map(str, self.event_shape))}].'
      )
    if self.condition_size:
      c_spec = parts[1] if len(parts) > 1 else None
      valid = isinstance(c_spec, tf.TensorSpec) and (
        (c_spec.dtype.is_integer and c_spec.shape.rank in (1, 2))
        or (c_spec.dtype.is_floating and c_spec.shape[1:].is_compatible_with([self.condition_size]))
      )
      if not valid:
        raise ValueError(
          f'`{name}`: the VAE is conditional; its batches must be (x, c) with c float '
          f'[batch_size, {self.condition_size}] or integer labels [batch_size]; got {spec}.'
        )
    if not isinstance(data, tf.data.Dataset):
      return  # Distributed: no batch to look at without starting its workers' pipelines.
    if (self.binary and not self._warned_not_binary) or self.eight_bit or self.condition_size:
      for batch in data.take(1):  # One batch: a dataset may be large.
        batch = batch if isinstance(batch, tuple) else (batch,)
        self.check_values(batch[0].numpy(), name)
        if self.condition_size:
          self.check_condition(batch[1].numpy(), len(batch[0]), f'{name} (conditions)')


def check_callbacks(kwargs):
  """Refuses Keras 3 callbacks among `kwargs['callbacks']`."""
  for callback in kwargs.get('callbacks') or ():
    keras.check_keras2(callback, 'callbacks')


def network_shapes(encoder, decoder):
  """`(event_shape, latent_size, condition_size)` of two networks that fit together.

  Each is `None` where the networks do not say (subclassed models);
  `condition_size` is `0` for unconditional networks.
  """
  encoder_inputs = _input_shapes(encoder)
  decoder_inputs = _input_shapes(decoder)
  event_shape = encoder_inputs[0] if encoder_inputs else None
  encoder_outputs = getattr(encoder, 'outputs', None)
  latent_size = encoder_outputs[0].shape[-1] if encoder_outputs else None
  condition_size = 0
  if encoder_inputs and decoder_inputs and len(encoder_inputs) != len(decoder_inputs):
    raise ValueError(
      f'`encoder` takes {len(encoder_inputs)} input(s) and `decoder` {len(decoder_inputs)}: '
      'for a conditional VAE both take a condition (`make_encoder(..., condition_size=K)` and '
      '`make_decoder(..., condition_size=K)`), otherwise neither does.'
    )
  for name, shapes in (('encoder', encoder_inputs), ('decoder', decoder_inputs)):
    if shapes and len(shapes) > 2 or shapes and len(shapes) == 2 and len(shapes[1]) != 1:
      raise ValueError(
        f'`{name}` must take one input, or two ([data, condition], the condition a vector); '
        f'got inputs of shapes {shapes}.'
      )
  if encoder_inputs and len(encoder_inputs) == 2:
    condition_size = encoder_inputs[1][0]
    if decoder_inputs and decoder_inputs[1][0] != condition_size:
      raise ValueError(
        f'`encoder` takes conditions of size {condition_size} but `decoder` of size '
        f'{decoder_inputs[1][0]}.'
      )
  if latent_size is not None and decoder_inputs and decoder_inputs[0] != (latent_size,):
    raise ValueError(
      f'`decoder` takes inputs of shape {decoder_inputs[0]}, but `encoder` has latent size '
      f'{latent_size}.'
    )
  # A distribution layer's tensor twin has the shape of one draw: the event.
  decoder_outputs = getattr(decoder, 'outputs', None)
  modeled = tuple(decoder_outputs[0].shape[1:]) if decoder_outputs else None
  if event_shape is not None and modeled is not None and modeled != event_shape:
    raise ValueError(
      f'`encoder` takes examples of shape {event_shape}, but `decoder` returns distributions '
      f'over examples of shape {modeled}; build both for the same shape (`make_encoder('
      'input_shape=...)` and `make_decoder(..., output_shape=...)`).'
    )
  return event_shape, latent_size, condition_size


def _input_shapes(model):
  """The shapes of one example of each input of a functional model, or `None`."""
  inputs = getattr(model, 'inputs', None)
  if not inputs:
    return None
  return [tuple(t.shape[1:]) for t in inputs]
