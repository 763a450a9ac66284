# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A convolutional VAE: stride-2 Conv2D encoder, Conv2DTranspose decoder.

  python examples/conv_vae.py --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist --model_dir=/tmp/conv_vae

Writes the run (metrics, checkpoints, TensorBoard summaries, figures) to
`--model_dir`, like `python -m tfvae.train --architecture=conv`.
"""

from absl import app
from absl import flags
from absl import logging

from tfvae.jobs import experiment as experiment_lib

_DATA_DIR = flags.DEFINE_string(
  'data_dir',
  default=None,
  help='Directory of the four IDX files (.gz or not); by default they are downloaded.',
)
_DATASET = flags.DEFINE_enum(
  'dataset',
  default='mnist',
  enum_values=['digits', 'fashion_mnist', 'mnist'],
  help='Images to model; digits (8x8, shipped with tfvae) needs no data_dir.',
)
_EPOCHS = flags.DEFINE_integer('epochs', default=30, help='Passes over the training set.')
_LATENT_SIZE = flags.DEFINE_integer('latent_size', default=16, help='Dimension of z.')
_MODEL_DIR = flags.DEFINE_string(
  'model_dir', default=None, help='Output directory (default: tfvae_runs/<dataset>-<time>).'
)
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed for initialization and data.')
_VERBOSE = flags.DEFINE_integer('verbose', default=2, help='Keras progress output: 0, 1 or 2.')


def main(argv):
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)  # TensorFlow logs every checkpoint at INFO.
  experiment_lib.train(
    dataset=_DATASET.value,
    data_dir=_DATA_DIR.value,
    architecture='conv',
    latent_size=_LATENT_SIZE.value,
    hidden_units=(32, 64),  # Filters of the two stride-2 convolutions.
    epochs=_EPOCHS.value,
    batch_size=128,
    learning_rate=1e-3,
    seed=_SEED.value,
    model_dir=_MODEL_DIR.value,
    verbose=_VERBOSE.value,
  )


if __name__ == '__main__':
  app.run(main)
