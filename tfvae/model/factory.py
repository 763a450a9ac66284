# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""`make_vae`: an encoder, a decoder, a prior and the `VAE` over them, with the KL's owner decided.

A VAE's KL is added once, by one of two owners: the encoder's
`KLDivergenceRegularizer` (which keeps the TFP composition
`Model(encoder.inputs, decoder(encoder.outputs[0]))` a negative ELBO too) or
the `VAE` itself. A learnable prior trains with the VAE, and the IWAE bound
has the KL inside its importance weights, so for those the VAE must own it;
for the plain ELBO with a fixed prior the encoder does. `make_vae` decides
this here, once; `tfvae.model.networks.resolve_kl` checks any other
composition against the same rule.
"""

from collections.abc import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import keras
from tfvae.model import decoder as decoder_lib
from tfvae.model import encoder as encoder_lib
from tfvae.model import layers as layers_lib
from tfvae.model import prior as prior_lib
from tfvae.model import vae as vae_lib

tfd = tfp.distributions

__all__ = [
  'EX_POST_COMPONENTS',
  'KL_OWNERS',
  'PRIORS',
  'make_prior',
  'make_vae',
  'vae_owns_kl',
  'with_ex_post_prior',
  'with_prior',
]

KL_OWNERS = ('encoder', 'vae')
# Gaussians per class of an ex-post prior (`'class_mixture'`).
EX_POST_COMPONENTS = 10
PRIORS = ('class_mixture', 'conditional_gaussian', 'mixture', 'standard_normal', 'vamp')
_MIXTURE_COMPONENTS = 10
_VAMP_COMPONENTS = 50


def make_prior(name: str, latent_size: int, input_shape=None, condition_size: int = 0):
  """A prior by name: `'standard_normal'`, `'mixture'`, `'vamp'`, `'conditional_gaussian'`, ....

  Args:
    name: one of `PRIORS`.
    latent_size: the dimension of z.
    input_shape: the shape of one example (`'vamp'`'s pseudo-inputs).
      Default value: `None`.
    condition_size: `K` (`'conditional_gaussian'`, `'class_mixture'`).
      Default value: `0`.

  Returns:
    A `tfd.Distribution` (the standard normal) or a `tfvae.prior.LearnablePrior`:
    a mixture of 10 Gaussians, a VampPrior of 50 pseudo-inputs, p(z|c), or
    `'class_mixture'`'s unfitted `ClassMixture` of 10 Gaussians per class.

  #### Examples

  >>> type(make_prior('mixture', 4)).__name__
  'MixtureOfGaussians'
  """
  name = checks.check_choice(name, PRIORS, 'prior')
  if name == 'mixture':
    return prior_lib.MixtureOfGaussians(latent_size, num_components=_MIXTURE_COMPONENTS)
  if name == 'vamp':
    return prior_lib.VampPrior(num_components=_VAMP_COMPONENTS, input_shape=input_shape)
  if name == 'conditional_gaussian':
    return prior_lib.ConditionalGaussian(latent_size, condition_size)
  if name == 'class_mixture':
    return prior_lib.ClassMixture(latent_size, condition_size, EX_POST_COMPONENTS)
  return prior_lib.make_standard_normal(latent_size)


def vae_owns_kl(prior, objective: str = 'elbo', kl_owner: str | None = None) -> bool:
  """Whether the `VAE` adds the KL (else the encoder's regularizer does).

  Args:
    prior: the prior (a distribution or a learnable prior layer), or `None`.
    objective: `'elbo'` or `'iwae'`.
      Default value: `'elbo'`.
    kl_owner: `'encoder'`, `'vae'`, or `None` to decide: the encoder for the
      ELBO with a fixed prior, the VAE otherwise.
      Default value: `None`.

  Raises:
    ValueError: `kl_owner='encoder'` where the VAE must own the KL.
  """
  must = objective != 'elbo' or isinstance(prior, prior_lib.LearnablePrior)
  if kl_owner is None:
    return must
  kl_owner = checks.check_choice(kl_owner, KL_OWNERS, 'kl_owner')
  if must and kl_owner == 'encoder':
    raise ValueError(
      "`kl_owner`='encoder' needs the ELBO and a fixed prior; a learnable prior or the IWAE "
      "bound needs the VAE to own the KL (`kl_owner`='vae' or None)."
    )
  return kl_owner == 'vae'


def make_vae(
  input_shape: Sequence[int],
  latent_size: int,
  hidden_units: Sequence[int] | None = None,
  architecture: str = 'dense',
  likelihood: str = 'bernoulli',
  posterior: str = 'diagonal',
  prior='standard_normal',
  kl_weight: float = 1.0,
  analytic_kl: bool = True,
  free_bits: float = 0.0,
  objective: str = 'elbo',
  num_samples: int = 1,
  gradient_estimator: str = 'standard',
  condition_size: int = 0,
  standardization=None,
  kl_owner: str | None = None,
  precision: str | None = None,
  encoder_kwargs: dict | None = None,
  decoder_kwargs: dict | None = None,
) -> vae_lib.VAE:
  """Builds a `tfvae.VAE`: q(z|x), p(x|z), p(z) and the KL counted once, by the right owner.

  Args:
    input_shape: the shape of one example.
    latent_size: the dimension of z.
    hidden_units: the encoder's widths (or filters); the decoder mirrors them.
      Default value: `None`: `make_encoder`'s default.
    architecture: `'dense'` or `'conv'`.
      Default value: `'dense'`.
    likelihood: `make_decoder`'s `likelihood`.
      Default value: `'bernoulli'`.
    posterior: `make_encoder`'s `posterior`.
      Default value: `'diagonal'`.
    prior: a name from `PRIORS`, a `tfd.Distribution`, or a
      `tfvae.prior.LearnablePrior`. `'class_mixture'` (conditional VAEs)
      trains under N(0, I), a standard CVAE; after training,
      `with_ex_post_prior` fits its mixtures.
      Default value: `'standard_normal'`.
    kl_weight: the KL weight.
      Default value: `1.0`.
    analytic_kl: closed-form KL where TFP registers one.
      Default value: `True`.
    free_bits: the per-dimension KL floor in nats.
      Default value: `0.0`.
    objective: `'elbo'` or `'iwae'`.
      Default value: `'elbo'`.
    num_samples: posterior samples per example in the objective.
      Default value: `1`.
    gradient_estimator: `'standard'` or `'dreg'`.
      Default value: `'standard'`.
    condition_size: `K` for a conditional VAE, `0` otherwise.
      Default value: `0`.
    standardization: `(loc, scale)` for tables (`make_encoder`).
      Default value: `None`.
    kl_owner: `'encoder'` (its `KLDivergenceRegularizer` adds the KL) or
      `'vae'`; `None` decides (`vae_owns_kl`).
      Default value: `None`.
    precision: compute precision of both networks' hidden layers
      (`tfvae.model.precision`): `'float32'`, `'bfloat16'` or `'auto'`.
      Default value: `None`: Keras' global policy.
    encoder_kwargs: further `make_encoder` arguments (`num_flows`, ...).
      Default value: `None`.
    decoder_kwargs: further `make_decoder` arguments.
      Default value: `None`.

  Returns:
    An uncompiled `tfvae.VAE`.

  #### Examples

  >>> vae = make_vae((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> vae.networks.prior().event_shape
  TensorShape([2])
  >>> mixture = make_vae((8, 8, 1), 2, (16,), prior='mixture')
  >>> mixture.prior_layer is not None  # Learnable: the VAE owns the KL.
  True
  """
  if prior == 'class_mixture':  # Fitted after training, by `with_ex_post_prior`.
    if not condition_size:
      raise ValueError("`prior`='class_mixture' is p(z|c): it needs `condition_size` > 0.")
    prior = 'standard_normal'
  if isinstance(prior, str):
    prior = make_prior(prior, latent_size, tuple(input_shape), condition_size)
  vae_kl = vae_owns_kl(prior, objective, kl_owner)
  units = hidden_units
  if units is None:
    units = encoder_lib.default_hidden_units(architecture)
  encoder = encoder_lib.make_encoder(
    input_shape,
    latent_size,
    units,
    architecture,
    prior=None if vae_kl else prior,
    kl_weight=kl_weight,
    analytic_kl=analytic_kl,
    free_bits=0.0 if vae_kl else free_bits,
    kl_regularizer=not vae_kl,
    posterior=posterior,
    condition_size=condition_size,
    standardization=standardization,
    precision=precision,
    **(encoder_kwargs or {}),
  )
  decoder = decoder_lib.make_decoder(
    latent_size,
    input_shape,
    units if architecture == 'conv' else tuple(reversed(units)),
    architecture,
    likelihood=likelihood,
    condition_size=condition_size,
    standardization=standardization,
    precision=precision,
    **(decoder_kwargs or {}),
  )
  owned = dict(prior=prior, kl_weight=kl_weight, analytic_kl=analytic_kl, free_bits=free_bits)
  return vae_lib.VAE(
    encoder,
    decoder,
    objective=objective,
    num_samples=num_samples,
    gradient_estimator=gradient_estimator,
    **(owned if vae_kl else {}),
  )


def with_prior(vae: vae_lib.VAE, prior) -> vae_lib.VAE:
  """A new VAE of copies of `vae`'s networks (weights included) under `prior`; it owns the KL.

  The encoder's copy drops its `KLDivergenceRegularizer`, so the KL against
  `prior` is counted once, by the new VAE (with `vae`'s KL weight, its analytic
  flag where TFP has a closed form, its objective and sample count; no free
  bits). `vae` is left as it was.

  Args:
    vae: a `tfvae.VAE`.
    prior: a `tfd.Distribution` or a `tfvae.prior.LearnablePrior`.

  Returns:
    An uncompiled `tfvae.VAE`.
  """

  def regularizer_variables(layer):
    regularizer = layer.activity_regularizer
    if isinstance(regularizer, layers_lib.KLDivergenceRegularizer):
      return {id(v) for v in regularizer.variables}
    return set()

  def copy(layer):
    config = layer.get_config()
    if regularizer_variables(layer):
      config.pop('activity_regularizer', None)
    return type(layer).from_config(config)

  networks = []
  for network in (vae.encoder, vae.decoder):
    clone = keras.models.clone_model(network, clone_function=copy)
    for source, target in zip(network.layers, clone.layers):
      dropped = regularizer_variables(source)  # The old KL weight goes with its regularizer.
      target.set_weights([w.numpy() for w in source.weights if id(w) not in dropped])
    networks.append(clone)
  return vae_lib.VAE(
    *networks,
    prior=prior,
    kl_weight=float(vae.kl_weight.numpy()),
    analytic_kl=vae.analytic_kl,
    objective=vae.objective,
    num_samples=vae.num_samples,
  )


def with_ex_post_prior(
  vae: vae_lib.VAE,
  x,
  condition=None,
  num_components: int = EX_POST_COMPONENTS,
  seed: int = 0,
  batch_size: int = 1000,
) -> vae_lib.VAE:
  """A conditional VAE whose p(z|c) is a Gaussian mixture fitted to each class's posteriors.

  Ex-post density estimation (Ghosh et al., 2020): after training, the
  posteriors q(z|x, c) of the training examples make each class's aggregate
  posterior; a `tfvae.prior.ClassMixture` fitted to them (`num_components`
  full-covariance Gaussians per class, `ClassMixture.fit` on the posterior
  means and variances, or on one draw each for a flow) replaces the prior
  (`with_prior`). Its `sample(c)` then decodes latents from where the
  decoder saw class c. On Fashion-MNIST the share of samples a classifier
  labels as the class asked for rises from 76% under N(0, I) to 89%
  (benchmarks/README.md).

  Args:
    vae: a trained conditional `tfvae.VAE` whose conditions are classes.
    x: the training examples, or a `tf.data.Dataset` of `(x, condition)`
      batches (then `condition` must be `None`).
    condition: integer labels `[n]` or one-hot `[n, K]` of `x`.
      Default value: `None`.
    num_components: Gaussians per class.
      Default value: `10`.
    seed: seed of a flow's posterior draws and of the fit.
      Default value: `0`.
    batch_size: examples per encoder call, for arrays.
      Default value: `1000`.

  Returns:
    An uncompiled `tfvae.VAE` with a fitted `ClassMixture` prior.

  Raises:
    ValueError: for an unconditional VAE, conditions that are not one-hot
      classes, or a dataset whose elements are not `(x, condition)` pairs.
      A class without examples keeps N(0, I), with a warning.
  """
  if not vae.condition_size:
    raise ValueError('`vae` must be conditional: the ex-post prior is one mixture per class.')
  if isinstance(x, tf.data.Dataset):
    if condition is not None:
      raise ValueError('`condition` must be None when `x` is a dataset of (x, condition) batches.')
    if not (isinstance(x.element_spec, tuple) and len(x.element_spec) == 2):
      raise ValueError(
        f'`x` must be a dataset of (x, condition) batches; its elements are {x.element_spec}.'
      )
    batches = iter(x)
  else:
    x = vae.check_inputs(x)
    condition = None if condition is None else np.asarray(condition)  # Checked per batch.
    batches = (
      (
        x[start : start + batch_size],
        None if condition is None else condition[start : start + batch_size],
      )
      for start in range(0, len(x), batch_size)
    )
  seed = checks.stateless_seed(seed)
  means, variances, labels = [], [], []
  for i, (x_batch, c_batch) in enumerate(batches):
    c_batch = vae.networks.check_condition(
      None if c_batch is None else np.asarray(c_batch), len(x_batch)
    )
    if not np.all((c_batch == 0) | (c_batch == 1)) or np.any(c_batch.sum(-1) != 1):
      raise ValueError('conditions must be classes (integer labels or one-hot vectors).')
    posterior = vae.posterior(x_batch, c_batch)
    try:  # A Gaussian posterior: its mean and variances (the diagonal of a full covariance).
      means.append(posterior.mean().numpy())
      variances.append(posterior.variance().numpy())
    except NotImplementedError:  # A flow: one draw.
      draw_seed = tf.random.experimental.stateless_fold_in(seed, i)
      means.append(posterior.sample(seed=draw_seed).numpy())
    labels.append(c_batch.argmax(-1))
  prior = prior_lib.ClassMixture(vae.latent_size, vae.condition_size, num_components)
  prior.fit(
    np.concatenate(means),
    np.concatenate(labels),
    np.concatenate(variances) if variances else None,
    seed=int(seed.numpy()[0]),
  )
  return with_prior(vae, prior)
