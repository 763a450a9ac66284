# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Anomaly scores of a run's data: `python -m tfvae.score --model_dir=... [--dataset=...]`.

Writes one CSV row per example with each score and whether it exceeds a
threshold calibrated on the run's validation split (`tfvae.evaluation.score_run`).
"""

from absl import flags

from tfvae.internal import cli

__all__ = ['SCORES', 'SPLITS', 'define_flags', 'main', 'run']

# `tfvae.anomaly.SCORES` and `tfvae.sources.SPLITS`, spelled out so that the
# flags are defined without importing TensorFlow (score_test checks them).
SCORES = ('complexity', 'elbo', 'log_likelihood', 'reconstruction')
SPLITS = ('train', 'validation', 'test')
# Arguments of the library functions the command calls, and the flags that set them.
_ALIASES = {'name': 'dataset', 'spec': 'dataset', 'score': 'scores'}


def define_flags(flag_values=flags.FLAGS):
  """Defines the flags of `python -m tfvae.score`."""
  flags.DEFINE_integer(
    'batch_size', default=100, help='Examples per batch.', flag_values=flag_values
  )
  flags.DEFINE_string(
    'dataset',
    default=None,
    help="Data to score instead of the run's own: anything --dataset of python -m tfvae.train "
    "takes (a name, .npz, a folder of images, TFRecords, CSV), read with the run's options.",
    flag_values=flag_values,
  )
  flags.DEFINE_float(
    'false_positive_rate',
    default=0.01,
    help='Share of normal (validation) examples each threshold flags.',
    flag_values=flag_values,
  )
  flags.DEFINE_string(
    'model_dir',
    default=None,
    required=True,
    help='Directory written by python -m tfvae.train.',
    flag_values=flag_values,
  )
  flags.DEFINE_integer(
    'num_samples', default=1000, help='Importance samples per example.', flag_values=flag_values
  )
  flags.DEFINE_string(
    'output',
    default=None,
    help='CSV output (default: <model_dir>/anomaly_scores.csv).',
    flag_values=flag_values,
  )
  flags.DEFINE_multi_enum(
    'scores',
    default=['log_likelihood'],
    enum_values=list(SCORES),
    help='Scores to compute (repeat the flag for several).',
    flag_values=flag_values,
  )
  flags.DEFINE_multi_enum(
    'splits',
    default=None,
    enum_values=list(SPLITS),
    help="Splits to score (repeat for several). Default: test for the run's data, all three "
    'for another --dataset.',
    flag_values=flag_values,
  )
  flags.DEFINE_integer(
    'verbose',
    default=1,
    help="0 or 1: the output file and the thresholds; 2: TensorFlow's logs and the traceback "
    'of any error.',
    flag_values=flag_values,
  )


def main(argv):
  """Scores as the flags say (absl entry point)."""
  del argv  # Unused.
  from tfvae.data import sources as sources_lib
  from tfvae.jobs import evaluation as evaluation_lib

  splits = flags.FLAGS.splits or (['test'] if flags.FLAGS.dataset is None else SPLITS)
  try:
    result = evaluation_lib.score_run(
      flags.FLAGS.model_dir,
      scores=flags.FLAGS.scores,
      splits=splits,
      dataset=flags.FLAGS.dataset,
      false_positive_rate=flags.FLAGS.false_positive_rate,
      num_samples=flags.FLAGS.num_samples,
      batch_size=flags.FLAGS.batch_size,
      output=flags.FLAGS.output,
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
