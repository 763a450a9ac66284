# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests of tfvae.model.factory: make_vae decides who adds the KL, and it is added once."""

import os

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from sklearn import linear_model

import test_util
import tfvae
from tfvae.internal import distributions
from tfvae.model import factory
from tfvae.model import layers as layers_lib

tfd = tfp.distributions


class MakeVAETest(test_util.TestCase):
  @test_util.parameterized.named_parameters(
    ('fixed_prior_elbo', dict(), 'encoder'),
    ('mixture_prior', dict(prior='mixture'), 'vae'),
    ('vamp_prior', dict(prior='vamp'), 'vae'),
    ('iwae', dict(objective='iwae', num_samples=2), 'vae'),
    ('asked_for', dict(kl_owner='vae'), 'vae'),
  )
  def test_one_owner_and_the_kl_counted_once(self, kwargs, owner):
    vae = test_util.make_vae(kl_weight=0.5, **kwargs)
    regularizer = layers_lib.find_kl_regularizer(vae.encoder)
    self.assertEqual(regularizer is None, owner == 'vae')
    self.assertAllClose(vae.kl_weight.numpy(), 0.5)
    x = self.make_images()
    vae(x)  # Builds; `losses` holds the weighted KL once (the ELBO's, not the IWAE's).
    parts = vae(x)
    losses = [float(loss) for loss in vae.losses]
    nonzero = [loss for loss in losses if loss != 0.0]  # A regularizer gives 0 for the twin.
    if vae.objective == 'elbo':
      self.assertLen(nonzero, 1)
      self.assertAllClose(sum(losses), 0.5 * np.mean(parts['kl']), rtol=1e-5)
    else:
      self.assertEmpty(nonzero)

  def test_the_kl_is_the_analytic_kl(self):
    vae = test_util.make_vae()
    x = self.make_images()
    parts = vae(x)
    posterior = distributions.unwrap(vae.posterior(x))
    expected = tfd.kl_divergence(posterior, vae.prior)
    self.assertAllClose(parts['kl'], expected, rtol=1e-5)

  def test_named_priors(self):
    self.assertIsInstance(factory.make_prior('standard_normal', 3), tfd.MultivariateNormalDiag)
    self.assertIsInstance(factory.make_prior('mixture', 3), tfvae.prior.MixtureOfGaussians)
    self.assertIsInstance(factory.make_prior('vamp', 3, (2, 2, 1)), tfvae.prior.VampPrior)
    conditional = factory.make_prior('conditional_gaussian', 3, condition_size=4)
    self.assertIsInstance(conditional, tfvae.prior.ConditionalGaussian)
    with self.assertRaisesRegex(ValueError, 'prior'):
      factory.make_prior('laplace', 3)

  def test_encoder_ownership_that_cannot_hold_is_refused(self):
    with self.assertRaisesRegex(ValueError, "`kl_owner`='encoder' needs the ELBO"):
      test_util.make_vae(prior='mixture', kl_owner='encoder')
    self.assertFalse(factory.vae_owns_kl(None, 'elbo', 'encoder'))


class WithPriorTest(test_util.TestCase):
  def test_copies_the_networks_and_moves_the_kl_to_the_new_vae(self):
    vae = test_util.make_vae(kl_weight=0.5)  # The encoder's regularizer owns the KL.
    for weight in vae.encoder.trainable_weights:
      weight.assign_add(tf.fill(weight.shape, 0.1))
    x = self.make_images()
    prior = tfvae.prior.make_standard_normal(test_util.LATENT_SIZE)
    new = factory.with_prior(vae, prior)
    self.assertIsNotNone(layers_lib.find_kl_regularizer(vae.encoder))  # Left as it was.
    self.assertIsNone(layers_lib.find_kl_regularizer(new.encoder))
    self.assertAllClose(new.kl_weight.numpy(), 0.5)
    self.assertAllEqual(new.posterior(x).mean(), vae.posterior(x).mean())
    z = tf.random.stateless_normal([3, test_util.LATENT_SIZE], [1, 2])
    self.assertAllEqual(new.likelihood(z).mean(), vae.likelihood(z).mean())
    # The KL is counted once, by the new VAE, and is the analytic one.
    parts = new(x)
    self.assertLen(new.losses, 1)
    self.assertAllClose(new.losses[0], 0.5 * np.mean(parts['kl']), rtol=1e-5)
    expected = tfd.kl_divergence(distributions.unwrap(new.posterior(x)), prior)
    self.assertAllClose(parts['kl'], expected, rtol=1e-5)
    self.assertAllClose(parts['kl'], vae(x)['kl'], rtol=1e-5)


def _conditional_digits_vae(epochs, seed=0):
  (x, y), _ = tfvae.datasets.load('digits')
  tfvae.keras.utils.set_random_seed(seed)
  vae = factory.make_vae(x.shape[1:], 16, (64,), condition_size=10)
  vae.compile(tfvae.keras.optimizers.Adam(1e-3))
  vae.fit(tfvae.datasets.make_dataset(x, 64, seed=seed, labels=y), epochs=epochs, verbose=0)
  return vae, tfvae.datasets.binarize(x, seed), y


class WithExPostPriorTest(test_util.TestCase):
  def test_one_component_is_each_class_aggregate_posterior_moments(self):
    vae, x, y = _conditional_digits_vae(epochs=1)
    new = factory.with_ex_post_prior(vae, x, y, num_components=1)
    posterior = vae.posterior(x, y)
    means, variances = posterior.mean().numpy(), posterior.variance().numpy()
    prior = new.prior_distribution(np.eye(10, dtype=np.float32))
    for c in (0, 7):
      members = y == c
      covariance = np.cov(means[members].T, bias=True) + np.diag(variances[members].mean(0))
      self.assertAllClose(prior.mean()[c], means[members].mean(0), atol=1e-5)
      self.assertAllClose(prior.covariance()[c], covariance, rtol=1e-3, atol=1e-6)
    # A dataset of (x, labels) batches gives the same fit.
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(500)
    again = factory.with_ex_post_prior(vae, batches, num_components=1)
    self.assertAllClose(again.prior_layer.get_weights(), new.prior_layer.get_weights(), rtol=1e-5)

  def test_samples_show_their_class_more_often_than_the_standard_cvaes(self):
    # Small data trained briefly: the standard CVAE's N(0, I) draws decode to
    # the class asked for 70% of the time (a classifier of real digits labels
    # them), the ex-post mixtures' 89%; at the conditional job's sample
    # temperature, 0.8, 81% and 95%.
    vae, x, y = _conditional_digits_vae(epochs=20)
    new = factory.with_ex_post_prior(vae, x, y)
    _, (x_test, y_test) = tfvae.datasets.load('digits')
    classifier = linear_model.LogisticRegression(max_iter=2000)
    classifier.fit(x_test.reshape(len(x_test), -1), y_test)
    classes = np.repeat(np.arange(10), 100)
    consistency = {}
    for name, model in (('standard', vae), ('ex_post', new)):
      for temperature in (1.0, 0.8):
        samples = model.sample(classes, seed=0, temperature=temperature).numpy()
        predicted = classifier.predict(samples.reshape(len(classes), -1))
        consistency[name, temperature] = np.mean(predicted == classes)
    self.assertLess(consistency['standard', 1.0], 0.8)
    self.assertGreater(consistency['ex_post', 1.0], consistency['standard', 1.0] + 0.1)
    # The recipe: ex-post mixtures drawn at 0.8.
    self.assertGreater(consistency['ex_post', 0.8], 0.9)
    self.assertGreater(consistency['ex_post', 0.8], consistency['ex_post', 1.0])
    self.assertGreater(consistency['ex_post', 0.8], consistency['standard', 0.8] + 0.1)

  def test_the_readme_example_runs_as_written(self):
    with open(os.path.join(test_util.REPO_ROOT, 'README.md')) as f:
      section = f.read().split('## Conditional VAEs', 1)[1]
    code = section.split('```python\n', 1)[1].split('```')[0]
    self.assertIn('epochs=50', code)
    namespace = {'tfvae': tfvae}
    exec(code.replace('epochs=50', 'epochs=1'), namespace)  # noqa: S102 - the README's own code.
    vae = namespace['vae']
    self.assertIsInstance(vae.prior_layer, tfvae.prior.ClassMixture)
    self.assertEqual(namespace['sevens'].shape, (16, 8, 8, 1))
    self.assertEqual(namespace['as_zeros'].shape, (8, 8, 8, 1))
    self.assertTrue(np.all(np.isfinite(namespace['log_p'])))
    self.assertTrue(np.all(namespace['log_p'] < 0))

  def test_refuses_what_is_not_classes(self):
    unconditional = test_util.make_vae()
    with self.assertRaisesRegex(ValueError, 'must be conditional'):
      factory.with_ex_post_prior(unconditional, self.make_images())
    vae = test_util.make_vae(condition_size=3)
    x = self.make_images()
    with self.assertRaisesRegex(ValueError, 'must be classes'):
      factory.with_ex_post_prior(vae, x, np.full([len(x), 3], 0.5, np.float32))
    with self.assertRaisesRegex(ValueError, r'a dataset of \(x, condition\) batches'):
      factory.with_ex_post_prior(vae, tf.data.Dataset.from_tensor_slices(x).batch(2))


if __name__ == '__main__':
  test_util.main()
