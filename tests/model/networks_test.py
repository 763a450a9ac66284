# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests of tfvae.model.networks: the (posterior, likelihood, prior) triple and the KL's owner."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import test_util
import tfvae
from tfvae.internal import distributions
from tfvae.model import networks as networks_lib

tfd = tfp.distributions


class NetworksTest(test_util.TestCase):
  def test_the_vae_and_a_pair_of_its_networks_give_the_same_distributions(self):
    vae = test_util.make_vae()
    x = self.make_images()
    pair = networks_lib.Networks.of((vae.encoder, vae.decoder))
    self.assertIs(networks_lib.Networks.of(vae), vae.networks)
    for networks in (vae.networks, pair):
      posterior = distributions.unwrap(networks.posterior(x))
      self.assertAllClose(posterior.mean(), vae.posterior(x).mean())
      z = posterior.mean()
      self.assertAllClose(networks.likelihood(z).mean(), vae.likelihood(z).mean())
      self.assertAllClose(networks.reconstruction(x).mean(), vae.reconstruct(x))
    # The pair's prior is the encoder regularizer's: N(0, I).
    self.assertAllClose(pair.prior().stddev(), np.ones(test_util.LATENT_SIZE))

  def test_likelihood_repeats_conditions_samples_major(self):
    vae = test_util.make_vae(condition_size=3)
    condition = tf.constant(np.eye(3, dtype=np.float32)[[0, 2]])
    z = tf.random.stateless_normal([3 * 2, test_util.LATENT_SIZE], [1, 2])
    together = vae.networks.likelihood(z, condition).mean()
    for i in range(6):  # Row i*n + j is latent i's draw for example j.
      one = vae.decoder([z[i : i + 1], condition[i % 2 : i % 2 + 1]]).mean()
      self.assertAllClose(together[i : i + 1], one, atol=1e-6)

  def test_conditions_enter_through_one_check(self):
    vae = test_util.make_vae(condition_size=3)
    checked = vae.networks.check_condition([2, 0], num_examples=2)
    self.assertAllEqual(checked, np.eye(3, dtype=np.float32)[[2, 0]])
    with self.assertRaisesRegex(ValueError, '`condition` is required'):
      vae.networks.check_condition(None, 2)
    with self.assertRaisesRegex(ValueError, 'has 2 rows, but there are 3 examples'):
      vae.networks.check_condition([2, 0], 3)
    with self.assertRaisesRegex(TypeError, 'keyword arguments'):
      vae.networks.check_condition(1000)
    with self.assertRaisesRegex(ValueError, 'must be None: the VAE is unconditional'):
      test_util.make_vae().networks.check_condition([1, 0])

  def test_replace_keeps_the_prior_and_conditions(self):
    vae = test_util.make_vae(prior='mixture')
    replaced = vae.networks.replace(lambda x, training: x, lambda z, training: z)
    self.assertIs(replaced.prior_component, vae.prior_layer)
    self.assertAllClose(replaced.prior().sample(seed=[1, 2]), vae.prior.sample(seed=[1, 2]))
    self.assertAllEqual(replaced.posterior(tf.ones([2, 3])), tf.ones([2, 3]))

  def test_of_refuses_other_things(self):
    with self.assertRaisesRegex(TypeError, 'pair'):
      networks_lib.Networks.of('encoder')


class ResolveKLTest(test_util.TestCase):
  def test_the_encoder_regularizer_owns_the_kl_when_it_has_one(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 2, (4,), kl_weight=0.5, free_bits=0.1)
    owner = networks_lib.resolve_kl(encoder)
    self.assertIsNotNone(owner.regularizer)
    self.assertEqual((owner.kl_weight, owner.free_bits), (0.5, 0.1))
    with self.assertRaisesRegex(ValueError, 'disagrees'):
      networks_lib.resolve_kl(encoder, kl_weight=2.0)
    with self.assertRaisesRegex(ValueError, '`prior` must be None'):
      networks_lib.resolve_kl(encoder, prior=tfvae.prior.make_standard_normal(2))
    with self.assertRaisesRegex(ValueError, 'iwae'):
      networks_lib.resolve_kl(encoder, objective='iwae')

  def test_otherwise_the_vae_owns_it_with_its_own_prior(self):
    encoder = tfvae.make_encoder(test_util.IMAGE_SHAPE, 2, (4,), kl_regularizer=False)
    owner = networks_lib.resolve_kl(encoder, latent_size=2)
    self.assertIsNone(owner.regularizer)
    self.assertEqual((owner.kl_weight, owner.analytic_kl, owner.free_bits), (1.0, True, 0.0))
    self.assertIsInstance(owner.prior, tfd.MultivariateNormalDiag)
    with self.assertRaisesRegex(TypeError, 'tfd.Distribution or a learnable prior'):
      networks_lib.resolve_kl(encoder, prior='normal')


if __name__ == '__main__':
  test_util.main()
