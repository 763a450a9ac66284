# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""tfvae: variational autoencoders whose networks are distributions.

The names below are loaded when first used (PEP 562), so that `import tfvae`
and the command lines' `--help` import no TensorFlow; TensorFlow's start-up
lines show once, when the first of them loads (`tfvae.internal.startup`).
"""

import importlib
import typing

from tfvae.internal import startup as _startup

if typing.TYPE_CHECKING:  # What the names below are, for linters and editors.
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
  from tfvae.model import precision
  from tfvae.model import prior
  from tfvae.model.decoder import make_decoder
  from tfvae.model.encoder import make_encoder
  from tfvae.model.factory import make_vae
  from tfvae.model.factory import with_ex_post_prior
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
  'precision',
  'prior',
  'sources',
  'with_ex_post_prior',
]

# Each public name: (the module that holds it, its name there, or None for the module).
_WHERE = {
  'IndependentBernoulli': ('tfvae.model.layers', 'IndependentBernoulli'),
  'IndependentContinuousBernoulli': ('tfvae.model.layers', 'IndependentContinuousBernoulli'),
  'IndependentDiscretizedLogistic': ('tfvae.model.layers', 'IndependentDiscretizedLogistic'),
  'IndependentNormal': ('tfvae.model.layers', 'IndependentNormal'),
  'InverseAutoregressiveFlow': ('tfvae.model.layers', 'InverseAutoregressiveFlow'),
  'KLDivergenceRegularizer': ('tfvae.model.layers', 'KLDivergenceRegularizer'),
  'MultivariateNormalDiag': ('tfvae.model.layers', 'MultivariateNormalDiag'),
  'MultivariateNormalTriL': ('tfvae.model.layers', 'MultivariateNormalTriL'),
  'VAE': ('tfvae.model.vae', 'VAE'),
  'anomaly': ('tfvae.analysis.anomaly', None),
  'callbacks': ('tfvae.analysis.callbacks', None),
  'conditioning': ('tfvae.model.conditioning', None),
  'config': ('tfvae.jobs.config', None),
  'datasets': ('tfvae.data.arrays', None),
  'diagnostics': ('tfvae.analysis.diagnostics', None),
  'divergence': ('tfvae.model.divergence', None),
  'evaluation': ('tfvae.jobs.evaluation', None),
  'experiment': ('tfvae.jobs.experiment', None),
  'export_saved_model': ('tfvae.serving.saved_model', 'export_saved_model'),
  'grid': ('tfvae.analysis.grid', None),
  'keras': ('tfvae.internal.keras', None),
  'make_decoder': ('tfvae.model.decoder', 'make_decoder'),
  'make_encoder': ('tfvae.model.encoder', 'make_encoder'),
  'make_vae': ('tfvae.model.factory', 'make_vae'),
  'objective': ('tfvae.model.objective', None),
  'plot': ('tfvae.analysis.plot', None),
  'precision': ('tfvae.model.precision', None),
  'prior': ('tfvae.model.prior', None),
  'sources': ('tfvae.data.sources', None),
  'with_ex_post_prior': ('tfvae.model.factory', 'with_ex_post_prior'),
}


def __getattr__(name):
  if name not in _WHERE:
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
  _startup.import_tensorflow()
  module_name, attribute = _WHERE[name]
  module = importlib.import_module(module_name)
  value = module if attribute is None else getattr(module, attribute)
  globals()[name] = value
  return value


def __dir__():
  return sorted(set(globals()) | set(__all__))
