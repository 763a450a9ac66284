# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The job's model: the VAE a resolved `JobConfig` describes, and the model's own defaults."""

import numpy as np

from tfvae.jobs import config as config_lib
from tfvae.jobs import pipelines
from tfvae.model import encoder as encoder_lib
from tfvae.model import factory as factory_lib
from tfvae.model import prior as prior_lib
from tfvae.model import vae as vae_lib

__all__ = [
  'complete',
  'finish',
  'make_model',
]


def complete(config: config_lib.JobConfig) -> config_lib.JobConfig:
  """`config` with the model's defaults filled in (`hidden_units` of its architecture)."""
  if config.hidden_units is not None:
    return config
  return config.replace(hidden_units=encoder_lib.default_hidden_units(config.architecture))


def make_model(config: config_lib.JobConfig, info) -> vae_lib.VAE:
  """The (untrained, uncompiled) VAE of a resolved config for data described by `info`.

  For `prior`='class_mixture' it trains under N(0, I) (`make_vae`); `finish`
  then fits the prior ex post. Tables are standardized with the training
  split's statistics inside the model (`make_encoder(standardization=...)`),
  so the model takes and gives raw values and its log-likelihoods are of the
  raw values.
  """
  config = complete(config)
  event_shape = tuple(info.event_shape)
  condition_size = info.num_classes if config.conditional else 0
  standardization = None
  if info.kind == 'table':
    standardization = (np.asarray(info.loc), np.asarray(info.scale))
  return factory_lib.make_vae(
    event_shape,
    config.latent_size,
    config.hidden_units,
    config.architecture,
    likelihood=config.likelihood,
    posterior=config.posterior,
    prior=config.prior,
    kl_weight=config.kl_weight,
    free_bits=config.free_bits,
    objective=config.objective,
    num_samples=config.num_samples,
    condition_size=condition_size,
    standardization=standardization,
    precision=config.precision,
    decoder_kwargs=dict(num_components=config.likelihood_components),
  )


def finish(model: vae_lib.VAE, config: config_lib.JobConfig, source) -> vae_lib.VAE:
  """The trained model as the run keeps it: with its ex-post prior for `class_mixture`.

  Args:
    model: the trained VAE of `make_model`.
    config: the resolved config.
    source: its data source; the fit reads the training split once, as
      training reads it.

  Returns:
    `model`, or for `prior`='class_mixture' (unless `model` has it already,
    as a run that failed after the fit saves it) a new, uncompiled VAE with the
    same networks and a `tfvae.prior.ClassMixture` fitted to the posteriors
    of the training examples (`tfvae.model.factory.with_ex_post_prior`).
  """
  if config.prior != 'class_mixture' or isinstance(model.prior_layer, prior_lib.ClassMixture):
    return model  # Nothing to fit, or fitted by an earlier run.
  train_data = pipelines.make_dataset(config, source, 'train')
  return factory_lib.with_ex_post_prior(model, train_data, seed=config.seed)
