# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The plain tf_keras + tfp.layers VAE that the benchmarks compare tfvae against.

It follows the TFP tutorial's recipe (Sequential networks ending in TFP's own
distribution layers, `compile(loss=-log_prob)`, `fit`), with the KL counted
once as a mean per example, and the estimator of log p(x) such a user writes.
Written for these benchmarks; no tfvae code runs inside it.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import keras

tfd = tfp.distributions
tfpl = tfp.layers

__all__ = ['LATENT_SIZE', 'log_likelihood_fn', 'make_vae']

LATENT_SIZE = 32


def make_vae(batch_size: int = 128):
  """The benchmark model: returns `(model, encoder, decoder)`, compiled with Adam 1e-3."""
  prior = tfd.Independent(tfd.Normal(tf.zeros(LATENT_SIZE), 1.0), reinterpreted_batch_ndims=1)
  encoder = keras.Sequential([
    keras.layers.InputLayer(input_shape=(28, 28, 1)),
    keras.layers.Flatten(),
    keras.layers.Dense(512, activation='relu'),
    keras.layers.Dense(256, activation='relu'),
    keras.layers.Dense(tfpl.IndependentNormal.params_size(LATENT_SIZE)),
    tfpl.IndependentNormal(LATENT_SIZE),
    # Exact KL, mean per example (the layer sums over the batch).
    tfpl.KLDivergenceAddLoss(prior, use_exact_kl=True, weight=1.0 / batch_size),
  ])  # fmt: skip
  decoder = keras.Sequential([
    keras.layers.InputLayer(input_shape=(LATENT_SIZE,)),
    keras.layers.Dense(256, activation='relu'),
    keras.layers.Dense(512, activation='relu'),
    keras.layers.Dense(784),
    tfpl.IndependentBernoulli((28, 28, 1), tfd.Bernoulli.logits),
  ])  # fmt: skip
  model = keras.Model(encoder.inputs, decoder(encoder.outputs[0]))
  model.compile(keras.optimizers.Adam(1e-3), loss=lambda x, rv_x: -rv_x.log_prob(x))
  return model, encoder, decoder


def log_likelihood_fn(encoder, decoder, num_samples: int):
  """log p(x) with all K posterior samples at once, in one `tf.function` (no XLA)."""
  prior = tfd.MultivariateNormalDiag(tf.zeros(LATENT_SIZE), tf.ones(LATENT_SIZE))

  @tf.function
  def log_likelihood(x):
    posterior = encoder(x)
    z = posterior.sample(num_samples)
    likelihood = decoder(tf.reshape(z, [-1, LATENT_SIZE]))
    tiled = tf.reshape(tf.tile(x[tf.newaxis], [num_samples, 1, 1, 1, 1]), [-1, 28, 28, 1])
    log_weights = (
      tf.reshape(likelihood.log_prob(tiled), [num_samples, -1])
      + prior.log_prob(z)
      - posterior.log_prob(z)
    )
    return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(float(num_samples))

  return log_likelihood
