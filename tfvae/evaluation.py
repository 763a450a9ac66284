# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluation of a trained VAE or run: test metrics, and anomaly scores with calibrated flags."""

import csv
import json
import os

import numpy as np
import tensorflow as tf

from tfvae import anomaly as anomaly_lib
from tfvae import conditioning as conditioning_lib
from tfvae import diagnostics as diagnostics_lib
from tfvae import experiment as experiment_lib
from tfvae import layers as layers_lib
from tfvae import objective as objective_lib
from tfvae import sources as sources_lib
from tfvae import vae as vae_lib
from tfvae.internal import checks
from tfvae.internal import keras

__all__ = [
  'ACTIVE_UNIT_THRESHOLD',
  'calibrate_run',
  'evaluate',
  'evaluate_run',
  'score_run',
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


def evaluate_run(
  model_dir: str,
  num_samples: int = 1000,
  batch_size: int = 100,
  output: str | None = None,
  verbose: int = 1,
) -> dict:
  """Evaluates the run that `python -m tfvae.train` wrote to `model_dir`.

  Loads the run (`tfvae.experiment.load_run`) and scores its test split as
  the job made it (`tfvae.experiment.make_dataset`: binarized once with the
  run's seed for a Bernoulli likelihood, with labels for a conditional run),
  streamed batch by batch, and writes the result as JSON to `output`.

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
  run = experiment_lib.load_run(model_dir)
  source = experiment_lib.make_source(run.config)
  test = experiment_lib.make_dataset(run.config, source, 'test', batch_size=batch_size)
  results = evaluate(run.model, test, num_samples, seed=run.config.seed, verbose=verbose)
  output = output or os.path.join(run.model_dir, 'evaluation.json')
  tmp = f'{output}.tmp'
  with open(tmp, 'w') as f:
    json.dump(results, f, indent=2, sort_keys=True)
    f.write('\n')
  os.replace(tmp, output)
  return results


def _batches(vae, x, batch_size, condition):
  """A dataset of `(x,)` or `(x, c)` batches from an array (checked) or a dataset."""
  if isinstance(x, tf.data.Dataset):
    return x.map(lambda *batch: batch if len(batch) > 1 else (batch[0],))
  x = vae.check_inputs(x, 'x')
  if not vae.condition_size:
    if condition is not None:
      raise ValueError('`condition` must be None: the VAE is unconditional.')
    return tf.data.Dataset.from_tensor_slices((x,)).batch(batch_size)
  condition = conditioning_lib.check_condition(condition, vae.condition_size, len(x))
  return tf.data.Dataset.from_tensor_slices((x, condition)).batch(batch_size)


def calibrate_run(
  model_dir: str,
  score: str = 'log_likelihood',
  false_positive_rate: float = 0.01,
  num_samples: int = 1000,
  batch_size: int = 100,
) -> anomaly_lib.Threshold:
  """An anomaly threshold for a run, calibrated on its validation split.

  The validation split is normal data the model did not train on (held out
  of the training data, as the job made it); the threshold flags
  `false_positive_rate` of it.

  Args:
    model_dir: the main job's output directory.
    score: one of `tfvae.anomaly.SCORES`.
      Default value: `'log_likelihood'`.
    false_positive_rate: the share of normal examples to flag.
      Default value: `0.01`.
    num_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.

  Returns:
    A `tfvae.anomaly.Threshold`.

  Raises:
    ValueError: if `model_dir` holds no finished run, or the run has no
      validation split (train it with `validation_fraction > 0`).
  """
  run = experiment_lib.load_run(model_dir)
  source = experiment_lib.make_source(run.config)
  if not source.scan().num_examples['validation']:
    raise ValueError(
      f'`model_dir`: the run in {run.model_dir} has no validation split to calibrate on; train '
      'it with `validation_fraction` > 0.'
    )
  normal = experiment_lib.make_dataset(run.config, source, 'validation', batch_size=batch_size)
  return anomaly_lib.fit_threshold(
    run.model, normal, false_positive_rate, score, num_samples=num_samples, seed=run.config.seed
  )


def score_run(
  model_dir: str,
  scores=('log_likelihood',),
  splits=('test',),
  dataset: str | None = None,
  false_positive_rate: float = 0.01,
  num_samples: int = 1000,
  batch_size: int = 100,
  output: str | None = None,
) -> dict:
  """Scores data with a run's model and writes per-example scores and flags to a CSV.

  Each score's threshold is calibrated on the run's validation split
  (`calibrate_run`); an example is flagged when its score exceeds it. The
  data are the run's own (`splits` of its dataset) or any data source the
  job reads (`dataset`, opened with the run's options: image size, channels,
  label column), prepared as the job prepares them (binarized once with the
  run's seed for a Bernoulli likelihood).

  The CSV has a row per example: `split`, `index` (within the split, in the
  split's order), `label` (when the data have labels), and for each score
  `<score>` and `<score>_anomaly` (0 or 1). The thresholds go to
  `<output>.thresholds.json`.

  Args:
    model_dir: the main job's output directory.
    scores: names from `tfvae.anomaly.SCORES`.
      Default value: `('log_likelihood',)`.
    splits: the splits to score, in order.
      Default value: `('test',)`.
    dataset: another data source to score instead of the run's.
      Default value: `None`.
    false_positive_rate: the share of normal (validation) examples flagged.
      Default value: `0.01`.
    num_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    output: the CSV file.
      Default value: `None`: `<model_dir>/anomaly_scores.csv`.

  Returns:
    `dict` of the CSV's path (`'output'`), the number of rows
    (`'num_examples'`) and the thresholds (`'thresholds'`, score -> value).

  Raises:
    ValueError: bad arguments, a run without validation split, or data that
      fail the scan.
  """
  scores = [checks.check_choice(s, anomaly_lib.SCORES, 'scores') for s in scores]
  splits = [checks.check_choice(s, sources_lib.SPLITS, 'splits') for s in splits]
  if not scores or not splits:
    raise ValueError('`scores` and `splits` must each name at least one.')
  run = experiment_lib.load_run(model_dir)
  thresholds = {
    score: calibrate_run(model_dir, score, false_positive_rate, num_samples, batch_size)
    for score in scores
  }
  config = run.config if dataset is None else run.config.replace(dataset=dataset)
  source = experiment_lib.make_source(config)
  info = source.scan()
  labeled = info.num_classes is not None
  if config.conditional and not labeled:
    raise ValueError(f'`dataset`: {config.dataset} has no labels, which the conditional run needs.')
  output = output or os.path.join(run.model_dir, 'anomaly_scores.csv')
  rows = 0
  with open(f'{output}.tmp', 'w', newline='') as f:
    writer = csv.writer(f)
    header = ['split', 'index'] + (['label'] if labeled else [])
    writer.writerow(header + [c for s in scores for c in (s, f'{s}_anomaly')])
    for split in splits:
      if not info.num_examples[split]:
        continue
      data = experiment_lib.make_dataset(config, source, split, batch_size, labels=labeled)
      labels = np.concatenate([batch[1].numpy() for batch in data]) if labeled else None
      inputs = data if config.conditional or not labeled else data.map(lambda x, y: x)
      columns = []
      for score in scores:
        values = anomaly_lib.scores(
          run.model, inputs, score, num_samples=num_samples, seed=run.config.seed
        )
        columns += [values, anomaly_lib.flag(values, thresholds[score]).astype(int)]
      for i in range(len(columns[0])):
        prefix = [split, i] + ([int(labels[i])] if labeled else [])
        writer.writerow(
          prefix + [f'{c[i]:.6g}' if c.dtype.kind == 'f' else int(c[i]) for c in columns]
        )
      rows += len(columns[0])
  os.replace(f'{output}.tmp', output)
  with open(f'{output}.thresholds.json', 'w') as f:
    json.dump({s: t.to_json() for s, t in thresholds.items()}, f, indent=2, sort_keys=True)
    f.write('\n')
  return {
    'output': output,
    'num_examples': rows,
    'thresholds': {s: t.value for s, t in thresholds.items()},
  }
