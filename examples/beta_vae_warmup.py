# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A beta-VAE (KL weight > 1) whose KL weight warms up from 0 (`KLWarmup`).

  python examples/beta_vae_warmup.py --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist --model_dir=/tmp/beta_vae

The KL weight rises linearly from 0 to `--kl_weight` over `--warmup_epochs`
epochs, then stays there. The run directory gets `metrics.json` (test metrics
and the per-epoch history, `kl_weight` included), TensorBoard summaries in
`tensorboard/` and, with matplotlib, the figures of `tfvae.plot`
(`kl_per_dimension.png` shows how few latent dimensions a large weight
leaves active).

#### References

[1] Irina Higgins et al. beta-VAE: Learning Basic Visual Concepts with a
    Constrained Variational Framework. In ICLR, 2017.
"""

import datetime
import json
import os

from absl import app
from absl import flags
from absl import logging

import tfvae

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
_KL_WEIGHT = flags.DEFINE_float('kl_weight', default=4.0, help='Final KL weight (beta).')
_LATENT_SIZE = flags.DEFINE_integer('latent_size', default=10, help='Dimension of z.')
_MODEL_DIR = flags.DEFINE_string(
  'model_dir', default=None, help='Output directory (default: tfvae_runs/beta_vae-<time>).'
)
_SEED = flags.DEFINE_integer('seed', default=0, help='Seed for initialization and data.')
_VERBOSE = flags.DEFINE_integer('verbose', default=2, help='Keras progress output: 0, 1 or 2.')
_WARMUP_EPOCHS = flags.DEFINE_integer(
  'warmup_epochs', default=10, help='Epochs over which the KL weight rises from 0.'
)


def train_beta_vae(
  dataset: str = 'mnist',
  data_dir: str | None = None,
  kl_weight: float = 4.0,
  warmup_epochs: int = 10,
  epochs: int = 30,
  latent_size: int = 10,
  batch_size: int = 128,
  seed: int = 0,
  model_dir: str | None = None,
  verbose: int = 2,
) -> dict:
  """Trains a dense beta-VAE with KL warm-up; returns its test metrics and history.

  Args:
    dataset: `'digits'`, `'mnist'` or `'fashion_mnist'`.
    data_dir: IDX directory for `mnist` / `fashion_mnist`.
    kl_weight: the KL weight (beta) after the warm-up.
    warmup_epochs: epochs of the linear ramp from 0 to `kl_weight`.
    epochs: passes over the training set.
    latent_size: dimension of z.
    batch_size: examples per batch.
    seed: seed of initialization, shuffling and binarization.
    model_dir: new or empty output directory.
      Default value: `None`: `tfvae_runs/beta_vae-<time>`.
    verbose: Keras progress output.

  Returns:
    `dict` with the test `loss`, `reconstruction`, `kl`, the number of
    `active_dimensions` (mean KL > 0.01 nats) and the per-epoch `history`.

  Raises:
    ValueError: if `model_dir` holds files.
  """
  if model_dir is None:
    model_dir = os.path.join('tfvae_runs', f'beta_vae-{datetime.datetime.now():%Y%m%d-%H%M%S}')
  if os.path.isdir(model_dir) and os.listdir(model_dir):
    raise ValueError(f'`model_dir`: {model_dir} is not empty; choose a new directory.')
  os.makedirs(model_dir, exist_ok=True)

  (x_train, _), (x_test, y_test) = tfvae.datasets.load(dataset, data_dir=data_dir, seed=seed)
  x_eval = tfvae.datasets.binarize(x_test, seed)
  train_ds = tfvae.datasets.make_dataset(x_train, batch_size, seed=seed)
  test_ds = tfvae.datasets.make_dataset(x_eval, batch_size, shuffle=False, binarization=None)

  tfvae.keras.utils.set_random_seed(seed)
  event_shape = x_train.shape[1:]
  encoder = tfvae.make_encoder(event_shape, latent_size, (512, 256), kl_weight=kl_weight)
  decoder = tfvae.make_decoder(latent_size, event_shape, (256, 512))
  vae = tfvae.VAE(encoder, decoder)
  vae.compile(tfvae.keras.optimizers.Adam(1e-3))
  callbacks = [
    tfvae.callbacks.KLWarmup(kl_weight, warmup_epochs=warmup_epochs),
    tfvae.callbacks.VAETensorBoard(
      os.path.join(model_dir, 'tensorboard'), images=x_eval[:16], seed=seed
    ),
  ]
  history = vae.fit(
    train_ds, validation_data=test_ds, epochs=epochs, callbacks=callbacks, verbose=verbose
  )

  results = vae.evaluate(test_ds, verbose=0, return_dict=True)
  _, kl_per_dimension = tfvae.plot.posterior_summary(vae, x_eval)
  results['active_dimensions'] = int((kl_per_dimension > 0.01).sum())
  results = {name: float(value) for name, value in results.items()}
  results['history'] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
  if tfvae.plot.is_available():
    tfvae.plot.write_figures(vae, model_dir, x_eval, y_test, seed=seed)
  with open(os.path.join(model_dir, 'metrics.json'), 'w') as f:
    json.dump(results, f, indent=2, sort_keys=True)
  return results


def main(argv):
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)  # TensorFlow logs every checkpoint at INFO.
  results = train_beta_vae(
    dataset=_DATASET.value,
    data_dir=_DATA_DIR.value,
    kl_weight=_KL_WEIGHT.value,
    warmup_epochs=_WARMUP_EPOCHS.value,
    epochs=_EPOCHS.value,
    latent_size=_LATENT_SIZE.value,
    seed=_SEED.value,
    model_dir=_MODEL_DIR.value,
    verbose=_VERBOSE.value,
  )
  print(
    f'test loss {results["loss"]:.2f}, reconstruction {results["reconstruction"]:.2f}, '
    f'KL {results["kl"]:.2f} nats; {results["active_dimensions"]:.0f} of '
    f'{_LATENT_SIZE.value} latent dimensions active'
  )


if __name__ == '__main__':
  app.run(main)
