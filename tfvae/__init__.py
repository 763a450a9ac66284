# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""tfvae: variational autoencoders whose networks are distributions."""

from tfvae import anomaly
from tfvae import callbacks
from tfvae import conditioning
from tfvae import config
from tfvae import datasets
from tfvae import diagnostics
from tfvae import divergence
from tfvae import evaluation
from tfvae import experiment
from tfvae import grid
from tfvae import objective
from tfvae import plot
from tfvae import prior
from tfvae import sources
from tfvae.decoder import make_decoder
from tfvae.encoder import make_encoder
from tfvae.internal import keras
from tfvae.layers import IndependentBernoulli
from tfvae.layers import IndependentContinuousBernoulli
from tfvae.layers import IndependentDiscretizedLogistic
from tfvae.layers import IndependentNormal
from tfvae.layers import InverseAutoregressiveFlow
from tfvae.layers import KLDivergenceRegularizer
from tfvae.layers import MultivariateNormalDiag
from tfvae.layers import MultivariateNormalTriL
from tfvae.serving import export_saved_model
from tfvae.vae import VAE

__version__ = '0.1.0'

__all__ = [
  'IndependentBernoulli',
  'IndependentContinuousBernoulli',
  'IndependentDiscretizedLogistic',
  'IndependentNormal',
  'InverseAutoregressiveFlow',
  'KLDivergenceRegularizer',
  'MultivariateNormalDiag',
  'MultivariateNormalTriL',
  'VAE',
  'anomaly',
  'callbacks',
  'conditioning',
  'config',
  'datasets',
  'diagnostics',
  'divergence',
  'evaluation',
  'experiment',
  'export_saved_model',
  'grid',
  'keras',
  'make_decoder',
  'make_encoder',
  'objective',
  'plot',
  'prior',
  'sources',
]
