# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.plot: PNG figures of a VAE."""

import os

import numpy as np
import scipy.stats
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
from tfvae.analysis import plot as plot_lib

tfd = tfp.distributions


def read_png(path):
  return tf.io.decode_png(tf.io.read_file(path)).numpy()


class FigureTest(test_util.TestCase):
  def _path(self, name):
    return os.path.join(self.create_tempdir().full_path, f'{name}.png')

  def test_each_figure_is_a_png_of_its_figsize(self):
    vae = test_util.make_vae(latent_size=2)
    x = self.make_images(n=7)
    figures = [
      (plot_lib.plot_reconstructions, (x, np.asarray(vae.reconstruct(x))), (240, 800)),
      (plot_lib.plot_samples, (np.asarray(vae.sample(6, seed=0)),), (600, 600)),
      (plot_lib.plot_latent_manifold, (vae,), (600, 600)),
      (plot_lib.plot_latent_scatter, (np.random.default_rng(0).normal(size=(7, 2)),), (500, 600)),
      (plot_lib.plot_kl_per_dimension, ([0.5, 0.0],), (300, 700)),
    ]
    for plot, args, (height, width) in figures:
      with self.subTest(plot.__name__):
        path = self._path(plot.__name__)
        self.assertEqual(plot(path, *args), path)
        image = read_png(path)
        self.assertEqual(image.shape, (height, width, 4))
        self.assertGreater(np.ptp(image[..., :3]), 100)  # Not blank.
        self.assertEqual(os.listdir(os.path.dirname(path)), [os.path.basename(path)])
        # figsize and dpi set the size.
        plot(path, *args, figsize=(3, 2), dpi=50)
        self.assertEqual(read_png(path).shape, (100, 150, 4))

  def test_samples_name_their_rows(self):
    images = np.ones((6, 4, 6, 1), np.float32)  # White images: only the names are dark.
    unnamed = read_png(plot_lib.plot_samples(self._path('u'), images, 2, row_labels=['', '', '']))
    named = read_png(
      plot_lib.plot_samples(self._path('n'), images, 2, row_labels=['ant', 'b', 'c'])
    )
    margin = slice(0, int(0.18 * named.shape[1]))
    self.assertEqual(unnamed[:, margin, :3].min(), 255)
    self.assertLess(named[:, margin, :3].min(), 128)
    with self.assertRaisesRegex(ValueError, '`row_labels` names 2 rows of 3'):
      plot_lib.plot_samples(self._path('x'), images, 2, row_labels=['a', 'b'])

  def test_reconstructions_show_the_pairs_grid(self):
    x = np.zeros((3, 4, 6, 1), np.float32)
    reconstructions = np.ones_like(x)
    image = read_png(plot_lib.plot_reconstructions(self._path('r'), x, reconstructions))
    grey = image[..., 0]
    # Black inputs and white reconstructions: both appear, and the area in
    # black is that of the inputs (3 images of 4x6, drawn enlarged).
    self.assertGreater(np.sum(grey < 50), 3 * 4 * 6)
    self.assertEqual(grey.max(), 255)

  def test_latent_scatter_projects_on_principal_components(self):
    rng = np.random.default_rng(0)
    latents = rng.normal(size=(50, 5)) * [5.0, 0.1, 0.1, 3.0, 0.1]
    points, names = plot_lib._project_2d(latents)
    self.assertEqual(points.shape, (50, 2))
    self.assertIn('principal component 1', names[0])
    # The projection keeps the two large directions: almost all the variance.
    self.assertGreater(np.var(points, axis=0).sum() / np.var(latents, axis=0).sum(), 0.99)
    two_dimensional = rng.normal(size=(10, 2))
    self.assertAllEqual(plot_lib._project_2d(two_dimensional)[0], two_dimensional)

  @test_util.parameterized.named_parameters(
    ('one_dimension', np.zeros((5, 1)), None, 'latents'),
    ('labels', np.zeros((5, 2)), np.zeros(4), 'labels'),
  )
  def test_latent_scatter_bad_arguments(self, latents, labels, message):
    with self.assertRaisesRegex(ValueError, message):
      plot_lib.plot_latent_scatter(self._path('s'), latents, labels)

  def test_kl_per_dimension_averages_examples(self):
    path = self._path('kl')
    plot_lib.plot_kl_per_dimension(path, [[1.0, 0.0], [3.0, 0.0]])
    self.assertEqual(read_png(path).shape, (300, 700, 4))
    with self.assertRaisesRegex(ValueError, 'kl_per_dimension'):
      plot_lib.plot_kl_per_dimension(path, [])


class LatentManifoldTest(test_util.TestCase):
  def test_grid_is_the_prior_quantiles_decoded(self):
    vae = test_util.make_vae(latent_size=2)
    images, z = plot_lib.latent_manifold(vae, num_rows=4, quantile_range=(0.1, 0.9))
    quantiles = scipy.stats.norm.ppf(np.linspace(0.1, 0.9, 4))
    self.assertEqual(z.shape, (4, 4, 2))
    self.assertAllClose(z[0, :, 0], quantiles, atol=1e-5)  # z_0 along a row.
    self.assertAllClose(z[:, 0, 1], quantiles[::-1], atol=1e-5)  # z_1 grows upwards.
    self.assertEqual(images.shape, (16, *test_util.IMAGE_SHAPE))
    expected = vae.decoder(z.reshape(-1, 2)).mean()
    self.assertAllClose(images, expected)

  def test_quantiles_of_a_shifted_prior_and_of_a_mixture(self):
    prior = tfd.MultivariateNormalDiag([1.0, -2.0], [2.0, 0.5])
    vae = test_util.make_vae(latent_size=2, prior=prior)
    _, z = plot_lib.latent_manifold(vae, num_rows=3)
    self.assertAllClose(z[1, 1], [1.0, -2.0], atol=1e-5)  # The medians.
    self.assertAllClose(z[0, 0], [1.0 - 2.0 * 1.6449, -2.0 + 0.5 * 1.6449], atol=1e-3)
    mixture = tfd.MixtureSameFamily(
      tfd.Categorical(logits=[0.0, 0.0]),
      tfd.MultivariateNormalDiag([[-3.0, 0.0], [3.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]),
    )
    quantiles = plot_lib._prior_quantiles(mixture, np.array([0.5, 0.9]))
    self.assertAllClose(quantiles[0], [0.0, 0.0], atol=0.15)  # Estimated from samples.
    self.assertAllClose(quantiles[1, 1], 1.2816, atol=0.1)

  def test_needs_two_latent_dimensions(self):
    with self.assertRaisesRegex(ValueError, 'latent_size'):
      plot_lib.latent_manifold(test_util.make_vae(latent_size=3))

  def test_bad_quantile_range(self):
    with self.assertRaisesRegex(ValueError, 'quantile_range'):
      plot_lib.latent_manifold(test_util.make_vae(latent_size=2), quantile_range=(0.0, 0.9))


class PosteriorSummaryTest(test_util.TestCase):
  def test_means_and_kl_per_dimension(self):
    vae = test_util.make_vae()
    x = self.make_images(n=7)
    means, kl = plot_lib.posterior_summary(vae, x, batch_size=3)  # 3 chunks.
    posterior = vae.encoder(x)
    self.assertAllClose(means, posterior.mean(), atol=1e-6)
    self.assertEqual(kl.shape, (test_util.LATENT_SIZE,))
    self.assertTrue(np.all(kl >= 0))
    total = tfd.kl_divergence(posterior.tensor_distribution, vae.prior)
    self.assertAllClose(kl.sum(), np.mean(total), rtol=1e-5)


class WriteFiguresTest(test_util.TestCase):
  def test_writes_the_figures_that_apply(self):
    directory = os.path.join(self.create_tempdir().full_path, 'figures')
    x = self.make_images(n=12)
    written = plot_lib.write_figures(
      test_util.make_vae(latent_size=2), directory, x, labels=np.arange(12) % 3
    )
    self.assertCountEqual(written, plot_lib.FIGURES)
    self.assertCountEqual(os.listdir(directory), [f'{name}.png' for name in plot_lib.FIGURES])
    written = plot_lib.write_figures(
      test_util.make_vae(), directory, x, figures=['latent_manifold']
    )
    self.assertEqual(written, {})  # Latent size 5: no manifold.
    with self.assertRaisesRegex(ValueError, 'figures'):
      plot_lib.write_figures(test_util.make_vae(), directory, x, figures=['histogram'])


class WithoutMatplotlibTest(test_util.TestCase):
  def test_imports_cleanly_and_explains_the_extra(self):
    output = test_util.run_python(
      'import sys\n'
      "sys.modules['matplotlib'] = None  # Blocks the import.\n"
      'import numpy as np\n'
      'import tfvae\n'
      'print(tfvae.plot.is_available())\n'
      'try:\n'
      "  tfvae.plot.plot_samples('unused.png', np.zeros([1, 2, 2, 1]))\n"
      'except ImportError as error:\n'
      '  print(error)\n'
    )
    self.assertIn('False', output)
    self.assertIn("pip install 'tfvae[plot]'", output)
    self.assertTrue(plot_lib.is_available())


if __name__ == '__main__':
  test_util.main()
