# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Exports a VAE as a SavedModel that TensorFlow Serving runs: signatures, versions, warmup."""

import os
import uuid
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.analysis import anomaly as anomaly_lib
from tfvae.internal import checks
from tfvae.internal import distributions
from tfvae.internal import keras
from tfvae.model import layers as layers_lib
from tfvae.model import objective as objective_lib
from tfvae.model import prior as prior_lib
from tfvae.model import vae as vae_lib
from tfvae.serving import graph_checks

tfd = tfp.distributions

__all__ = [
  'ServingModule',
  'WARMUP_FILE',
  'export_saved_model',
]

# Where TF Serving looks for warmup requests, relative to a version directory.
WARMUP_FILE = os.path.join('assets.extra', 'tf_serving_warmup_requests')
_POSTERIOR = 'a distribution over [latent_size] vectors with a mean or a flow of one'
_LIKELIHOOD = (
  'tfd.Independent over tfd.Bernoulli, tfd.ContinuousBernoulli, tfd.Normal or '
  "tfvae.model.layers.DiscretizedLogisticMixture (make_decoder's likelihoods)"
)


class ServingModule(tf.Module):
  """The serving signatures of a `tfvae.VAE`, as `tf.function`s over its weights.

  Each signature takes and returns a `dict` of named tensors with a dynamic
  batch dimension; all are graphs of core TensorFlow ops, so they run where
  neither Python, TensorFlow Probability nor tfvae is available (TensorFlow
  Serving, the C API). With `event_shape = vae.event_shape` and
  `latent_size = vae.latent_size`:

  | signature | inputs | outputs |
  | --- | --- | --- |
  | `serving_default`, `reconstruct` | `x` float32 `[n, *event_shape]` | `probs` float32 `[n, *event_shape]` |
  | `encode` | `x` | `loc`, `scale` float32 `[n, latent_size]` |
  | `decode` | `z` float32 `[n, latent_size]` | `probs`, `logits` float32 `[n, *event_shape]` |
  | `sample` | `num` int32 `[]`, `seed` int32 `[2]` | `probs`, `samples` float32 `[num, *event_shape]` |
  | `elbo` | `x`, `seed` | `elbo` float32 `[n]` |
  | `log_likelihood` | `x`, `num_samples` int32 `[]`, `seed` | `log_likelihood` float32 `[n]` |

  That is for `make_encoder` and `make_decoder`'s defaults (a diagonal
  Gaussian posterior, Bernoulli pixels). The other families serve too, with
  these outputs instead:

  | family | outputs |
  | --- | --- |
  | `full_covariance` posterior | `encode`: also `scale_tril` float32 `[n, latent_size, latent_size]` (`scale` holds the marginal standard deviations) |
  | `iaf` posterior | `encode`: `loc` only, the flow of the base distribution's mean (`tfvae.model.layers.point_estimate`) |
  | `continuous_bernoulli` likelihood | `mean` instead of `probs`; `decode`: `mean`, `logits` |
  | `gaussian` likelihood | `mean` instead of `probs`; `decode`: `mean`, `scale`; `x` may hold any finite values |
  | `discretized_logistic` likelihood | `mean` instead of `probs`; `decode`: `mean`, `loc`, `scale` `[n, *event_shape]` on the [0, 1] scale, for `K > 1` components `[n, *event_shape, K]` and `mixture_logits`; `samples` are levels `k / 255`; `x` must hold such levels |

  `reconstruct`, `encode` and `decode` hold no random op: the same request
  always gets the same answer. `reconstruct` is the likelihood's mean at the
  posterior mean (`vae.reconstruct`). `sample` draws z from the prior and
  returns the likelihood's mean (`vae.sample(num, seed)`) and a draw from
  it, binary for Bernoulli pixels (`vae.sample(num, seed, mean=False)`), at
  the module's `sample_temperature` (`vae.sample(..., temperature=)`). `elbo` is
  `log p(x|z) - KL(q(z|x) || p(z))` at one posterior draw z (the KL in closed
  form where `vae.analytic_kl` allows), and `log_likelihood` the
  importance-weighted estimate of log p(x) of
  `tfvae.objective.importance_weighted_log_likelihood`, in the chunks
  `vae.log_likelihood` picks (`tfvae.objective.chunk_size_for`), so the same
  seed gives the same estimate as `vae.log_likelihood` (up to float rounding:
  that one evaluates log p(x|z) with XLA). A seed is an int32 `[2]` stateless seed:
  the same seed gives the same answer.

  For TF Serving's REST row format (`instances`), where every input gains a
  batch dimension, `num`, `num_samples` and `seed` also take one value per
  instance, which must all be equal. Invalid inputs (a wrong inner shape,
  values of `x` outside [0, 1] unless the pixels are Gaussian, off the
  levels `k / 255` for discretized logistic pixels, NaN or Inf, `num < 1`) fail with `INVALID_ARGUMENT` and a message naming the input.

  A conditional VAE's signatures take a named input `condition`, float32
  `[n, condition_size]`, after `x` (or `z`): `reconstruct`, `encode`,
  `decode`, `elbo` and `log_likelihood` use it with `x`; `sample` takes
  `condition` and `seed` (no `num`) and draws one example per row, from
  p(z|c) for a conditional prior. A `condition` of the wrong width, with NaN
  or Inf, or with another batch size than `x` fails with `INVALID_ARGUMENT`
  naming it. With `anomaly`, the `anomaly` signature scores `x` (and
  `condition`) and flags it against the calibrated threshold.

  #### Examples

  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> decoder = tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> module = ServingModule(tfvae.VAE(encoder, decoder))
  >>> sorted(module.signatures)
  ['decode', 'elbo', 'encode', 'log_likelihood', 'reconstruct', 'sample', 'serving_default']
  >>> module.encode(tf.zeros([3, 8, 8, 1]))['loc'].shape
  TensorShape([3, 2])
  >>> module.sample(num=4, seed=[1, 2])['samples'].shape
  TensorShape([4, 8, 8, 1])
  """

  def __init__(
    self,
    vae: vae_lib.VAE,
    anomaly: anomaly_lib.Threshold | None = None,
    sample_temperature: float = 1.0,
    name: str = 'tfvae_serving',
  ):
    """Traces the signatures of `vae`.

    Args:
      vae: a `tfvae.VAE` whose encoder returns a distribution over
        `[latent_size]` vectors with a mean (or a flow of one), and whose
        decoder returns `tfd.Independent` over `tfd.Bernoulli`,
        `tfd.ContinuousBernoulli`, `tfd.Normal` or
        `tfvae.model.layers.DiscretizedLogisticMixture` (every family of
        `make_encoder` and `make_decoder`), each a functional or `Sequential`
        model ending in a distribution layer; any prior.
      anomaly: a calibrated `tfvae.anomaly.Threshold`: adds the signature
        `anomaly`, `x` (and `condition`) and `seed` -> `score` float32 `[n]`
        and `is_anomaly` bool `[n]` (`score > threshold`), the score computed
        as `tfvae.anomaly.scores` computes it, with the threshold's
        `num_samples`.
        Default value: `None`: no `anomaly` signature.
      sample_temperature: Python `float` > 0, the temperature of the prior
        draws of the `sample` signature (`vae.sample(..., temperature=)`).
        Default value: `1.0`: draws from the model.
      name: name of the module.
        Default value: `'tfvae_serving'`.

    Raises:
      TypeError: if `vae` is not a `tfvae.VAE`.
      ValueError: if its networks are not of that kind or its shapes are
        unknown, or for a `sample_temperature` <= 0, or one other than 1 with
        a prior that is not Gaussian or a mixture of Gaussians.
    """
    super().__init__(name=name)
    if not isinstance(vae, vae_lib.VAE):
      raise TypeError(f'`vae` must be a tfvae.VAE; got {type(vae).__name__}.')
    if anomaly is not None and not isinstance(anomaly, anomaly_lib.Threshold):
      raise TypeError(
        f'`anomaly` must be a tfvae.anomaly.Threshold (anomaly.calibrate); got {anomaly!r}.'
      )
    if anomaly is not None:
      if anomaly.score == anomaly_lib.COMBINED:
        raise ValueError(
          "`anomaly`: the 'combined' score is standardized on calibration data and is not "
          "exported; export a threshold of one of tfvae.anomaly.SCORES (e.g. 'complexity')."
        )
      if anomaly.score == 'complexity' and len(vae.event_shape) != 3:
        raise ValueError(
          "`anomaly`: the 'complexity' score needs images [height, width, channels]."
        )
      if anomaly.score != 'reconstruction' and anomaly.num_samples < 1:
        raise ValueError(
          f'`anomaly`: the {anomaly.score!r} score needs `num_samples` >= 1; got '
          f'{anomaly.num_samples}.'
        )
    if vae.event_shape is None or vae.latent_size is None:
      raise ValueError('`vae` must have a known `event_shape` and `latent_size` to be exported.')
    # A temperature the prior cannot take is refused now, not when the export is saved.
    sample_temperature = vae.check_temperature(sample_temperature, 'sample_temperature')
    condition_size = int(vae.condition_size or 0)
    condition_shape = [(condition_size,)] if condition_size else []
    posterior, _ = _split_network(
      vae.encoder, 'encoder', [vae.event_shape, *condition_shape], _POSTERIOR, _posterior_outputs
    )
    likelihood, example = _split_network(
      vae.decoder, 'decoder', [(vae.latent_size,), *condition_shape], _LIKELIHOOD,
      _likelihood_outputs,
    )  # fmt: skip
    self._keep_untracked(
      vae=vae,
      event_shape=tuple(int(d) for d in vae.event_shape),
      latent_size=int(vae.latent_size),
      condition_size=condition_size,
      networks=vae.networks.replace(posterior, likelihood),
      # What `reconstruct` and `sample` call the likelihood's mean.
      mean_name=_mean_name(example),
      unit_interval=not isinstance(example.distribution, tfd.Normal),
      eight_bit=isinstance(example.distribution, layers_lib.DiscretizedLogisticMixture),
      threshold=anomaly,
      sample_temperature=sample_temperature,
    )
    # Only the variables are tracked: tracking the Keras models themselves can
    # fail at save (their distribution layers and regularizers).
    self._weights = _unique_variables(
      vae.variables,
      vae.encoder.variables,
      vae.decoder.variables,
      getattr(vae.prior_layer, 'variables', ()),
    )
    x = tf.TensorSpec([None, *self.event_shape], tf.float32, name='x')
    z = tf.TensorSpec([None, self.latent_size], tf.float32, name='z')
    # Counts and seeds have an unknown rank, so that the REST row format can
    # give them a batch dimension; the graph checks them.
    num = tf.TensorSpec(None, tf.int32, name='num')
    num_samples = tf.TensorSpec(None, tf.int32, name='num_samples')
    seed = tf.TensorSpec(None, tf.int32, name='seed')
    # A conditional VAE's signatures take a `condition` after `x` or `z`:
    # vectors [n, K] or class labels [n], as the library takes them.
    c = [tf.TensorSpec(None, tf.float32, name='condition')][:condition_size]

    def function(fn, *specs):
      return tf.function(fn, input_signature=specs, autograph=False)

    self.reconstruct = function(self._reconstruct, x, *c)
    self.encode = function(self._encode, x, *c)
    self.decode = function(self._decode, z, *c)
    if condition_size:
      self.sample = function(self._sample_conditional, *c, seed)
    else:
      self.sample = function(self._sample, num, seed)
    self.elbo = function(self._elbo, x, *c, seed)
    self.log_likelihood = function(self._log_likelihood, x, *c, num_samples, seed)
    self.anomaly = function(self._anomaly, x, *c, seed) if anomaly is not None else None

  @property
  def event_shape(self) -> tuple:
    """The shape of one example, `x.shape[1:]`."""
    return self._event_shape

  @property
  def latent_size(self) -> int:
    """The dimension of z."""
    return self._latent_size

  @property
  def condition_size(self) -> int:
    """The size of the condition of a conditional VAE; `0` for an unconditional one."""
    return self._condition_size

  @property
  def signatures(self) -> dict:
    """Signature name -> concrete function, as `tf.saved_model.save` takes them."""
    functions = {
      'serving_default': self.reconstruct,
      'reconstruct': self.reconstruct,
      'encode': self.encode,
      'decode': self.decode,
      'sample': self.sample,
      'elbo': self.elbo,
      'log_likelihood': self.log_likelihood,
      'anomaly': self.anomaly,
    }
    return {
      name: function.get_concrete_function()
      for name, function in functions.items()
      if function is not None
    }

  def warmup_inputs(self) -> dict:
    """One small valid request per signature: name -> `dict` of NumPy inputs."""
    x = {'x': np.zeros([1, *self.event_shape], np.float32)}
    z = {'z': np.zeros([1, self.latent_size], np.float32)}
    seed = {'seed': np.array([0, 0], np.int32)}
    c = {}
    if self.condition_size:
      c = {'condition': np.eye(1, self.condition_size, dtype=np.float32)}
    inputs = {
      'serving_default': {**x, **c},
      'reconstruct': {**x, **c},
      'encode': {**x, **c},
      'decode': {**z, **c},
      'sample': {**c, **seed} if c else {'num': np.int32(1), **seed},
      'elbo': {**x, **c, **seed},
      'log_likelihood': {**x, **c, 'num_samples': np.int32(2), **seed},
      'anomaly': {**x, **c, **seed},
    }
    return {name: inputs[name] for name in self.signatures}

  @tf.__internal__.tracking.no_automatic_dependency_tracking
  def _keep_untracked(self, **attributes):
    # The SavedModel holds the traced graphs and the variables, nothing else.
    for name, value in attributes.items():
      setattr(self, f'_{name}', value)

  def _condition(self, condition, batch_like, batch_name):
    """The request's `condition` as float32 `[n, K]`, checked in the graph (or `None`)."""
    if condition is None:
      return None
    return graph_checks.check_condition(condition, self.condition_size, batch_like, batch_name)

  def _inputs(self, x, condition):
    """Checked `x` and condition."""
    x = graph_checks.check_data(x, 'x', self.event_shape, self._unit_interval, self._eight_bit)
    return x, self._condition(condition, x, 'x')

  def _reconstruct(self, x, condition=None):
    return {self._mean_name: self._networks.reconstruction(*self._inputs(x, condition)).mean()}

  def _encode(self, x, condition=None):
    return _posterior_outputs(self._networks.posterior(*self._inputs(x, condition)))

  def _decode(self, z, condition=None):
    z = graph_checks.check_latents(z, self.latent_size)
    return _likelihood_outputs(self._networks.likelihood(z, self._condition(condition, z, 'z')))

  def _sample(self, num, seed):
    return self._draw(graph_checks.check_count(num, 'num'), seed, None)

  def _sample_conditional(self, condition, seed):
    condition = self._condition(condition, condition, 'condition')
    return self._draw(tf.shape(condition)[0], seed, condition)

  def _draw(self, num, seed, condition):
    # As `VAE.sample`: one half of the seed for z, the other for the draw.
    prior_seed, likelihood_seed = tfp.random.split_seed(graph_checks.check_seed(seed))
    prior = prior_lib.temper(self._networks.prior(condition), self._sample_temperature)
    shape = [] if prior.batch_shape.rank else [num]
    likelihood = self._networks.likelihood(prior.sample(shape, seed=prior_seed), condition)
    samples = likelihood.sample(seed=likelihood_seed)
    return {self._mean_name: likelihood.mean(), 'samples': tf.cast(samples, tf.float32)}

  def _elbo(self, x, *condition_and_seed):
    *condition, seed = condition_and_seed
    x, condition = self._inputs(x, condition[0] if condition else None)
    posterior = self._networks.posterior(x, condition)
    z = posterior.sample(seed=graph_checks.check_seed(seed))
    parts = objective_lib.negative_elbo(
      x,
      posterior,
      self._networks.likelihood(z, condition),
      self._networks.prior(condition),
      kl_weight=1.0,
      analytic_kl=self._vae.analytic_kl,
      z=z,
    )
    return {'elbo': -(parts.reconstruction + parts.kl)}

  def _anomaly(self, x, *condition_and_seed):
    *condition, seed = condition_and_seed
    x, condition = self._inputs(x, condition[0] if condition else None)
    threshold = self._threshold
    score = anomaly_lib.score_batch(
      threshold.score,
      x,
      *self._networks.at(x, condition),
      tf.constant(threshold.num_samples),
      graph_checks.check_seed(seed),
    )
    return {'score': score, 'is_anomaly': score > threshold.value}

  def _log_likelihood(self, x, *rest):
    *condition, num_samples, seed = rest
    x, condition = self._inputs(x, condition[0] if condition else None)
    num_samples = graph_checks.check_count(num_samples, 'num_samples')
    # The chunk size `VAE.log_likelihood` picks, so both give the same estimate.
    chunk_size = objective_lib.chunk_size_for(num_samples, tf.shape(x)[0])
    estimate = objective_lib.importance_weighted_log_likelihood(
      x,
      *self._networks.at(x, condition),
      num_samples,
      chunk_size,
      graph_checks.check_seed(seed),
    )
    return {'log_likelihood': estimate}


def export_saved_model(
  vae: vae_lib.VAE,
  export_base: str,
  version: int | None = None,
  overwrite: bool = False,
  warmup: bool = True,
  anomaly: anomaly_lib.Threshold | None = None,
  sample_temperature: float = 1.0,
) -> str:
  """Writes `vae` as a SavedModel to `export_base/<version>/`, the layout TF Serving polls.

  The SavedModel holds the signatures of `ServingModule` (see there for their
  inputs, outputs, dtypes and shapes) and the network weights; it loads with
  `tf.saved_model.load` in a process that imports only TensorFlow, runs in
  `tensorflow/serving` and in `saved_model_cli run`. It is written to a
  hidden temporary directory inside `export_base` and renamed into place, so a
  server polling `export_base` never sees a half-written version, and an
  export that fails leaves no version directory behind (a killed process may
  leave a hidden `.tmp-*` directory, which servers ignore). Exports that run at
  the same time with `version=None` each get a version of their own (on a
  local file system; see `_rename_if_absent`).

  With `warmup` and tensorflow-serving-api installed (`pip install
  tfvae[serving]`), `assets.extra/tf_serving_warmup_requests` holds one small
  `PredictionLog` request per signature, which TF Serving replays before it
  serves the version. Without tensorflow-serving-api the warmup file is
  skipped with a warning.

  Args:
    vae: the `tfvae.VAE` to export.
    export_base: directory of versions; created if missing.
    version: positive integer name of the version directory.
      Default value: `None`: one more than the largest version in
      `export_base` when the export is renamed into place, or 1.
    overwrite: replace an existing version directory (by a second rename; a
      server polling at that moment may briefly miss the version).
      Default value: `False`.
    warmup: write the warmup requests.
      Default value: `True`.
    anomaly: a calibrated `tfvae.anomaly.Threshold`, for an `anomaly`
      signature (see `ServingModule`).
      Default value: `None`.
    sample_temperature: the temperature of the `sample` signature's prior
      draws (see `ServingModule`).
      Default value: `1.0`.

  Returns:
    The path of the version directory written.

  Raises:
    FileExistsError: if the version exists and `overwrite` is false.
    TypeError: if `vae` is not a `tfvae.VAE`.
    ValueError: on a bad `version`, an `export_base` that is a file, or
      networks that cannot be served (see `ServingModule`).

  #### Examples

  >>> import shutil, tempfile
  >>> encoder = tfvae.make_encoder((8, 8, 1), latent_size=2, hidden_units=(16,))
  >>> decoder = tfvae.make_decoder(2, (8, 8, 1), hidden_units=(16,))
  >>> export_base = tempfile.mkdtemp()
  >>> path = export_saved_model(tfvae.VAE(encoder, decoder), export_base)
  >>> os.path.relpath(path, export_base)
  '1'
  >>> loaded = tf.saved_model.load(path)
  >>> reconstruct = loaded.signatures['reconstruct']
  >>> reconstruct(x=tf.zeros([3, 8, 8, 1]))['probs'].shape
  TensorShape([3, 8, 8, 1])
  >>> shutil.rmtree(export_base)
  """
  export_base = os.fspath(export_base)
  if tf.io.gfile.exists(export_base) and not tf.io.gfile.isdir(export_base):
    raise ValueError(
      f'`export_base`: {export_base} exists and is not a directory; it must be (or become) the '
      'directory that holds the numbered versions.'
    )
  if version is not None:
    version = checks.check_positive_int(version, 'version')
    path = os.path.join(export_base, str(version))
    if tf.io.gfile.exists(path) and not overwrite:
      raise FileExistsError(
        f'{path} exists; pick another `version`, pass `version=None` for the next one, '
        'or `overwrite=True`.'
      )
  module = ServingModule(vae, anomaly=anomaly, sample_temperature=sample_temperature)
  tf.io.gfile.makedirs(export_base)
  staging = os.path.join(export_base, f'.tmp-{uuid.uuid4().hex[:12]}')
  try:
    tf.saved_model.save(module, staging, signatures=module.signatures)
    if warmup:
      _write_warmup(module, staging)
    return _publish(staging, export_base, version, overwrite)
  finally:
    if tf.io.gfile.exists(staging):
      tf.io.gfile.rmtree(staging)


def _publish(staging, export_base, version, overwrite):
  """Renames the finished `staging` directory to its version; returns the version's path.

  With `version=None` it takes the next free version: when another export
  takes that number first (their renames race), it moves on to the next, so
  concurrent exports each land in a version of their own.
  """
  if version is None:
    while True:
      path = os.path.join(export_base, str(_next_version(export_base)))
      if _rename_if_absent(staging, path):
        return path
  path = os.path.join(export_base, str(version))
  if not overwrite:
    if _rename_if_absent(staging, path):
      return path
    raise FileExistsError(f'{path} appeared during the export; it was left untouched.')
  retired = os.path.join(export_base, '.old-' + os.path.basename(staging)[len('.tmp-') :])
  if tf.io.gfile.exists(path):
    tf.io.gfile.rename(path, retired)
  try:
    tf.io.gfile.rename(staging, path)
  except BaseException:
    if tf.io.gfile.exists(retired):
      tf.io.gfile.rename(retired, path)  # Put the old version back.
    raise
  if tf.io.gfile.exists(retired):
    tf.io.gfile.rmtree(retired)
  return path


def _rename_if_absent(source, target):
  """Renames directory `source` to `target` unless `target` exists; whether it did.

  On a local file system this is one atomic `rename(2)`, which refuses a
  non-empty target (every version directory is one): of two exports racing
  for the same version, exactly one gets it. Other file systems (`gs://`,
  ...) check and then rename, which a concurrent export can interleave.
  """
  if '://' not in target:
    try:
      os.rename(source, target)
    except OSError:
      if os.path.exists(target):
        return False
      raise
    return True
  if tf.io.gfile.exists(target):
    return False
  tf.io.gfile.rename(source, target)
  return True


def _next_version(export_base):
  """One more than the largest integer-named entry of `export_base`, or 1."""
  if not tf.io.gfile.isdir(export_base):
    return 1
  names = (name.rstrip('/') for name in tf.io.gfile.listdir(export_base))
  return max([0, *(int(name) for name in names if name.isdigit())]) + 1


def _split_network(network, name, input_shapes, family, outputs):
  """`params -> distribution` of a network ending in a distribution layer, and an example.

  Calling the distribution layer would also compute its tensor twin (a
  random sample, for an encoder) and evaluate its KL regularizer; the network
  up to the layer's input and the layer's `make_distribution` give the
  distribution alone. `outputs` (which raises `TypeError` on a distribution it cannot
  serve) checks what the network returns.
  """
  last = distributions.distribution_layer(network)
  if not hasattr(last, 'make_distribution'):
    layers = getattr(network, 'layers', None) or [network]
    raise ValueError(
      f'`{name}` must end in a tfvae distribution layer to be exported (as `make_encoder` '
      'and `make_decoder` build: tfvae.MultivariateNormalDiag, tfvae.IndependentBernoulli, '
      f'...); its last layer is {type(layers[-1]).__name__}.'
    )
  try:
    params = keras.Model(network.inputs, last.input, name=f'{network.name}_params')
  except (AttributeError, TypeError, ValueError) as error:
    raise ValueError(
      f'`{name}` must be a functional or Sequential tf_keras model to be exported: {error}'
    ) from None

  def distribution(inputs, training=False):
    del training  # The parameter network runs in inference mode.
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    return last.make_distribution(params(inputs if len(inputs) > 1 else inputs[0], training=False))

  example = distribution([tf.zeros([1, *shape]) for shape in input_shapes])
  try:
    outputs(example)
  except (TypeError, NotImplementedError):
    inner = getattr(example, 'distribution', None)
    returned = type(example).__name__ + (f'({type(inner).__name__})' if inner else '')
    raise ValueError(
      f'`{name}` must return {family} to be exported; it returns {returned}.'
    ) from None
  return distribution, example


def _posterior_outputs(posterior):
  """`encode`'s outputs: the point estimate, and the scale where there is one."""
  if not isinstance(posterior, tfd.Distribution) or posterior.event_shape.rank != 1:
    raise TypeError('a distribution over vectors')
  outputs = {'loc': layers_lib.point_estimate(posterior)}
  if isinstance(posterior, (tfd.MultivariateNormalDiag, tfd.MultivariateNormalTriL)):
    outputs['scale'] = posterior.stddev()
  if isinstance(posterior, tfd.MultivariateNormalTriL):
    outputs['scale_tril'] = posterior.scale.to_dense()
  return outputs


def _likelihood_outputs(likelihood):
  """`decode`'s outputs: the mean and the parameters of the pixel distributions."""
  pixels = getattr(likelihood, 'distribution', None)
  if not isinstance(likelihood, tfd.Independent):
    raise TypeError('tfd.Independent')
  mean = {_mean_name(likelihood): likelihood.mean()}
  if isinstance(pixels, (tfd.Bernoulli, tfd.ContinuousBernoulli)):
    return {**mean, 'logits': pixels.logits_parameter()}
  if isinstance(pixels, tfd.Normal):
    return {**mean, 'scale': likelihood.stddev()}
  if isinstance(pixels, layers_lib.DiscretizedLogisticMixture):
    if pixels.num_components == 1 and pixels.mixture_logits is None:
      return {**mean, 'loc': pixels.loc[..., 0], 'scale': pixels.scale[..., 0]}
    logits = pixels.mixture_logits
    if logits is None:
      logits = tf.zeros_like(pixels.loc)
    return {**mean, 'loc': pixels.loc, 'scale': pixels.scale, 'mixture_logits': logits}
  raise TypeError('Bernoulli, ContinuousBernoulli, Normal or DiscretizedLogisticMixture pixels')


def _mean_name(likelihood):
  """What the signatures call the likelihood's mean: Bernoulli means are probabilities."""
  return 'probs' if isinstance(likelihood.distribution, tfd.Bernoulli) else 'mean'


def _unique_variables(*collections):
  seen, result = set(), []
  for collection in collections:
    for variable in collection:
      if variable.ref() not in seen:
        seen.add(variable.ref())
        result.append(variable)
  return result


def _write_warmup(module, directory):
  """Writes TF Serving's warmup requests; returns their path, or None without the API."""
  try:
    from tensorflow_serving.apis import predict_pb2
    from tensorflow_serving.apis import prediction_log_pb2
  except ImportError:
    warnings.warn(
      'tensorflow-serving-api is not installed, so the export has no warmup requests '
      f'({WARMUP_FILE}); `pip install tfvae[serving]` to write them.',
      stacklevel=3,
    )
    return None
  path = os.path.join(directory, WARMUP_FILE)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.TFRecordWriter(path) as writer:
    for name, inputs in module.warmup_inputs().items():
      request = predict_pb2.PredictRequest()
      request.model_spec.signature_name = name
      for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
      log = prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
      )
      writer.write(log.SerializeToString())
  return path
