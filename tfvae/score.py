# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Anomaly scores of a run's data: `python -m tfvae.score --model_dir=... [--dataset=...]`.

Writes one CSV row per example, in source order, naming the file and row it
was read from, with each score and whether it exceeds a threshold calibrated
on the run's validation split (`tfvae.evaluation.score_run`).
"""

from absl import app
from absl import flags
from absl import logging

from tfvae.analysis import anomaly as anomaly_lib
from tfvae.data import sources as sources_lib
from tfvae.jobs import command_options
from tfvae.jobs import evaluation as evaluation_lib

__all__ = ['define_flags', 'main', 'run']


def define_flags(flag_values=flags.FLAGS):
  """Defines the flags of `python -m tfvae.score`."""
  command_options.define('batch_size', flag_values)
  command_options.define(
    'dataset',
    flag_values,
    help="Data to score instead of the run's own: anything --dataset of python -m tfvae.train "
    "takes (a name, .npz, a folder of images, TFRecords, CSV), read with the run's options; "
    'scored whole unless --splits are given.',
  )
  command_options.define('false_positive_rate', flag_values)
  command_options.define('importance_samples', flag_values)
  command_options.define('model_dir', flag_values, required=True)
  command_options.define(
    'output', flag_values, help='CSV output (default: <model_dir>/anomaly_scores.csv).'
  )
  command_options.define('run_dataset', flag_values)
  flags.DEFINE_multi_enum(
    'scores',
    default=['log_likelihood'],
    enum_values=list(anomaly_lib.SCORES),
    help='Scores to compute (repeat the flag for several).',
    flag_values=flag_values,
  )
  flags.DEFINE_multi_enum(
    'splits',
    default=None,
    enum_values=list(sources_lib.SPLITS),
    help="Splits to score (repeat for several). Default: test for the run's data; every "
    'example (split column `all`) for another --dataset.',
    flag_values=flag_values,
  )


def main(argv):
  """Scores as the flags say (absl entry point)."""
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  splits = flags.FLAGS.splits or (['test'] if flags.FLAGS.dataset is None else None)
  result = evaluation_lib.score_run(
    flags.FLAGS.model_dir,
    scores=flags.FLAGS.scores,
    splits=splits,
    dataset=flags.FLAGS.dataset,
    false_positive_rate=flags.FLAGS.false_positive_rate,
    importance_samples=flags.FLAGS.importance_samples,
    batch_size=flags.FLAGS.batch_size,
    output=flags.FLAGS.output,
    run_dataset=flags.FLAGS.run_dataset,
  )
  print(f'tfvae: scored {result["num_examples"]} examples into {result["output"]}')
  for score, value in result['thresholds'].items():
    print(f'{score}: threshold {value:.4f}')


def run():
  """Console-script entry point."""
  define_flags()
  app.run(main)


if __name__ == '__main__':
  run()
