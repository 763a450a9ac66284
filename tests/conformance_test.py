# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: every public model and layer behaves the same way.

Each registry entry builds a fresh object; every test runs on every entry.
"""

import inspect
import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
import tfvae
from tfvae.internal import keras

tfd = tfp.distributions

_SHAPE = test_util.IMAGE_SHAPE
_LATENT = test_util.LATENT_SIZE
_UNITS = test_util.HIDDEN_UNITS
_CONDITION = 3


def _vae(
  architecture='dense',
  likelihood='bernoulli',
  prior=None,
  vae_kwargs=None,
  condition_size=0,
  num_components=1,
  **encoder_kwargs,
):
  def build():
    if prior is not None:
      encoder_kwargs['kl_regularizer'] = False
    encoder = tfvae.make_encoder(
      _SHAPE, _LATENT, _UNITS, architecture, condition_size=condition_size, **encoder_kwargs
    )
    decoder = tfvae.make_decoder(
      _LATENT,
      _SHAPE,
      _UNITS,
      architecture,
      likelihood=likelihood,
      condition_size=condition_size,
      num_components=num_components,
    )
    kwargs = {} if encoder_kwargs.get('kl_regularizer', True) else dict(kl_weight=0.5)
    if prior is not None:
      kwargs['prior'] = prior()
    kwargs.update(vae_kwargs or {})
    return tfvae.VAE(encoder, decoder, **kwargs)

  return build


# Name -> factory of a `tfvae.VAE`.
MODELS = {
  'dense': _vae('dense'),
  'conv': _vae('conv'),
  'dense_vae_owned_kl': _vae('dense', kl_regularizer=False),
  'dense_monte_carlo_kl': _vae('dense', analytic_kl=False),
  'dense_full_covariance': _vae('dense', posterior='full_covariance'),
  'dense_continuous_bernoulli': _vae('dense', likelihood='continuous_bernoulli'),
  'conv_gaussian': _vae('conv', likelihood='gaussian'),
  'dense_discretized_logistic': _vae('dense', likelihood='discretized_logistic'),
  'conv_discretized_logistic_mixture': _vae(
    'conv', likelihood='discretized_logistic', num_components=3
  ),
  'dense_iaf': _vae('dense', posterior='iaf', flow_hidden_units=(7,), flow_context_size=3),
  'dense_mixture_prior': _vae('dense', prior=lambda: tfvae.prior.MixtureOfGaussians(_LATENT, 3)),
  'dense_vamp_prior': _vae('dense', prior=lambda: tfvae.prior.VampPrior(3, _SHAPE)),
  'dense_iwae_dreg': _vae(
    'dense',
    kl_regularizer=False,
    vae_kwargs=dict(objective='iwae', num_samples=3, gradient_estimator='dreg'),
  ),
  # Conditional VAEs: every posterior, likelihood and prior family.
  'conditional_dense': _vae('dense', condition_size=_CONDITION),
  'conditional_conv_gaussian': _vae('conv', 'gaussian', condition_size=_CONDITION),
  'conditional_full_covariance_continuous_bernoulli': _vae(
    'dense', 'continuous_bernoulli', condition_size=_CONDITION, posterior='full_covariance'
  ),
  'conditional_iaf': _vae(
    'dense', condition_size=_CONDITION, posterior='iaf', flow_hidden_units=(7,)
  ),
  'conditional_gaussian_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.ConditionalGaussian(_LATENT, _CONDITION, hidden_units=(4,)),
    condition_size=_CONDITION,
  ),
  'conditional_mixture_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.MixtureOfGaussians(_LATENT, 3),
    condition_size=_CONDITION,
  ),
  'conditional_discretized_logistic_mixture': _vae(
    'dense', 'discretized_logistic', condition_size=_CONDITION, num_components=2
  ),
}

# Name -> (factory of a distribution layer, input of the layer).
LAYERS = {
  'multivariate_normal_diag': (
    lambda: tfvae.MultivariateNormalDiag(_LATENT),
    np.zeros([3, 2 * _LATENT], np.float32),
  ),
  'independent_bernoulli': (
    lambda: tfvae.IndependentBernoulli(_SHAPE),
    np.zeros([3, int(np.prod(_SHAPE))], np.float32),
  ),
  'multivariate_normal_tril': (
    lambda: tfvae.MultivariateNormalTriL(_LATENT),
    np.zeros([3, tfvae.MultivariateNormalTriL.params_size(_LATENT)], np.float32),
  ),
  'independent_continuous_bernoulli': (
    lambda: tfvae.IndependentContinuousBernoulli(_SHAPE),
    np.zeros([3, int(np.prod(_SHAPE))], np.float32),
  ),
  'independent_normal': (
    lambda: tfvae.IndependentNormal(_SHAPE),
    np.zeros([3, int(np.prod(_SHAPE))], np.float32),
  ),
  'independent_discretized_logistic': (
    lambda: tfvae.IndependentDiscretizedLogistic(_SHAPE),
    np.random.default_rng(1)
    .normal(size=[3, tfvae.IndependentDiscretizedLogistic.params_size(_SHAPE)])
    .astype(np.float32),
  ),
  'independent_discretized_logistic_mixture': (
    lambda: tfvae.IndependentDiscretizedLogistic(_SHAPE, num_components=3),
    np.random.default_rng(2)
    .normal(size=[3, tfvae.IndependentDiscretizedLogistic.params_size(_SHAPE, 3)])
    .astype(np.float32),
  ),
  'inverse_autoregressive_flow': (
    lambda: tfvae.InverseAutoregressiveFlow(_LATENT, hidden_units=(7,), context_size=2),
    np.random.default_rng(0)
    .normal(size=[3, tfvae.InverseAutoregressiveFlow.params_size(_LATENT, 2)])
    .astype(np.float32),
  ),
}


class ModelConformanceTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(*((name, name) for name in MODELS))
  def test_fit_evaluate_predict(self, name):
    model = _compiled(name)
    x, c = _data(self, model, 8)
    history = model.fit(x, c, batch_size=4, epochs=1, verbose=0)
    self.assertTrue(np.isfinite(history.history['loss'][-1]))
    metrics = model.evaluate(x, c, batch_size=4, verbose=0, return_dict=True)
    self.assertEqual(sorted(metrics), ['kl', 'loss', 'reconstruction'])
    prediction = model.predict(x, condition=c, verbose=0)
    self.assertEqual(prediction.shape, x.shape)
    self.assertAllEqual(prediction, model.predict(x, condition=c, verbose=0))
    self.assertAllClose(prediction, model.reconstruct(x, c), atol=1e-6)

  @test_util.parameterized.named_parameters(*((name, name) for name in MODELS))
  def test_config_round_trip(self, name):
    model = MODELS[name]()
    config = model.get_config()
    clone = tfvae.VAE.from_config(json.loads(json.dumps(config)))
    self.assertEqual(clone.get_config(), config)
    self.assertCountEqual(
      [tuple(w.shape) for w in clone.weights], [tuple(w.shape) for w in model.weights]
    )
    self.assertEqual(clone.condition_size, model.condition_size)
    # Every constructor argument is in the config, with the model's value.
    arguments = set(inspect.signature(tfvae.VAE).parameters) - {'kwargs'}
    self.assertEqual(set(config) - {'name'}, arguments)
    for argument in ('objective', 'num_samples', 'gradient_estimator', 'free_bits'):
      self.assertEqual(config[argument], getattr(model, argument))


# Save/load and XLA, the slowest checks: a default set that covers every kind of
# network (dense, conv, flow, learnable and conditional priors, conditional, 8-bit
# mixture likelihood),
# and every other registry entry under `pytest -m slow`.
_SERIALIZED_BY_DEFAULT = (
  'dense',
  'conv_gaussian',
  'dense_iaf',
  'dense_vamp_prior',
  'conditional_gaussian_prior',
  'conv_discretized_logistic_mixture',
)


class SerializationConformanceTest(test_util.TestCase):
  @test_util.parameterized.named_parameters((name, name) for name in _SERIALIZED_BY_DEFAULT)
  def test_save_load_round_trip(self, name):
    _check_save_load_round_trip(self, name)

  @test_util.parameterized.named_parameters((name, name) for name in _SERIALIZED_BY_DEFAULT)
  def test_xla_training_and_inference(self, name):
    _check_xla_training_and_inference(self, name)


@pytest.mark.slow
class SerializationConformanceSlowTest(test_util.TestCase):
  _NAMES = [name for name in MODELS if name not in _SERIALIZED_BY_DEFAULT]

  @test_util.parameterized.named_parameters((name, name) for name in _NAMES)
  def test_save_load_round_trip(self, name):
    _check_save_load_round_trip(self, name)

  @test_util.parameterized.named_parameters((name, name) for name in _NAMES)
  def test_xla_training_and_inference(self, name):
    _check_xla_training_and_inference(self, name)


def _compiled(name, **compile_kwargs):
  model = MODELS[name]()
  model.compile(keras.optimizers.Adam(1e-3), **compile_kwargs)
  return model


def _data(test, model, n):
  """`(x, c)`: `c` holds class labels for a conditional model, else `None`."""
  return test.make_images(n=n), (np.arange(n) % _CONDITION if model.condition_size else None)


def _check_save_load_round_trip(test, name):
  model = _compiled(name)
  x, c = _data(test, model, 4)
  model.fit(x, c, batch_size=4, verbose=0)
  path = os.path.join(test.create_tempdir().full_path, 'model.keras')
  model.save(path)
  loaded = keras.saving.load_model(path, safe_mode=True)
  test.assertAllClose(
    loaded.predict(x, condition=c, verbose=0), model.predict(x, condition=c, verbose=0), atol=1e-6
  )
  test.assertAllClose(
    loaded.log_likelihood(x, c, num_samples=8, seed=1),
    model.log_likelihood(x, c, num_samples=8, seed=1),
    atol=1e-5,
  )
  test.assertEqual(loaded.get_config()['kl_weight'], model.get_config()['kl_weight'])
  loaded.fit(x, c, batch_size=4, verbose=0)


def _check_xla_training_and_inference(test, name):
  model = _compiled(name, jit_compile=True)
  x, c = _data(test, model, 8)
  model.fit(x, c, batch_size=4, epochs=2, verbose=0)
  test.assertEqual(model.train_function.experimental_get_tracing_count(), 1)
  reconstruct = tf.function(model.reconstruct, jit_compile=True)
  expected = model.reconstruct(x, c)
  if c is None:
    test.assertAllClose(reconstruct(tf.constant(x)), expected, atol=1e-5)
  else:
    test.assertAllClose(reconstruct(tf.constant(x), tf.constant(c)), expected, atol=1e-5)


class LayerConformanceTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(*((name, name) for name in LAYERS))
  def test_returns_distribution_in_and_out_of_graph(self, name):
    factory, inputs = LAYERS[name]
    layer = factory()
    eager = layer(inputs)
    self.assertIsInstance(eager, tfd.Distribution)
    point = tfvae.layers.point_estimate
    graph = tf.function(lambda t: point(layer(t)), jit_compile=True)(inputs)
    self.assertAllClose(graph, point(eager), atol=1e-6)
    # The distribution without the layer's tensor twin: the same one.
    alone = layer.make_distribution(inputs)
    self.assertAllClose(point(alone), point(eager), atol=1e-6)
    self.assertAllClose(alone.log_prob(eager), eager.log_prob(eager), atol=1e-5)

  @test_util.parameterized.named_parameters(*((name, name) for name in LAYERS))
  def test_config_round_trip_without_pickles(self, name):
    factory, _ = LAYERS[name]
    layer = factory()
    config = keras.layers.serialize(layer)
    clone = keras.layers.deserialize(config)
    self.assertEqual(clone.get_config(), layer.get_config())
    self.assertNotIn('function', layer.get_config())


if __name__ == '__main__':
  test_util.main()
