# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Trains a VAE: `python -m tfvae.train [--flags]` (the main job)."""

from absl import app
from absl import flags
from absl import logging

from tfvae import datasets as datasets_lib
from tfvae import decoder as decoder_lib
from tfvae import encoder as encoder_lib
from tfvae import experiment as experiment_lib
from tfvae import vae as vae_lib

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
_FREE_BITS = flags.DEFINE_float(
  'free_bits', default=0.0, help="Floor in nats on each latent dimension's KL (diagonal posterior)."
)
_JIT_COMPILE = flags.DEFINE_enum(
  'jit_compile',
  default='auto',
  enum_values=['auto', 'true', 'false'],
  help='Compile the training step with XLA.',
)
_KL_WEIGHT = flags.DEFINE_float('kl_weight', default=1.0, help='Weight of the KL term.')
_KL_WARMUP_EPOCHS = flags.DEFINE_integer(
  'kl_warmup_epochs', default=0, help='Ramp the KL weight from 0 over this many epochs.'
)
_LATENT_SIZE = flags.DEFINE_integer('latent_size', default=32, help='Dimension of z.')
_LEARNING_RATE = flags.DEFINE_float('learning_rate', default=1e-3, help="Adam's learning rate.")
_LIKELIHOOD = flags.DEFINE_enum(
  'likelihood', default='bernoulli', enum_values=list(decoder_lib.LIKELIHOODS),
  help='p(x|z): bernoulli (binarized data), continuous_bernoulli or gaussian (grey levels).',
)  # fmt: skip
_MODEL_DIR = flags.DEFINE_string(
  'model_dir',
  default=None,
  help='Output directory (default: tfvae_runs/<dataset>-<time>). Rerun with the same '
  'flags to resume an interrupted run.',
)
_NUM_SAMPLES = flags.DEFINE_integer(
  'num_samples', default=1, help='Posterior samples per example in the objective.'
)
_OBJECTIVE = flags.DEFINE_enum(
  'objective', default='elbo', enum_values=list(vae_lib.OBJECTIVES),
  help='elbo, or iwae (importance-weighted bound with --num_samples).',
)  # fmt: skip
_POSTERIOR = flags.DEFINE_enum(
  'posterior', default='diagonal', enum_values=list(encoder_lib.POSTERIORS),
  help='q(z|x): diagonal, full_covariance or iaf.',
)  # fmt: skip
_PRIOR = flags.DEFINE_enum(
  'prior', default='standard_normal', enum_values=list(experiment_lib.PRIORS),
  help='p(z): standard_normal, mixture (10 learnable Gaussians) or vamp (VampPrior).',
)  # fmt: skip
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
    posterior=_POSTERIOR.value,
    likelihood=_LIKELIHOOD.value,
    prior=_PRIOR.value,
    objective=_OBJECTIVE.value,
    num_samples=_NUM_SAMPLES.value,
    free_bits=_FREE_BITS.value,
    kl_warmup_epochs=_KL_WARMUP_EPOCHS.value,
    verbose=_VERBOSE.value,
    export_base=_EXPORT_BASE.value,
  )


def run():
  """Console-script entry point."""
  app.run(main)


if __name__ == '__main__':
  run()
