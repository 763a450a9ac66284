# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A model's three distributions, q(z|x, c), p(x|z, c) and p(z|c), and who owns its KL.

`Networks` is built once per model (`VAE.networks`) and is the one way the
VAE, the serving module, the anomaly scores, the diagnostics and the figures
reach the posterior, the likelihood and the prior. `resolve_kl` is the one
place that decides whether the encoder's `KLDivergenceRegularizer` or the
VAE adds the KL to the loss; `tfvae.make_vae` builds networks for which that
decision holds.
"""

import dataclasses

import numpy as np
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.model import conditioning as conditioning_lib
from tfvae.model import data_contract as data_contract_lib
from tfvae.model import layers as layers_lib
from tfvae.model import prior as prior_lib

tfd = tfp.distributions

__all__ = [
  'KLOwner',
  'Networks',
  'resolve_kl',
]


class Networks:
  """q(z|x, c), p(x|z, c) and p(z|c) of one model.

  Args:
    encoder: a callable from `x` (`[x, c]` for a conditional model) to
      q(z|x) (q(z|x, c)); a `tf_keras.Model` ending in a distribution layer,
      or the parameter network of one (serving).
    decoder: the same from `z` (`[z, c]`) to p(x|z) (p(x|z, c)).
    prior: p(z): a `tfd.Distribution` or a `tfvae.prior.LearnablePrior`.
    condition_size: `K` for conditional networks, `0` otherwise.
    prior_encoder: the encoder a learnable prior is made of (`VampPrior`).
      Default value: `None`: `encoder`.
    contract: the `DataContract` that checks the conditions.
      Default value: `None`: one for `condition_size`.

  #### Examples

  >>> encoder = tfvae.make_encoder((4,), latent_size=2, hidden_units=(8,))
  >>> decoder = tfvae.make_decoder(2, (4,), hidden_units=(8,))
  >>> networks = Networks(encoder, decoder, tfvae.prior.make_standard_normal(2))
  >>> posterior = networks.posterior(tf.zeros([3, 4]))
  >>> networks.likelihood(posterior.sample()).batch_shape
  TensorShape([3])
  """

  def __init__(
    self, encoder, decoder, prior, condition_size: int = 0, prior_encoder=None, contract=None
  ):
    self.encoder = encoder
    self.decoder = decoder
    self.prior_component = prior
    self.condition_size = int(condition_size or 0)
    self.prior_encoder = encoder if prior_encoder is None else prior_encoder
    self.contract = contract or data_contract_lib.DataContract(None, self.condition_size, None)

  def replace(self, encoder, decoder) -> 'Networks':
    """The same prior and conditions with other encoder and decoder callables."""
    return Networks(
      encoder,
      decoder,
      self.prior_component,
      self.condition_size,
      prior_encoder=self.prior_encoder,
      contract=self.contract,
    )

  def posterior(self, x, condition=None, training=False):
    """q(z|x) (q(z|x, c)), as the encoder returns it (a layer's output keeps its sample twin)."""
    return self.encoder(x if condition is None else [x, condition], training=training)

  def likelihood(self, z, condition=None, training=False):
    """p(x|z) (p(x|z, c)) for latents `[k * batch_size, latent_size]`, samples major."""
    if condition is None:
      return self.decoder(z, training=training)
    return self.decoder([z, conditioning_lib.repeat_for(condition, z)], training=training)

  def prior(self, condition=None) -> tfd.Distribution:
    """p(z), or p(z|c) for a conditional prior, at the current weights."""
    if not isinstance(self.prior_component, prior_lib.LearnablePrior):
      return self.prior_component
    if self.prior_component.conditional and condition is None:
      raise ValueError(
        '`condition` is required: the prior is p(z|c); use `vae.prior_distribution(c)`.'
      )
    return self.prior_component.distribution(self.prior_encoder, condition)

  def reconstruction(self, x, condition=None) -> tfd.Distribution:
    """p(x | z = point estimate of q(z|x)): the deterministic reconstruction's distribution."""
    point = layers_lib.point_estimate(self.posterior(x, condition))
    return self.likelihood(point, condition)

  def at(self, x, condition=None):
    """`(posterior, likelihood_fn, prior)` for a batch: what every score and bound takes."""
    return (
      self.posterior(x, condition),
      lambda z: self.likelihood(z, condition),
      self.prior(condition),
    )

  def check_condition(self, condition, num_examples=None, name='condition'):
    """Checked conditions of these networks (`DataContract.check_condition`)."""
    return self.contract.check_condition(condition, num_examples, name)

  @classmethod
  def of(cls, model) -> 'Networks':
    """The networks of a `tfvae.VAE`, or of `(encoder, decoder)` / `(encoder, decoder, prior)`.

    For a pair, the prior is the encoder regularizer's, else the standard
    normal.

    Raises:
      TypeError: for anything else.
    """
    networks = getattr(model, 'networks', None)
    if isinstance(networks, Networks):
      return networks
    if not (isinstance(model, (tuple, list)) and len(model) in (2, 3)):
      raise TypeError(
        '`model` must be a tfvae.VAE or a pair (encoder, decoder) or triple '
        f'(encoder, decoder, prior); got {type(model).__name__}.'
      )
    encoder, decoder = model[0], model[1]
    event_shape, latent_size, condition_size = data_contract_lib.network_shapes(encoder, decoder)
    prior = model[2] if len(model) == 3 else None
    if prior is None:
      regularizer = layers_lib.find_kl_regularizer(encoder)
      prior = regularizer.prior if regularizer else prior_lib.make_standard_normal(latent_size)
    contract = data_contract_lib.DataContract(
      event_shape, condition_size, layers_lib.likelihood_family(decoder)
    )
    return cls(encoder, decoder, prior, condition_size, contract=contract)


@dataclasses.dataclass(frozen=True)
class KLOwner:
  """Who adds the KL, and with what: the outcome of `resolve_kl`.

  Attributes:
    regularizer: the encoder's `KLDivergenceRegularizer`, which adds the KL,
      or `None`: the VAE adds it.
    prior: p(z): the regularizer's prior, the given one, or the standard
      normal.
    kl_weight: the KL weight (the regularizer's variable when it owns the KL).
    analytic_kl: closed-form KL where TFP registers one.
    free_bits: the per-dimension KL floor in nats.
  """

  regularizer: object
  prior: object
  kl_weight: float
  analytic_kl: bool
  free_bits: float


def resolve_kl(
  encoder,
  prior=None,
  kl_weight=None,
  analytic_kl=None,
  free_bits=None,
  objective: str = 'elbo',
  gradient_estimator: str = 'standard',
  latent_size=None,
) -> KLOwner:
  """Decides who adds the KL of a VAE, and checks the arguments agree with it.

  The encoder's `KLDivergenceRegularizer` (as `make_encoder` attaches by
  default) owns the KL when it has one; its prior, weight, analytic flag and
  free bits then hold, and the VAE's arguments must be `None` or agree.
  Otherwise the VAE owns it, with `prior` (default: the standard normal) and
  the given settings. A learnable prior and the IWAE bound need the VAE to
  own it (`make_encoder(..., kl_regularizer=False)`; `tfvae.make_vae` builds
  it so).

  Args:
    encoder: the VAE's encoder.
    prior: `VAE(prior=...)`.
    kl_weight: `VAE(kl_weight=...)`.
    analytic_kl: `VAE(analytic_kl=...)`.
    free_bits: `VAE(free_bits=...)`.
    objective: `VAE(objective=...)`.
    gradient_estimator: `VAE(gradient_estimator=...)`.
    latent_size: the latent size, for the default prior.

  Returns:
    A `KLOwner`.

  Raises:
    ValueError: when the arguments and the encoder's regularizer disagree, or
      a learnable prior or the IWAE bound meets an encoder regularizer.
  """
  regularizer = layers_lib.find_kl_regularizer(encoder)
  learnable = isinstance(prior, prior_lib.LearnablePrior)
  if objective == 'iwae' and regularizer is not None:
    raise ValueError(
      "`objective`='iwae' computes the KL inside the importance weights, but the encoder "
      'carries a KLDivergenceRegularizer that would add it again; build the encoder with '
      '`make_encoder(..., kl_regularizer=False)` (tfvae.make_vae does).'
    )
  if gradient_estimator == 'dreg' and (objective != 'iwae' or learnable):
    raise ValueError(
      "`gradient_estimator`='dreg' needs `objective`='iwae' and a fixed (not learnable) prior."
    )
  if regularizer is None:
    if prior is None:
      if latent_size is None:
        raise ValueError('`prior` is needed: the latent size of `encoder` is not known.')
      prior = prior_lib.make_standard_normal(latent_size)
    if not (learnable or isinstance(prior, tfd.Distribution)):
      raise TypeError(
        f'`prior` must be a tfd.Distribution or a learnable prior layer; got {type(prior).__name__}.'
      )
    return KLOwner(
      None,
      prior,
      checks.check_kl_weight(1.0 if kl_weight is None else kl_weight),
      True if analytic_kl is None else bool(analytic_kl),
      checks.check_kl_weight(0.0 if free_bits is None else free_bits, 'free_bits'),
    )
  if learnable:
    raise ValueError(
      '`prior`: a learnable prior trains with the VAE, which computes its KL; build the '
      'encoder with `make_encoder(..., kl_regularizer=False)` (tfvae.make_vae does).'
    )
  if prior is not None:
    raise ValueError(
      '`prior` must be None: the encoder carries a KLDivergenceRegularizer with its own prior. '
      'Pass the prior to `make_encoder(prior=...)`, or build the encoder with '
      '`kl_regularizer=False`.'
    )
  own_weight = float(regularizer.kl_weight.numpy())
  if kl_weight is not None and not np.isclose(checks.check_kl_weight(kl_weight), own_weight):
    raise ValueError(
      f"`kl_weight`={kl_weight} disagrees with the encoder regularizer's {own_weight:g}; pass "
      'it to `make_encoder(kl_weight=...)`.'
    )
  if analytic_kl is not None and bool(analytic_kl) != regularizer.analytic:
    raise ValueError(
      f'`analytic_kl`={analytic_kl} disagrees with the encoder regularizer; pass it to '
      '`make_encoder(analytic_kl=...)`.'
    )
  if free_bits is not None and not np.isclose(
    checks.check_kl_weight(free_bits, 'free_bits'), regularizer.free_bits
  ):
    raise ValueError(
      f'`free_bits`={free_bits} disagrees with the encoder regularizer; pass it to '
      '`make_encoder(free_bits=...)`.'
    )
  return KLOwner(
    regularizer, regularizer.prior, own_weight, regularizer.analytic, regularizer.free_bits
  )
