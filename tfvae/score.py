# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Anomaly scores of a run's data: `python -m tfvae.score --model_dir=... [--dataset=...]`.

Writes one CSV row per example, in source order, naming the file and row it
was read from, with each score and whether it exceeds a threshold calibrated
on the run's validation split (`tfvae.evaluation.score_run`).
"""

from absl import flags

from tfvae.internal import cli
from tfvae.jobs import command_options

__all__ = ['SCORES', 'SPLITS', 'define_flags', 'main', 'run']

# `tfvae.anomaly.SCORES` with `tfvae.anomaly.COMBINED`, and
# `tfvae.sources.SPLITS`, spelled out so that the flags are defined without
# importing TensorFlow (config_test checks them).
SCORES = ('complexity', 'elbo', 'log_likelihood', 'reconstruction', 'combined')
SPLITS = ('train', 'validation', 'test')
# Arguments of the library functions the command calls, and the flags that set them.
_ALIASES = {'name': 'dataset', 'spec': 'dataset', 'score': 'scores'}


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
    default=None,
    enum_values=list(SCORES),
    help='Scores to compute (repeat the flag for several). combined: the complexity and '
    'reconstruction scores, each standardized on the validation split, summed (both parts '
    'are written too). Default: combined for images, log_likelihood for tables (what the '
    'benchmarks recommend).',
    flag_values=flag_values,
  )
  flags.DEFINE_multi_enum(
    'splits',
    default=None,
    enum_values=list(SPLITS),
    help="Splits to score (repeat for several). Default: test for the run's data; every "
    'example (split column `all`) for another --dataset.',
    flag_values=flag_values,
  )
  command_options.define(
    'verbose',
    flag_values,
    help="0 or 1: the output file and the thresholds; 2: TensorFlow's logs and the traceback "
    'of any error.',
  )


def main(argv):
  """Scores as the flags say (absl entry point)."""
  del argv  # Unused.
  from tfvae.data import sources as sources_lib
  from tfvae.jobs import evaluation as evaluation_lib

  splits = flags.FLAGS.splits or (['test'] if flags.FLAGS.dataset is None else None)
  try:
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
  except sources_lib.DataError as error:
    if flags.FLAGS.dataset is not None:
      raise ValueError(f'`dataset`: {error}') from error
    raise ValueError(f"`model_dir`: the run's data: {error}") from error
  print(f'tfvae: scored {result["num_examples"]} examples into {result["output"]}')
  thresholds = result['thresholds'].items()
  print('tfvae: thresholds ' + ', '.join(f'{s}={v:.4f}' for s, v in thresholds))


def run():
  """Console-script entry point."""
  define_flags()
  cli.run(main, aliases=_ALIASES)


if __name__ == '__main__':
  run()
