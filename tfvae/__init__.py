# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""tfvae: variational autoencoders whose networks are distributions."""

from tfvae.analysis import anomaly
from tfvae.analysis import callbacks
from tfvae.analysis import diagnostics
from tfvae.analysis import grid
from tfvae.analysis import plot
from tfvae.data import arrays as datasets
from tfvae.data import sources
from tfvae.internal import keras
from tfvae.jobs import config
from tfvae.jobs import evaluation
from tfvae.jobs import experiment
from tfvae.model import conditioning
from tfvae.model import divergence
from tfvae.model import objective
from tfvae.model import prior
from tfvae.model.decoder import make_decoder
from tfvae.model.encoder import make_encoder
from tfvae.model.factory import make_vae
from tfvae.model.layers import IndependentBernoulli
from tfvae.model.layers import IndependentContinuousBernoulli
from tfvae.model.layers import IndependentDiscretizedLogistic
from tfvae.model.layers import IndependentNormal
from tfvae.model.layers import InverseAutoregressiveFlow
from tfvae.model.layers import KLDivergenceRegularizer
from tfvae.model.layers import MultivariateNormalDiag
from tfvae.model.layers import MultivariateNormalTriL
from tfvae.model.vae import VAE
from tfvae.serving.saved_model import export_saved_model

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
  'make_vae',
  'objective',
  'plot',
  'prior',
  'sources',
]
