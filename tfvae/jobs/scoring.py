# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A run's anomaly scores, each row joined to the file and row it was read from.

`score_run` is what `python -m tfvae.score` runs: one pass over the data in
source order (`tfvae.sources.Source.rows`), every score of every example,
thresholds calibrated on the run's validation split (read in the same pass
when the run's own data are scored), and a CSV with one row per example.
"""

import csv
import os
from typing import NamedTuple

import numpy as np

from tfvae.analysis import anomaly as anomaly_lib
from tfvae.data import sources as sources_lib
from tfvae.internal import checks
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir as run_dir_lib

__all__ = [
  'ScoreTable',
  'calibrate',
  'default_scores',
  'score_rows',
  'score_run',
]

# Batches scored at once: `anomaly.scores` runs over one chunk of a split at a
# time (its draws seeded by the run's seed and the chunk's index in the split).
_CHUNK_BATCHES = 100


class ScoreTable(NamedTuple):
  """Scores of examples in source order, with where each was read.

  Attributes:
    files: the names `file` indexes.
    file: int64 `[n]`, each example's file (an index into `files`).
    row: int64 `[n]`, its 0-based record index in the file (see `Source.rows`).
    split: int64 `[n]`, its split (an index into `tfvae.sources.SPLITS`), or -1
      when the data were read whole.
    label: int64 `[n]` labels, or `None`.
    scores: `{score: float64 [n]}`.
  """

  files: list
  file: np.ndarray
  row: np.ndarray
  split: np.ndarray
  label: np.ndarray | None
  scores: dict

  def select(self, mask) -> 'ScoreTable':
    """The rows where `mask`."""
    return self._replace(
      file=self.file[mask],
      row=self.row[mask],
      split=self.split[mask],
      label=None if self.label is None else self.label[mask],
      scores={name: values[mask] for name, values in self.scores.items()},
    )


def score_rows(
  model, config, source, splits, scores, importance_samples: int, batch_size: int
) -> ScoreTable:
  """Every score of the examples of `splits` (`None`: all, read whole), read once in source order.

  Examples are prepared as the job prepares its evaluation data (binarized
  once with the run's seed for a Bernoulli likelihood; labels as conditions
  for a conditional model). Each split's examples are scored with
  `tfvae.anomaly.scores` in chunks of `_CHUNK_BATCHES` batches, chunk `k` with
  the seed `[config.seed, k]`: a split of up to that many batches gets exactly
  `anomaly.scores(model, x, score, seed=config.seed, batch_size=batch_size)`
  of its examples in source order.
  """
  whole = splits is None
  data, files = source.rows(
    splits,
    batch_size,
    binarization=pipelines.binarization(config, training=False),
    seed=config.seed,
  )
  columns = {'file': [], 'row': [], 'split': [], 'label': []}
  values = {score: [] for score in scores}
  chunks_done = {}
  pending = []

  def flush():
    if not pending:
      return
    chunk = {key: np.concatenate([b[key] for b in pending]) for key in pending[0]}
    pending.clear()
    group_of = np.zeros_like(chunk['split']) if whole else chunk['split']
    for key in ('file', 'row', 'split'):
      columns[key].append(chunk[key])
    if 'y' in chunk:
      columns['label'].append(chunk['y'])
    chunk_values = {score: np.zeros(len(group_of), np.float64) for score in scores}
    for group in np.unique(group_of):  # Each split's examples, in source order.
      mask = group_of == group
      k = chunks_done.get(int(group), 0)
      chunks_done[int(group)] = k + 1
      condition = chunk['y'][mask] if config.conditional else None
      for score in scores:
        chunk_values[score][mask] = anomaly_lib.scores(
          model,
          chunk['x'][mask],
          score,
          condition=condition,
          num_samples=importance_samples,
          seed=np.array([config.seed, k], np.int32),
          batch_size=batch_size,
        )
    for score in scores:
      values[score].append(chunk_values[score])

  size = 0
  for batch in data.as_numpy_iterator():
    pending.append(batch)
    size += 1
    if size == _CHUNK_BATCHES:
      flush()
      size = 0
  flush()
  split = np.concatenate(columns['split']) if columns['split'] else np.zeros(0, np.int64)
  return ScoreTable(
    files=files,
    file=np.concatenate(columns['file']) if columns['file'] else np.zeros(0, np.int64),
    row=np.concatenate(columns['row']) if columns['row'] else np.zeros(0, np.int64),
    split=np.full_like(split, -1) if whole else split,
    label=np.concatenate(columns['label']) if columns['label'] else None,
    scores={
      score: np.concatenate(v) if v else np.zeros(0, np.float64) for score, v in values.items()
    },
  )


def calibrate(table: ScoreTable, false_positive_rate: float, importance_samples: int) -> dict:
  """`{score: tfvae.anomaly.Threshold}` calibrated on a table of normal (validation) scores."""
  return {
    score: anomaly_lib.calibrate(values, false_positive_rate, score, importance_samples)
    for score, values in table.scores.items()
  }


def validation_table(run, scores, importance_samples, batch_size) -> ScoreTable:
  """The scores of the run's validation split, on which thresholds are calibrated."""
  _check_validation(run)
  return score_rows(
    run.model, run.config, run.source, ['validation'], scores, importance_samples, batch_size
  )


def default_scores(run) -> tuple:
  """What `score_run` computes unless told: the score the benchmarks recommend for the data.

  `('combined',)` for images (on Fashion-MNIST's one-class protocol it beats
  kNN, IsolationForest and PCA, where the raw likelihood ranks simple images
  of other classes as likely: benchmarks/README.md), `('log_likelihood',)`
  for tables.
  """
  images = len(run_dir_lib.as_run(run).model.event_shape) == 3
  return (anomaly_lib.COMBINED,) if images else ('log_likelihood',)


def score_run(
  run,
  scores=None,
  splits=('test',),
  dataset: str | None = None,
  false_positive_rate: float = 0.01,
  importance_samples: int = 1000,
  batch_size: int = 100,
  output: str | None = None,
  run_dataset: str | None = None,
) -> dict:
  """Scores data with a run's model and writes per-example scores and flags to a CSV.

  Each score's threshold is calibrated on the run's validation split; an
  example is flagged when its score exceeds it. The data are the run's own
  (`splits` of its dataset) or another source the job reads (`dataset`,
  opened with the run's options: image size, channels, label column), read
  whole unless `splits` are given. They are read once, in source order
  (files in order, records in file order), and prepared as the job prepares
  them (binarized once with the run's seed for a Bernoulli likelihood). The
  model is loaded once, and scoring the run's own data reads its validation
  split in the same pass.

  The CSV has a row per example, in source order: `file` (the path it was
  read from), `row` (its 0-based record index in that file: a CSV data line,
  the header not counted, so line `row + 2`; a TFRecord record; 0 for an
  image file; the index in an array, whose `file` is `<path>:x_train` for an
  `.npz` of `x_train` and `x_test`), `split` (`train`, `validation`, `test`,
  or `all` for data read whole), `label` (when the data have labels), and for
  each score `<score>` and `<score>_anomaly` (0 or 1). The thresholds go to
  `<output>.thresholds.json`.

  Args:
    run: a `tfvae.experiment.Run` or the main job's output directory.
    scores: names from `tfvae.anomaly.SCORES`, or `'combined'`
      (`tfvae.anomaly.combine` of the complexity and reconstruction scores,
      standardized on the validation split; both parts are scored and written
      too).
      Default value: `None`: `default_scores(run)`, `('combined',)` for
      images and `('log_likelihood',)` for tables.
    splits: the splits to score, or `None`: every example, read whole.
      Default value: `('test',)`; with `dataset`, pass `None` to score it whole.
    dataset: another data source to score instead of the run's.
      Default value: `None`.
    false_positive_rate: the share of normal (validation) examples flagged.
      Default value: `0.01`.
    importance_samples: importance samples per example.
      Default value: `1000`.
    batch_size: examples per batch.
      Default value: `100`.
    output: the CSV file.
      Default value: `None`: `<model_dir>/anomaly_scores.csv`.
    run_dataset: where the run's own data are now, if they moved.
      Default value: `None`: where its config.json says.

  Returns:
    `dict` of the CSV's path (`'output'`), the number of rows
    (`'num_examples'`) and the thresholds (`'thresholds'`, score -> value).

  Raises:
    ValueError: bad arguments, a run without validation split, or data that
      fail the scan.
  """
  if scores is not None:
    scores = [
      checks.check_choice(s, (*anomaly_lib.SCORES, anomaly_lib.COMBINED), 'scores') for s in scores
    ]
    if not scores:
      raise ValueError('`scores` must name at least one score.')
  if splits is not None:
    splits = [checks.check_choice(s, sources_lib.SPLITS, 'splits') for s in splits]
    if not splits:
      raise ValueError('`splits` must name at least one split, or be None (all data).')
  importance_samples = checks.check_positive_int(importance_samples, 'importance_samples')
  run = run_dir_lib.as_run(run, run_dataset, 'run_dataset')
  if scores is None:
    scores = list(default_scores(run))
  combined = anomaly_lib.COMBINED in scores
  if combined:  # Its parts are scored (once each), then combined.
    scores = list(dict.fromkeys(s for s in scores if s != anomaly_lib.COMBINED))
    scores += [s for s in anomaly_lib.COMBINED_PARTS if s not in scores]
  config = run.config
  levels = run.dir.read_json(run.dir.LEVELS, {})  # Written by training (images only).
  pipelines.warn_if_binarized(config, levels.get('grey_share'))
  if dataset is None:
    _check_validation(run)
    read = None if splits is None else sorted(set(splits) | {'validation'}, key=_split_index)
    table = score_rows(run.model, config, run.source, read, scores, importance_samples, batch_size)
    normal = table.select(table.split == _split_index('validation'))
    if splits is not None:
      table = table.select(np.isin(table.split, [_split_index(s) for s in splits]))
  else:
    normal = validation_table(run, scores, importance_samples, batch_size)
    config = pipelines.absolute_paths(config.replace(dataset=os.fspath(dataset)))
    source = pipelines.make_source(config)
    if config.conditional and source.scan(require_splits=False).num_classes is None:
      raise ValueError(
        f'`dataset`: {config.dataset} has no labels, which the conditional run needs.'
      )
    table = score_rows(run.model, config, source, splits, scores, importance_samples, batch_size)
  if combined:
    table, normal = (_with_combined(t, normal) for t in (table, normal))
  thresholds = calibrate(normal, false_positive_rate, importance_samples)
  output = output or run.dir.file(run.dir.SCORES)
  _write_csv(output, table, thresholds)
  run_dir_lib.write_json(
    run.dir.thresholds_file(output), {s: t.to_json() for s, t in thresholds.items()}
  )
  return {
    'output': output,
    'num_examples': len(table.row),
    'thresholds': {s: t.value for s, t in thresholds.items()},
  }


def _with_combined(table, normal):
  """`table` with the combined score, standardized on `normal` (validation) scores."""
  values = anomaly_lib.combine(table.scores, normal.scores)
  return table._replace(scores={**table.scores, anomaly_lib.COMBINED: values})


def _write_csv(path, table, thresholds):
  tmp = f'{path}.tmp'
  with open(tmp, 'w', newline='') as f:
    writer = csv.writer(f)
    header = ['file', 'row', 'split'] + (['label'] if table.label is not None else [])
    writer.writerow(header + [c for s in table.scores for c in (s, f'{s}_anomaly')])
    flags = {s: anomaly_lib.flag(v, thresholds[s]) for s, v in table.scores.items()}
    for i in range(len(table.row)):
      split = sources_lib.SPLITS[table.split[i]] if table.split[i] >= 0 else 'all'
      row = [table.files[table.file[i]], int(table.row[i]), split]
      if table.label is not None:
        row.append(int(table.label[i]))
      for score, values in table.scores.items():
        row += [repr(float(values[i])), int(flags[score][i])]
      writer.writerow(row)
  os.replace(tmp, path)


def _check_validation(run):
  if not run.source.scan().num_examples['validation']:
    raise ValueError(
      f'`model_dir`: the run in {run.model_dir} has no validation split to calibrate on; train '
      'it with `validation_fraction` > 0.'
    )


def _split_index(split):
  return sources_lib.SPLITS.index(split)
