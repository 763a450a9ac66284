# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Anomaly detection with the model's own likelihood: scores, calibrated thresholds, AUROC.

A VAE's networks are normalized distributions, so it can score an example by
an estimate of -log p(x) itself, not only by a reconstruction error, and a
threshold on that score has a calibrated meaning: a chosen false-positive rate
on normal data. The scores, higher meaning more unusual:

| score | what |
| --- | --- |
| `'log_likelihood'` | -log p(x) (-log p(x\\|c)), importance-weighted with `num_samples` draws |
| `'elbo'` | the negative ELBO, its cheap upper bound (`num_samples` draws, analytic KL where TFP has it) |
| `'reconstruction'` | squared error of the likelihood's mean at the posterior mean: the usual baseline, no density |
| `'complexity'` | -log p(x) minus the PNG code length of x in nats (images only) |

and one score calibrated on normal data, `COMBINED` (`'combined'`): the
complexity and reconstruction scores, each standardized by its mean and
standard deviation on held-out normal examples, summed (`combine`). Of the
recipes measured on Fashion-MNIST's one-class protocol it is the one that
beats the simple baselines (benchmarks/README.md).

Raw likelihoods are known to rank simple inputs as likely even when they come
from elsewhere (Nalisnick et al., 2019); `'complexity'` subtracts what a
generic lossless compressor needs for the input, the correction of Serra et
al. (2020).

#### References

[1] Eric Nalisnick, Akihiro Matsukawa, Yee Whye Teh, Dilan Gorur and Balaji
    Lakshminarayanan. Do Deep Generative Models Know What They Don't Know?
    In ICLR, 2019. https://arxiv.org/abs/1810.09136
[2] Joan Serra, David Alvarez, Vicenc Gomez, Olga Slizovskaia, Jose F. Nunez
    and Jordi Luque. Input Complexity and Out-of-Distribution Detection with
    Likelihood-based Generative Models. In ICLR, 2020.
    https://arxiv.org/abs/1909.11480
"""

import json
import math
import warnings
import weakref
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from tfvae.internal import checks
from tfvae.model import conditioning as conditioning_lib
from tfvae.model import divergence as divergence_lib
from tfvae.model import layers as layers_lib
from tfvae.model import objective as objective_lib

__all__ = [
  'COMBINED',
  'COMBINED_PARTS',
  'SCORES',
  'Threshold',
  'auroc',
  'calibrate',
  'combine',
  'fit_threshold',
  'flag',
  'png_code_length',
  'score_batch',
  'scores',
]

SCORES = ('complexity', 'elbo', 'log_likelihood', 'reconstruction')
# The score standardized on normal data, and the scores it sums.
COMBINED = 'combined'
COMBINED_PARTS = ('complexity', 'reconstruction')
_NATS_PER_BYTE = 8.0 * math.log(2.0)


class Threshold(NamedTuple):
  """A threshold on an anomaly score, calibrated on normal data.

  Attributes:
    score: the score it applies to, one of `SCORES` or `COMBINED`.
    value: examples whose score exceeds it are flagged.
    false_positive_rate: the share of the normal (calibration) data above it.
    num_samples: the importance samples of the score (it is part of its
      definition: more samples, a tighter estimate).
    num_examples: the normal examples it was calibrated on.
  """

  score: str
  value: float
  false_positive_rate: float
  num_samples: int
  num_examples: int

  def to_json(self) -> dict:
    """A JSON-serializable `dict` (`Threshold(**d)` reads it back)."""
    return self._asdict()

  def write(self, path: str) -> None:
    """Writes `to_json()` to the JSON file `path`."""
    with open(path, 'w') as f:
      json.dump(self.to_json(), f, indent=2, sort_keys=True)
      f.write('\n')


def score_batch(
  score: str,
  x,
  posterior,
  decode,
  prior,
  num_samples,
  seed,
  chunk_size=None,
) -> tf.Tensor:
  """Anomaly scores of one batch, from distributions: the computation shared by all uses.

  A pure function of tensors, used by `scores` and by the `anomaly`
  signature of an export (`tfvae.export_saved_model(..., anomaly=...)`); it
  runs eagerly and inside a graph.

  Args:
    score: one of `SCORES`.
    x: `[batch_size, *event_shape]` float32 data.
    posterior: q(z|x), `batch_shape [batch_size]`.
    decode: callable from `[n * batch_size, latent_size]` latents to p(x|z)
      (samples major).
    prior: p(z) (or p(z|c) with `batch_shape [batch_size]`).
    num_samples: int32 scalar, importance samples (`'log_likelihood'`,
      `'complexity'`) or draws (`'elbo'`).
    seed: int32 `[2]` stateless seed.
    chunk_size: int32 scalar samples decoded at once.
      Default value: `None`: `tfvae.objective.chunk_size_for`.

  Returns:
    `[batch_size]` float32 scores, higher = more unusual.
  """
  checks.check_choice(score, SCORES, 'score')
  x = tf.convert_to_tensor(x, tf.float32)
  if score == 'reconstruction':
    mean = decode(layers_lib.point_estimate(posterior)).mean()
    squared = tf.square(tf.cast(mean, tf.float32) - x)
    return tf.reduce_sum(tf.reshape(squared, [tf.shape(x)[0], -1]), axis=-1)
  if score == 'elbo':
    z = posterior.sample(num_samples, seed=seed)
    _, log_likelihood = objective_lib.log_importance_weights(
      x, posterior, decode, prior, z, return_log_likelihood=True
    )
    kl = divergence_lib.kl_divergence(posterior, prior, z=z)
    return -tf.reduce_mean(log_likelihood, axis=0) + tf.cast(kl, tf.float32)
  if chunk_size is None:
    chunk_size = objective_lib.chunk_size_for(num_samples, tf.shape(x)[0])
  negative_log_likelihood = -objective_lib.importance_weighted_log_likelihood(
    x, posterior, decode, prior, num_samples, chunk_size, seed
  )
  if score == 'log_likelihood':
    return negative_log_likelihood
  return negative_log_likelihood - png_code_length(x)


def png_code_length(x) -> tf.Tensor:
  """The length of each image's PNG encoding, in nats: a generic lossless code.

  Values in [0, 1] are quantized to 8 bits (`round(255 x)`) and encoded with
  `tf.io.encode_png` (a core TensorFlow op, so exports keep it); the length
  includes PNG's fixed overhead of about 70 bytes, the same for every image of
  a shape, which shifts all complexity scores alike.

  Args:
    x: `[batch_size, height, width, channels]` images in [0, 1], 1 to 4
      channels.

  Returns:
    `[batch_size]` float32 lengths, `8 log(2)` nats per byte.

  Raises:
    ValueError: if `x` is not a batch of images.

  #### Examples

  >>> flat = png_code_length(tf.zeros([1, 28, 28, 1]))
  >>> noisy = png_code_length(tf.random.stateless_uniform([1, 28, 28, 1], seed=[1, 2]))
  >>> bool(noisy[0] > 5 * flat[0])  # Noise does not compress.
  True
  """
  x = tf.convert_to_tensor(x, tf.float32)
  if x.shape.rank != 4 or x.shape[-1] not in (1, 2, 3, 4):
    raise ValueError(
      f'the complexity score needs images [n, height, width, 1..4 channels]; got shape {x.shape}.'
    )
  pixels = tf.cast(tf.round(tf.clip_by_value(x, 0.0, 1.0) * 255.0), tf.uint8)
  lengths = tf.map_fn(
    lambda image: tf.strings.length(tf.io.encode_png(image)),
    pixels,
    fn_output_signature=tf.int32,
  )
  return tf.cast(lengths, tf.float32) * _NATS_PER_BYTE


def scores(
  vae,
  x,
  score: str = 'log_likelihood',
  condition=None,
  num_samples: int = 1000,
  seed: int = 0,
  batch_size: int = 100,
) -> np.ndarray:
  """Per-example anomaly scores of data under a trained VAE, higher = more unusual.

  Args:
    vae: a `tfvae.VAE`.
    x: `[n, *event_shape]` data the model takes (binarized for a Bernoulli
      likelihood), or a `tf.data.Dataset` of `x` batches (`(x, c)` for a
      conditional VAE), read once: data of any size.
    score: one of `SCORES`.
      Default value: `'log_likelihood'`.
    condition: for a conditional VAE and an array `x`, its conditions (float
      `[n, K]` or integer labels `[n]`).
      Default value: `None`.
    num_samples: importance samples per example (`'log_likelihood'`,
      `'complexity'`) or posterior draws (`'elbo'`).
      Default value: `1000`.
    seed: seed of the draws; batch `i` uses its fold-in with `i`, so the same
      data and seed give the same scores.
      Default value: `0`.
    batch_size: examples per batch of an array `x`.
      Default value: `100`.

  Returns:
    `[n]` float64 array.

  Raises:
    ValueError: a bad argument, or `'complexity'` for data that are not
      images.

  #### Examples

  >>> import tfvae
  >>> vae = tfvae.VAE(tfvae.make_encoder((4, 4, 1), 2, (8,)), tfvae.make_decoder(2, (4, 4, 1), (8,)))
  >>> x = np.round(np.random.default_rng(0).uniform(size=(5, 4, 4, 1)))
  >>> scores(vae, x, 'reconstruction').shape
  (5,)
  """
  checks.check_choice(score, SCORES, 'score')
  num_samples = checks.check_positive_int(num_samples, 'num_samples')
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  base_seed = checks.stateless_seed(seed)
  batches = x
  if not isinstance(x, tf.data.Dataset):
    x = vae.check_inputs(x, 'x')
    condition = vae.networks.check_condition(condition, len(x))
    batches = tf.data.Dataset.from_tensor_slices(x if condition is None else (x, condition))
    batches = batches.batch(batch_size)
  if score == 'complexity':
    spec = batches.element_spec
    png_code_length(tf.zeros([1, *(spec[0] if isinstance(spec, tuple) else spec).shape[1:]]))

  spec = batches.element_spec
  compute = _score_function(vae, score, (spec[0] if isinstance(spec, tuple) else spec).shape)
  results = []
  for i, batch in enumerate(batches):
    batch_x, batch_c = batch if isinstance(batch, tuple) else (batch, None)
    inputs = [tf.cast(batch_x, tf.float32)]
    if vae.condition_size:
      inputs.append(conditioning_lib.as_condition(batch_c, vae.condition_size))
    batch_seed = tf.random.experimental.stateless_fold_in(base_seed, i)
    scored = compute(*inputs, tf.constant(num_samples, tf.int32), tf.cast(batch_seed, tf.int32))
    results.append(scored.numpy())
  return np.concatenate(results).astype(np.float64)


# One traced scoring function per model, score and example shape, kept while
# the model lives. Each is traced once, for any batch size (its signature).
_SCORE_FUNCTIONS = weakref.WeakKeyDictionary()


def _score_function(vae, score, x_shape):
  functions = _SCORE_FUNCTIONS.setdefault(vae, {})
  key = (score, tuple(x_shape[1:]))
  if key not in functions:
    signature = [tf.TensorSpec([None, *x_shape[1:]], tf.float32)]
    if vae.condition_size:
      signature.append(tf.TensorSpec([None, vae.condition_size], tf.float32))
    signature += [tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)]
    # Its one loop is an explicit `tf.while_loop`: no AutoGraph conversion (a
    # faster first call).
    functions[key] = tf.function(
      _ScoreBatch(vae, score), input_signature=signature, autograph=False
    )
  return functions[key]


class _ScoreBatch:
  """One model's score of a batch: `(x, [condition,] num_samples, seed) -> [batch]`.

  An object rather than a closure: TensorFlow counts the traces of closures
  of the same code together, and would warn of retracing when several models
  (or scores) are each traced once.
  """

  def __init__(self, vae, score):
    self._vae = vae
    self._score = score

  def __call__(self, x, *condition_num_samples_seed):
    *condition, num_samples, seed = condition_num_samples_seed
    condition = condition[0] if condition else None
    return score_batch(self._score, x, *self._vae.networks.at(x, condition), num_samples, seed)


def calibrate(
  normal_scores, false_positive_rate: float, score: str = 'log_likelihood', num_samples: int = 0
) -> Threshold:
  """The threshold that flags a `false_positive_rate` share of normal data.

  With `n` normal scores and `k = floor(false_positive_rate * n)`, the
  threshold is the `(k + 1)`-th largest score: exactly `k` of them exceed it
  (fewer with ties), so on fresh normal data the expected share flagged is
  at most `(k + 1) / (n + 1)`, and close to `false_positive_rate`.

  Args:
    normal_scores: `[n]` scores of normal (held-out) examples.
    false_positive_rate: the share of normal examples to flag, in (0, 1).
    score: the name of the score, kept with the threshold.
      Default value: `'log_likelihood'`.
    num_samples: the samples the scores used, kept with the threshold.
      Default value: `0`.

  Returns:
    A `Threshold`.

  A rate below `1 / (n + 1)` cannot be told apart from it: the threshold is
  then the largest normal score, and a warning names the smallest reachable
  rate.

  Raises:
    ValueError: on empty or non-finite scores, or a rate outside (0, 1).

  #### Examples

  >>> calibrate(np.arange(100.0), 0.05).value  # 5 of 100 exceed it.
  94.0
  """
  values = np.asarray(normal_scores, np.float64).ravel()
  if values.size == 0 or not np.all(np.isfinite(values)):
    raise ValueError('`normal_scores` must be a non-empty array of finite scores.')
  rate = float(false_positive_rate)
  if not 0.0 < rate < 1.0:
    raise ValueError(f'`false_positive_rate` must lie in (0, 1); got {false_positive_rate!r}.')
  checks.check_choice(score, (*SCORES, COMBINED), 'score')
  smallest = 1.0 / (values.size + 1)
  if rate < smallest:
    warnings.warn(
      f'`false_positive_rate`={rate:g} is below what {values.size} normal examples can resolve: '
      f'the threshold is their largest score, which fresh normal data exceed at a rate of about '
      f'1/(n+1) = {smallest:.3g}, the smallest reachable rate; pass a rate >= {smallest:.3g} or '
      f'calibrate on at least {math.ceil(1 / rate) - 1} examples.',
      stacklevel=3,
    )
  k = int(math.floor(rate * values.size))
  value = float(np.sort(values)[values.size - 1 - k])
  return Threshold(score, value, rate, int(num_samples), int(values.size))


def combine(scores_, normal_scores, parts=COMBINED_PARTS) -> np.ndarray:
  """The `'combined'` score: `parts`, each standardized on normal data, summed.

  Each part is measured on its own scale (nats for `'complexity'`, squared
  error for `'reconstruction'`), so each is shifted by its mean and divided by
  its standard deviation over normal held-out examples, and the standardized
  parts are added: `sum_s (scores_[s] - mean(normal_s)) / std(normal_s)`.
  Nothing about the anomalies is used. `calibrate` then thresholds it like any
  score (`score='combined'`).

  Args:
    scores_: `{score: [n] scores}` of the examples to score, holding `parts`.
    normal_scores: `{score: [m] scores}` of normal held-out examples (the
      calibration data), holding `parts`.
    parts: the scores to combine, at least one.
      Default value: `COMBINED_PARTS`, `('complexity', 'reconstruction')`.

  Returns:
    `[n]` float64 array, higher = more unusual.

  Raises:
    ValueError: a part missing from either dict, fewer than two finite
      normal scores of a part, or normal scores of a part that do not vary.

  #### Examples

  >>> normal = {'complexity': np.array([0.0, 2.0]), 'reconstruction': np.array([1.0, 3.0])}
  >>> combine({'complexity': [3.0], 'reconstruction': [2.0]}, normal)  # 2 + 0
  array([2.])
  """
  parts = [checks.check_choice(part, SCORES, 'parts') for part in parts]
  if not parts:
    raise ValueError('`parts` must name at least one score.')
  total = 0.0
  for part in parts:
    for name, given in (('scores_', scores_), ('normal_scores', normal_scores)):
      if part not in given:
        raise ValueError(f'`{name}` lacks the {part!r} score, which `combine` sums.')
    normal = np.asarray(normal_scores[part], np.float64).ravel()
    if normal.size < 2 or not np.all(np.isfinite(normal)):
      raise ValueError(
        f'`normal_scores`[{part!r}] must hold at least two finite scores; got {normal.size}.'
      )
    scale = normal.std()
    if not scale > 0.0:
      raise ValueError(f'`normal_scores`[{part!r}] are all equal: nothing to standardize by.')
    total = total + (np.asarray(scores_[part], np.float64) - normal.mean()) / scale
  return np.asarray(total, np.float64)


def fit_threshold(
  vae,
  normal_x,
  false_positive_rate: float,
  score: str = 'log_likelihood',
  condition=None,
  num_samples: int = 1000,
  seed: int = 0,
  batch_size: int = 100,
) -> Threshold:
  """`calibrate` on the `scores` of held-out normal data: a threshold for a model.

  Args:
    vae: a trained `tfvae.VAE`.
    normal_x: normal data the model did not train on (as `scores` takes it).
    false_positive_rate: the share of normal examples to flag, in (0, 1).
    score: one of `SCORES`.
      Default value: `'log_likelihood'`.
    condition: conditions of a conditional VAE's `normal_x` (an array).
      Default value: `None`.
    num_samples: as in `scores`; kept with the threshold, so that the
      `anomaly` signature of an export scores the same way.
      Default value: `1000`.
    seed: as in `scores`.
      Default value: `0`.
    batch_size: as in `scores`.
      Default value: `100`.

  Returns:
    A `Threshold`.
  """
  normal = scores(vae, normal_x, score, condition, num_samples, seed, batch_size)
  return calibrate(normal, false_positive_rate, score, num_samples)


def flag(scores_, threshold) -> np.ndarray:
  """`scores_ > threshold`: which examples are anomalies.

  Args:
    scores_: `[n]` scores.
    threshold: a `Threshold` or a number.

  Returns:
    `[n]` bool array.
  """
  value = threshold.value if isinstance(threshold, Threshold) else float(threshold)
  return np.asarray(scores_, np.float64) > value


def auroc(normal_scores, anomalous_scores) -> float:
  """The area under the ROC curve of anomalous against normal scores.

  The probability that an anomalous example scores above a normal one, ties
  counting half (the Mann-Whitney statistic), computed from ranks in float64:
  the value `sklearn.metrics.roc_auc_score` gives for labels 1 (anomalous)
  and 0 (normal).

  Args:
    normal_scores: `[n]` scores of normal examples.
    anomalous_scores: `[m]` scores of anomalous examples.

  Returns:
    A Python `float` in [0, 1]; 0.5 is chance.

  Raises:
    ValueError: if either set is empty or holds non-finite scores.

  #### Examples

  >>> auroc([0.0, 1.0], [1.0, 2.0])  # (1 + 1 + 0.5 + 1) / 4
  0.875
  """
  normal = np.asarray(normal_scores, np.float64).ravel()
  anomalous = np.asarray(anomalous_scores, np.float64).ravel()
  for name, values in (('normal_scores', normal), ('anomalous_scores', anomalous)):
    if values.size == 0 or not np.all(np.isfinite(values)):
      raise ValueError(f'`{name}` must be a non-empty array of finite scores.')
  combined = np.concatenate([normal, anomalous])
  order = np.argsort(combined, kind='mergesort')
  ranks = np.empty(combined.size, np.float64)
  sorted_values = combined[order]
  # Average ranks (1-based) over ties.
  boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
  starts = np.concatenate([[0], boundaries])
  ends = np.concatenate([boundaries, [combined.size]])
  for start, end in zip(starts, ends):
    ranks[order[start:end]] = (start + end + 1) / 2.0
  rank_sum = ranks[normal.size :].sum()
  u = rank_sum - anomalous.size * (anomalous.size + 1) / 2.0
  return float(u / (normal.size * anomalous.size))
