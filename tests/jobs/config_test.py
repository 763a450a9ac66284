# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.config: the main job's options, declared once."""

import dataclasses
import json
import os

from absl import flags

import test_util
from tfvae import train as train_lib
from tfvae.data import arrays as datasets_lib
from tfvae.data import sources as sources_lib
from tfvae.jobs import config as config_lib
from tfvae.jobs import models
from tfvae.model import decoder as decoder_lib
from tfvae.model import encoder as encoder_lib
from tfvae.model import vae as vae_lib

_IMAGES = sources_lib.SourceInfo(
  'images', (8, 8, 1), {'train': 10, 'validation': 2, 'test': 3}, num_classes=10
)
_TABLE = sources_lib.SourceInfo(
  'table', (4,), {'train': 10, 'validation': 2, 'test': 3}, value_range='real'
)


def _flag_values(*argv):
  flag_values = flags.FlagValues()
  train_lib.define_flags(flag_values)
  flag_values(['train', *argv])
  return flag_values


class JobConfigTest(test_util.TestCase):
  def test_every_option_has_a_flag_with_its_default_and_help(self):
    flag_values = _flag_values()
    for field in dataclasses.fields(config_lib.JobConfig):
      with self.subTest(option=field.name):
        self.assertIn(field.name, flag_values)
        self.assertTrue(flag_values[field.name].help.endswith(field.metadata['help']))
    self.assertEqual(train_lib.config_from_flags(flag_values), config_lib.JobConfig())
    for name in ('model_dir', 'export_base', 'verbose'):
      self.assertIn(name, flag_values)

  def test_flags_convert_to_the_options(self):
    flag_values = _flag_values(
      '--hidden_units=16,8', '--image_size=28,30', '--jit_compile=false', '--conditional',
      '--prior=conditional_gaussian', '--channels=3', '--validation_fraction=0.2',
    )  # fmt: skip
    config = train_lib.config_from_flags(flag_values)
    self.assertEqual(config.hidden_units, (16, 8))
    self.assertEqual(config.image_size, (28, 30))
    self.assertIs(config.jit_compile, False)
    self.assertEqual((config.conditional, config.prior), (True, 'conditional_gaussian'))
    self.assertEqual((config.channels, config.validation_fraction), (3, 0.2))
    eight_bit = train_lib.config_from_flags(
      _flag_values('--likelihood=discretized_logistic', '--likelihood_components=5')
    )
    self.assertEqual(
      (eight_bit.likelihood, eight_bit.likelihood_components), ('discretized_logistic', 5)
    )
    with self.assertRaisesRegex(ValueError, '`hidden_units` must be integers'):
      train_lib.config_from_flags(_flag_values('--hidden_units=a,b'))

  def test_json_round_trip_and_older_files(self):
    config = config_lib.JobConfig(hidden_units=(5,), image_size=(3, 4), conditional=True)
    path = os.path.join(self.create_tempdir().full_path, 'config.json')
    config.write(path)
    self.assertEqual(config_lib.JobConfig.read(path), config)
    with open(path) as f:
      self.assertEqual(json.load(f)['hidden_units'], [5])
    # A config.json written before an option existed reads with its default.
    older = {k: v for k, v in config.to_json().items() if k != 'shuffle_buffer'}
    self.assertEqual(config_lib.JobConfig.from_json(older).shuffle_buffer, 10_000)
    with open(path, 'w') as f:
      json.dump({'epochs': 3, 'colour': 'red'}, f)
    with self.assertRaisesRegex(ValueError, r"config.json: unknown job option\(s\) \['colour'\]"):
      config_lib.JobConfig.read(path)

  @test_util.parameterized.named_parameters(
    ('epochs', dict(epochs=0), '`epochs` must be a positive integer'),
    ('batch_size_float', dict(batch_size=1.5), '`batch_size` must be an integer'),
    ('learning_rate', dict(learning_rate=0.0), '`learning_rate` must be a positive float'),
    ('likelihood', dict(likelihood='poisson'), '`likelihood` must be one of'),
    ('channels', dict(channels=2), r'`channels` must be one of \[1, 3\]'),
    ('image_size', dict(image_size=(28,)), '`image_size` must be \\(height, width\\)'),
    ('validation_fraction', dict(validation_fraction=1.0), '`validation_fraction` must lie'),
    ('test_fraction', dict(test_fraction=0.0), '`test_fraction` must lie in \\(0, 1\\)'),
    ('conditional_bool', dict(conditional='yes'), '`conditional` must be true or false'),
    ('free_bits_iaf', dict(free_bits=0.5, posterior='iaf'), '`free_bits` needs the diagonal'),
    ('conditional_prior', dict(prior='conditional_gaussian'), 'it needs `conditional`'),
    ('ex_post_prior', dict(prior='class_mixture'), 'it needs `conditional`'),
    (
      'ex_post_free_bits',
      dict(prior='class_mixture', conditional=True, free_bits=1.0),
      'free_bits',
    ),
    ('vamp_conditional', dict(prior='vamp', conditional=True), 'cannot condition'),
    ('unknown', dict(colour='red'), 'unknown job option'),
    ('components_zero', dict(likelihood_components=0), '`likelihood_components` must be a pos'),
    ('patience', dict(early_stopping_patience=-1), '`early_stopping_patience` must be a non-neg'),
    ('temperature_zero', dict(sample_temperature=0.0), '`sample_temperature` must be a positive'),
    (
      'temperature_vamp_iaf',
      dict(sample_temperature=0.5, prior='vamp', posterior='iaf'),
      "`sample_temperature`=0.5 scales Gaussians, but the VampPrior of `posterior`='iaf'",
    ),
    (
      'components_bernoulli',
      dict(likelihood='bernoulli', likelihood_components=3),
      "`likelihood_components`=3 needs `likelihood`='discretized_logistic'",
    ),
  )
  def test_bad_options_name_the_option(self, options, message):
    with self.assertRaisesRegex(ValueError, message):
      config_lib.JobConfig().replace(**options)

  def test_resolve_fills_in_what_the_data_decide(self):
    config = config_lib.JobConfig()
    images = config.resolve(_IMAGES)
    self.assertEqual((images.likelihood, images.hidden_units), ('bernoulli', None))
    table = config.resolve(_TABLE)
    self.assertEqual(table.likelihood, 'gaussian')
    # The prior: ex-post mixtures for a conditional VAE, unless free bits need a Gaussian.
    self.assertEqual(images.prior, 'standard_normal')
    self.assertEqual(config.replace(conditional=True).resolve(_IMAGES).prior, 'class_mixture')
    free_bits = config.replace(conditional=True, free_bits=0.5).resolve(_IMAGES)
    self.assertEqual(free_bits.prior, 'standard_normal')
    # Samples: at 0.8 for a conditional VAE (more show their class), else from the model.
    self.assertEqual(images.sample_temperature, 1.0)
    self.assertEqual(config.replace(conditional=True).resolve(_IMAGES).sample_temperature, 0.8)
    chosen = config.replace(conditional=True, sample_temperature=1).resolve(_IMAGES)
    self.assertEqual(chosen.sample_temperature, 1.0)

  def test_the_model_wing_fills_in_its_own_defaults(self):
    self.assertEqual(models.complete(config_lib.JobConfig()).hidden_units, (512, 256))
    conv = models.complete(config_lib.JobConfig(architecture='conv'))
    self.assertEqual(conv.hidden_units, (32, 64))
    self.assertEqual(models.complete(config_lib.JobConfig(hidden_units=())).hidden_units, ())

  def test_choices_agree_with_the_model_wing(self):
    # The config declares them as plain tuples, importing no model module.
    self.assertEqual(config_lib.ARCHITECTURES, encoder_lib.ARCHITECTURES)
    self.assertEqual(config_lib.POSTERIORS, encoder_lib.POSTERIORS)
    self.assertEqual(config_lib.LIKELIHOODS, decoder_lib.LIKELIHOODS)
    self.assertEqual(config_lib.OBJECTIVES, vae_lib.OBJECTIVES)
    self.assertEqual(
      set(config_lib._NAMED_DATASETS),  # noqa: SLF001
      set(datasets_lib.DATASETS),
    )
    with open(config_lib.__file__) as f:
      self.assertNotIn('tfvae.model', f.read())

  def test_config_json_of_an_earlier_release_reads(self):
    # Written by the release before the job wing was split: relative dataset,
    # every option then known, hidden_units resolved.
    earlier = {
      'architecture': 'dense', 'batch_size': 64, 'channels': None, 'conditional': False,
      'data_dir': None, 'dataset': 'data/bc_*.csv', 'epochs': 2, 'free_bits': 0.0,
      'hidden_units': [8], 'image_size': None, 'jit_compile': None, 'kl_warmup_epochs': 0,
      'kl_weight': 1.0, 'label_column': None, 'latent_size': 2, 'learning_rate': 0.001,
      'likelihood': 'gaussian', 'num_samples': 1, 'objective': 'elbo', 'posterior': 'diagonal',
      'prior': 'standard_normal', 'seed': 0, 'shuffle_buffer': 10000, 'strategy': 'default',
      'test_fraction': 0.1, 'validation_fraction': 0.1,
    }  # fmt: skip
    config = config_lib.JobConfig.from_json(earlier)
    self.assertEqual((config.dataset, config.hidden_units), ('data/bc_*.csv', (8,)))
    self.assertEqual(config.sample_temperature, 1.0)  # What runs of that release drew at.

  def test_early_stopping_is_on_by_default_for_small_training_splits(self):
    def patience(train, validation, **options):
      sizes = {'train': train, 'validation': validation, 'test': 3}
      info = sources_lib.SourceInfo('images', (8, 8, 1), sizes)
      return config_lib.JobConfig(**options).resolve(info).early_stopping_patience

    self.assertEqual(patience(9_999, 100), 10)
    self.assertEqual(patience(10_000, 100), 0)
    self.assertEqual(patience(9_999, 0), 0)  # Nothing to watch.
    self.assertEqual(patience(50_000, 100, early_stopping_patience=4), 4)
    self.assertEqual(patience(100, 100, early_stopping_patience=0), 0)
    with self.assertRaisesRegex(ValueError, '`early_stopping_patience`=4 watches the validation'):
      patience(100, 0, early_stopping_patience=4)

  def test_resolve_refuses_what_the_data_cannot_serve(self):
    with self.assertRaisesRegex(ValueError, "real-valued features; use `likelihood`='gaussian'"):
      config_lib.JobConfig(likelihood='bernoulli').resolve(_TABLE)
    with self.assertRaisesRegex(ValueError, "`architecture`='conv' needs images"):
      config_lib.JobConfig(architecture='conv').resolve(_TABLE)
    with self.assertRaisesRegex(ValueError, '`conditional` conditions on class labels'):
      config_lib.JobConfig(conditional=True).resolve(_TABLE)
    with self.assertRaisesRegex(ValueError, "the likelihood is 'bernoulli'"):
      config_lib.JobConfig(likelihood_components=2).resolve(_IMAGES)
    with self.assertRaisesRegex(ValueError, "use `likelihood`='gaussian'"):
      config_lib.JobConfig(likelihood='discretized_logistic').resolve(_TABLE)

  def test_conditional_on_a_single_class_warns(self):
    one_class = _IMAGES._replace(num_classes=1)
    with self.assertWarnsRegex(UserWarning, '`conditional`: digits holds a single class'):
      config_lib.JobConfig(conditional=True).resolve(one_class)

  def test_choices_spelled_out_are_the_models_and_commands_own(self):
    # config.py, score.py and export.py spell these out so that their flags
    # are defined without importing TensorFlow.
    from tfvae import export as export_lib
    from tfvae import score as score_lib
    from tfvae.analysis import anomaly
    from tfvae.model import decoder
    from tfvae.model import encoder
    from tfvae.model import factory
    from tfvae.model import precision
    from tfvae.model import vae

    choices = {f.name: f.metadata['choices'] for f in dataclasses.fields(config_lib.JobConfig)}
    self.assertEqual(choices['architecture'], encoder.ARCHITECTURES)
    self.assertEqual(choices['posterior'], encoder.POSTERIORS)
    self.assertEqual(choices['likelihood'], decoder.LIKELIHOODS)
    self.assertEqual(choices['objective'], vae.OBJECTIVES)
    self.assertEqual(choices['prior'], factory.PRIORS)
    self.assertEqual(choices['precision'], precision.PRECISIONS)
    self.assertEqual(score_lib.SCORES, (*anomaly.SCORES, anomaly.COMBINED))
    self.assertEqual(export_lib.SCORES, anomaly.SCORES)
    self.assertEqual(score_lib.SPLITS, sources_lib.SPLITS)


if __name__ == '__main__':
  test_util.main()
