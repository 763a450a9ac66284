# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Test-set evaluation: negative ELBO, log-likelihood, bits/dim and active units."""

import json
import os

import numpy as np
import tensorflow as tf

from tfvae import datasets as datasets_lib
from tfvae import diagnostics as diagnostics_lib
from tfvae import objective as objective_lib
from tfvae import vae as vae_lib
from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'ACTIVE_UNIT_THRESHOLD',
  'evaluate',
  'evaluate_run',
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
) -> dict:
  """Evaluates a trained VAE on data `x`.

  Args:
    vae: a `tfvae.VAE`.
    x: `[n, *event_shape]` array in [0, 1] (binarize it first for a Bernoulli
      likelihood, e.g. `tfvae.datasets.binarize(x_test, seed)`).
    num_samples: K importance samples for the log-likelihood (Burda et al.
      use 5000).
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    seed: seed of the importance samples.
      Default value: `0`.
    verbose: show a progress bar (1) or not (0).
      Default value: `1`.

  For continuous likelihoods (Gaussian, continuous Bernoulli) log p(x) is a
  density and the NLL can be negative; it is not comparable with the NLL of
  binary data.

  Returns:
    `dict` with `loss` (negative ELBO at the model's `kl_weight`),
    `reconstruction`, `kl`, `nll` (-log p(x) estimated with K samples),
    `bits_per_dim`, `active_units` (count), `active_unit_variances`
    (per dimension), `num_samples` and `num_examples`. All in nats per example
    except `bits_per_dim`.

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
  x = vae.check_inputs(x, 'x')
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  if not getattr(vae, '_is_compiled', False):
    vae.compile()
  bound = vae.evaluate(x, batch_size=batch_size, verbose=0, return_dict=True)

  num_batches = -(-len(x) // batch_size)
  progress = keras.utils.Progbar(len(x), verbose=verbose, unit_name='example')
  log_likelihood = []
  for i in range(num_batches):
    batch = x[i * batch_size : (i + 1) * batch_size]
    batch_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int32), i)
    log_likelihood.append(vae.log_likelihood(batch, num_samples, seed=batch_seed).numpy())
    progress.add(len(batch), [('nll', -float(np.mean(log_likelihood[-1])))])
  log_likelihood = np.concatenate(log_likelihood)
  active = diagnostics_lib.active_units(vae, x, threshold=ACTIVE_UNIT_THRESHOLD, seed=seed)
  num_dims = int(np.prod(vae.event_shape))
  return {
    'loss': float(bound['loss']),
    'reconstruction': float(bound['reconstruction']),
    'kl': float(bound['kl']),
    'nll': float(-log_likelihood.mean()),
    'bits_per_dim': float(np.mean(objective_lib.bits_per_dim(log_likelihood, num_dims))),
    'active_units': int(active.count),
    'active_unit_variances': [float(v) for v in active.variances],
    'num_samples': num_samples,
    'num_examples': len(x),
  }


def evaluate_run(
  model_dir: str,
  num_samples: int = 1000,
  batch_size: int = 100,
  output: str | None = None,
  verbose: int = 1,
) -> dict:
  """Evaluates the run that `python -m tfvae.train` wrote to `model_dir`.

  Loads `model_dir/model.keras` and the test split of the run's dataset
  (`config.json`), binarized once with the run's seed, and writes the result
  as JSON to `output`.

  Args:
    model_dir: the main job's output directory.
    num_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    output: where to write the JSON.
      Default value: `None`: `model_dir/evaluation.json`.
    verbose: progress bar.
      Default value: `1`.

  Returns:
    The `dict` of `evaluate`.

  Raises:
    ValueError: if `model_dir` holds no finished run.
  """
  model_dir = os.fspath(model_dir)
  config_path = os.path.join(model_dir, 'config.json')
  model_path = os.path.join(model_dir, 'model.keras')
  for path in (config_path, model_path):
    if not os.path.isfile(path):
      raise ValueError(f'`model_dir`: {model_dir} holds no finished tfvae run ({path} is missing).')
  with open(config_path) as f:
    config = json.load(f)
  _, (x_test, _) = datasets_lib.load(
    config['dataset'], data_dir=config.get('data_dir'), seed=config['seed']
  )
  if config.get('likelihood', 'bernoulli') == 'bernoulli':
    x_eval = datasets_lib.binarize(x_test, config['seed'])
  else:
    x_eval = x_test  # Continuous likelihoods score the grey levels.
  vae = keras.saving.load_model(model_path)
  results = evaluate(vae, x_eval, num_samples, batch_size, seed=config['seed'], verbose=verbose)
  output = output or os.path.join(model_dir, 'evaluation.json')
  tmp = f'{output}.tmp'
  with open(tmp, 'w') as f:
    json.dump(results, f, indent=2, sort_keys=True)
    f.write('\n')
  os.replace(tmp, output)
  return results
