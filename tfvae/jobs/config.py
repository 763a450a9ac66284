# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job's options: declared, validated, written and read back in one place.

`JobConfig` is a frozen dataclass with one field per option. Each field's
metadata carries its help text and, where it has them, its choices and its
check; `python -m tfvae.train` derives its flags from the fields, the job
writes the resolved options to `config.json` with `to_json`, and
`python -m tfvae.evaluate` and `python -m tfvae.export` read them back with
`from_json`. An option is added by declaring its field (and using it).

A model's own configuration is something else: its constructors' keyword
arguments (`make_encoder`, `VAE`, ...), which Keras saves with the model. This
module imports no model module: the choices below are plain tuples (a test
checks them against the model wing's), and the model's defaults (such as
`hidden_units`) are filled in by `tfvae.jobs.models.complete`.
"""

import dataclasses
import json
import math
import os
import typing
import warnings

from tfvae.internal import checks

__all__ = [
  'ARCHITECTURES',
  'LIKELIHOODS',
  'OBJECTIVES',
  'POSTERIORS',
  'PRECISIONS',
  'PRIORS',
  'STRATEGIES',
  'JobConfig',
  'is_named_dataset',
  'write_json',
]

# The choices of the model's options, as the model wing names them
# (`make_encoder`, `make_decoder`, `VAE`); jobs_test checks that they agree.
ARCHITECTURES = ('conv', 'dense')
LIKELIHOODS = ('bernoulli', 'continuous_bernoulli', 'discretized_logistic', 'gaussian')
OBJECTIVES = ('elbo', 'iwae')
POSTERIORS = ('diagonal', 'full_covariance', 'iaf')
PRECISIONS = ('auto', 'bfloat16', 'float32')
PRIORS = ('class_mixture', 'conditional_gaussian', 'mixture', 'standard_normal', 'vamp')
STRATEGIES = ('default', 'mirrored', 'multi_worker')
# Early stopping is on by default below this many training examples, with this patience.
_SMALL_TRAINING_SET = 10_000
_DEFAULT_PATIENCE = 10
# The temperature of a conditional run's samples (benchmarks/README.md: at 1, about 89% of a
# Fashion-MNIST run's samples show the class asked for; at 0.8, about 92%).
_CONDITIONAL_SAMPLE_TEMPERATURE = 0.8
# What a run had for an option added after its config.json was written.
_EARLIER_RELEASE_VALUES = {'precision': 'float32', 'sample_temperature': 1.0}
# Datasets named rather than found on disk (`tfvae.datasets.DATASETS`).
_NAMED_DATASETS = ('digits', 'fashion_mnist', 'mnist')


def is_named_dataset(dataset: str) -> bool:
  """Whether `dataset` is a built-in name (`'digits'`, ...) rather than a path."""
  return dataset in _NAMED_DATASETS


def _option(default, help, choices=None, check=None):  # noqa: A002
  """A `JobConfig` field: its default, help text, choices and check."""
  return dataclasses.field(
    default=default, metadata={'help': help, 'choices': choices, 'check': check}
  )


def _positive_int(name):
  return lambda value: checks.check_positive_int(value, name)


def _non_negative_int(name):
  return lambda value: checks.check_non_negative_int(value, name)


def _optional_non_negative_int(name):
  return lambda value: None if value is None else checks.check_non_negative_int(value, name)


def _non_negative_float(name):
  return lambda value: checks.check_kl_weight(value, name)


def _fraction(name, zero_allowed):
  def check(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
      raise ValueError(f'`{name}` must be a number in [0, 1); got {value!r}.')
    value = float(value)
    if not (0.0 <= value < 1.0) or (value == 0.0 and not zero_allowed):
      low = '[0' if zero_allowed else '(0'
      raise ValueError(f'`{name}` must lie in {low}, 1); got {value!r}.')
    return value

  return check


def _positive_float(name):
  def check(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
      raise ValueError(f'`{name}` must be a positive float; got {value!r}.')
    if not (math.isfinite(value) and value > 0):
      raise ValueError(f'`{name}` must be a positive float; got {value!r}.')
    return float(value)

  return check


def _optional_positive_float(name):
  check = _positive_float(name)
  return lambda value: None if value is None else check(value)


def _units(name):
  return lambda value: None if value is None else checks.check_units(value, name)


def _image_size(value):
  if value is None:
    return None
  size = checks.check_shape(value, 'image_size')
  if len(size) != 2:
    raise ValueError(f'`image_size` must be (height, width); got {value!r}.')
  return size


def _optional_string(name):
  def check(value):
    if value is not None and not isinstance(value, str):
      raise ValueError(f'`{name}` must be a string; got {value!r}.')
    return value

  return check


def _string(name):
  def check(value):
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
      raise ValueError(f'`{name}` must be a non-empty string; got {value!r}.')
    return os.fspath(value)

  return check


@dataclasses.dataclass(frozen=True)
class JobConfig:
  """The options of the main job (`python -m tfvae.train`, `tfvae.experiment.train`).

  Construction validates every option and raises `ValueError` naming the
  first bad one. Options the data decide (`likelihood`, `hidden_units`) may be
  `None` here; `resolve` fills them in. `to_json` and `from_json` write and
  read `config.json`.

  #### Examples

  >>> config = JobConfig(dataset='digits', epochs=3)
  >>> config.epochs, config.likelihood
  (3, None)
  >>> JobConfig.from_json(config.to_json()) == config
  True
  >>> JobConfig(epochs=0)
  Traceback (most recent call last):
  ...
  ValueError: `epochs` must be a positive integer; got 0.
  """

  # The data.
  dataset: str = _option(
    'digits',
    "A name ('digits', 'mnist', 'fashion_mnist'), a .npz/.npy file, a directory of images "
    '(class subfolders give labels), a glob of TFRecord files, or a CSV file or glob.',
    check=_string('dataset'),
  )
  data_dir: str | None = _option(
    None,
    'Directory with the IDX files of mnist / fashion_mnist (for example '
    '/usr/share/datasets/fashion-mnist); by default they are downloaded.',
    check=_optional_string('data_dir'),
  )
  image_size: tuple | None = _option(
    None, 'Resize every image to HEIGHT,WIDTH (image directories and TFRecords).', check=_image_size
  )
  channels: int | None = _option(
    None,
    'Decode images with 1 (grey) or 3 (RGB) channels (default: those of the data).',
    choices=(1, 3),
  )
  label_column: str | None = _option(
    None,
    "CSV: the integer label column (default: a column named 'label', if any).",
    check=_optional_string('label_column'),
  )
  feature_columns: str | None = _option(
    None,
    'CSV: the feature columns, NAME,NAME,... (default: every column but the label and '
    '--ignore_columns).',
    check=_optional_string('feature_columns'),
  )
  ignore_columns: str | None = _option(
    None,
    'CSV: columns not to read, NAME,NAME,... (IDs, text).',
    check=_optional_string('ignore_columns'),
  )
  validation_fraction: float = _option(
    0.1,
    'Share of the training examples held out for per-epoch validation (unless the data have '
    'validation files); 0 for none.',
    check=_fraction('validation_fraction', zero_allowed=True),
  )
  test_fraction: float = _option(
    0.1,
    'Share of the examples held out as the test split, for data without test files of their own.',
    check=_fraction('test_fraction', zero_allowed=False),
  )
  shuffle_buffer: int = _option(
    10_000,
    'Examples in the shuffle buffer of streamed file sources.',
    check=_positive_int('shuffle_buffer'),
  )
  # The model.
  architecture: str = _option('dense', 'Encoder/decoder family.', choices=ARCHITECTURES)
  latent_size: int = _option(32, 'Dimension of z.', check=_positive_int('latent_size'))
  hidden_units: tuple | None = _option(
    None,
    'Encoder widths (dense) or filters (conv); the decoder mirrors them. '
    'Default: 512,256 (dense) or 32,64 (conv).',
    check=_units('hidden_units'),
  )
  posterior: str = _option(
    'diagonal', 'q(z|x): diagonal, full_covariance or iaf.', choices=POSTERIORS
  )
  likelihood: str | None = _option(
    None,
    'p(x|z): bernoulli (binarized data), continuous_bernoulli or gaussian (grey levels as they '
    'are; real values), or discretized_logistic (8-bit images as they are, levels k/255; '
    'reports bits/dim). Default: bernoulli for images, gaussian for tables.',
    choices=LIKELIHOODS,
  )
  likelihood_components: int = _option(
    1,
    'Logistic components per pixel of --likelihood=discretized_logistic: 1 for a discretized '
    'logistic, K > 1 for a mixture (PixelCNN++).',
    check=_positive_int('likelihood_components'),
  )
  prior: str | None = _option(
    None,
    'p(z): standard_normal, mixture (10 learnable Gaussians), vamp (VampPrior, 50 '
    'pseudo-inputs), conditional_gaussian (p(z|c), learned; with --conditional) or '
    'class_mixture (with --conditional: trained under N(0, I), then p(z|c) is a mixture of 10 '
    "Gaussians fitted to each class's posteriors, so samples show the class asked for). "
    'Default: class_mixture with --conditional (standard_normal with --free_bits), standard_normal '
    'otherwise.',
    choices=PRIORS,
  )
  conditional: bool = _option(
    False,
    "A conditional VAE, q(z|x, c) and p(x|z, c), conditioned on the data's class labels.",
  )
  sample_temperature: float | None = _option(
    None,
    'Temperature of the prior draws behind samples.png, the TensorBoard samples and the '
    "export's `sample` signature (`python -m tfvae.export --sample_temperature` overrides it): "
    "each Gaussian's spread about its mean is scaled by it (VAE.sample's `temperature`). 1 "
    'draws from the model; below 1, samples are more typical and less varied. Default: '
    f'{_CONDITIONAL_SAMPLE_TEMPERATURE} with --conditional (more samples show the class asked '
    'for), 1 otherwise.',
    check=_optional_positive_float('sample_temperature'),
  )
  objective: str = _option(
    'elbo', 'elbo, or iwae (importance-weighted bound with --num_samples).', OBJECTIVES
  )
  num_samples: int = _option(
    1, 'Posterior samples per example in the objective.', check=_positive_int('num_samples')
  )
  kl_weight: float = _option(1.0, 'Weight of the KL term.', check=_non_negative_float('kl_weight'))
  free_bits: float = _option(
    0.0,
    "Floor in nats on each latent dimension's KL (diagonal posterior, Gaussian prior).",
    check=_non_negative_float('free_bits'),
  )
  kl_warmup_epochs: int = _option(
    0,
    'Ramp the KL weight from 0 over this many epochs.',
    check=_non_negative_int('kl_warmup_epochs'),
  )
  # Training.
  epochs: int = _option(100, 'Passes over the training set.', check=_positive_int('epochs'))
  early_stopping_patience: int | None = _option(
    None,
    'Stop once the validation loss has not improved for this many epochs (counted after '
    '--kl_warmup_epochs), and keep the weights of the epoch with the lowest validation loss; 0 '
    f'for off. Default: {_DEFAULT_PATIENCE} when the training split holds fewer than '
    f'{_SMALL_TRAINING_SET:,} examples and there is a validation split, else off.',
    check=_optional_non_negative_int('early_stopping_patience'),
  )
  batch_size: int = _option(128, 'Global batch size.', check=_positive_int('batch_size'))
  learning_rate: float = _option(
    1e-3, "Adam's learning rate.", check=_positive_float('learning_rate')
  )
  seed: int = _option(0, 'Seed for initialization, splits, shuffling and binarization.')
  strategy: str = _option(
    'default',
    'tf.distribute strategy; multi_worker reads TF_CONFIG.',
    choices=STRATEGIES,
  )
  jit_compile: bool | None = _option(
    None, 'Compile the training step with XLA (default: unless several replicas train).'
  )
  precision: str = _option(
    'auto',
    'Compute precision of the hidden layers: float32, bfloat16 (float32 variables, '
    'likelihoods, KL and loss; float32 in and out of the export) or auto (bfloat16 on GPUs with '
    'bfloat16 tensor cores, float32 elsewhere, CPUs included). A run resumes under any setting '
    'that resolves to the precision it began with.',
    choices=PRECISIONS,
  )

  def __post_init__(self):
    hints = typing.get_type_hints(type(self))
    for field in dataclasses.fields(self):
      value = getattr(self, field.name)
      value = _check_type(field.name, value, hints[field.name])
      choices, check = field.metadata['choices'], field.metadata['check']
      if choices is not None and value is not None:
        value = checks.check_choice(value, choices, field.name)
      if check is not None:
        value = check(value)
      object.__setattr__(self, field.name, value)
    self._check_together()

  def _check_together(self):
    """Options that must agree with each other (those the data decide: `resolve`)."""
    if self.free_bits and (
      self.posterior != 'diagonal'
      or self.prior not in (None, 'standard_normal', 'conditional_gaussian')
    ):
      raise ValueError(
        '`free_bits` needs the diagonal posterior and a Gaussian prior (standard_normal or '
        f'conditional_gaussian); got posterior={self.posterior!r}, prior={self.prior!r}.'
      )
    if self.likelihood_components != 1 and self.likelihood not in (None, 'discretized_logistic'):
      raise ValueError(
        f'`likelihood_components`={self.likelihood_components} needs '
        f"`likelihood`='discretized_logistic'; got {self.likelihood!r}."
      )
    if self.prior in ('class_mixture', 'conditional_gaussian') and not self.conditional:
      raise ValueError(f'`prior`={self.prior!r} is p(z|c): it needs `conditional`.')
    if (
      self.sample_temperature not in (None, 1.0)
      and self.prior == 'vamp'
      and (self.posterior == 'iaf')
    ):
      raise ValueError(
        f'`sample_temperature`={self.sample_temperature} scales Gaussians, but the VampPrior of '
        "`posterior`='iaf' mixes flows; use sample_temperature=1."
      )
    if self.conditional and self.prior == 'vamp':
      raise ValueError(
        "`prior`='vamp' cannot condition (its pseudo-inputs have no labels); with "
        '`conditional` use standard_normal, mixture or conditional_gaussian.'
      )

  def replace(self, **changes) -> 'JobConfig':
    """A copy with some options changed (validated again).

    Raises:
      ValueError: for an unknown option or a bad value.
    """
    _check_names(changes)
    return dataclasses.replace(self, **changes)

  def resolve(self, info) -> 'JobConfig':
    """The options the data decide, filled in and checked against the data.

    Args:
      info: the `tfvae.sources.SourceInfo` of the data.

    Returns:
      A `JobConfig` with `likelihood`, `prior`, `early_stopping_patience` and
      `sample_temperature` set
      (`hidden_units`, a model default, is `tfvae.jobs.models.complete`'s).

    Raises:
      ValueError: options the data cannot serve: `conditional` without
        labels, a conv network for tables, a Bernoulli-family likelihood for
        real-valued data, early stopping without a validation split.
    """
    likelihood = self.likelihood or ('gaussian' if info.kind == 'table' else 'bernoulli')
    if self.likelihood_components != 1 and likelihood != 'discretized_logistic':
      raise ValueError(
        f'`likelihood_components`={self.likelihood_components} needs '
        f"`likelihood`='discretized_logistic'; the likelihood is {likelihood!r}."
      )
    if info.value_range == 'real' and likelihood != 'gaussian':
      raise ValueError(
        f'`likelihood`={likelihood!r} models values in [0, 1], but {self.dataset} holds '
        "real-valued features; use `likelihood`='gaussian'."
      )
    if self.architecture == 'conv' and len(info.event_shape) != 3:
      raise ValueError(
        f"`architecture`='conv' needs images; {self.dataset} holds examples of shape "
        f'{tuple(info.event_shape)}.'
      )
    if self.conditional and not info.num_classes:
      raise ValueError(
        f'`conditional` conditions on class labels, but {self.dataset} has none (give .npz files '
        'y_train/y_test, class subfolders, a TFRecord `label` or a CSV label column).'
      )
    if self.conditional and info.num_classes == 1:
      warnings.warn(
        f'`conditional`: {self.dataset} holds a single class, so the condition carries no '
        'information; train without `conditional` or give data of several classes.',
        stacklevel=2,
      )
    has_validation = info.num_examples['validation'] > 0
    patience = self.early_stopping_patience
    if patience is None:
      small = info.num_examples['train'] < _SMALL_TRAINING_SET
      patience = _DEFAULT_PATIENCE if small and has_validation else 0
    elif patience and not has_validation:
      raise ValueError(
        f'`early_stopping_patience`={patience} watches the validation loss, but {self.dataset} '
        'has no validation split; set `validation_fraction` > 0, or `early_stopping_patience`=0.'
      )
    prior = self.prior
    if prior is None:  # The ex-post mixtures have no per-dimension KL to floor: not with free bits.
      prior = 'class_mixture' if self.conditional and not self.free_bits else 'standard_normal'
    temperature = self.sample_temperature
    if temperature is None:
      temperature = _CONDITIONAL_SAMPLE_TEMPERATURE if self.conditional else 1.0
    return self.replace(
      likelihood=likelihood,
      early_stopping_patience=patience,
      prior=prior,
      sample_temperature=temperature,
    )

  def to_json(self) -> dict:
    """The options as a JSON-serializable dict (tuples become lists)."""
    return {
      name: list(value) if isinstance(value, tuple) else value
      for name, value in dataclasses.asdict(self).items()
    }

  @classmethod
  def from_json(cls, value: dict) -> 'JobConfig':
    """The config of a `to_json()` dict; options it lacks take their defaults.

    A config.json written before an option existed lacks it: those in
    `_EARLIER_RELEASE_VALUES` take the value such runs had
    (`precision`: float32, `sample_temperature`: 1), the others their
    defaults.

    Raises:
      ValueError: for an unknown option or a bad value.
    """
    if not isinstance(value, dict):
      raise ValueError(f'`value` must be a dict of options; got {type(value).__name__}.')
    _check_names(value)
    return cls(**{**_EARLIER_RELEASE_VALUES, **value})

  def write(self, path: str) -> None:
    """Writes `to_json()` to `path` (written to a temporary file, then renamed)."""
    write_json(path, self.to_json())

  @classmethod
  def read(cls, path: str) -> 'JobConfig':
    """The config in the JSON file `path`.

    Raises:
      ValueError: if the file holds no valid config.
    """
    try:
      with open(path) as f:
        value = json.load(f)
    except (OSError, ValueError) as error:
      raise ValueError(f'cannot read the job config {path}: {error}') from None
    try:
      return cls.from_json(value)
    except ValueError as error:
      raise ValueError(f'{path}: {error}') from None


def write_json(path: str, value) -> None:
  """Writes `value` as JSON to `path` atomically: to a temporary file, then renamed."""
  tmp = f'{path}.tmp'
  with open(tmp, 'w') as f:
    json.dump(value, f, indent=2, sort_keys=True)
    f.write('\n')
  os.replace(tmp, path)


def _check_names(options):
  known = {field.name for field in dataclasses.fields(JobConfig)}
  unknown = sorted(set(options) - known)
  if unknown:
    raise ValueError(f'unknown job option(s) {unknown}; the options are {sorted(known)}.')


def _check_type(name, value, hint):
  """`value` converted to the field's type where that is lossless (lists to tuples)."""
  types = typing.get_args(hint) or (hint,)
  if value is None:
    if type(None) not in types:
      raise ValueError(f'`{name}` must be given; got None.')
    return None
  if tuple in types and isinstance(value, (list, tuple)):
    return tuple(value)
  if bool in types:
    if not isinstance(value, bool):
      raise ValueError(f'`{name}` must be true or false; got {value!r}.')
    return value
  if int in types and not (isinstance(value, int) and not isinstance(value, bool)):
    raise ValueError(f'`{name}` must be an integer; got {value!r}.')
  if float in types and isinstance(value, int) and not isinstance(value, bool):
    return float(value)
  return value
