# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The variational autoencoder as a Keras model trained with `fit`."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras
from tfvae.model import conditioning as conditioning_lib
from tfvae.model import data_contract as model_data
from tfvae.model import divergence as divergence_lib
from tfvae.model import layers as layers_lib
from tfvae.model import networks as networks_lib
from tfvae.model import objective as objective_lib
from tfvae.model import prior as prior_lib

tfd = tfp.distributions

__all__ = [
  'GRADIENT_ESTIMATORS',
  'OBJECTIVES',
  'VAE',
]

OBJECTIVES = ('elbo', 'iwae')
GRADIENT_ESTIMATORS = ('dreg', 'standard')

# Measured on the 784-512-256-32 benchmark model (2 CPU cores, XLA): 8 steps
# per call run ~1.3x faster than 1; more gains nothing.
_DEFAULT_STEPS_PER_EXECUTION = 8


@keras.register
class VAE(keras.Model):
  """A variational autoencoder: q(z|x) and p(x|z) from two networks, p(z) a prior.

  Training minimizes the negative ELBO, in nats per example,

    loss = -log p(x|z) + kl_weight * KL(q(z|x) || p(z)),  z ~ q(z|x),

  through one objective (`tfvae.objective.negative_elbo`) shared by `call`,
  `train_step` and `test_step`; `fit`, `evaluate` and validation report
  `loss`, `reconstruction` and `kl` (unweighted). The KL enters the loss once:
  from the encoder's `KLDivergenceRegularizer` when it carries one (as
  `make_encoder` builds it), otherwise added by this model. Either way it
  appears once in `model.losses`, together with any weight regularization.

  Calling the model evaluates the objective: `vae(x)` returns a `dict` of
  `[batch_size]` tensors `loss`, `reconstruction` and `kl`. For images use
  `predict`/`reconstruct` (deterministic: the likelihood's mean at the
  posterior mean) and `sample`.

  With a conditional encoder and decoder (`make_encoder(..., condition_size=K)`
  and `make_decoder(..., condition_size=K)`) it is a conditional VAE (Sohn et
  al., 2015): q(z|x, c), p(x|z, c) and p(z), or p(z|c) with a conditional
  prior (`tfvae.prior.ConditionalGaussian`). Every method that takes data
  takes the condition `c` after `x` (float `[n, K]`, or integer class labels
  `[n]`): `fit(x, c)`, datasets of `(x, c)`, `vae((x, c))`,
  `reconstruct(x, c)`, `log_likelihood(x, c)` (of log p(x|c)), and
  `sample(c)` draws one example per row of `c`.

  #### Examples

  >>> import numpy as np
  >>> import tfvae
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> decoder = tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> vae = tfvae.VAE(encoder, decoder)
  >>> vae.compile(tfvae.keras.optimizers.Adam(1e-3))
  >>> x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1)).round().astype('float32')
  >>> history = vae.fit(x, epochs=1, batch_size=16, verbose=0)
  >>> sorted(history.history)
  ['kl', 'loss', 'reconstruction']
  >>> vae.predict(x, verbose=0).shape
  (32, 8, 8, 1)

  #### References

  [1] Diederik P. Kingma and Max Welling. Auto-Encoding Variational Bayes.
      In International Conference on Learning Representations, 2014.
      https://arxiv.org/abs/1312.6114
  [2] Kihyuk Sohn, Honglak Lee and Xinchen Yan. Learning Structured Output
      Representation using Deep Conditional Generative Models. In NeurIPS,
      2015.
  """

  def __init__(
    self,
    encoder: keras.Model,
    decoder: keras.Model,
    prior: tfd.Distribution | None = None,
    kl_weight: float | None = None,
    analytic_kl: bool | None = None,
    objective: str = 'elbo',
    num_samples: int = 1,
    gradient_estimator: str = 'standard',
    free_bits: float | None = None,
    **kwargs,
  ):
    """Creates the VAE.

    Args:
      encoder: a `tf_keras.Model` from `[batch_size, *event_shape]` data to
        q(z|x), as `make_encoder` returns.
      decoder: a `tf_keras.Model` from `[batch_size, latent_size]` to p(x|z),
        as `make_decoder` returns.
      prior: p(z): a `tfd.Distribution`, or a learnable prior layer (a
        `tfvae.prior.LearnablePrior`, such as `MixtureOfGaussians`,
        `VampPrior` or the conditional `ConditionalGaussian`), whose weights
        train with the model and whose KL is analytic where TFP has a closed
        form and a Monte Carlo estimate otherwise. Must be `None` when the
        encoder carries a `KLDivergenceRegularizer`, whose prior is then used.
        Default value: `None`: the encoder regularizer's prior, else the
        standard normal.
      kl_weight: weight of the KL term; must equal the encoder regularizer's
        when it has one.
        Default value: `None`: the encoder regularizer's, else `1.0`.
      analytic_kl: closed-form KL where TFP registers one (else Monte Carlo);
        must equal the encoder regularizer's when it has one.
        Default value: `None`: the encoder regularizer's, else `True`.
      objective: `'elbo'`, the negative ELBO (with `num_samples` samples
        averaged), or `'iwae'`, the negative importance-weighted bound with
        `num_samples` samples (Burda et al., 2016); `'iwae'` computes the KL
        inside its weights, so the encoder must not carry a KL regularizer
        (`make_encoder(..., kl_regularizer=False)`) and `kl_weight` does not
        apply.
        Default value: `'elbo'`.
      num_samples: posterior samples per example in the training objective.
        Default value: `1`.
      gradient_estimator: `'standard'` (reparameterization) or `'dreg'`, the
        doubly reparameterized estimator of the IWAE gradient (Tucker et al.,
        2019; `objective='iwae'`, a fixed prior).
        Default value: `'standard'`.
      free_bits: floor in nats on each latent dimension's batch-mean KL
        (Kingma et al., 2016); must equal the encoder regularizer's when it has
        one.
        Default value: `None`: the encoder regularizer's, else `0.0` (off).
      **kwargs: `tf_keras.Model` arguments (`name`, ...).

    Raises:
      TypeError: if `encoder` or `decoder` is not a tf_keras model (a Keras 3
        one says what to pass instead).
      ValueError: if the encoder and decoder do not fit together (their
        shapes, latent or condition sizes), or `prior` or `kl_weight`
        disagree with the encoder's regularizer, or the prior cannot serve
        the networks (a conditional prior for unconditional networks, a
        VampPrior for conditional ones).
    """
    super().__init__(**kwargs)
    # Data reach the networks as given, float32 under any Keras policy: each
    # network casts for its own layers, and log p(x|z) is of the data itself.
    self._autocast = False
    for name, network in (('encoder', encoder), ('decoder', decoder)):
      keras.check_keras2(network, name)
      if not isinstance(network, keras.layers.Layer):
        raise TypeError(f'`{name}` must be a tf_keras Model; got {type(network).__name__}.')
    keras.check_keras2(prior, 'prior')
    self.encoder = encoder
    self.decoder = decoder
    self.event_shape, self.latent_size, self.condition_size = model_data.network_shapes(
      encoder, decoder
    )
    self.objective = checks.check_choice(objective, OBJECTIVES, 'objective')
    self.num_samples = checks.check_positive_int(num_samples, 'num_samples')
    self.gradient_estimator = checks.check_choice(
      gradient_estimator, GRADIENT_ESTIMATORS, 'gradient_estimator'
    )
    owner = networks_lib.resolve_kl(
      encoder,
      prior,
      kl_weight,
      analytic_kl,
      free_bits,
      self.objective,
      self.gradient_estimator,
      self.latent_size,
    )
    self.analytic_kl, self.free_bits = owner.analytic_kl, owner.free_bits
    self._regularizer = owner.regularizer
    if owner.regularizer is not None:
      self._kl_weight = owner.regularizer.kl_weight
    else:
      self._kl_weight = tf.Variable(
        owner.kl_weight, trainable=False, dtype=tf.float32, name='kl_weight'
      )
    prior = self._prior = owner.prior
    learnable_prior = _is_learnable_prior(prior)
    if learnable_prior:
      _check_prior_fits(prior, self.condition_size)
    # Real-valued data for a Gaussian likelihood; values in [0, 1] otherwise.
    self._data = model_data.DataContract(
      self.event_shape, self.condition_size, layers_lib.likelihood_family(decoder)
    )
    self._networks = networks_lib.Networks(
      encoder, decoder, prior, self.condition_size, contract=self._data
    )
    if self.free_bits and learnable_prior and not prior.diagonal_gaussian:
      raise ValueError(f'`free_bits` needs a diagonal Gaussian prior; got {type(prior).__name__}.')
    posterior_layer = distributions.distribution_layer(encoder)
    if self.free_bits and not isinstance(posterior_layer, layers_lib.MultivariateNormalDiag):
      raise ValueError(
        "`free_bits` needs a diagonal Gaussian posterior (make_encoder(posterior='diagonal'))."
      )
    if encoder.built and decoder.built:
      self.built = True  # No weights of its own to create.
    self._make_trackers()

  @property
  def prior(self) -> tfd.Distribution:
    """p(z), `event_shape [latent_size]` (built anew from a learnable prior's weights).

    Raises:
      ValueError: for a conditional prior p(z|c); use `prior_distribution(c)`.
    """
    return self.prior_distribution()

  def prior_distribution(self, condition=None, temperature: float = 1.0) -> tfd.Distribution:
    """p(z), or p(z|c) for a conditional prior, at the current weights.

    Args:
      condition: float `[batch_size, condition_size]` conditions (tensors);
        only conditional priors use them.
        Default value: `None`.
      temperature: Python `float` > 0: the prior at this temperature
        (`tfvae.prior.temper`), what `sample(..., temperature=)` draws from.
        Default value: `1.0`: the model's own prior.

    Returns:
      A `tfd.Distribution` with `event_shape [latent_size]` and `batch_shape
      []` (or `[batch_size]` for a conditional prior).

    Raises:
      ValueError: for a `temperature` that is not > 0, or one other than 1
        with a prior that is not Gaussian or a mixture of Gaussians.
    """
    return prior_lib.temper(self._networks.prior(condition), temperature)

  def check_temperature(self, temperature, name: str = 'temperature') -> float:
    """`temperature` as a float, if this model's prior can be drawn at it.

    Builds the prior (at a one-row condition for a conditional model) and
    tempers it, so a temperature is refused before anything is trained,
    calibrated or written with it.

    Args:
      temperature: the temperature, a number > 0.
      name: the argument's name for error messages.
        Default value: `'temperature'`.

    Raises:
      TypeError: if it is not a number.
      ValueError: if it is not > 0, or not 1 for a prior that is not Gaussian
        or a mixture of Gaussians (`tfvae.prior.temper`).
    """
    temperature = checks.check_positive_float(temperature, name)
    condition_size = int(self.condition_size or 0)
    self.prior_distribution(tf.eye(1, condition_size) if condition_size else None, temperature)
    return temperature

  @property
  def prior_layer(self):
    """The learnable prior layer, or `None` for a fixed prior."""
    return self._prior if _is_learnable_prior(self._prior) else None

  @property
  def kl_weight(self) -> tf.Variable:
    """The non-trainable variable holding the KL weight (assign to anneal it)."""
    return self._kl_weight

  @property
  def metrics(self):
    return list(self._trackers)

  def build(self, input_shape):
    # The encoder and decoder arrive built; the VAE creates no weights of its
    # own. (Keras' default `build` runs `call` outside a call context, where
    # `add_loss` is refused.)
    self._build_input_shape = input_shape
    self.built = True

  def call(self, inputs, training=None):
    """Evaluates the objective on a batch.

    Args:
      inputs: `x`, or `(x, c)` for a conditional VAE (`c` float
        `[batch_size, condition_size]` or integer labels `[batch_size]`).
      training: Keras' training flag.

    Returns:
      `dict` of `[batch_size]` tensors: `loss` (the objective per example),
      `reconstruction` (-log p(x|z), averaged over samples) and `kl`; with
      `gradient_estimator='dreg'` also the DReG surrogates.
    """
    x, condition = self._data.split(inputs)
    posterior = self._networks.posterior(x, condition, training)
    prior = self.prior_distribution(condition)
    if self.objective == 'elbo' and self.num_samples == 1:
      z = tf.convert_to_tensor(posterior)
      parts = objective_lib.negative_elbo(
        x,
        posterior,
        self._networks.likelihood(z, condition, training),
        prior,
        kl_weight=self._kl_weight,
        analytic_kl=self.analytic_kl,
        z=z,
        free_bits=self.free_bits,
      )._asdict()
    else:
      parts = self._multi_sample_objective(x, condition, posterior, prior, training)
    if self.objective == 'elbo' and self._regularizer is None:
      # The weighted KL term (with free bits, if any), once.
      self.add_loss(_mean(parts['loss'] - parts['reconstruction']))
    return parts

  def _multi_sample_objective(self, x, condition, posterior, prior, training):
    z = posterior.sample(self.num_samples)  # [num_samples, batch_size, latent_size]
    density = posterior
    if self.gradient_estimator == 'dreg':
      density = _stop_gradient_posterior(posterior)
    log_weights, log_likelihood = objective_lib.log_importance_weights(
      x,
      density,
      lambda latents: self._networks.likelihood(latents, condition, training),
      prior,
      z,
      return_log_likelihood=True,
    )
    reconstruction = -tf.reduce_mean(log_likelihood, axis=0)
    kl = divergence_lib.kl_divergence(posterior, prior, analytic=self.analytic_kl, z=z)
    kl = tf.cast(kl, reconstruction.dtype)
    if self.objective == 'iwae':
      parts = {'loss': -objective_lib.iwae_bound(log_weights)}
    else:
      kl_term = divergence_lib.kl_term(posterior, prior, kl, self.free_bits)
      parts = {'loss': reconstruction + tf.cast(self._kl_weight, kl.dtype) * kl_term}
    parts.update(reconstruction=reconstruction, kl=kl)
    if self.gradient_estimator == 'dreg':
      parts['dreg_encoder'], parts['dreg_decoder'] = objective_lib.dreg_surrogates(log_weights)
    return parts

  @property
  def networks(self) -> networks_lib.Networks:
    """q(z|x, c), p(x|z, c) and p(z|c) of this model (`tfvae.model.networks.Networks`)."""
    return self._networks

  def compile(
    self,
    optimizer='adam',
    loss=None,
    metrics=None,
    jit_compile: bool | None = None,
    steps_per_execution=None,
    **kwargs,
  ):
    """Configures training; the loss is always the negative ELBO.

    Args:
      optimizer: a `tf_keras` optimizer or its name.
        Default value: `'adam'`.
      loss: must be `None`.
      metrics: extra metrics (rarely useful: the objective's parts are
        reported already).
      jit_compile: compile the step with XLA.
        Default value: `None`: on, unless a multi-replica `tf.distribute`
        strategy is in use.
      steps_per_execution: batches run per call into the compiled step
        (fewer host round trips; callbacks see every `steps_per_execution`-th
        batch).
        Default value: `None`: 8.
      **kwargs: other `tf_keras.Model.compile` arguments.

    Raises:
      ValueError: if a `loss` is given.
      TypeError: for a Keras 3 optimizer or metric.
    """
    if loss is not None:
      raise ValueError(
        '`loss` must be None: tfvae.VAE trains on its negative ELBO; call `compile(optimizer)`.'
      )
    keras.check_keras2(optimizer, 'optimizer')
    for metric in metrics or ():
      keras.check_keras2(metric, 'metrics')
    if jit_compile is None:
      jit_compile = tf.distribute.get_strategy().num_replicas_in_sync == 1
    super().compile(
      optimizer=optimizer,
      metrics=metrics,
      jit_compile=jit_compile,
      steps_per_execution=steps_per_execution or _DEFAULT_STEPS_PER_EXECUTION,
      **kwargs,
    )

  def get_compile_config(self):
    if not getattr(self, '_is_compiled', False):
      return None
    return {
      'optimizer': keras.optimizers.serialize(self.optimizer),
      'jit_compile': bool(self._jit_compile),
      'steps_per_execution': int(self._steps_per_execution.numpy()),
    }

  def compile_from_config(self, config):
    config = dict(config)
    config['optimizer'] = keras.optimizers.deserialize(config['optimizer'])
    self.compile(**config)

  def train_step(self, data):
    inputs = self._data.unpack(data)
    # Gradients are summed over replicas: scale each replica's to the mean.
    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    with tf.GradientTape(persistent=self.gradient_estimator == 'dreg') as tape:
      parts = self(inputs, training=True)
      loss = self._total_loss(parts)
      replica_loss = loss / num_replicas
    if self.gradient_estimator == 'dreg':
      self._apply_dreg(tape, parts, num_replicas)
    else:
      self.optimizer.minimize(replica_loss, self.trainable_variables, tape=tape)
    return self._update_trackers(loss, parts)

  def _apply_dreg(self, tape, parts, num_replicas):
    encoder_variables = self.encoder.trainable_variables
    encoder_ids = {id(v) for v in encoder_variables}
    other_variables = [v for v in self.trainable_variables if id(v) not in encoder_ids]
    with tape:
      regularization = tf.add_n(self.losses) if self.losses else 0.0
      encoder_loss = (_mean(parts['dreg_encoder']) + regularization) / num_replicas
      decoder_loss = (_mean(parts['dreg_decoder']) + regularization) / num_replicas
      scaled = isinstance(self.optimizer, keras.mixed_precision.LossScaleOptimizer)
      if scaled:
        encoder_loss = self.optimizer.get_scaled_loss(encoder_loss)
        decoder_loss = self.optimizer.get_scaled_loss(decoder_loss)
    gradients = tape.gradient(encoder_loss, encoder_variables) + tape.gradient(
      decoder_loss, other_variables
    )
    del tape
    if scaled:
      gradients = self.optimizer.get_unscaled_gradients(gradients)
    self.optimizer.apply_gradients(zip(gradients, encoder_variables + other_variables))

  def test_step(self, data):
    parts = self(self._data.unpack(data), training=False)
    return self._update_trackers(self._total_loss(parts), parts)

  def predict_step(self, data):
    x, condition = self._data.split(self._data.unpack(data))
    return self._reconstruct(x, condition)

  def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
    """`tf_keras.Model.fit` on data `x` (arrays are checked before training).

    `x` is a `[n, *event_shape]` array of values in [0, 1] (any finite values
    for a Gaussian likelihood) or a `tf.data.Dataset` of `x` or `(x, y)`
    batches. For an unconditional VAE `y` is ignored; for a conditional one
    it is the condition `c`: `fit(x, c)`, or a dataset of `(x, c)`, with `c`
    float `[n, condition_size]` or integer class labels `[n]`.
    `validation_data` takes the same forms (a bare array too).
    """
    model_data.check_callbacks(kwargs)
    x, y = self._data.check_data(x, y, 'x')
    if validation_data is not None:
      validation_data = self._data.check_validation_data(validation_data)
    return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

  def evaluate(self, x=None, y=None, *args, **kwargs):
    """`tf_keras.Model.evaluate` on data `x` (and conditions `y`, if conditional)."""
    model_data.check_callbacks(kwargs)
    x, y = self._data.check_data(x, y, 'x')
    return super().evaluate(x, y, *args, **kwargs)

  def predict(self, x, *args, condition=None, **kwargs):
    """Deterministic reconstructions, same shape as `x` (see `reconstruct`).

    A conditional VAE takes its conditions as `condition=c`, or `x` as a
    dataset of `(x, c)`.
    """
    model_data.check_callbacks(kwargs)
    x, condition = self._data.check_data(x, condition, 'x')
    return super().predict(x if condition is None else (x, condition), *args, **kwargs)

  def reconstruct(self, x, condition=None) -> tf.Tensor:
    """The likelihood's mean at the posterior's point estimate: E[x | z = E_q z].

    The point estimate is the posterior mean, or for a flow posterior the
    flow applied to its base distribution's mean (`layers.point_estimate`).

    Args:
      x: `[batch_size, *event_shape]` data.
      condition: for a conditional VAE, float `[batch_size, condition_size]`
        conditions or integer labels `[batch_size]` (the class to reconstruct
        `x` as); must be `None` otherwise.
        Default value: `None`.

    Returns:
      `[batch_size, *event_shape]` means (probabilities for Bernoulli pixels);
      deterministic.
    """
    return self._reconstruct(*self._data.tensors(x, condition))

  def posterior(self, x, condition=None) -> tfd.Distribution:
    """q(z|x) (q(z|x, c)): the encoder's distribution for a batch of data.

    Args:
      x: `[batch_size, *event_shape]` data.
      condition: the conditions of a conditional VAE (see `reconstruct`).
        Default value: `None`.

    Returns:
      A `tfd.Distribution` with `batch_shape [batch_size]` and `event_shape
      [latent_size]`.
    """
    return distributions.unwrap(self._networks.posterior(*self._data.tensors(x, condition)))

  def likelihood(self, z, condition=None) -> tfd.Distribution:
    """p(x|z) (p(x|z, c)): the decoder's distribution at latents `z`.

    Args:
      z: `[n, latent_size]` latents; for a conditional VAE `n` may be a
        multiple `k * batch_size` of the conditions' rows: `k` latents per
        condition, samples major (as `posterior(x, c).sample(k)` reshaped).
      condition: the conditions of a conditional VAE, `[batch_size, K]` or
        labels `[batch_size]`.
        Default value: `None`.

    Returns:
      A `tfd.Distribution` with `batch_shape [n]` and `event_shape
      event_shape`.
    """
    z = tf.convert_to_tensor(z, tf.float32)
    if self.condition_size and tf.is_tensor(condition) and not tf.executing_eagerly():
      condition = conditioning_lib.as_condition(condition, self.condition_size)
    else:
      condition = self._data.check_condition(condition)
    return distributions.unwrap(self._networks.likelihood(z, condition))

  def _reconstruct(self, x, condition):
    return self._networks.reconstruction(x, condition).mean()

  def elbo(self, x, condition=None) -> tf.Tensor:
    """Per-example ELBO (`kl_weight` 1), one posterior sample: `[batch_size]` nats.

    Args:
      x: `[batch_size, *event_shape]` data.
      condition: the conditions of a conditional VAE (see `reconstruct`).
        Default value: `None`.
    """
    x, condition = self._data.tensors(x, condition)
    parts = self(x if condition is None else (x, condition), training=False)
    return -(parts['reconstruction'] + parts['kl'])

  def log_likelihood(
    self,
    x,
    condition=None,
    num_samples: int = 1000,
    seed=None,
    chunk_size: int | None = None,
  ) -> tf.Tensor:
    """Importance-weighted estimate of log p(x) (log p(x|c)) per example, in nats.

    log p(x) ~= logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K,
    z_k ~ q(z|x) (Burda et al., 2016): a lower bound in expectation that
    tightens as `num_samples` grows; for a conditional VAE every term is
    conditioned on `c`. Samples are processed in chunks with a running
    log-sum-exp, so memory is bounded by `chunk_size * batch_size` decoded
    examples whatever `num_samples` is.

    Args:
      x: `[batch_size, *event_shape]` data.
      condition: the conditions of a conditional VAE (see `reconstruct`);
        `None` for an unconditional one.
        Default value: `None`.
      num_samples: K, importance samples per example.
        Default value: `1000`.
      seed: an `int` or int32 `[2]` seed; the same seed gives the same
        estimate.
        Default value: `None` (random).
      chunk_size: samples decoded at once.
        Default value: `None`: `tfvae.objective.chunk_size_for` (equal chunks
        of at most 32,768 decoded examples).

    Returns:
      `[batch_size]` float tensor.

    #### References

    [1] Yuri Burda, Roger Grosse and Ruslan Salakhutdinov. Importance Weighted
        Autoencoders. In ICLR, 2016. https://arxiv.org/abs/1509.00519
    """
    num_samples = checks.check_positive_int(num_samples, 'num_samples')
    x, condition = self._data.tensors(x, condition)
    if chunk_size is None:
      chunk_size = int(objective_lib.chunk_size_for(num_samples, tf.shape(x)[0]))
    chunk_size = checks.check_positive_int(chunk_size, 'chunk_size')
    seed = (
      checks.stateless_seed(seed)
      if seed is not None
      else tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32)
    )
    return self._log_likelihood_fn(
      x, condition, tf.constant(num_samples), seed, tf.constant(chunk_size)
    )

  @tf.function(reduce_retracing=True, autograph=False)
  def _log_likelihood_fn(self, x, condition, num_samples, seed, chunk_size):
    # A plain graph with XLA for log p(x|z) alone: TensorFlow's own (oneDNN)
    # kernels measured ~1.4x faster on CPU than XLA's for the decoder's large
    # products, and XLA ~2.5x faster for the elementwise work after them.
    # The graph's one loop is an explicit `tf.while_loop`: without AutoGraph's
    # conversion of every function it calls, the first call traces in about
    # half the time.
    return self.importance_weighted_log_likelihood(
      x, num_samples, chunk_size, seed, jit_compile=True, condition=condition
    )

  def importance_weighted_log_likelihood(
    self, x, num_samples, chunk_size, seed, jit_compile=False, condition=None
  ):
    """The graph behind `log_likelihood`; all arguments may be tensors.

    Args:
      x: `[batch_size, *event_shape]` float32 data.
      num_samples: int32 scalar K.
      chunk_size: int32 scalar, samples decoded at once (every chunk has this
        size; samples past `num_samples` in the last one are masked out).
      seed: int32 `[2]` stateless seed.
      jit_compile: evaluate `log p(x|z)` in an XLA cluster inside the plain
        graph (`tfvae.objective.log_importance_weights`); exports leave it off,
        as TF Serving runs XLA only when asked.
        Default value: `False`.
      condition: float32 `[batch_size, condition_size]` conditions of a
        conditional VAE.
        Default value: `None`.

    Returns:
      `[batch_size]` estimates of log p(x) (log p(x|c)).
    """
    return objective_lib.importance_weighted_log_likelihood(
      x,
      self._networks.posterior(x, condition),
      lambda z: self._networks.likelihood(z, condition),
      self.prior_distribution(condition),
      num_samples,
      chunk_size,
      seed,
      jit_compile=jit_compile,
    )

  def sample(
    self,
    num_samples=None,
    seed=None,
    mean: bool = True,
    condition=None,
    temperature: float = 1.0,
  ) -> tf.Tensor:
    """Draws examples from the model: z ~ p(z) (p(z|c)), then p(x|z) (p(x|z, c)).

    Args:
      num_samples: Python `int` > 0, the number of examples; for a
        conditional VAE, its conditions instead (`vae.sample(c)`: one example
        per row of `c`).
      seed: an `int` or an int32 `[2]` stateless seed; the same seed gives the
        same examples.
        Default value: `None` (random).
      mean: return the likelihood's mean (probabilities for Bernoulli
        pixels) instead of a draw.
        Default value: `True`.
      condition: for a conditional VAE, float `[n, condition_size]`
        conditions or integer labels `[n]`, one per example (the same as
        passing them as `num_samples`).
        Default value: `None`.
      temperature: Python `float` > 0: z is drawn from the prior at this
        temperature (`tfvae.prior.temper`: each Gaussian's spread about its
        mean scaled by it). Below 1, samples are more typical and less varied
        (more of a conditional model's samples show the class asked for:
        benchmarks/README.md); 1 draws from the model.
        Default value: `1.0`.

    Returns:
      `[n, *event_shape]` float tensor.

    Raises:
      ValueError: for a non-positive `temperature`, or one other than 1 with
        a prior that is not Gaussian or a mixture of Gaussians.
    """
    if self.condition_size and condition is None and not checks.is_integer(num_samples):
      num_samples, condition = None, num_samples
    if self.condition_size:
      if condition is None:
        raise ValueError(
          '`condition` is required: the VAE is conditional; `vae.sample(c)` draws one '
          'example per row of `c`.'
        )
      condition = tf.constant(self._data.check_condition(condition))
      count = int(condition.shape[0])
      if num_samples is not None and checks.check_positive_int(num_samples, 'num_samples') != count:
        raise ValueError(f'`num_samples`={num_samples} disagrees with the {count} conditions.')
    else:
      self._data.check_condition(condition)
      count = checks.check_positive_int(num_samples, 'num_samples')
    prior_seed, likelihood_seed = (
      (None, None) if seed is None else tfp.random.split_seed(checks.stateless_seed(seed))
    )
    prior = self.prior_distribution(condition, temperature)
    shape = [] if prior.batch_shape.rank else [count]
    z = prior.sample(shape, seed=prior_seed)
    likelihood = self._networks.likelihood(z, condition)
    return likelihood.mean() if mean else likelihood.sample(seed=likelihood_seed)

  def get_config(self):
    return {
      'name': self.name,
      'encoder': keras.saving.serialize_keras_object(self.encoder),
      'decoder': keras.saving.serialize_keras_object(self.decoder),
      'prior': self._prior_config(),
      'kl_weight': float(self._kl_weight.numpy()),
      'analytic_kl': self.analytic_kl,
      'objective': self.objective,
      'num_samples': self.num_samples,
      'gradient_estimator': self.gradient_estimator,
      'free_bits': self.free_bits,
    }

  def _prior_config(self):
    if self._regularizer is not None:
      return None
    if _is_learnable_prior(self._prior):
      return keras.saving.serialize_keras_object(self._prior)
    return prior_lib.serialize(self._prior)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    config = dict(config)
    for name in ('encoder', 'decoder'):
      config[name] = keras.saving.deserialize_keras_object(
        config[name], custom_objects=custom_objects
      )
    prior = config.get('prior')
    if prior is not None:
      if 'config' in prior:  # A learnable prior layer.
        config['prior'] = keras.saving.deserialize_keras_object(
          prior, custom_objects=custom_objects
        )
      else:
        config['prior'] = prior_lib.deserialize(prior)
    return cls(**config)

  @tf.__internal__.tracking.no_automatic_dependency_tracking
  def _make_trackers(self):
    # Untracked, so metric state stays out of `weights` and checkpoints; Keras
    # resets the trackers through `metrics`.
    self._trackers = [keras.metrics.Mean(name=name) for name in ('loss', 'reconstruction', 'kl')]

  def _total_loss(self, parts):
    regularization = tf.add_n(self.losses) if self.losses else 0.0
    if self.objective == 'elbo':
      # The KL is in `self.losses` once (regularizer or `add_loss`), beside
      # any weight regularization.
      return _mean(parts['reconstruction']) + regularization
    return _mean(parts['loss']) + regularization

  def _update_trackers(self, loss, parts):
    batch_size = tf.shape(parts['reconstruction'])[0]
    loss_tracker, reconstruction_tracker, kl_tracker = self._trackers
    loss_tracker.update_state(loss, sample_weight=tf.cast(batch_size, loss.dtype))
    reconstruction_tracker.update_state(parts['reconstruction'])
    kl_tracker.update_state(parts['kl'])
    return {tracker.name: tracker.result() for tracker in self.metrics}

  def check_inputs(self, x, name: str = 'x') -> np.ndarray:
    """Validates data for this model; returns it as a float32 array.

    Values must lie in [0, 1] (Bernoulli-family likelihoods), be 8-bit
    levels `k / 255` (discretized logistic likelihood) or be finite (Gaussian
    likelihood), with shape `[n, *event_shape]`. Grey levels given to a
    Bernoulli likelihood warn, once per model: their `log_prob` is not a
    log-likelihood.

    Raises:
      TypeError: non-numeric data.
      ValueError: wrong shape, empty, NaN/Inf, values outside [0, 1], or off
        the 8-bit levels for a discretized logistic likelihood.
    """
    return self._data.check_inputs(x, name)


def _check_prior_fits(prior, condition_size):
  """Raises `ValueError` when a learnable prior cannot serve these networks."""
  name = type(prior).__name__
  if prior.conditional and not condition_size:
    raise ValueError(
      f'`prior`: {name} is p(z|c), but the encoder and decoder take no condition; build them '
      'with `condition_size=K`.'
    )
  if prior.conditional and prior.condition_size != condition_size:
    raise ValueError(
      f'`prior` takes conditions of size {prior.condition_size}, the networks of size '
      f'{condition_size}.'
    )
  if prior.needs_encoder and condition_size:
    raise ValueError(
      f'`prior`: {name} is made of the posteriors q(z|u) at learned pseudo-inputs, which a '
      'conditional encoder q(z|x, c) does not give without pseudo-conditions; use the standard '
      'normal, `prior.MixtureOfGaussians` or `prior.ConditionalGaussian`.'
    )


def _is_learnable_prior(prior):
  return isinstance(prior, prior_lib.LearnablePrior)


def _mean(values):
  """The mean of `values`, 0 for none (a replica may get an empty last batch)."""
  total = tf.reduce_sum(values)
  return tf.math.divide_no_nan(total, tf.cast(tf.size(values), total.dtype))


def _stop_gradient_posterior(posterior):
  """The posterior with its parameters held constant (for DReG's log q)."""
  posterior = distributions.unwrap(posterior)
  if isinstance(posterior, tfd.MultivariateNormalDiag):
    return tfd.MultivariateNormalDiag(
      tf.stop_gradient(posterior.mean()), tf.stop_gradient(posterior.stddev())
    )
  if isinstance(posterior, tfd.MultivariateNormalTriL):
    return tfd.MultivariateNormalTriL(
      tf.stop_gradient(posterior.mean()), tf.stop_gradient(posterior.scale.to_dense())
    )
  raise ValueError(
    "`gradient_estimator`='dreg' needs a Gaussian posterior (MultivariateNormalDiag or "
    f'MultivariateNormalTriL); got {type(posterior).__name__}.'
  )
