# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The job's `tf.distribute` strategy, and who its workers are."""

import tensorflow as tf

from tfvae.internal import checks
from tfvae.jobs import config as config_lib

__all__ = [
  'is_chief',
  'make_strategy',
  'num_workers',
]


def make_strategy(name: str = 'default') -> tf.distribute.Strategy:
  """The `tf.distribute` strategy for `name`.

  Create it before any other TensorFlow op runs: `multi_worker` configures
  collective ops at startup and reads the cluster from `TF_CONFIG`.

  Args:
    name: `'default'` (one device), `'mirrored'` (all local devices) or
      `'multi_worker'` (`TF_CONFIG` workers).

  Returns:
    A `tf.distribute.Strategy`.
  """
  checks.check_choice(name, config_lib.STRATEGIES, 'strategy')
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tf.distribute.get_strategy()


def num_workers(strategy) -> int:
  """The workers (chief included) of a multi-worker strategy; 1 otherwise."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return 1
  cluster = resolver.cluster_spec().as_dict()
  return len(cluster.get('worker', [])) + len(cluster.get('chief', []))


def is_chief(strategy) -> bool:
  """Whether this process writes the run (the chief, or worker 0 without a chief)."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return True
  return resolver.task_type == 'chief' or (resolver.task_type == 'worker' and resolver.task_id == 0)
