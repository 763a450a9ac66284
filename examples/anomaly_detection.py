# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""One-class anomaly detection: a VAE of one class flags the images of every other class.

  python examples/anomaly_detection.py --normal_class=0 --model_dir=/tmp/anomaly
  python examples/anomaly_detection.py --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist --normal_class=7 --epochs=50 \
      --score=complexity --model_dir=/tmp/anomaly_fashion --export_base=/tmp/anomaly_exports

The VAE trains on the training images of `--normal_class` alone, less a
held-out share (`--calibration_fraction`) on which the threshold of `--score`
is calibrated to flag `--false_positive_rate` of normal images
(`tfvae.anomaly.fit_threshold`). The test images of every class are then
scored with each of the four scores of `tfvae.anomaly.SCORES`; the script
prints the AUROC of normal against the rest for each, and, for `--score`,
the share of normal test images flagged (false positives) and of the others
(detections). `--model_dir` gets `anomaly_report.json`; with `--export_base`
the model is also exported for TensorFlow Serving with an `anomaly`
signature that returns `score` and `is_anomaly` for the calibrated threshold.
"""

import datetime
import json
import os
from typing import NamedTuple

import numpy as np
from absl import app
from absl import flags
from absl import logging

import tfvae


class Detection(NamedTuple):
  """What `detect_anomalies` measured.

  Attributes:
    report: the `dict` written to `anomaly_report.json`.
    threshold: the calibrated `tfvae.anomaly.Threshold`.
    scores: score name -> `[n]` float64 scores of the test images.
    x_test: `[n, *event_shape]` the test images as scored (binarized).
    labels: `[n]` their classes.
    model: the trained `tfvae.VAE`.
  """

  report: dict
  threshold: tfvae.anomaly.Threshold
  scores: dict
  x_test: np.ndarray
  labels: np.ndarray
  model: tfvae.VAE


def detect_anomalies(
  dataset: str = 'digits',
  data_dir: str | None = None,
  normal_class: int = 0,
  score: str = 'log_likelihood',
  false_positive_rate: float = 0.05,
  calibration_fraction: float = 0.2,
  num_samples: int = 100,
  epochs: int = 200,
  latent_size: int = 16,
  hidden_units=(512, 256),
  batch_size: int = 128,
  seed: int = 0,
  model_dir: str | None = None,
  export_base: str | None = None,
  verbose: int = 2,
) -> Detection:
  """Trains a VAE on one class, calibrates a threshold, and scores the test set.

  Args:
    dataset: `'digits'`, `'mnist'` or `'fashion_mnist'`.
      Default value: `'digits'`.
    data_dir: IDX directory for `mnist` / `fashion_mnist`.
      Default value: `None`.
    normal_class: the class whose images are normal; all others are anomalies.
      Default value: `0`.
    score: the score that is thresholded, one of `tfvae.anomaly.SCORES`.
      Default value: `'log_likelihood'`.
    false_positive_rate: the share of held-out normal images the threshold
      flags.
      Default value: `0.05`.
    calibration_fraction: the share of the normal training images held out
      (not trained on) to calibrate the threshold.
      Default value: `0.2`.
    num_samples: importance samples (`'log_likelihood'`, `'complexity'`) or
      posterior draws (`'elbo'`) per image.
      Default value: `100`.
    epochs: passes over the normal training images.
      Default value: `200`.
    latent_size: dimension of z.
      Default value: `16`.
    hidden_units: encoder widths; the decoder mirrors them.
      Default value: `(512, 256)`.
    batch_size: examples per batch.
      Default value: `128`.
    seed: seed of the split, initialization, binarization and scores.
      Default value: `0`.
    model_dir: new or empty output directory.
      Default value: `None`: `tfvae_runs/anomaly-<time>`.
    export_base: if given, export the model with an `anomaly` signature for
      the threshold to the next version `<export_base>/<version>/`.
      Default value: `None`: no export.
    verbose: Keras progress output.
      Default value: `2`.

  Returns:
    A `Detection`.

  Raises:
    ValueError: a bad `score`, `normal_class` or fraction, or a `model_dir`
      that holds files.
  """
  if score not in tfvae.anomaly.SCORES:
    raise ValueError(f'`score` must be one of {list(tfvae.anomaly.SCORES)}; got {score!r}.')
  if not 0.0 < calibration_fraction < 1.0:
    raise ValueError(f'`calibration_fraction` must lie in (0, 1); got {calibration_fraction!r}.')
  (x_train, y_train), (x_test, y_test) = tfvae.datasets.load(dataset, data_dir=data_dir, seed=seed)
  if normal_class not in set(y_train.tolist()):
    raise ValueError(f'`normal_class`={normal_class!r} is not a class of {dataset}.')
  model_dir = _new_directory(model_dir)

  normal = x_train[y_train == normal_class]
  order = np.random.default_rng(seed).permutation(len(normal))
  num_calibration = max(1, round(calibration_fraction * len(normal)))
  x_calibration = tfvae.datasets.binarize(normal[order[:num_calibration]], seed)
  x_normal_train = normal[order[num_calibration:]]
  x_eval = tfvae.datasets.binarize(x_test, seed)

  tfvae.keras.utils.set_random_seed(seed)
  event_shape = x_train.shape[1:]
  vae = tfvae.VAE(
    tfvae.make_encoder(event_shape, latent_size, hidden_units),
    tfvae.make_decoder(latent_size, event_shape, tuple(reversed(hidden_units))),
  )
  vae.compile(tfvae.keras.optimizers.Adam(1e-3))
  vae.fit(
    tfvae.datasets.make_dataset(x_normal_train, batch_size, seed=seed),
    epochs=epochs,
    verbose=verbose,
  )

  threshold = tfvae.anomaly.fit_threshold(
    vae, x_calibration, false_positive_rate, score, num_samples=num_samples, seed=seed
  )
  # Scored again, as new data would be: the same seed gives the same scores.
  calibration_flags = tfvae.anomaly.flag(
    tfvae.anomaly.scores(vae, x_calibration, score, num_samples=num_samples, seed=seed),
    threshold,
  )
  scores = {
    name: tfvae.anomaly.scores(vae, x_eval, name, num_samples=num_samples, seed=seed)
    for name in tfvae.anomaly.SCORES
  }
  anomalous = y_test != normal_class
  flags_ = tfvae.anomaly.flag(scores[score], threshold)
  report = {
    'dataset': dataset,
    'normal_class': int(normal_class),
    'num_train': len(x_normal_train),
    'num_calibration': len(x_calibration),
    'num_test_normal': int((~anomalous).sum()),
    'num_test_anomalous': int(anomalous.sum()),
    'epochs': epochs,
    'latent_size': latent_size,
    'seed': seed,
    'threshold': threshold.to_json(),
    'auroc': {
      name: tfvae.anomaly.auroc(values[~anomalous], values[anomalous])
      for name, values in scores.items()
    },
    'calibration_false_positive_rate': float(calibration_flags.mean()),
    'test_false_positive_rate': float(flags_[~anomalous].mean()),
    'detection_rate': float(flags_[anomalous].mean()),
    'detection_rate_by_class': {  # JSON keys: strings.
      str(c): float(flags_[y_test == c].mean()) for c in np.unique(y_test[anomalous])
    },
    'export_path': None,
  }
  if export_base is not None:
    report['export_path'] = tfvae.export_saved_model(vae, export_base, anomaly=threshold)
  with open(os.path.join(model_dir, 'anomaly_report.json'), 'w') as f:
    json.dump(report, f, indent=2, sort_keys=True)
    f.write('\n')
  return Detection(report, threshold, scores, x_eval, y_test, vae)


def _new_directory(model_dir):
  if model_dir is None:
    model_dir = os.path.join('tfvae_runs', f'anomaly-{datetime.datetime.now():%Y%m%d-%H%M%S}')
  if os.path.isdir(model_dir) and os.listdir(model_dir):
    raise ValueError(f'`model_dir`: {model_dir} is not empty; choose a new directory.')
  os.makedirs(model_dir, exist_ok=True)
  return model_dir


def main(argv):
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  detection = detect_anomalies(
    dataset=flags.FLAGS.dataset,
    data_dir=flags.FLAGS.data_dir,
    normal_class=flags.FLAGS.normal_class,
    score=flags.FLAGS.score,
    false_positive_rate=flags.FLAGS.false_positive_rate,
    calibration_fraction=flags.FLAGS.calibration_fraction,
    num_samples=flags.FLAGS.num_samples,
    epochs=flags.FLAGS.epochs,
    latent_size=flags.FLAGS.latent_size,
    seed=flags.FLAGS.seed,
    model_dir=flags.FLAGS.model_dir,
    export_base=flags.FLAGS.export_base,
    verbose=flags.FLAGS.verbose,
  )
  report, threshold = detection.report, detection.threshold
  print(f'AUROC, class {report["normal_class"]} (normal) against the other classes:')
  for name, value in report['auroc'].items():
    print(f'  {name:<15} {value:.4f}' + ('  (thresholded)' if name == threshold.score else ''))
  print(
    f'threshold {threshold.value:.3f} on {threshold.score} (k={threshold.num_samples}) flags '
    f'{report["calibration_false_positive_rate"]:.1%} of {threshold.num_examples} held-out normal '
    f'images (asked: {threshold.false_positive_rate:.1%}); test: '
    f'{report["test_false_positive_rate"]:.1%} of {report["num_test_normal"]} normal images '
    f'flagged, {report["detection_rate"]:.1%} of {report["num_test_anomalous"]} others detected'
  )
  if report['export_path']:
    print(f'exported {report["export_path"]} with an `anomaly` signature')


def _define_flags():
  # Defined when the script runs, not on import, so that tests can import
  # this module beside the other examples, which define the same names.
  flags.DEFINE_float(
    'calibration_fraction',
    default=0.2,
    help='Share of the normal training images held out to calibrate the threshold.',
  )
  flags.DEFINE_string(
    'data_dir',
    default=None,
    help='IDX directory of mnist / fashion_mnist (.gz or not); by default they are downloaded.',
  )
  flags.DEFINE_enum(
    'dataset',
    default='digits',
    enum_values=list(tfvae.datasets.DATASETS),
    help='Images to model; digits (8x8, shipped with tfvae) needs no data_dir.',
  )
  flags.DEFINE_integer('epochs', default=200, help='Passes over the normal training images.')
  flags.DEFINE_string(
    'export_base',
    default=None,
    help='Also export the model, with an `anomaly` signature, to <export_base>/<version>/.',
  )
  flags.DEFINE_float(
    'false_positive_rate',
    default=0.05,
    help='Share of the held-out normal images that the threshold flags.',
  )
  flags.DEFINE_integer('latent_size', default=16, help='Dimension of z.')
  flags.DEFINE_string(
    'model_dir',
    default=None,
    help='New or empty output directory (default: tfvae_runs/anomaly-<time>).',
  )
  flags.DEFINE_integer('normal_class', default=0, help='The class the model learns as normal.')
  flags.DEFINE_integer(
    'num_samples',
    default=100,
    help='Importance samples (log_likelihood, complexity) or posterior draws (elbo) per image.',
  )
  flags.DEFINE_enum(
    'score',
    default='log_likelihood',
    enum_values=list(tfvae.anomaly.SCORES),
    help='The score that is thresholded.',
  )
  flags.DEFINE_integer('seed', default=0, help='Seed for the split, initialization and scores.')
  flags.DEFINE_integer('verbose', default=2, help='Keras progress output: 0, 1 or 2.')


if __name__ == '__main__':
  _define_flags()
  app.run(main)
