# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The run directory: every file name of a run, and a finished run loaded once.

`RunDir(model_dir)` names every file the main job and the commands that read
a run write (`config.json`, `model.keras`, `metrics.json`, ...), and writes
every JSON file through one atomic function (`write_json`). `Run` is a
finished run as evaluate, score, calibrate and export take it: its config,
and its model and data source, each loaded the first time it is used and
then kept, so that one command loads the model once and scans the data once.
"""

import json
import os

from tfvae.data import sources as sources_lib
from tfvae.internal import keras
from tfvae.jobs import config as config_lib
from tfvae.jobs import pipelines
from tfvae.model import vae as vae_lib

__all__ = [
  'CONFIG_FILE',
  'METRICS_FILE',
  'MODEL_FILE',
  'MissingDatasetError',
  'Run',
  'RunDir',
  'as_run',
  'load_model',
  'load_run',
  'write_json',
]

CONFIG_FILE = 'config.json'
METRICS_FILE = 'metrics.json'
MODEL_FILE = 'model.keras'

write_json = config_lib.write_json


class MissingDatasetError(ValueError):
  """The dataset a run's config.json names is not there (the run or its data moved)."""


class RunDir:
  """The files of one run, by name. Nothing is read or written on construction.

  Attributes:
    path: the directory, absolute.
  """

  CONFIG = CONFIG_FILE
  METRICS = METRICS_FILE
  MODEL = MODEL_FILE
  CHECKPOINTS = 'checkpoints'
  BACKUP = 'backup'
  TRAINING_LOG = 'training_log.csv'
  TENSORBOARD = 'tensorboard'
  EVALUATION = 'evaluation.json'
  SCORES = 'anomaly_scores.csv'
  RECONSTRUCTIONS = 'reconstructions.png'
  SAMPLES = 'samples.png'
  CLASS_NAMES = 'class_names.json'
  LEVELS = 'levels.json'

  def __init__(self, path: str):
    self.path = os.path.abspath(os.fspath(path))

  def __repr__(self):
    return f'RunDir({self.path!r})'

  def file(self, name: str) -> str:
    """The path of `name` in the run directory."""
    return os.path.join(self.path, name)

  @staticmethod
  def thresholds_file(scores_file: str) -> str:
    """Where the thresholds of a scores CSV go: `<scores_file>.thresholds.json`."""
    return f'{scores_file}.thresholds.json'

  def has(self, name: str) -> bool:
    """Whether the run directory holds the file `name`."""
    return os.path.isfile(self.file(name))

  def read_config(self) -> config_lib.JobConfig:
    """The run's `JobConfig` (config.json).

    Raises:
      ValueError: if it is missing or holds no valid config.
    """
    return config_lib.JobConfig.read(self.file(self.CONFIG))

  def write_config(self, config: config_lib.JobConfig) -> None:
    write_json(self.file(self.CONFIG), config.to_json())

  def write_json(self, name: str, value) -> str:
    """Writes `value` to the JSON file `name` of the run, atomically; returns its path."""
    path = self.file(name)
    write_json(path, value)
    return path

  def read_json(self, name: str, default=None):
    """The value of the run's JSON file `name`, or `default` when the run lacks it."""
    if not self.has(name):
      return default
    with open(self.file(name)) as f:
      return json.load(f)

  def save_model(self, model: vae_lib.VAE) -> None:
    """Saves the trained model to model.keras (written, then renamed)."""
    tmp = self.file(f'.{self.MODEL}.tmp.keras')
    model.save(tmp)
    os.replace(tmp, self.file(self.MODEL))

  def check_finished(self, name: str = MODEL_FILE) -> None:
    """Raises `ValueError` naming `model_dir` unless the run holds `name`."""
    if not self.has(name):
      raise ValueError(
        f'`model_dir`: {self.path} holds no finished tfvae run ({name} is missing; a run of '
        'python -m tfvae.train writes it when training ends).'
      )


def load_model(path: str) -> vae_lib.VAE:
  """The model saved at `path` (a run's model.keras), uncompiled: its optimizer is not restored."""
  return keras.saving.load_model(path, compile=False)


class Run:
  """A finished run of the main job, as evaluate, score, calibrate and export take it.

  Its model and its data source are loaded on first use and kept.

  Attributes:
    dir: its `RunDir`.
    model_dir: its directory (absolute).
    config: its `JobConfig` (read on first use), with `dataset` replaced when
      it was given.
    model: its trained model (loaded on first use).
    source: its data source (opened and scanned on first use).
  """

  def __init__(self, model_dir: str, dataset: str | None = None, dataset_flag: str = 'dataset'):
    """A finished run; nothing is loaded yet.

    Args:
      model_dir: the directory `tfvae.experiment.train` wrote.
      dataset: where the run's data are now, if not where its config.json
        says (the same data, moved).
        Default value: `None`.
      dataset_flag: the option that sets `dataset`, named in the error when the
        run's data are missing.
        Default value: `'dataset'`.

    Raises:
      ValueError: if `model_dir` holds no finished run.
    """
    self.dir = RunDir(model_dir)
    self.dir.check_finished(MODEL_FILE)
    self._dataset = None if dataset is None else os.fspath(dataset)
    self._dataset_flag = dataset_flag
    self._config = None
    self._model = None
    self._source = None

  @property
  def model_dir(self) -> str:
    return self.dir.path

  @property
  def config(self) -> config_lib.JobConfig:
    """The run's options (config.json), read once; `dataset` replaced when it was given."""
    if self._config is None:
      self.dir.check_finished(CONFIG_FILE)
      config = self.dir.read_config()
      if self._dataset is not None:
        config = config.replace(dataset=self._dataset)
      self._config = config
    return self._config

  @property
  def model(self) -> vae_lib.VAE:
    """The trained model (model.keras), loaded once."""
    if self._model is None:
      self._model = load_model(self.dir.file(MODEL_FILE))
    return self._model

  @property
  def source(self) -> sources_lib.Source:
    """The run's data source, opened and scanned once.

    Raises:
      MissingDatasetError: the dataset the run's config.json names is not there.
      ValueError: data that fail the scan.
    """
    if self._source is None:
      dataset = self.config.dataset
      if not config_lib.is_named_dataset(dataset) and not pipelines.dataset_exists(dataset):
        where = 'was given' if self._dataset else f'comes from {self.dir.file(CONFIG_FILE)}'
        raise MissingDatasetError(
          f"the run's dataset {dataset!r} does not exist (the path {where}); if the data "
          f'moved, pass their new location with --{self._dataset_flag}.'
        )
      source = pipelines.make_source(self.config)
      source.scan()
      self._source = source
    return self._source


def load_run(model_dir: str, dataset: str | None = None) -> Run:
  """The finished run in `model_dir` (see `Run`).

  Raises:
    ValueError: if `model_dir` holds no finished run.
  """
  return Run(model_dir, dataset)


def as_run(run, dataset: str | None = None, dataset_flag: str = 'dataset') -> Run:
  """`run` itself if it is a `Run`, else the `Run` of the directory `run`."""
  if isinstance(run, Run):
    if dataset is not None:
      raise ValueError('`dataset`: pass it to the `Run`, not with a loaded run.')
    return run
  return Run(run, dataset, dataset_flag)
