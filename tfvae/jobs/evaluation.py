# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Evaluate, score, calibrate and export a finished run of the main job.

Each takes a loaded run (`tfvae.experiment.Run`, which loads its model and
scans its data once) or its directory. Also re-exports `evaluate` and
`ACTIVE_UNIT_THRESHOLD` of `tfvae.analysis.evaluation` and `score_run` of
`tfvae.jobs.scoring`, so `tfvae.evaluation` offers the evaluation of a model
and of a run in one place.
"""

from tfvae.analysis import anomaly as anomaly_lib
from tfvae.analysis import evaluation as evaluation_lib
from tfvae.internal import checks
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir as run_dir_lib
from tfvae.jobs import scoring
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
score_run = scoring.score_run


def evaluate_run(
  run,
  importance_samples: int = 1000,
  batch_size: int = 100,
  output: str | None = None,
  verbose: int = 1,
  dataset: str | None = None,
) -> dict:
  """Evaluates a run of `python -m tfvae.train` on its test split.

  Scores the run's test split as the job made it
  (`tfvae.experiment.make_dataset`: binarized once with the run's seed for a
  Bernoulli likelihood, with labels for a conditional run), streamed batch by
  batch, and writes the result as JSON to `output`.

  Args:
    run: a `tfvae.experiment.Run`, or the main job's output directory.
    importance_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    output: where to write the JSON.
      Default value: `None`: `model_dir/evaluation.json`.
    verbose: progress bar.
      Default value: `1`.
    dataset: where the run's data are now, if they moved.
      Default value: `None`: where its config.json says.

  Returns:
    The `dict` of `evaluate`.

  Raises:
    ValueError: if `model_dir` holds no finished run, or its data are missing.
  """
  run = run_dir_lib.as_run(run, dataset)
  test = pipelines.make_dataset(run.config, run.source, 'test', batch_size=batch_size)
  results = evaluation_lib.evaluate(
    run.model, test, importance_samples, seed=run.config.seed, verbose=verbose
  )
  run_dir_lib.write_json(output or run.dir.file(run.dir.EVALUATION), results)
  return results


def calibrate_run(
  run,
  score: str = 'log_likelihood',
  false_positive_rate: float = 0.01,
  importance_samples: int = 1000,
  batch_size: int = 100,
  dataset: str | None = None,
) -> anomaly_lib.Threshold:
  """An anomaly threshold for a run, calibrated on its validation split.

  The validation split is normal data the model did not train on (held out
  of the training data, as the job made it); the threshold flags
  `false_positive_rate` of it.

  Args:
    run: a `tfvae.experiment.Run`, or the main job's output directory.
    score: one of `tfvae.anomaly.SCORES`.
      Default value: `'log_likelihood'`.
    false_positive_rate: the share of normal examples to flag.
      Default value: `0.01`.
    importance_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    dataset: where the run's data are now, if they moved.
      Default value: `None`: where its config.json says.

  Returns:
    A `tfvae.anomaly.Threshold`.

  Raises:
    ValueError: if `model_dir` holds no finished run, or the run has no
      validation split (train it with `validation_fraction > 0`).
  """
  checks.check_choice(score, anomaly_lib.SCORES, 'score')
  run = run_dir_lib.as_run(run, dataset)
  normal = scoring.validation_table(run, [score], importance_samples, batch_size)
  return scoring.calibrate(normal, false_positive_rate, importance_samples)[score]


def export_run(
  run,
  export_base: str,
  version: int | None = None,
  overwrite: bool = False,
  warmup: bool = True,
  anomaly_score: str | None = None,
  false_positive_rate: float = 0.01,
  importance_samples: int = 1000,
  dataset: str | None = None,
  sample_temperature: float | None = None,
) -> str:
  """Exports the model of a finished training run as a versioned SavedModel.

  Args:
    run: a `tfvae.experiment.Run`, or the run directory of `python -m
      tfvae.train` (or `tfvae.experiment.train`); its `model.keras` is exported.
    export_base: directory of versions; see `tfvae.export_saved_model`.
    version: positive integer version.
      Default value: `None`: the next one.
    overwrite: replace an existing version.
      Default value: `False`.
    warmup: write TF Serving warmup requests.
      Default value: `True`.
    anomaly_score: one of `tfvae.anomaly.SCORES`: add an `anomaly` signature
      whose threshold is calibrated on the run's validation split
      (`calibrate_run`).
      Default value: `None`: no `anomaly` signature.
    false_positive_rate: the share of normal examples the threshold flags.
      Default value: `0.01`.
    importance_samples: importance samples of the anomaly score.
      Default value: `1000`.
    dataset: where the run's data are now, if they moved (for the calibration).
      Default value: `None`: where its config.json says.
    sample_temperature: the temperature of the `sample` signature's prior
      draws (`tfvae.export_saved_model`).
      Default value: `None`: the run's `sample_temperature` (0.8 for a
      conditional run of the job's defaults; 1 for a run that predates it, or
      a bare model.keras).

  Returns:
    The path of the version directory written.

  Raises:
    ValueError: if `model_dir` holds no finished run.
    FileExistsError: if the version exists and `overwrite` is false.
  """
  run = run_dir_lib.as_run(run, dataset)
  if sample_temperature is None:  # The run's; 1 for a model.keras without its config.json.
    has_config = run.dir.has(run_dir_lib.CONFIG_FILE)
    sample_temperature = run.config.sample_temperature if has_config else 1.0
  # Refused before the calibration, not after it.
  sample_temperature = run.model.check_temperature(sample_temperature, 'sample_temperature')
  threshold = None
  if anomaly_score is not None:
    threshold = calibrate_run(run, anomaly_score, false_positive_rate, importance_samples)
  return serving_lib.export_saved_model(
    run.model,
    export_base,
    version=version,
    overwrite=overwrite,
    warmup=warmup,
    anomaly=threshold,
    sample_temperature=sample_temperature,
  )
