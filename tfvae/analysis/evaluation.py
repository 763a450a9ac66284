# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluation of a trained VAE: negative ELBO, importance-weighted NLL, bits/dim, active units."""

import numpy as np
import tensorflow as tf

from tfvae.analysis import diagnostics as diagnostics_lib
from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import layers as layers_lib
from tfvae.model import objective as objective_lib
from tfvae.model import vae as vae_lib

__all__ = [
  'ACTIVE_UNIT_THRESHOLD',
  'evaluate',
]

# Burda et al. (2016): a latent unit is active when Cov_x(E_q[z_i]) > 0.01.
ACTIVE_UNIT_THRESHOLD = 0.01


def evaluate(
  vae: vae_lib.VAE,
  x,
  num_samples: int = 1000,
  batch_size: int = 100,
  seed: int = 0,
  verbose: int = 1,
  condition=None,
) -> dict:
  """Evaluates a trained VAE on data `x`.

  Args:
    vae: a `tfvae.VAE`.
    x: `[n, *event_shape]` array of data the model takes (binarize it first
      for a Bernoulli likelihood, e.g. `tfvae.datasets.binarize(x_test,
      seed)`), or a `tf.data.Dataset` of `x` batches (`(x, c)` batches for a
      conditional VAE), which is read once, batch by batch: a test set of any
      size.
    num_samples: K importance samples for the log-likelihood (Burda et al.
      use 5000).
      Default value: `1000`.
    batch_size: examples per batch of an array `x`.
      Default value: `100`.
    seed: seed of the importance samples.
      Default value: `0`.
    verbose: show a progress bar (1) or not (0).
      Default value: `1`.
    condition: for a conditional VAE and an array `x`, its conditions (float
      `[n, K]` or integer labels `[n]`).
      Default value: `None`.

  For continuous likelihoods (Gaussian, continuous Bernoulli) log p(x) is a
  density and the NLL can be negative; it is not comparable with the NLL of
  binary data. For a conditional VAE it is -log p(x|c).

  Returns:
    `dict` with `loss` (negative ELBO at the model's `kl_weight`),
    `reconstruction`, `kl`, `nll` (-log p(x) estimated with K samples),
    `bits_per_dim` (of `nll`), `active_units` (count), `active_unit_variances`
    (per dimension), `num_samples` and `num_examples`; for the discretized
    logistic likelihood (8-bit data) also `elbo_bits_per_dim`, the negative
    ELBO `reconstruction + kl` in bits per dimension. All in nats per example
    except the bits per dimension.

  Raises:
    TypeError / ValueError: bad `vae`, `x` or settings.

  #### Examples

  >>> encoder = tfvae.make_encoder((2, 2, 1), 2, (4,))
  >>> model = tfvae.VAE(encoder, tfvae.make_decoder(2, (2, 2, 1), (4,)))
  >>> model.compile()
  >>> x = np.ones([6, 2, 2, 1], np.float32)
  >>> sorted(evaluate(model, x, num_samples=10, batch_size=3, verbose=0))[:4]
  ['active_unit_variances', 'active_units', 'bits_per_dim', 'kl']
  """
  if not isinstance(vae, vae_lib.VAE):
    raise TypeError(f'`vae` must be a tfvae.VAE; got {type(vae).__name__}.')
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  if not getattr(vae, '_is_compiled', False):
    vae.compile()
  batches = _batches(vae, x, batch_size, condition)
  bound = vae.evaluate(
    batches.map(lambda *batch: batch if len(batch) > 1 else batch[0]),
    verbose=0,
    return_dict=True,
  )
  progress = keras.utils.Progbar(None, verbose=verbose, unit_name='example')
  log_likelihood, means = [], []
  for i, batch in enumerate(batches):
    batch_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int32), i)
    inputs, condition = batch[0], (batch[1] if len(batch) > 1 else None)
    estimate = vae.log_likelihood(inputs, condition, num_samples=num_samples, seed=batch_seed)
    log_likelihood.append(estimate.numpy())
    means.append(diagnostics_lib.posterior_means(vae, inputs, condition, seed=batch_seed))
    progress.add(len(log_likelihood[-1]), [('nll', -float(np.mean(log_likelihood[-1])))])
  log_likelihood = np.concatenate(log_likelihood)
  active = diagnostics_lib.active_units_of_means(np.concatenate(means), ACTIVE_UNIT_THRESHOLD)
  num_dims = int(np.prod(vae.event_shape))
  results = {
    'loss': float(bound['loss']),
    'reconstruction': float(bound['reconstruction']),
    'kl': float(bound['kl']),
    'nll': float(-log_likelihood.mean()),
    'bits_per_dim': float(np.mean(objective_lib.bits_per_dim(log_likelihood, num_dims))),
    'active_units': int(active.count),
    'active_unit_variances': [float(v) for v in active.variances],
    'num_samples': num_samples,
    'num_examples': len(log_likelihood),
  }
  if layers_lib.likelihood_family(vae.decoder) == 'discretized_logistic':
    negative_elbo = results['reconstruction'] + results['kl']
    results['elbo_bits_per_dim'] = float(objective_lib.bits_per_dim(-negative_elbo, num_dims))
  return results


def _batches(vae, x, batch_size, condition):
  """A dataset of `(x,)` or `(x, c)` batches from an array (checked) or a dataset."""
  if isinstance(x, tf.data.Dataset):
    return x.map(lambda *batch: batch if len(batch) > 1 else (batch[0],))
  x = vae.check_inputs(x, 'x')
  condition = vae.networks.check_condition(condition, len(x))
  slices = (x,) if condition is None else (x, condition)
  return tf.data.Dataset.from_tensor_slices(slices).batch(batch_size)
