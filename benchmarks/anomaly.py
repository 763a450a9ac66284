# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""One-class anomaly detection on Fashion-MNIST: tfvae's scores beside the simple baselines.

For each class c, 90% of the ~6,000 training images of class c train the
model and the baselines; the other 10% (normal images the model has not seen)
calibrate. The 10,000 test images are scored, and the AUROC of class c
(normal, 1,000 test images) against the other nine (anomalous, 9,000) is
reported for every method: a 10 x methods table and the mean of each method.

Methods, all on the same split, in the same run:

* the baselines a user would otherwise pick, on grey pixels (scikit-learn):
  `knn` (mean distance to the 5 nearest training images), `isolation_forest`
  (100 trees), `pca` (squared reconstruction error from 32 components);
* tfvae (dense 512-256, 32 latents, Adam 1e-3, batch 128) with the
  `--likelihood` (default `discretized_logistic`: the exact probability of
  the 8-bit image; `bernoulli` binarizes the images, the earlier recipe), each
  of `tfvae.anomaly.SCORES` (`--num_samples` importance samples or draws);
* `combined` (`tfvae.anomaly.combine`, `python -m tfvae.score
  --scores=combined`): the complexity and reconstruction scores, each
  standardized by its mean and standard deviation on the calibration images,
  summed (no test data is used to combine them).

  python benchmarks/anomaly.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import time

import numpy as np
from absl import app
from absl import flags
from sklearn import decomposition
from sklearn import ensemble
from sklearn import neighbors

import tfvae
from tfvae.internal import keras

_BATCH_SIZE = flags.DEFINE_integer('batch_size', default=128, help='Training batch size.')
_CLASSES = flags.DEFINE_list(
  'classes', default=[str(c) for c in range(10)], help='Normal classes, one model each.'
)
_DATA_DIR = flags.DEFINE_string(
  'data_dir', default='/usr/share/datasets/fashion-mnist', help='Fashion-MNIST IDX directory.'
)
_EPOCHS = flags.DEFINE_integer(
  'epochs', default=20, help='Passes over the ~5,400 training images of the normal class.'
)
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_LIKELIHOOD = flags.DEFINE_enum(
  'likelihood',
  default='discretized_logistic',
  enum_values=['discretized_logistic', 'bernoulli'],
  help='tfvae likelihood: 8-bit grey levels, or binarized images (dynamic binarization).',
)
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples',
  default=100,
  help='Importance samples (log_likelihood, complexity) and posterior draws (elbo) per image.',
)
_NUM_TEST = flags.DEFINE_integer('num_test', default=10000, help='Test images scored.')
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed of initialization, data and scores.')

_LATENT_SIZE = 32
_HIDDEN_UNITS = (512, 256)
_CALIBRATION_SHARE = 0.1
_BASELINES = ('knn', 'isolation_forest', 'pca')
# Fashion-MNIST's class names, for the table.
CLASS_NAMES = (
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
)


def baseline_scores(x_train, x_test, seed):
  """Higher = more unusual, for each of `_BASELINES`, fitted on `x_train` (grey pixels)."""
  train = x_train.reshape(len(x_train), -1)
  test = x_test.reshape(len(x_test), -1)
  distances, _ = neighbors.NearestNeighbors(n_neighbors=5).fit(train).kneighbors(test)
  forest = ensemble.IsolationForest(n_estimators=100, random_state=seed).fit(train)
  pca = decomposition.PCA(32, random_state=seed).fit(train)
  rebuilt = pca.inverse_transform(pca.transform(test))
  return {
    'knn': distances.mean(axis=1),
    'isolation_forest': -forest.score_samples(test),
    'pca': np.square(test - rebuilt).sum(axis=1),
  }


def make_model(event_shape, likelihood, seed):
  """The benchmark VAE, compiled with Adam 1e-3, its initialization fixed by `seed`."""
  keras.utils.set_random_seed(seed)
  model = tfvae.make_vae(event_shape, _LATENT_SIZE, _HIDDEN_UNITS, likelihood=likelihood)
  model.compile(keras.optimizers.Adam(1e-3))
  return model


def one_class(x_class, x_test, y_test, normal_class, seed):
  """Trains on 90% of `x_class`, calibrates on the rest, and scores `x_test`.

  Returns:
    `dict`: `auroc` (method -> AUROC of the normal class against the rest),
    the training and scoring seconds.
  """
  rng = np.random.default_rng(seed)
  order = rng.permutation(len(x_class))
  num_calibration = int(round(_CALIBRATION_SHARE * len(x_class)))
  x_calibration, x_train = x_class[order[:num_calibration]], x_class[order[num_calibration:]]
  normal = y_test == normal_class
  results = {'auroc': {}, 'seconds': {}}

  start = time.perf_counter()
  test_scores = baseline_scores(x_train, x_test, seed)
  results['seconds']['baselines'] = round(time.perf_counter() - start, 1)

  bernoulli = _LIKELIHOOD.value == 'bernoulli'
  model = make_model(x_train.shape[1:], _LIKELIHOOD.value, seed)
  start = time.perf_counter()
  if bernoulli:
    data = tfvae.datasets.make_dataset(x_train, _BATCH_SIZE.value, seed=seed)
    model.fit(data, epochs=_EPOCHS.value, verbose=0)
    x_test = tfvae.datasets.binarize(x_test, seed=seed)
    x_calibration = tfvae.datasets.binarize(x_calibration, seed=seed)
  else:
    model.fit(x_train, batch_size=_BATCH_SIZE.value, epochs=_EPOCHS.value, shuffle=True, verbose=0)
  results['seconds']['train'] = round(time.perf_counter() - start, 1)
  calibration_scores = {}
  for score in tfvae.anomaly.SCORES:
    start = time.perf_counter()
    kwargs = dict(num_samples=_NUM_SAMPLES.value, seed=seed)
    test_scores[score] = tfvae.anomaly.scores(model, x_test, score, **kwargs)
    results['seconds'][score] = round(time.perf_counter() - start, 1)
    calibration_scores[score] = tfvae.anomaly.scores(model, x_calibration, score, **kwargs)
  test_scores[tfvae.anomaly.COMBINED] = tfvae.anomaly.combine(test_scores, calibration_scores)
  for method, values in test_scores.items():
    results['auroc'][method] = tfvae.anomaly.auroc(values[normal], values[~normal])
  return results


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  (x_train, y_train), (x_test, y_test) = tfvae.datasets.load(
    'fashion_mnist', data_dir=_DATA_DIR.value
  )
  x_test, y_test = x_test[: _NUM_TEST.value], y_test[: _NUM_TEST.value]
  classes = [int(c) for c in _CLASSES.value]
  methods = (*_BASELINES, *tfvae.anomaly.SCORES, tfvae.anomaly.COMBINED)
  results = {
    'settings': {
      'epochs': _EPOCHS.value,
      'batch_size': _BATCH_SIZE.value,
      'likelihood': _LIKELIHOOD.value,
      'num_samples': _NUM_SAMPLES.value,
      'num_test': len(x_test),
      'seed': _SEED.value,
      'latent_size': _LATENT_SIZE,
      'hidden_units': list(_HIDDEN_UNITS),
      'calibration_share': _CALIBRATION_SHARE,
    },
    'classes': {},
  }
  print(f'{"class":>16} ' + ' '.join(f'{m[:12]:>12}' for m in methods), flush=True)
  for c in classes:
    result = one_class(x_train[y_train == c], x_test, y_test, c, _SEED.value)
    results['classes'][c] = result
    row = ' '.join(f'{result["auroc"][m]:>12.4f}' for m in methods)
    print(f'{c} {CLASS_NAMES[c]:>14} {row}   {result["seconds"]}', flush=True)
  results['mean_auroc'] = {
    m: float(np.mean([r['auroc'][m] for r in results['classes'].values()])) for m in methods
  }
  print(f'{"mean":>16} ' + ' '.join(f'{results["mean_auroc"][m]:>12.4f}' for m in methods))
  results['total_seconds'] = round(time.perf_counter() - start, 1)
  print(f'total {results["total_seconds"]:.0f} s')
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
