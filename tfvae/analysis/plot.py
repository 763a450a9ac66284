# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Figures of a trained VAE as PNG files (matplotlib, Agg; `pip install 'tfvae[plot]'`)."""

import importlib.util
import os

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.analysis import grid as grid_lib
from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.model import divergence as divergence_lib
from tfvae.model import layers as layers_lib

tfd = tfp.distributions

__all__ = [
  'FIGURES',
  'is_available',
  'latent_manifold',
  'plot_kl_per_dimension',
  'plot_latent_manifold',
  'plot_latent_scatter',
  'plot_reconstructions',
  'plot_samples',
  'posterior_summary',
  'write_figures',
]

FIGURES = ('reconstructions', 'samples', 'latent_manifold', 'latent_scatter', 'kl_per_dimension')
_DPI = 100
_PRIOR_SAMPLES = 10000


def is_available() -> bool:
  """Whether matplotlib is installed (without importing it).

  Returns:
    `True` when the `plot_*` functions can run.
  """
  return importlib.util.find_spec('matplotlib') is not None


def plot_reconstructions(
  path: str,
  inputs,
  reconstructions,
  num_columns: int = 10,
  figsize=(8.0, 2.4),
  dpi: int = _DPI,
) -> str:
  """Writes inputs above their reconstructions as a PNG.

  Args:
    path: destination `.png` file.
    inputs: `[n, height, width, channels]` images in [0, 1].
    reconstructions: images of the same shape (e.g. `vae.reconstruct(inputs)`).
    num_columns: pairs per row.
      Default value: `10`.
    figsize: `(width, height)` in inches.
      Default value: `(8.0, 2.4)`.
    dpi: pixels per inch; the PNG is `figsize * dpi` pixels.
      Default value: `100`.

  Returns:
    `path`.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if the shapes differ.

  #### Examples

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), 'reconstructions.png')
  >>> x = np.zeros([4, 8, 8, 1])
  >>> plot_reconstructions(path, x, x + 0.5) == path
  True
  >>> tf.io.decode_png(tf.io.read_file(path)).shape.as_list()
  [240, 800, 4]
  """
  grid = grid_lib.make_pairs_grid(inputs, reconstructions, num_columns)
  figure = _figure(figsize, dpi)
  axes = figure.add_axes([0.0, 0.0, 1.0, 0.88])
  _show_image(axes, grid)
  figure.suptitle('each row of inputs above a row of their reconstructions', fontsize=10)
  return _save(figure, path, dpi)


def plot_samples(
  path: str,
  images,
  num_columns: int = 8,
  title: str = 'samples from the prior',
  figsize=(6.0, 6.0),
  dpi: int = _DPI,
  row_labels=None,
) -> str:
  """Writes a grid of images (e.g. `vae.sample(64)`) as a PNG.

  Args:
    path: destination `.png` file.
    images: `[n, height, width, channels]` images in [0, 1].
    num_columns: images per row.
      Default value: `8`.
    title: the figure's title.
      Default value: `'samples from the prior'`.
    figsize: `(width, height)` in inches.
      Default value: `(6.0, 6.0)`.
    dpi: pixels per inch; the PNG is `figsize * dpi` pixels.
      Default value: `100`.
    row_labels: a name for each row, written left of it (a conditional
      VAE's class names, one row per class).
      Default value: `None`: no names.

  Returns:
    `path`.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if `row_labels` does not name every row.

  #### Examples

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), 'samples.png')
  >>> _ = plot_samples(path, np.zeros([16, 8, 8, 1]), num_columns=4)
  >>> tf.io.decode_png(tf.io.read_file(path)).shape.as_list()
  [600, 600, 4]
  """
  grid = grid_lib.make_grid(images, num_columns=num_columns)
  figure = _figure(figsize, dpi)
  if row_labels is None:
    axes = figure.add_axes([0.02, 0.02, 0.96, 0.9])
  else:
    row_labels = [str(label) for label in row_labels]
    num_rows = -(-len(images) // num_columns)
    if len(row_labels) != num_rows:
      raise ValueError(f'`row_labels` names {len(row_labels)} rows of {num_rows}.')
    axes = figure.add_axes([0.2, 0.02, 0.78, 0.9])
  _show_image(axes, grid)
  if row_labels is not None:
    height = (grid.shape[0] - 1) / num_rows
    for i, label in enumerate(row_labels):
      axes.text(-4, (i + 0.5) * height, label, ha='right', va='center', fontsize=8)
  figure.suptitle(title, fontsize=10)
  return _save(figure, path, dpi)


def latent_manifold(model, num_rows: int = 15, quantile_range=(0.05, 0.95)):
  """Decodes a grid of latent points spaced by the prior's quantiles (latent size 2).

  The grid's coordinates in dimension `i` are the prior's marginal quantiles
  at `num_rows` probabilities evenly spaced over `quantile_range`: exact for a
  diagonal Gaussian prior, estimated from 10,000 prior samples otherwise. Row
  `r`, column `c` of the grid holds z = (q_0[c], q_1[num_rows - 1 - r]), so
  z_1 grows upwards as in a plot. This is the figure of Kingma and Welling
  (2014), Fig. 4.

  Args:
    model: a `tfvae.VAE` with `latent_size == 2`.
    num_rows: points per dimension.
      Default value: `15`.
    quantile_range: lowest and highest probability.
      Default value: `(0.05, 0.95)`.

  Returns:
    images: `[num_rows * num_rows, *event_shape]` likelihood means, row by
      row (`tfvae.grid.make_grid(images, num_rows)` lays them out).
    z: `[num_rows, num_rows, 2]` latent points.

  Raises:
    ValueError: if the latent size is not 2, or bad `num_rows` or
      `quantile_range`.

  #### Examples

  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,)))
  >>> images, z = latent_manifold(vae, num_rows=3)
  >>> images.shape, z.shape
  ((9, 8, 8, 1), (3, 3, 2))
  >>> [round(float(v), 3) for v in z[0, 0]]  # top left: low z_0, high z_1
  [-1.645, 1.645]
  """
  if model.latent_size != 2:
    raise ValueError(
      f'The latent manifold needs `latent_size` 2; the model has {model.latent_size}.'
    )
  num_rows = checks.check_positive_int(num_rows, 'num_rows')
  low, high = (float(p) for p in quantile_range)
  if not 0.0 < low <= high < 1.0:
    raise ValueError(f'`quantile_range` must satisfy 0 < low <= high < 1; got {quantile_range}.')
  probabilities = np.linspace(low, high, num_rows)
  quantiles = _prior_quantiles(model.prior, probabilities)  # [num_rows, 2]
  columns, rows = np.meshgrid(quantiles[:, 0], quantiles[::-1, 1])
  z = np.stack([columns, rows], axis=-1).astype(np.float32)
  likelihood = model.networks.likelihood(tf.constant(z.reshape(-1, 2)))
  return np.asarray(likelihood.mean()), z


def plot_latent_manifold(
  path: str,
  model,
  num_rows: int = 15,
  quantile_range=(0.05, 0.95),
  figsize=(6.0, 6.0),
  dpi: int = _DPI,
) -> str:
  """Writes the decoded 2-D latent manifold (see `latent_manifold`) as a PNG.

  Args:
    path: destination `.png` file.
    model: a `tfvae.VAE` with `latent_size == 2`.
    num_rows: points per dimension.
      Default value: `15`.
    quantile_range: lowest and highest probability of the prior's quantiles.
      Default value: `(0.05, 0.95)`.
    figsize: `(width, height)` in inches.
      Default value: `(6.0, 6.0)`.
    dpi: pixels per inch; the PNG is `figsize * dpi` pixels.
      Default value: `100`.

  Returns:
    `path`.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if the latent size is not 2.

  #### Examples

  >>> import os, tempfile
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,)))
  >>> path = os.path.join(tempfile.mkdtemp(), 'latent_manifold.png')
  >>> _ = plot_latent_manifold(path, vae, num_rows=5)
  >>> tf.io.decode_png(tf.io.read_file(path)).shape.as_list()
  [600, 600, 4]
  """
  images, z = latent_manifold(model, num_rows, quantile_range)
  grid = grid_lib.make_grid(images, num_columns=num_rows, padding=0)
  height, width = images.shape[1:3]
  figure = _figure(figsize, dpi)
  axes = figure.add_axes([0.14, 0.12, 0.82, 0.8])
  axes.imshow(
    np.squeeze(grid, -1) if grid.shape[-1] == 1 else grid,
    cmap='gray',
    vmin=0,
    vmax=255,
    interpolation='nearest',
  )
  ticks = np.unique(np.linspace(0, num_rows - 1, min(num_rows, 5)).round().astype(int))
  axes.set_xticks(ticks * width + (width - 1) / 2)
  axes.set_xticklabels([f'{z[0, t, 0]:.2f}' for t in ticks])
  axes.set_yticks(ticks * height + (height - 1) / 2)
  axes.set_yticklabels([f'{z[t, 0, 1]:.2f}' for t in ticks])
  axes.set_xlabel('z_0 (prior quantiles)')
  axes.set_ylabel('z_1 (prior quantiles)')
  figure.suptitle('decoded latent manifold', fontsize=10)
  return _save(figure, path, dpi)


def plot_latent_scatter(
  path: str,
  latents,
  labels=None,
  figsize=(6.0, 5.0),
  dpi: int = _DPI,
  class_names=None,
) -> str:
  """Writes a scatter plot of latent codes (posterior means), coloured by label.

  Two-dimensional codes are drawn as they are. Codes with more dimensions are
  projected onto their first two principal components (PCA of the centred
  codes), and the axes say so.

  Args:
    path: destination `.png` file.
    latents: `[n, latent_size]` codes, `latent_size >= 2` (e.g. the first
      output of `posterior_summary`).
    labels: `[n]` integer labels, or `None` for one colour.
      Default value: `None`.
    figsize: `(width, height)` in inches.
      Default value: `(6.0, 5.0)`.
    dpi: pixels per inch; the PNG is `figsize * dpi` pixels.
      Default value: `100`.
    class_names: the name of each label (`class_names[label]`), for the legend.
      Default value: `None`: the labels themselves.

  Returns:
    `path`.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if `latents` is not `[n, latent_size >= 2]`, or `labels` has
      another length.

  #### Examples

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), 'latent_scatter.png')
  >>> z = np.random.default_rng(0).normal(size=(100, 5))
  >>> _ = plot_latent_scatter(path, z, labels=np.arange(100) % 10)
  >>> tf.io.decode_png(tf.io.read_file(path)).shape.as_list()
  [500, 600, 4]
  """
  latents = np.asarray(latents, np.float64)
  if latents.ndim != 2 or latents.shape[1] < 2 or len(latents) == 0:
    raise ValueError(f'`latents` must be [n, latent_size >= 2]; got shape {latents.shape}.')
  if labels is not None:
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(latents):
      raise ValueError(f'`labels` has {len(labels)} entries for {len(latents)} latents.')
  points, names = _project_2d(latents)
  figure = _figure(figsize, dpi)
  axes = figure.add_axes([0.12, 0.11, 0.68 if labels is not None else 0.84, 0.8])
  if labels is None:
    axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
  else:
    classes = np.unique(labels)
    colormap = _colormap('tab10' if len(classes) <= 10 else 'tab20')
    for i, label in enumerate(classes):
      mask = labels == label
      axes.scatter(
        points[mask, 0],
        points[mask, 1],
        s=4,
        alpha=0.6,
        color=colormap(i % colormap.N),
        label=str(label if class_names is None else class_names[int(label)]),
      )
    axes.legend(
      loc='center left',
      bbox_to_anchor=(1.02, 0.5),
      markerscale=3,
      fontsize=8,
      title='label' if class_names is None else 'class',
    )
  axes.set_xlabel(names[0])
  axes.set_ylabel(names[1])
  figure.suptitle('posterior means', fontsize=10)
  return _save(figure, path, dpi)


def plot_kl_per_dimension(
  path: str,
  kl_per_dimension,
  threshold: float = 0.01,
  figsize=(7.0, 3.0),
  dpi: int = _DPI,
) -> str:
  """Writes a bar chart of the mean KL of each latent dimension (the active units).

  A dimension whose mean KL(q(z_i|x) || p(z_i)) stays near 0 carries no
  information about x (it is "inactive" or "collapsed" to the prior). Bars
  above `threshold` nats are drawn as active; the title counts them.

  Args:
    path: destination `.png` file.
    kl_per_dimension: `[latent_size]` mean KL per dimension in nats (or
      `[n, latent_size]`, averaged over examples), e.g. the second output of
      `posterior_summary`.
    threshold: KL in nats above which a dimension counts as active.
      Default value: `0.01`.
    figsize: `(width, height)` in inches.
      Default value: `(7.0, 3.0)`.
    dpi: pixels per inch; the PNG is `figsize * dpi` pixels.
      Default value: `100`.

  Returns:
    `path`.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if `kl_per_dimension` is empty or not 1-D or 2-D.

  #### Examples

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), 'kl_per_dimension.png')
  >>> _ = plot_kl_per_dimension(path, [2.5, 0.001, 1.2, 0.0])
  >>> tf.io.decode_png(tf.io.read_file(path)).shape.as_list()
  [300, 700, 4]
  """
  kl = np.asarray(kl_per_dimension, np.float64)
  if kl.ndim == 2:
    kl = kl.mean(axis=0)
  if kl.ndim != 1 or kl.size == 0:
    raise ValueError(
      f'`kl_per_dimension` must be [latent_size] or [n, latent_size]; got shape {kl.shape}.'
    )
  active = kl > threshold
  figure = _figure(figsize, dpi)
  axes = figure.add_axes([0.1, 0.17, 0.87, 0.7])
  colors = np.where(active, '#1f77b4', '#bbbbbb')
  axes.bar(np.arange(kl.size), kl, color=list(colors))
  axes.axhline(threshold, color='#d62728', linewidth=0.8, linestyle='--')
  axes.set_xlabel('latent dimension')
  axes.set_ylabel('mean KL (nats)')
  axes.set_xlim(-0.6, kl.size - 0.4)
  if kl.size <= 32:
    axes.set_xticks(np.arange(kl.size))
    axes.tick_params(axis='x', labelsize=7 if kl.size > 16 else 10)
  figure.suptitle(
    f'KL per latent dimension: {int(active.sum())} of {kl.size} active (> {threshold:g} nats), '
    f'total {kl.sum():.2f} nats',
    fontsize=10,
  )
  return _save(figure, path, dpi)


def posterior_summary(model, x, batch_size: int = 1024, condition=None):
  """Posterior means and the mean KL per latent dimension of a model on data.

  Args:
    model: a `tfvae.VAE`.
    x: `[n, *event_shape]` data the model takes.
    batch_size: examples encoded at once.
      Default value: `1024`.
    condition: for a conditional VAE, the conditions of `x` (float
      `[n, K]` or integer labels `[n]`).
      Default value: `None`.

  Returns:
    means: `[n, latent_size]` float32 array, E_q[z|x] of each example.
    kl_per_dimension: `[latent_size]` float64 array, the mean over `x` of
      KL(q(z_i|x) || p(z_i)) in nats (sums to the mean KL), or `None` when the
      posterior or the prior is not a diagonal Gaussian.

  #### Examples

  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=3, hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, tfvae.make_decoder(3, (8, 8, 1), hidden_units=(16,)))
  >>> means, kl = posterior_summary(vae, np.zeros([10, 8, 8, 1], np.float32))
  >>> means.shape, kl.shape
  ((10, 3), (3,))
  """
  x = model.check_inputs(x, 'x')
  batch_size = checks.check_positive_int(batch_size, 'batch_size')
  condition = model.networks.check_condition(condition, len(x))
  means, kl_sum = [], 0.0
  for start in range(0, len(x), batch_size):
    batch = slice(start, start + batch_size)
    batch_condition = None if condition is None else tf.constant(condition[batch])
    posterior = model.networks.posterior(tf.constant(x[batch]), batch_condition)
    prior = model.networks.prior(batch_condition)
    means.append(np.asarray(layers_lib.point_estimate(posterior)))
    if kl_sum is not None:
      try:
        kl = divergence_lib.kl_divergence_per_dimension(posterior, prior)
      except TypeError:  # Not a diagonal Gaussian pair.
        kl_sum = None
      else:
        kl_sum = kl_sum + np.sum(np.asarray(kl, np.float64), axis=0)
  return np.concatenate(means), None if kl_sum is None else kl_sum / len(x)


def write_figures(
  model,
  directory: str,
  x,
  labels=None,
  seed: int = 0,
  figures=FIGURES,
  num_samples: int = 64,
  condition=None,
  class_names=None,
  sample_temperature: float = 1.0,
) -> dict:
  """Writes the figures that apply to a model, as `<directory>/<figure>.png`.

  `reconstructions` (the first 10 examples of `x`), `samples` (from the prior,
  with `seed`), `latent_manifold` (only for latent size 2), `latent_scatter`
  (posterior means of `x` coloured by `labels`; latent size >= 2) and
  `kl_per_dimension` (mean over `x`; diagonal Gaussian posterior and prior).
  The image figures apply to images `[height, width, channels]`; the latent
  ones to any data. For a conditional VAE, `samples` has one row per class
  (the unit vectors of the condition), `num_samples // condition_size` images
  each, and the latent manifold is not drawn.

  Args:
    model: a trained `tfvae.VAE`.
    directory: output directory (created if missing).
    x: `[n, *event_shape]` evaluation data in [0, 1].
    labels: `[n]` labels of `x` for the scatter plot.
      Default value: `None`.
    seed: seed of the prior samples.
      Default value: `0`.
    figures: names from `FIGURES` to write (those that do not apply to the
      model are skipped).
      Default value: `FIGURES` (all).
    num_samples: images in the `samples` grid.
      Default value: `64`.
    condition: for a conditional VAE, the conditions of `x`.
      Default value: `None`.
    class_names: the name of each class (label), for the rows of a
      conditional VAE's `samples` and the legend of `latent_scatter`.
      Default value: `None`: the labels.
    sample_temperature: the temperature of the `samples` prior draws
      (`model.sample(..., temperature=)`; a run's `sample_temperature`).
      Default value: `1.0`.

  Returns:
    `dict` from figure name to the path written.

  Raises:
    ImportError: if matplotlib is missing.
    ValueError: if `figures` names an unknown figure.

  #### Examples

  >>> import tempfile
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,)))
  >>> x = np.random.default_rng(0).uniform(size=(20, 8, 8, 1)).astype('float32')
  >>> sorted(write_figures(vae, tempfile.mkdtemp(), x, labels=np.arange(20) % 2))
  ['kl_per_dimension', 'latent_manifold', 'latent_scatter', 'reconstructions', 'samples']
  """
  for name in figures:
    checks.check_choice(name, FIGURES, 'figures')
  x = model.check_inputs(x, 'x')
  condition = model.networks.check_condition(condition, len(x))
  directory = os.fspath(directory)
  os.makedirs(directory, exist_ok=True)
  path = lambda name: os.path.join(directory, f'{name}.png')  # noqa: E731
  written = {}
  images = x.ndim == 4
  if 'reconstructions' in figures and images:
    inputs = x[:10]
    reconstructions = model.reconstruct(inputs, None if condition is None else condition[:10])
    written['reconstructions'] = plot_reconstructions(
      path('reconstructions'), inputs, np.asarray(reconstructions)
    )
  if 'samples' in figures and images:
    num_columns = 8
    if model.condition_size:
      num_columns = max(1, num_samples // model.condition_size)
      classes = np.repeat(np.eye(model.condition_size, dtype=np.float32), num_columns, axis=0)
      samples = np.asarray(
        model.sample(condition=classes, seed=seed, temperature=sample_temperature)
      )
      rows = class_names if class_names is not None else range(model.condition_size)
    else:
      samples = np.asarray(model.sample(num_samples, seed=seed, temperature=sample_temperature))
      rows = None
    written['samples'] = plot_samples(
      path('samples'), samples, num_columns=num_columns, row_labels=rows
    )
  if (
    'latent_manifold' in figures and images and model.latent_size == 2 and not model.condition_size
  ):
    written['latent_manifold'] = plot_latent_manifold(path('latent_manifold'), model)
  if {'latent_scatter', 'kl_per_dimension'} & set(figures):
    means, kl = posterior_summary(model, x, condition=condition)
    if 'latent_scatter' in figures and means.shape[1] >= 2:
      written['latent_scatter'] = plot_latent_scatter(
        path('latent_scatter'), means, labels, class_names=class_names
      )
    if 'kl_per_dimension' in figures and kl is not None:
      written['kl_per_dimension'] = plot_kl_per_dimension(path('kl_per_dimension'), kl)
  return written


def _figure(figsize, dpi):
  try:
    from matplotlib import figure as figure_lib
  except ImportError as error:
    raise ImportError(
      "tfvae.plot needs matplotlib: pip install 'tfvae[plot]' (or matplotlib)."
    ) from error
  return figure_lib.Figure(figsize=tuple(float(s) for s in figsize), dpi=dpi)


def _save(figure, path, dpi):
  # The Agg canvas renders off screen, without pyplot's global state.
  from matplotlib.backends import backend_agg

  backend_agg.FigureCanvasAgg(figure)
  path = os.fspath(path)
  tmp = f'{path}.tmp-{os.getpid()}'
  figure.savefig(tmp, dpi=dpi, format='png', facecolor='white')
  os.replace(tmp, path)
  return path


def _show_image(axes, grid):
  image = np.squeeze(grid, -1) if grid.shape[-1] == 1 else grid
  axes.imshow(image, cmap='gray', vmin=0, vmax=255, interpolation='nearest')
  axes.set_axis_off()


def _colormap(name):
  from matplotlib import colormaps

  return colormaps[name]


def _project_2d(latents):
  if latents.shape[1] == 2:
    return latents, ('z_0', 'z_1')
  centred = latents - latents.mean(axis=0)
  _, singular_values, components = np.linalg.svd(centred, full_matrices=False)
  explained = singular_values[:2] ** 2 / max(np.sum(singular_values**2), 1e-12)
  names = tuple(
    f'principal component {i + 1} ({100 * e:.0f}% of variance)' for i, e in enumerate(explained)
  )
  return centred @ components[:2].T, names


def _prior_quantiles(prior, probabilities):
  """`[len(probabilities), latent_size]` marginal quantiles of the prior."""
  prior = distributions.unwrap(prior)
  if isinstance(prior, tfd.MultivariateNormalDiag):
    marginals = tfd.Normal(prior.mean(), prior.stddev())
    return np.asarray(marginals.quantile(probabilities[:, np.newaxis].astype(np.float32)))
  samples = np.asarray(prior.sample(_PRIOR_SAMPLES, seed=tf.constant([0, 0], tf.int32)))
  return np.quantile(samples, probabilities, axis=0)
