# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluate, score, calibrate and export a finished run of the main job.

Also re-exports `evaluate` and `ACTIVE_UNIT_THRESHOLD` of `tfvae.analysis.evaluation`, so
`tfvae.evaluation` offers the evaluation of a model and of a run in one place.
"""

import csv
import json
import os

import numpy as np

from tfvae.analysis import anomaly as anomaly_lib
from tfvae.analysis import evaluation as evaluation_lib
from tfvae.data import sources as sources_lib
from tfvae.internal import checks
from tfvae.jobs import experiment as experiment_lib
from tfvae.serving import saved_model as serving_lib

__all__ = [
  'ACTIVE_UNIT_THRESHOLD',
  'calibrate_run',
  'evaluate',
  'evaluate_run',
  'export_run',
  'score_run',
]

ACTIVE_UNIT_THRESHOLD = evaluation_lib.ACTIVE_UNIT_THRESHOLD
evaluate = evaluation_lib.evaluate


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
  results = evaluation_lib.evaluate(
    run.model, test, num_samples, seed=run.config.seed, verbose=verbose
  )
  output = output or os.path.join(run.model_dir, 'evaluation.json')
  tmp = f'{output}.tmp'
  with open(tmp, 'w') as f:
    json.dump(results, f, indent=2, sort_keys=True)
    f.write('\n')
  os.replace(tmp, output)
  return results


def export_run(
  model_dir: str,
  export_base: str,
  version: int | None = None,
  overwrite: bool = False,
  warmup: bool = True,
  anomaly_score: str | None = None,
  false_positive_rate: float = 0.01,
  num_samples: int = 1000,
) -> str:
  """Exports the model of a finished training run as a versioned SavedModel.

  Args:
    model_dir: the run directory of `python -m tfvae.train` (or
      `tfvae.experiment.train`); its `model.keras` is exported.
    export_base: directory of versions; see `tfvae.export_saved_model`.
    version: positive integer version.
      Default value: `None`: the next one.
    overwrite: replace an existing version.
      Default value: `False`.
    warmup: write TF Serving warmup requests.
      Default value: `True`.
    anomaly_score: one of `tfvae.anomaly.SCORES`: add an `anomaly` signature
      whose threshold is calibrated on the run's validation split
      (`tfvae.evaluation.calibrate_run`).
      Default value: `None`: no `anomaly` signature.
    false_positive_rate: the share of normal examples the threshold flags.
      Default value: `0.01`.
    num_samples: importance samples of the anomaly score.
      Default value: `1000`.

  Returns:
    The path of the version directory written.

  Raises:
    ValueError: if `model_dir` holds no finished run.
    FileExistsError: if the version exists and `overwrite` is false.
  """
  model = experiment_lib.load_model(model_dir)
  threshold = None
  if anomaly_score is not None:
    threshold = calibrate_run(model_dir, anomaly_score, false_positive_rate, num_samples)
  return serving_lib.export_saved_model(
    model, export_base, version=version, overwrite=overwrite, warmup=warmup, anomaly=threshold
  )


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
