# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The main job as plain functions, in one namespace (`tfvae.experiment`).

Each lives in the module of its concept, and this module gathers them under
the names the README shows: `train` (`tfvae.jobs.training`), `make_source`,
`make_dataset` and `distribute_dataset` (`tfvae.jobs.pipelines`),
`make_model` (`tfvae.jobs.models`), `make_strategy` (`tfvae.jobs.strategy`),
and `load_run`, `Run` and the file names of a run (`tfvae.jobs.run_dir`).
`python -m tfvae.train`, `tfvae.evaluate`, `tfvae.score` and `tfvae.export`
read a run through these same functions.
"""

from tfvae.jobs import models
from tfvae.jobs import pipelines
from tfvae.jobs import run_dir
from tfvae.jobs import strategy
from tfvae.jobs import training

__all__ = [
  'CONFIG_FILE',
  'METRICS_FILE',
  'MODEL_FILE',
  'Run',
  'RunDir',
  'TrainingDivergedError',
  'class_names',
  'default_model_dir',
  'distribute_dataset',
  'load_model',
  'load_run',
  'make_dataset',
  'make_model',
  'make_source',
  'make_strategy',
  'train',
]

CONFIG_FILE = run_dir.CONFIG_FILE
METRICS_FILE = run_dir.METRICS_FILE
MODEL_FILE = run_dir.MODEL_FILE
Run = run_dir.Run
RunDir = run_dir.RunDir
TrainingDivergedError = training.TrainingDivergedError
distribute_dataset = pipelines.distribute_dataset
load_run = run_dir.load_run
make_dataset = pipelines.make_dataset
make_model = models.make_model
make_source = pipelines.make_source
make_strategy = strategy.make_strategy
train = training.train
class_names = training.class_names
default_model_dir = training.default_model_dir


def load_model(model_dir: str):
  """The trained model of a finished run (its `model.keras`), without its data.

  Raises:
    ValueError: if `model_dir` holds no `model.keras`.
  """
  return run_dir.Run(model_dir).model
