# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: every public model and layer behaves the same way.

Each registry entry builds a fresh object; every test runs on every entry.
"""

import functools
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
from tfvae.model import layers as layers_lib

tfd = tfp.distributions

_SHAPE = test_util.IMAGE_SHAPE
_LATENT = test_util.LATENT_SIZE
_UNITS = test_util.HIDDEN_UNITS
_CONDITION = 3


def _vae(architecture='dense', likelihood='bernoulli', prior=None, shape=_SHAPE, **kwargs):
  """A factory of one registry entry (`test_util.make_vae`, a fresh prior each time)."""

  def build(**overrides):
    return test_util.make_vae(
      shape,
      architecture=architecture,
      likelihood=likelihood,
      prior='standard_normal' if prior is None else prior(),
      **{**kwargs, **overrides},
    )

  return build


_IAF = dict(posterior='iaf', encoder_kwargs=dict(flow_hidden_units=(7,), flow_context_size=3))

# Name -> factory of a `tfvae.VAE`.
MODELS = {
  'dense': _vae('dense'),
  'conv': _vae('conv'),
  'dense_vae_owned_kl': _vae('dense', kl_owner='vae', kl_weight=0.5),
  'dense_monte_carlo_kl': _vae('dense', analytic_kl=False),
  'dense_full_covariance': _vae('dense', posterior='full_covariance'),
  'dense_continuous_bernoulli': _vae('dense', likelihood='continuous_bernoulli'),
  'conv_gaussian': _vae('conv', likelihood='gaussian'),
  'dense_discretized_logistic': _vae('dense', likelihood='discretized_logistic'),
  'conv_discretized_logistic_mixture': _vae(
    'conv', likelihood='discretized_logistic', decoder_kwargs=dict(num_components=3)
  ),
  'dense_iaf': _vae('dense', **_IAF),
  'dense_mixture_prior': _vae(
    'dense', prior=lambda: tfvae.prior.MixtureOfGaussians(_LATENT, 3), kl_weight=0.5
  ),
  'dense_vamp_prior': _vae('dense', prior=lambda: tfvae.prior.VampPrior(3, _SHAPE), kl_weight=0.5),
  'dense_iwae_dreg': _vae(
    'dense', kl_weight=0.5, objective='iwae', num_samples=3, gradient_estimator='dreg'
  ),
  # Conditional VAEs: every posterior, likelihood and prior family.
  'conditional_dense': _vae('dense', condition_size=_CONDITION),
  'conditional_conv_gaussian': _vae('conv', 'gaussian', condition_size=_CONDITION),
  'conditional_full_covariance_continuous_bernoulli': _vae(
    'dense', 'continuous_bernoulli', condition_size=_CONDITION, posterior='full_covariance'
  ),
  'conditional_iaf': _vae(
    'dense',
    condition_size=_CONDITION,
    posterior='iaf',
    encoder_kwargs=dict(flow_hidden_units=(7,)),
  ),
  'conditional_gaussian_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.ConditionalGaussian(_LATENT, _CONDITION, hidden_units=(4,)),
    condition_size=_CONDITION,
    kl_weight=0.5,
  ),
  'conditional_class_mixture_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.ClassMixture(_LATENT, _CONDITION, num_components=2),
    condition_size=_CONDITION,
    kl_weight=0.5,
  ),
  'conditional_mixture_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.MixtureOfGaussians(_LATENT, 3),
    condition_size=_CONDITION,
    kl_weight=0.5,
  ),
  'conditional_discretized_logistic_mixture': _vae(
    'dense',
    'discretized_logistic',
    condition_size=_CONDITION,
    decoder_kwargs=dict(num_components=2),
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


# Batch sizes as first calls. A function traced first for a batch of one has
# static `[1]` shapes, which the importance-sampling loop once failed to keep
# (its first call at batch 1 raised; later calls and larger batches worked).
# Each check starts a fresh process and, for each model it builds there, every
# method's first call is the first trace of that method's function.
_TABLE = (6,)
# Name -> factory: `MODELS` and two table models, for the batch-size checks.
BATCH_MODELS = {
  **MODELS,
  'dense_table_gaussian': _vae('dense', 'gaussian', shape=_TABLE),
  'conditional_table_mixture_prior': _vae(
    'dense',
    prior=lambda: tfvae.prior.MixtureOfGaussians(_LATENT, 3),
    condition_size=_CONDITION,
    shape=_TABLE,
  ),
}
# By default images and a table, then batch 7 before 1; under `pytest -m slow`
# every other model of `BATCH_MODELS`, one process each, and batch 7 before 1.
_ONE_TWO_SEVEN_BY_DEFAULT = ('dense', 'dense_table_gaussian')
_SEVEN_ONE_BY_DEFAULT = ('dense',)
_BATCH_SEED = 5
_BATCH_NUM_SAMPLES = 1000


class BatchSizeConformanceTest(test_util.TestCase):
  def test_batch_sizes_one_two_seven_as_first_calls(self):
    _check_first_calls(self, _ONE_TWO_SEVEN_BY_DEFAULT, (1, 2, 7))

  def test_batch_size_seven_then_one_as_first_calls(self):
    _check_first_calls(self, _SEVEN_ONE_BY_DEFAULT, (7, 1))


@pytest.mark.slow
class BatchSizeConformanceSlowTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(
    (name, name) for name in BATCH_MODELS if name not in _ONE_TWO_SEVEN_BY_DEFAULT
  )
  def test_batch_sizes_one_two_seven_as_first_calls(self, name):
    _check_first_calls(self, [name], (1, 2, 7))

  def test_batch_size_seven_then_one_as_first_calls(self):
    names = [name for name in BATCH_MODELS if name not in _SEVEN_ONE_BY_DEFAULT]
    _check_first_calls(self, names, (7, 1), timeout=900)


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
  'dense_iaf',
  'dense_vamp_prior',
  'conditional_class_mixture_prior',
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


# bfloat16 against float32: a convolutional and a conditional dense network by
# default, every other registry entry under `pytest -m slow`.
_PRECISION_BY_DEFAULT = (
  'conv_gaussian',
  'conditional_discretized_logistic_mixture',
)


class PrecisionConformanceTest(test_util.TestCase):
  @test_util.parameterized.named_parameters((name, name) for name in _PRECISION_BY_DEFAULT)
  def test_bfloat16_loss_within_one_percent_of_float32(self, name):
    _check_bfloat16_loss(self, name)


@pytest.mark.slow
class PrecisionConformanceSlowTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(
    (name, name) for name in MODELS if name not in _PRECISION_BY_DEFAULT
  )
  def test_bfloat16_loss_within_one_percent_of_float32(self, name):
    _check_bfloat16_loss(self, name)


def _check_bfloat16_loss(test, name):
  """Trained alike in both precisions (same seeds, data and steps): -log p(x) within 1%.

  The estimate is IWAE with 256 samples and one seed, so its own noise is far
  below the 1% tolerance (a one-sample ELBO of 32 examples is not). A
  continuous Bernoulli's -log p(x) of binary pixels is near 0, where 1% means
  nothing: there the bound is 0.05 nats.
  """
  losses = {}
  for precision in ('float32', 'bfloat16'):
    keras.utils.set_random_seed(0)
    model = MODELS[name](precision=precision)
    model.compile(keras.optimizers.Adam(1e-3))
    x, c = _data(test, model, 32)
    model.fit(x, c, batch_size=8, epochs=5, shuffle=False, verbose=0)
    log_likelihood = model.log_likelihood(x, c, num_samples=256, seed=0)
    test.assertEqual(log_likelihood.dtype, tf.float32)
    losses[precision] = -float(tf.reduce_mean(log_likelihood))
  test.assertAllClose(losses['bfloat16'], losses['float32'], rtol=0.01, atol=0.05)


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


def _batch_data(model):
  """`(x, c)` of 7 binary rows (images or tables), with labels `c` for a conditional model."""
  x = np.random.default_rng(test_util.fixed_seed()).uniform(size=(7, *model.event_shape))
  return x.round().astype(np.float32), (np.arange(7) % _CONDITION if model.condition_size else None)


def _first_calls(names, sizes):
  """Runs every method at each batch size in turn on fresh models; in a fresh process.

  Beside each seeded estimate, the same computation run eagerly (no trace):
  `key + '_eager'`.

  Returns:
    A JSON string: model name -> batch size -> method -> values.
  """
  results = {}
  for name in names:
    tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
    model = BATCH_MODELS[name]()
    x, c = _batch_data(model)
    if model._log_likelihood_fn.experimental_get_tracing_count():
      raise AssertionError(f'{name}: log_likelihood was traced before its first call.')
    scores = [s for s in tfvae.anomaly.SCORES if x.ndim == 4 or s != 'complexity']
    results[name] = {}
    for n in sizes:
      x_n, c_n = x[:n], None if c is None else c[:n]
      rows = {'log_likelihood': model.log_likelihood(x_n, c_n, _BATCH_NUM_SAMPLES, _BATCH_SEED)}
      for score in scores:
        rows[f'score_{score}'] = tfvae.anomaly.scores(
          model, x_n, score, c_n, _BATCH_NUM_SAMPLES, _BATCH_SEED, batch_size=7
        )
      rows['elbo'] = model.elbo(x_n, c_n)
      rows['reconstruct'] = model.reconstruct(x_n, c_n)
      rows['sample'] = model.sample(n if c is None else c_n, seed=_BATCH_SEED)
      # Eagerly, with the seeds that `log_likelihood` and `scores` (batch 0) use.
      seed = tf.constant([_BATCH_SEED, 0])
      condition = None if c is None else tfvae.conditioning.as_condition(c_n, _CONDITION)
      posterior = model.posterior(x_n, c_n)
      prior = model.prior_distribution(condition)
      rows['log_likelihood_eager'] = model.importance_weighted_log_likelihood(
        tf.constant(x_n),
        _BATCH_NUM_SAMPLES,
        tfvae.objective.chunk_size_for(_BATCH_NUM_SAMPLES, n),
        seed,
        condition=condition,
      )
      score_seed = tf.random.experimental.stateless_fold_in(seed, 0)
      decode = functools.partial(model.likelihood, condition=condition)
      for score in ('log_likelihood', 'elbo'):
        rows[f'score_{score}_eager'] = tfvae.anomaly.score_batch(
          score, x_n, posterior, decode, prior, _BATCH_NUM_SAMPLES, score_seed
        )
      # The spread of one ELBO draw: its terms are log p(x|z) with an analytic
      # KL, the log weights with a Monte Carlo one; the larger of the two.
      z = posterior.sample(_BATCH_NUM_SAMPLES, seed=score_seed)
      draws = tfvae.objective.log_importance_weights(
        x_n, posterior, decode, prior, z, return_log_likelihood=True
      )
      rows['elbo_spread'] = np.max(np.std(draws, axis=1), axis=0)
      results[name][str(n)] = {key: np.asarray(value).tolist() for key, value in rows.items()}
  return json.dumps(results)


def _check_first_calls(test, names, sizes, timeout=300):
  code = (
    'import sys\n'
    "sys.path[:0] = ['tests', 'tests/model']\n"
    'import conformance_test\n'
    f'print(conformance_test._first_calls({list(names)!r}, {sizes!r}))\n'
  )
  results = json.loads(test_util.run_python(code, timeout=timeout).strip().splitlines()[-1])
  for name in names:
    with test.subTest(name):
      _check_batch_results(test, BATCH_MODELS[name](), results[name], sizes)


def _check_batch_results(test, model, results, sizes):
  x, _ = _batch_data(model)
  full = {key: np.array(value) for key, value in results['7'].items()}
  for n in sizes:
    rows = {key: np.array(value) for key, value in results[str(n)].items()}
    for key, value in rows.items():
      shape = (n, *x.shape[1:]) if key in ('reconstruct', 'sample') else (n,)
      test.assertEqual(value.shape, shape, key)
      test.assertTrue(np.all(np.isfinite(value)), key)
    # The traced first call at this size computes what the eager code does.
    for key in ('log_likelihood', 'score_log_likelihood', 'score_elbo'):
      test.assertAllClose(rows[key], rows[f'{key}_eager'], rtol=1e-5, msg=key)
    if 'score_complexity' in rows:
      # The same draws as the 'log_likelihood' score, less the PNG code length.
      png = tfvae.anomaly.png_code_length(x[:n]).numpy()
      test.assertAllClose(rows['score_complexity'], rows['score_log_likelihood'] - png, rtol=1e-5)
    # Deterministic: a row's value does not depend on the batch around it.
    test.assertAllClose(rows['reconstruct'], full['reconstruct'][:n], atol=1e-6)
    test.assertAllClose(rows['score_reconstruction'], full['score_reconstruction'][:n], rtol=1e-5)
    squared = np.square(rows['reconstruct'] - x[:n]).reshape([n, -1])
    test.assertAllClose(rows['score_reconstruction'], squared.sum(axis=-1), rtol=1e-5)
    # One example's mean of 1000 seeded ELBO draws, in batches of different
    # sizes (other draws): the same expectation, within 4 standard errors.
    error = rows['elbo_spread'] / np.sqrt(_BATCH_NUM_SAMPLES)
    tolerance = 4.0 * np.hypot(error, full['elbo_spread'][:n] / np.sqrt(_BATCH_NUM_SAMPLES))
    test.assertAllLessEqual(np.abs(rows['score_elbo'] - full['score_elbo'][:n]) - tolerance, 0.0)
    # The IWAE_1000 estimate of log p(x) lies above the ELBO (up to its noise),
    # and `elbo`'s one draw within 5 spreads of the ELBO.
    test.assertAllGreaterEqual(rows['score_elbo'] + rows['log_likelihood'] + 4.0 * error, 0.0)
    test.assertAllLessEqual(
      np.abs(rows['elbo'] + rows['score_elbo']) - 5 * rows['elbo_spread'], 0.0
    )


class LayerConformanceTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(*((name, name) for name in LAYERS))
  def test_returns_distribution_in_and_out_of_graph(self, name):
    factory, inputs = LAYERS[name]
    layer = factory()
    eager = layer(inputs)
    self.assertIsInstance(eager, tfd.Distribution)
    point = layers_lib.point_estimate
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
