# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Trains a VAE: `python -m tfvae.train [--flags]` (the main job)."""

from absl import app
from absl import flags
from absl import logging

from tfvae import datasets as datasets_lib
from tfvae import encoder as encoder_lib
from tfvae import experiment as experiment_lib

__all__ = ['main', 'run']

_ARCHITECTURE = flags.DEFINE_enum(
  'architecture',
  default='dense',
  enum_values=list(encoder_lib.ARCHITECTURES),
  help='Encoder/decoder family.',
)
_BATCH_SIZE = flags.DEFINE_integer('batch_size', default=128, help='Global batch size.')
_DATA_DIR = flags.DEFINE_string(
  'data_dir',
  default=None,
  help='Directory with the IDX files of mnist / fashion_mnist (for example '
  '/usr/share/datasets/fashion-mnist); by default they are downloaded.',
)
_DATASET = flags.DEFINE_string(
  'dataset',
  default='digits',
  help=f'One of {list(datasets_lib.DATASETS)}, or a .npz/.npy file of images in [0, 1].',
)
_EPOCHS = flags.DEFINE_integer('epochs', default=100, help='Passes over the training set.')
_EXPORT_BASE = flags.DEFINE_string(
  'export_base',
  default=None,
  help='If set, export the trained model for TensorFlow Serving to the next version '
  'directory <export_base>/<version>/ (see python -m tfvae.export).',
)
_HIDDEN_UNITS = flags.DEFINE_list(
  'hidden_units',
  default=None,
  help='Encoder widths (dense) or filters (conv); the decoder mirrors them. '
  'Default: 512,256 (dense) or 32,64 (conv).',
)
_JIT_COMPILE = flags.DEFINE_enum(
  'jit_compile',
  default='auto',
  enum_values=['auto', 'true', 'false'],
  help='Compile the training step with XLA.',
)
_KL_WEIGHT = flags.DEFINE_float('kl_weight', default=1.0, help='Weight of the KL term.')
_LATENT_SIZE = flags.DEFINE_integer('latent_size', default=32, help='Dimension of z.')
_LEARNING_RATE = flags.DEFINE_float('learning_rate', default=1e-3, help="Adam's learning rate.")
_MODEL_DIR = flags.DEFINE_string(
  'model_dir',
  default=None,
  help='Output directory (default: tfvae_runs/<dataset>-<time>). Rerun with the same '
  'flags to resume an interrupted run.',
)
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed for initialization and data.')
_STRATEGY = flags.DEFINE_enum(
  'strategy',
  default='default',
  enum_values=list(experiment_lib.STRATEGIES),
  help='tf.distribute strategy; multi_worker reads TF_CONFIG.',
)
_VERBOSE = flags.DEFINE_integer('verbose', default=1, help='Keras progress output: 0, 1 or 2.')


def main(argv):
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)  # TensorFlow logs every checkpoint at INFO.
  hidden_units = _HIDDEN_UNITS.value
  experiment_lib.train(
    dataset=_DATASET.value,
    data_dir=_DATA_DIR.value,
    architecture=_ARCHITECTURE.value,
    latent_size=_LATENT_SIZE.value,
    hidden_units=None if hidden_units is None else [int(u) for u in hidden_units],
    epochs=_EPOCHS.value,
    batch_size=_BATCH_SIZE.value,
    learning_rate=_LEARNING_RATE.value,
    kl_weight=_KL_WEIGHT.value,
    seed=_SEED.value,
    model_dir=_MODEL_DIR.value,
    strategy=_STRATEGY.value,
    jit_compile={'auto': None, 'true': True, 'false': False}[_JIT_COMPILE.value],
    verbose=_VERBOSE.value,
    export_base=_EXPORT_BASE.value,
  )


def run():
  """Console-script entry point."""
  app.run(main)


if __name__ == '__main__':
  run()
