# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The job's model: the VAE a resolved `JobConfig` describes, and the model's own defaults."""

import numpy as np

from tfvae.jobs import config as config_lib
from tfvae.model import decoder as decoder_lib
from tfvae.model import encoder as encoder_lib
from tfvae.model import prior as prior_lib
from tfvae.model import vae as vae_lib

__all__ = [
  'complete',
  'make_model',
]


def complete(config: config_lib.JobConfig) -> config_lib.JobConfig:
  """`config` with the model's defaults filled in (`hidden_units` of its architecture)."""
  if config.hidden_units is not None:
    return config
  return config.replace(hidden_units=encoder_lib.default_hidden_units(config.architecture))


def make_model(config: config_lib.JobConfig, info) -> vae_lib.VAE:
  """The (untrained, uncompiled) VAE of a resolved config for data described by `info`.

  Tables are standardized with the training split's statistics inside the
  model (`make_encoder(standardization=...)`), so the model takes and gives
  raw values and its log-likelihoods are of the raw values.
  """
  config = complete(config)
  event_shape = tuple(info.event_shape)
  condition_size = info.num_classes if config.conditional else 0
  standardization = None
  if info.kind == 'table':
    standardization = (np.asarray(info.loc), np.asarray(info.scale))
  # The VAE computes the KL itself for learnable priors and the IWAE bound.
  vae_kl = config.prior != 'standard_normal' or config.objective == 'iwae'
  units = config.hidden_units
  encoder = encoder_lib.make_encoder(
    event_shape,
    config.latent_size,
    units,
    config.architecture,
    kl_weight=config.kl_weight,
    free_bits=0.0 if vae_kl else config.free_bits,
    kl_regularizer=not vae_kl,
    posterior=config.posterior,
    condition_size=condition_size,
    standardization=standardization,
  )
  decoder = decoder_lib.make_decoder(
    config.latent_size,
    event_shape,
    units if config.architecture == 'conv' else tuple(reversed(units)),
    config.architecture,
    likelihood=config.likelihood,
    condition_size=condition_size,
    standardization=standardization,
  )
  return vae_lib.VAE(
    encoder,
    decoder,
    prior=_make_prior(config, event_shape, condition_size),
    kl_weight=config.kl_weight,
    objective=config.objective,
    num_samples=config.num_samples,
    free_bits=config.free_bits,
  )


def _make_prior(config, event_shape, condition_size):
  if config.prior == 'mixture':
    return prior_lib.MixtureOfGaussians(config.latent_size, num_components=10)
  if config.prior == 'vamp':
    return prior_lib.VampPrior(num_components=50, input_shape=event_shape)
  if config.prior == 'conditional_gaussian':
    return prior_lib.ConditionalGaussian(config.latent_size, condition_size)
  return None  # The standard normal.
