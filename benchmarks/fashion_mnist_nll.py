# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Test log-likelihood on Fashion-MNIST: tfvae (ELBO and IWAE) against a plain reference.

All models are the dense default (encoder 784-512-256, 32 latents,
decoder 256-512-784, Bernoulli pixels), trained the same way: Adam 1e-3,
batch 128, dynamic binarization, 20 epochs. The test set is binarized once
with a fixed seed, and every model is scored with the same importance-sampled
estimate of log p(x) (K samples, Burda et al. 2016).

  python benchmarks/fashion_mnist_nll.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import time

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from absl import app
from absl import flags

import reference
import tfvae
from tfvae.internal import keras

tfd = tfp.distributions
tfpl = tfp.layers

_DATA_DIR = flags.DEFINE_string(
  'data_dir', default='/usr/share/datasets/fashion-mnist', help='Fashion-MNIST IDX directory.'
)
_EPOCHS = flags.DEFINE_integer('epochs', default=20, help='Training epochs for every model.')
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_MODELS = flags.DEFINE_list(
  'models',
  default=['reference', 'tfvae_elbo', 'tfvae_iwae_k5'],
  help='Models to train and score; also tfvae_elbo_bfloat16 (hidden layers in bfloat16).',
)
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', default=1000, help='K for the test NLL.')
_NUM_TEST = flags.DEFINE_integer('num_test', default=10000, help='Test images scored.')
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed.')

_LATENT = 32
_BATCH = 128


def _tfvae_model(objective, precision=None):
  iwae = objective == 'iwae'
  encoder = tfvae.make_encoder(
    (28, 28, 1), _LATENT, (512, 256), kl_regularizer=not iwae, precision=precision
  )
  decoder = tfvae.make_decoder(_LATENT, (28, 28, 1), (256, 512), precision=precision)
  if iwae:
    model = tfvae.VAE(encoder, decoder, objective='iwae', num_samples=5)
  else:
    model = tfvae.VAE(encoder, decoder)
  model.compile(keras.optimizers.Adam(1e-3))
  return model, model.encoder, model.decoder


def test_log_likelihood(encoder, decoder, x, num_samples, seed, batch_size=100, chunk=250):
  """The same importance-sampled log p(x) for any encoder/decoder pair."""
  prior = tfd.MultivariateNormalDiag(tf.zeros(_LATENT), tf.ones(_LATENT))

  @tf.function
  def batch_estimate(batch, batch_seed):
    posterior = encoder(batch)
    sums = []
    for i in range(-(-num_samples // chunk)):
      size = min(chunk, num_samples - i * chunk)
      z = posterior.sample(size, seed=tf.random.experimental.stateless_fold_in(batch_seed, i))
      log_weights = tfvae.objective.log_importance_weights(batch, posterior, decoder, prior, z)
      sums.append(tf.reduce_logsumexp(log_weights, axis=0))
    return tf.reduce_logsumexp(tf.stack(sums), axis=0) - tf.math.log(float(num_samples))

  values = []
  for i in range(0, len(x), batch_size):
    values.append(batch_estimate(x[i : i + batch_size], tf.constant([seed, i], tf.int32)).numpy())
  return np.concatenate(values)


def main(argv):
  del argv
  (x_train, _), (x_test, _) = tfvae.datasets.load('fashion_mnist', data_dir=_DATA_DIR.value)
  x_eval = tfvae.datasets.binarize(x_test[: _NUM_TEST.value], seed=_SEED.value)
  results = {}
  builders = {
    'reference': lambda: reference.make_vae(_BATCH),
    'tfvae_elbo': lambda: _tfvae_model('elbo'),
    'tfvae_iwae_k5': lambda: _tfvae_model('iwae'),
    'tfvae_elbo_bfloat16': lambda: _tfvae_model('elbo', precision='bfloat16'),
  }
  for name in _MODELS.value:
    build = builders[name]
    keras.utils.set_random_seed(_SEED.value)
    model, encoder, decoder = build()
    train = tfvae.datasets.make_dataset(x_train, _BATCH, seed=_SEED.value)
    if name == 'reference':
      train = train.map(lambda x: (x, x))
    start = time.perf_counter()
    model.fit(train, epochs=_EPOCHS.value, verbose=0)
    train_seconds = time.perf_counter() - start
    log_likelihood = test_log_likelihood(encoder, decoder, x_eval, _NUM_SAMPLES.value, _SEED.value)
    results[name] = {
      'test_nll': float(-log_likelihood.mean()),
      'train_seconds': round(train_seconds, 1),
    }
    print(name, results[name], flush=True)
  results['settings'] = {
    'epochs': _EPOCHS.value,
    'num_samples': _NUM_SAMPLES.value,
    'num_test': len(x_eval),
    'seed': _SEED.value,
  }
  print(json.dumps(results, indent=2))
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
