# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Conditional VAEs: do samples show their class, and how much does the class tell about x?

Two measurements (`--only`):

* `class_consistency`: the main job on Fashion-MNIST (28x28 grey images; or
  `--consistency_dataset=digits`) with its defaults, `conditional=True` and
  each prior: `standard_normal` (the standard CVAE), `conditional_gaussian`
  (a learned p(z|c)) and `class_mixture` (the default: ex-post mixtures fitted
  to each class's posteriors). A logistic regression trained on the real test
  images classifies 10,000 images decoded from prior draws, 1,000 per class
  (the likelihood's mean), drawn at the job's `sample_temperature` (0.8 for a
  conditional VAE) and at 1; reported: the share classified as the class they
  were drawn for, overall and per class, and how much the samples of a class
  vary against its real images, beside the classifier's accuracy on the
  images it was trained on.
* `information`: the benchmark model of benchmarks/README.md (dense 512-256,
  32 latents, Bernoulli pixels, Adam 1e-3, batch 128, dynamic binarization)
  trained on Fashion-MNIST without and with the class as condition; the test
  -log p(x) and -log p(x|c) of all test images (binarized once with the seed),
  with the same importance-sampled estimate (K samples, the same seeds), and
  their difference. With `--marginal`, the conditional model also scores every
  test image under all 10 classes, which splits the difference into the
  information the conditional model itself gives the class,
  log p(x|c) - log ((1/10) sum_c' p(x|c')) = log p(c|x) + log 10, and how much
  better that model's own marginal (1/10) sum_c' p(x|c') fits x than the
  unconditional model's p(x).

  python benchmarks/conditional.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import math
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags
from sklearn import linear_model

import tfvae
from tfvae.internal import keras

_DATA_DIR = flags.DEFINE_string(
  'data_dir', default='/usr/share/datasets/fashion-mnist', help='Fashion-MNIST IDX directory.'
)
_CONSISTENCY_PRIORS = flags.DEFINE_multi_enum(
  'consistency_priors',
  default=['standard_normal', 'conditional_gaussian', 'class_mixture'],
  enum_values=['standard_normal', 'conditional_gaussian', 'class_mixture'],
  help='class_consistency: the priors to train with (repeat the flag for several).',
)
_CONSISTENCY_DATASET = flags.DEFINE_enum(
  'consistency_dataset',
  default='fashion_mnist',
  enum_values=['digits', 'fashion_mnist'],
  help='class_consistency: the data of the main job.',
)
_EPOCHS = flags.DEFINE_integer(
  'epochs', default=20, help='Training epochs of every model (both measurements).'
)
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_MARGINAL = flags.DEFINE_bool(
  'marginal',
  default=True,
  help='information: also score the conditional model under every class (10 more passes).',
)
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples', default=1000, help='Importance samples per test image (information).'
)
_NUM_TEST = flags.DEFINE_integer(
  'num_test', default=10000, help='Test images scored (information).'
)
_ONLY = flags.DEFINE_enum(
  'only',
  default='all',
  enum_values=['all', 'class_consistency', 'information'],
  help='Which measurement to run.',
)
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed of initialization, data and estimates.')

_NUM_CLASSES = 10
_SAMPLES_PER_CLASS = 1000
_LATENT_SIZE = 32
_HIDDEN_UNITS = (512, 256)


def class_consistency(
  dataset, data_dir, prior: str, epochs: int, classifier, real_spread, seed: int = 0
) -> dict:
  """Trains the main job's conditional VAE; classifies its class-conditional samples.

  The samples are drawn at the run's `sample_temperature` (the job's default
  for a conditional VAE, what its samples.png and export draw at) and at 1
  (the model itself), from the same seed.

  Args:
    dataset: the job's `dataset`.
    data_dir: the job's `data_dir`.
    prior: the job's `prior`.
    epochs: the job's `epochs`.
    classifier: a fitted scikit-learn classifier of flattened grey-level images.
    real_spread: `[num_classes]`, the mean per-pixel standard deviation of the
      real images of each class.
    seed: the seed of the samples.

  Returns:
    `dict`: `sample_temperature`, then for each temperature drawn
    (`at_<temperature>`): `consistency` (share of samples classified as their
    class), `per_class` (the same for each class) and `diversity` (the mean
    per-pixel standard deviation of each class's samples over that of its real
    images, averaged over the classes: 1 varies as much as the data); `test`
    (the job's test metrics) and `train_seconds`.
  """
  with tempfile.TemporaryDirectory() as tmp:
    model_dir = os.path.join(tmp, 'run')
    start = time.perf_counter()
    metrics = tfvae.experiment.train(
      dataset=dataset,
      data_dir=data_dir if dataset != 'digits' else None,
      conditional=True,
      prior=prior,
      epochs=epochs,
      seed=seed,
      model_dir=model_dir,
      verbose=0,
    )
    train_seconds = time.perf_counter() - start
    run = tfvae.experiment.load_run(model_dir)
    model, temperature = run.model, run.config.sample_temperature
  classes = np.repeat(np.arange(_NUM_CLASSES), _SAMPLES_PER_CLASS)
  result = {'sample_temperature': temperature}
  for t in sorted({temperature, 1.0}):
    # The likelihood's mean.
    samples = model.sample(classes, seed=seed, temperature=t).numpy().reshape(len(classes), -1)
    correct = classifier.predict(samples) == classes
    spread = [samples[classes == c].std(axis=0).mean() for c in range(_NUM_CLASSES)]
    result[f'at_{t}'] = {
      'consistency': float(correct.mean()),
      'per_class': [float(correct[classes == c].mean()) for c in range(_NUM_CLASSES)],
      'diversity': float(np.mean(np.asarray(spread) / real_spread)),
    }
  result.update(test=metrics, train_seconds=round(train_seconds, 1))
  return result


def train_fashion_vae(x_train, y_train, conditional: bool, epochs: int, seed: int):
  """The benchmark VAE on Fashion-MNIST, conditioned on the class or not."""
  keras.utils.set_random_seed(seed)
  condition_size = _NUM_CLASSES if conditional else 0
  event_shape = x_train.shape[1:]
  encoder = tfvae.make_encoder(
    event_shape, _LATENT_SIZE, _HIDDEN_UNITS, condition_size=condition_size
  )
  decoder = tfvae.make_decoder(
    _LATENT_SIZE, event_shape, tuple(reversed(_HIDDEN_UNITS)), condition_size=condition_size
  )
  vae = tfvae.VAE(encoder, decoder)
  vae.compile(keras.optimizers.Adam(1e-3))
  labels = y_train if conditional else None  # Integer labels: one-hot inside the model.
  vae.fit(
    tfvae.datasets.make_dataset(x_train, 128, seed=seed, labels=labels), epochs=epochs, verbose=0
  )
  return vae


def log_likelihoods(vae, x, condition, num_samples: int, seed: int, batch_size: int = 100):
  """Per-example log p(x) (log p(x|c)), float64 `[n]`.

  Batch `i` draws its samples with seed `fold_in([seed, 0], i)`, as
  `tfvae.evaluation.evaluate` does, so the mean is the `nll` it reports.
  """
  values = []
  for i, start in enumerate(range(0, len(x), batch_size)):
    batch_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int32), i)
    batch_condition = None if condition is None else condition[start : start + batch_size]
    values.append(
      vae.log_likelihood(
        x[start : start + batch_size], batch_condition, num_samples=num_samples, seed=batch_seed
      ).numpy()
    )
  return np.concatenate(values).astype(np.float64)


def information(data_dir, epochs, num_samples, num_test, seed, marginal):
  """Test -log p(x), -log p(x|c) and their difference on Fashion-MNIST; see the module doc."""
  (x_train, y_train), (x_test, y_test) = tfvae.datasets.load('fashion_mnist', data_dir=data_dir)
  x_eval = tfvae.datasets.binarize(x_test[:num_test], seed=seed)
  y_eval = y_test[:num_test]
  results = {}
  log_p = {}
  models = {}
  for name, conditional in (('unconditional', False), ('conditional', True)):
    start = time.perf_counter()
    models[name] = train_fashion_vae(x_train, y_train, conditional, epochs, seed)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    log_p[name] = log_likelihoods(
      models[name], x_eval, y_eval if conditional else None, num_samples, seed
    )
    results[name] = {
      'test_nll': float(-log_p[name].mean()),
      'train_seconds': round(train_seconds, 1),
      'score_seconds': round(time.perf_counter() - start, 1),
    }
    print(name, results[name], flush=True)
  difference = log_p['conditional'] - log_p['unconditional']
  results['difference'] = _summary(difference)
  if marginal:
    # log p(x|c') for every class c' under the conditional model: its own
    # marginal p(x) = (1/10) sum_c' p(x|c') and posterior p(c|x).
    start = time.perf_counter()
    every_class = np.stack(
      [
        log_likelihoods(models['conditional'], x_eval, np.full(len(x_eval), c), num_samples, seed)
        for c in range(_NUM_CLASSES)
      ]
    )
    log_marginal = tf.reduce_logsumexp(every_class, axis=0).numpy() - math.log(_NUM_CLASSES)
    own_information = log_p['conditional'] - log_marginal  # log p(c|x) + log 10
    results['marginal'] = {
      'conditional_model_marginal_nll': float(-log_marginal.mean()),
      'own_information': _summary(own_information),
      'marginal_gap': _summary(log_marginal - log_p['unconditional']),
      'bayes_classifier_accuracy': float(np.mean(every_class.argmax(axis=0) == y_eval)),
      'seconds': round(time.perf_counter() - start, 1),
    }
  results['settings'] = {
    'epochs': epochs,
    'num_samples': num_samples,
    'num_test': len(x_eval),
    'seed': seed,
    'log_num_classes': math.log(_NUM_CLASSES),
  }
  return results


def _summary(values):
  """Mean and spread of per-example differences (nats).

  `share_above_log_10` counts values above log 10 by more than float64
  rounding (1e-9): the own information of an image its model is sure of is
  log 10 up to ~1e-14.
  """
  return {
    'mean': float(values.mean()),
    'standard_error': float(values.std(ddof=1) / math.sqrt(len(values))),
    'percentiles_5_50_95': [float(v) for v in np.percentile(values, [5, 50, 95])],
    'max': float(values.max()),
    'share_below_0': float(np.mean(values < 0)),
    'share_above_log_10': float(np.mean(values > math.log(_NUM_CLASSES) + 1e-9)),
  }


def main(argv):
  del argv  # Unused.
  results = {}
  if _ONLY.value in ('all', 'class_consistency'):
    start = time.perf_counter()
    dataset = _CONSISTENCY_DATASET.value
    kwargs = {'data_dir': _DATA_DIR.value} if dataset != 'digits' else {}
    _, (x_test, y_test) = tfvae.datasets.load(dataset, **kwargs)
    # Trained on the real test images: it labels what real images of each class look like.
    classifier = linear_model.LogisticRegression(max_iter=1000)
    classifier.fit(x_test.reshape(len(x_test), -1), y_test)
    accuracy = classifier.score(x_test.reshape(len(x_test), -1), y_test)
    results['class_consistency'] = {'dataset': dataset, 'classifier_accuracy': float(accuracy)}
    print(f'logistic regression, accuracy on the real test images: {accuracy:.4f}', flush=True)
    x_flat = x_test.reshape(len(x_test), -1)
    real_spread = np.array([x_flat[y_test == c].std(axis=0).mean() for c in range(_NUM_CLASSES)])
    for prior in _CONSISTENCY_PRIORS.value:
      result = class_consistency(
        dataset, _DATA_DIR.value, prior, _EPOCHS.value, classifier, real_spread, _SEED.value
      )
      results['class_consistency'][prior] = result
      for t in sorted({result['sample_temperature'], 1.0}):
        drawn = result[f'at_{t}']
        print(
          f'prior {prior}, temperature {t}: {drawn["consistency"]:.3f} of samples classified as '
          f'their class; per class {np.round(drawn["per_class"], 2).tolist()}; diversity '
          f'{drawn["diversity"]:.3f} of the real images',
          flush=True,
        )
      print(
        f'prior {prior}: test loss {result["test"]["loss"]:.2f} nats; trained in '
        f'{result["train_seconds"]:.0f} s',
        flush=True,
      )
    results['class_consistency']['seconds'] = round(time.perf_counter() - start, 1)
  if _ONLY.value in ('all', 'information'):
    start = time.perf_counter()
    results['information'] = information(
      _DATA_DIR.value,
      _EPOCHS.value,
      _NUM_SAMPLES.value,
      _NUM_TEST.value,
      _SEED.value,
      _MARGINAL.value,
    )
    results['information']['seconds'] = round(time.perf_counter() - start, 1)
  print(json.dumps(results, indent=2))
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
