# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""tfvae: variational autoencoders whose networks are distributions."""

from tfvae import datasets
from tfvae import divergence
from tfvae import objective
from tfvae import prior
from tfvae.decoder import make_decoder
from tfvae.encoder import make_encoder
from tfvae.internal import keras
from tfvae.layers import IndependentBernoulli
from tfvae.layers import KLDivergenceRegularizer
from tfvae.layers import MultivariateNormalDiag
from tfvae.vae import VAE

__version__ = '0.1.0'

__all__ = [
  'IndependentBernoulli',
  'KLDivergenceRegularizer',
  'MultivariateNormalDiag',
  'VAE',
  'datasets',
  'divergence',
  'keras',
  'make_decoder',
  'make_encoder',
  'objective',
  'prior',
]
