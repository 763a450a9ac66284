# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A conditional VAE: q(z|x, c), p(x|z, c), and p(z) or p(z|c), c the class.

  python examples/conditional_vae.py --model_dir=/tmp/conditional_vae
  python examples/conditional_vae.py --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist \
      --epochs=20 --model_dir=/tmp/conditional_vae_fashion

Trains on the digits shipped with tfvae (or MNIST / Fashion-MNIST), with the
integer class labels as the condition (one-hot inside the model), and writes
to `--model_dir`:

* `samples.png`: one row per class, images decoded from prior draws for that
  class (the likelihood's mean);
* `reconstructions_as_every_class.png`: one test image of each class (left
  column), then that image reconstructed as each class 0-9: encoded with
  its own class, q(z|x, c), decoded with every class c', p(x|z, c') ("this
  shirt, as a sneaker");
* `metrics.json`: the test -log p(x|c) (importance-sampled, `--num_samples`),
  the negative ELBO, KL, bits per dimension and active units;
* `config.json`: the arguments of the run.

#### References

[1] Kihyuk Sohn, Honglak Lee and Xinchen Yan. Learning Structured Output
    Representation using Deep Conditional Generative Models. In NeurIPS, 2015.
"""

import datetime
import json
import os

import numpy as np
from absl import app
from absl import flags
from absl import logging

import tfvae

PRIORS = ('class_mixture', 'conditional_gaussian', 'standard_normal')
_NUM_CLASSES = 10  # digits, mnist and fashion_mnist alike.


def train_conditional_vae(
  dataset: str = 'digits',
  data_dir: str | None = None,
  prior: str = 'class_mixture',
  epochs: int = 100,
  latent_size: int = 16,
  hidden_units=(512, 256),
  batch_size: int = 128,
  num_samples: int = 1000,
  seed: int = 0,
  model_dir: str | None = None,
  verbose: int = 2,
) -> dict:
  """Trains a dense conditional VAE on class-labelled images; writes figures and metrics.

  Args:
    dataset: `'digits'`, `'mnist'` or `'fashion_mnist'`.
      Default value: `'digits'`.
    data_dir: IDX directory for `mnist` / `fashion_mnist`.
      Default value: `None`.
    prior: `'class_mixture'` (trained under N(0, I), then a mixture of
      Gaussians fitted to each class's posteriors, `tfvae.with_ex_post_prior`:
      samples of the class asked for), `'standard_normal'` (p(z) = N(0, I)
      for every class, the standard CVAE) or `'conditional_gaussian'` (a
      learned N(mu(c), diag(sigma(c)^2)) per class,
      `tfvae.prior.ConditionalGaussian`).
      Default value: `'class_mixture'`.
    epochs: passes over the training set.
      Default value: `100`.
    latent_size: dimension of z.
      Default value: `16`.
    hidden_units: encoder widths; the decoder mirrors them.
      Default value: `(512, 256)`.
    batch_size: examples per batch.
      Default value: `128`.
    num_samples: importance samples per test image for -log p(x|c).
      Default value: `1000`.
    seed: seed of initialization, shuffling, binarization and samples.
      Default value: `0`.
    model_dir: new or empty output directory.
      Default value: `None`: `tfvae_runs/conditional_vae-<time>`.
    verbose: Keras progress output.
      Default value: `2`.

  Returns:
    The `dict` of `tfvae.evaluation.evaluate` on the test images (binarized
    with `seed`) and their labels: `nll` is -log p(x|c), in nats.

  Raises:
    ValueError: an unknown `prior`, or a `model_dir` that holds files.
  """
  if prior not in PRIORS:
    raise ValueError(f'`prior` must be one of {list(PRIORS)}; got {prior!r}.')
  model_dir = _new_directory(model_dir, 'conditional_vae')
  config = dict(
    dataset=dataset,
    data_dir=data_dir,
    prior=prior,
    epochs=epochs,
    latent_size=latent_size,
    hidden_units=list(hidden_units),
    batch_size=batch_size,
    num_samples=num_samples,
    seed=seed,
  )
  _write_json(os.path.join(model_dir, 'config.json'), config)

  (x_train, y_train), (x_test, y_test) = tfvae.datasets.load(dataset, data_dir=data_dir, seed=seed)
  x_eval = tfvae.datasets.binarize(x_test, seed)
  # Integer labels are the conditions: the model one-hot encodes them.
  train_data = tfvae.datasets.make_dataset(x_train, batch_size, seed=seed, labels=y_train)

  tfvae.keras.utils.set_random_seed(seed)
  event_shape = x_train.shape[1:]
  # make_vae decides who adds the KL (the VAE, for a learned prior).
  vae = tfvae.make_vae(
    event_shape, latent_size, hidden_units, prior=prior, condition_size=_NUM_CLASSES
  )
  vae.compile(tfvae.keras.optimizers.Adam(1e-3))
  vae.fit(train_data, epochs=epochs, verbose=verbose)
  if prior == 'class_mixture':  # Trained under N(0, I); now p(z|c) fits each class's posteriors.
    vae = tfvae.with_ex_post_prior(vae, train_data, seed=seed)

  scale = max(1, 32 // event_shape[1])  # 8x8 digits drawn 4x larger.
  classes = np.repeat(np.arange(_NUM_CLASSES), _NUM_CLASSES)  # One row per class.
  samples = vae.sample(classes, seed=seed).numpy()
  tfvae.grid.write_png(
    os.path.join(model_dir, 'samples.png'),
    tfvae.grid.make_grid(samples, num_columns=_NUM_CLASSES),
    scale=scale,
  )
  tfvae.grid.write_png(
    os.path.join(model_dir, 'reconstructions_as_every_class.png'),
    tfvae.grid.make_grid(
      reconstructions_as_every_class(vae, x_eval, y_test), num_columns=_NUM_CLASSES + 1
    ),
    scale=scale,
  )

  results = tfvae.evaluation.evaluate(
    vae, x_eval, num_samples=num_samples, seed=seed, verbose=0, condition=y_test
  )
  results['prior'] = prior
  _write_json(os.path.join(model_dir, 'metrics.json'), results)
  return results


def reconstructions_as_every_class(vae, x, labels) -> np.ndarray:
  """The first image of each class, then that image's style drawn as every class.

  Row `k` is `[x_k, E p(x|z_k, 0), ..., E p(x|z_k, 9)]`, `x_k` the first
  image of class `k` and `z_k` the mean of q(z|x_k, k), its posterior under
  its own class: `vae.reconstruct(x_k, k)` is the entry of class `k`.
  (`vae.reconstruct(x_k, c)` would also encode with `c`: q(z|x_k, c) for a
  pair of image and class that training never showed the encoder.)

  Returns:
    `[num_classes * (num_classes + 1), *event_shape]` images, row by row.
  """
  rows = []
  for k in range(_NUM_CLASSES):
    image = x[np.flatnonzero(labels == k)[0]]
    z = vae.posterior(image[np.newaxis], [k]).mean()  # The point `reconstruct` decodes.
    repeated = np.repeat(z.numpy(), _NUM_CLASSES, axis=0)
    as_every_class = vae.likelihood(repeated, np.arange(_NUM_CLASSES)).mean().numpy()
    rows.append(np.concatenate([image[np.newaxis], as_every_class]))
  return np.concatenate(rows)


def _new_directory(model_dir, name):
  if model_dir is None:
    model_dir = os.path.join('tfvae_runs', f'{name}-{datetime.datetime.now():%Y%m%d-%H%M%S}')
  if os.path.isdir(model_dir) and os.listdir(model_dir):
    raise ValueError(f'`model_dir`: {model_dir} is not empty; choose a new directory.')
  os.makedirs(model_dir, exist_ok=True)
  return model_dir


def _write_json(path, value):
  with open(path, 'w') as f:
    json.dump(value, f, indent=2, sort_keys=True)
    f.write('\n')


def main(argv):
  del argv  # Unused.
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)
  results = train_conditional_vae(
    dataset=flags.FLAGS.dataset,
    data_dir=flags.FLAGS.data_dir,
    prior=flags.FLAGS.prior,
    epochs=flags.FLAGS.epochs,
    latent_size=flags.FLAGS.latent_size,
    num_samples=flags.FLAGS.num_samples,
    seed=flags.FLAGS.seed,
    model_dir=flags.FLAGS.model_dir,
    verbose=flags.FLAGS.verbose,
  )
  print(
    f'test -log p(x|c) {results["nll"]:.2f} nats ({results["bits_per_dim"]:.4f} bits/dim, '
    f'k={results["num_samples"]}); negative ELBO {results["loss"]:.2f}, KL {results["kl"]:.2f}; '
    f'{results["active_units"]} of {flags.FLAGS.latent_size} latent units active'
  )


def _define_flags():
  # Defined when the script runs, not on import, so that tests can import
  # this module beside the other examples, which define the same names.
  flags.DEFINE_string(
    'data_dir',
    default=None,
    help='IDX directory of mnist / fashion_mnist (.gz or not); by default they are downloaded.',
  )
  flags.DEFINE_enum(
    'dataset',
    default='digits',
    enum_values=list(tfvae.datasets.DATASETS),
    help='Images to model; digits (8x8, shipped with tfvae) needs no data_dir.',
  )
  flags.DEFINE_integer('epochs', default=100, help='Passes over the training set.')
  flags.DEFINE_integer('latent_size', default=16, help='Dimension of z.')
  flags.DEFINE_string(
    'model_dir',
    default=None,
    help='New or empty output directory (default: tfvae_runs/conditional_vae-<time>).',
  )
  flags.DEFINE_integer(
    'num_samples', default=1000, help='Importance samples per test image for -log p(x|c).'
  )
  flags.DEFINE_enum(
    'prior',
    default='class_mixture',
    enum_values=list(PRIORS),
    help='p(z|c): class_mixture (fitted to each class after training), standard_normal for '
    'every class (the standard CVAE), or conditional_gaussian (learned).',
  )
  flags.DEFINE_integer('seed', default=0, help='Seed for initialization, data and samples.')
  flags.DEFINE_integer('verbose', default=2, help='Keras progress output: 0, 1 or 2.')


if __name__ == '__main__':
  _define_flags()
  app.run(main)
