# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""One-class anomaly detection on Fashion-MNIST: AUROC of each score of `tfvae.anomaly`.

For each class c, the benchmark VAE (dense 512-256, 32 latents, Bernoulli
pixels, dynamic binarization, Adam 1e-3, batch 128) is trained on the
training images of class c alone. The 10,000 test images, binarized once with
the seed, are scored with each of `tfvae.anomaly.SCORES` (`--num_samples`
importance samples for `log_likelihood` and `complexity`, as many posterior
draws for `elbo`), and the AUROC of class c (normal) against the other nine
classes (anomalous) is reported for each score: a 10 x 4 table and the mean
of each score.

  python benchmarks/anomaly.py --data_dir=/usr/share/datasets/fashion-mnist
"""

import json
import time

import numpy as np
from absl import app
from absl import flags

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
  'epochs', default=50, help='Passes over the ~6,000 training images of the normal class.'
)
_JSON = flags.DEFINE_string('json', default=None, help='Also write the results here.')
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples',
  default=100,
  help='Importance samples (log_likelihood, complexity) and posterior draws (elbo) per image.',
)
_NUM_TEST = flags.DEFINE_integer('num_test', default=10000, help='Test images scored.')
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed of initialization, data and scores.')

_LATENT_SIZE = 32
_HIDDEN_UNITS = (512, 256)
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


def make_model(event_shape, seed):
  """The benchmark VAE, compiled with Adam 1e-3, its initialization fixed by `seed`."""
  keras.utils.set_random_seed(seed)
  encoder = tfvae.make_encoder(event_shape, _LATENT_SIZE, _HIDDEN_UNITS)
  decoder = tfvae.make_decoder(_LATENT_SIZE, event_shape, tuple(reversed(_HIDDEN_UNITS)))
  model = tfvae.VAE(encoder, decoder)
  model.compile(keras.optimizers.Adam(1e-3))
  return model


def one_class(x_train, x_test, y_test, normal_class, epochs, batch_size, num_samples, seed):
  """Trains on `x_train` (class `normal_class` only) and scores `x_test` (binary).

  Returns:
    `dict`: `auroc` (score -> AUROC of the normal class against the rest),
    `mean_nll_by_class` (the mean -log p(x) of the test images of each
    class), the training and scoring seconds.
  """
  model = make_model(x_train.shape[1:], seed)
  start = time.perf_counter()
  model.fit(tfvae.datasets.make_dataset(x_train, batch_size, seed=seed), epochs=epochs, verbose=0)
  train_seconds = time.perf_counter() - start
  normal = y_test == normal_class
  results = {'auroc': {}, 'score_seconds': {}, 'train_seconds': round(train_seconds, 1)}
  for score in tfvae.anomaly.SCORES:
    start = time.perf_counter()
    values = tfvae.anomaly.scores(model, x_test, score, num_samples=num_samples, seed=seed)
    results['score_seconds'][score] = round(time.perf_counter() - start, 1)
    results['auroc'][score] = tfvae.anomaly.auroc(values[normal], values[~normal])
    if score == 'log_likelihood':
      results['mean_nll_by_class'] = [float(values[y_test == c].mean()) for c in range(10)]
  return results


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  (x_train, y_train), (x_test, y_test) = tfvae.datasets.load(
    'fashion_mnist', data_dir=_DATA_DIR.value
  )
  x_test, y_test = x_test[: _NUM_TEST.value], y_test[: _NUM_TEST.value]
  x_eval = tfvae.datasets.binarize(x_test, seed=_SEED.value)
  png_nats = tfvae.anomaly.png_code_length(x_eval).numpy()
  classes = [int(c) for c in _CLASSES.value]
  results = {
    'settings': {
      'epochs': _EPOCHS.value,
      'batch_size': _BATCH_SIZE.value,
      'num_samples': _NUM_SAMPLES.value,
      'num_test': len(x_eval),
      'seed': _SEED.value,
      'latent_size': _LATENT_SIZE,
      'hidden_units': list(_HIDDEN_UNITS),
    },
    # How much a generic compressor needs for each class's (binarized) images.
    'mean_png_nats_by_class': [float(png_nats[y_test == c].mean()) for c in range(10)],
    'classes': {},
  }
  header = f'{"class":>16} ' + ' '.join(f'{s:>14}' for s in tfvae.anomaly.SCORES)
  print(header, flush=True)
  for c in classes:
    result = one_class(
      x_train[y_train == c],
      x_eval,
      y_test,
      c,
      _EPOCHS.value,
      _BATCH_SIZE.value,
      _NUM_SAMPLES.value,
      _SEED.value,
    )
    results['classes'][c] = result
    row = ' '.join(f'{result["auroc"][s]:>14.4f}' for s in tfvae.anomaly.SCORES)
    print(f'{c} {CLASS_NAMES[c]:>14} {row}   ({result["train_seconds"]:.0f} s)', flush=True)
  results['mean_auroc'] = {
    s: float(np.mean([r['auroc'][s] for r in results['classes'].values()]))
    for s in tfvae.anomaly.SCORES
  }
  print(
    f'{"mean":>16} ' + ' '.join(f'{results["mean_auroc"][s]:>14.4f}' for s in results['mean_auroc'])
  )
  results['total_seconds'] = round(time.perf_counter() - start, 1)
  print(
    f'mean PNG code length by test class (nats): {np.round(results["mean_png_nats_by_class"], 1)}'
  )
  for c, result in results['classes'].items():
    print(
      f'model of class {c}: mean -log p(x) by test class {np.round(result["mean_nll_by_class"], 1)}'
    )
  print(f'total {results["total_seconds"]:.0f} s')
  if _JSON.value:
    with open(_JSON.value, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
