# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests of tfvae.model.factory: make_vae decides who adds the KL, and it is added once."""

import numpy as np
import tensorflow_probability as tfp

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


if __name__ == '__main__':
  test_util.main()
