# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Shared test base: fixed seeds, tiny networks, tiny data made in memory."""

import os
import subprocess
import sys

import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from scipy import special
from scipy import stats

import tfvae

# Small dimensions that all differ, so a transposed axis fails loudly.
BATCH_SIZE = 3
LATENT_SIZE = 5
HIDDEN_UNITS = (7,)
IMAGE_SHAPE = (4, 6, 1)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fixed_seed() -> int:
  """The fixed seed of every test (TFP's convention)."""
  return 17


class TestCase(tf.test.TestCase, parameterized.TestCase):
  """`tf.test.TestCase` with a fixed seed per test."""

  def setUp(self):
    super().setUp()
    tfvae.keras.utils.set_random_seed(fixed_seed())

  def make_images(self, n=BATCH_SIZE, shape=IMAGE_SHAPE, binary=True, seed=None):
    rng = np.random.default_rng(fixed_seed() if seed is None else seed)
    x = rng.uniform(size=(n, *shape)).astype(np.float32)
    return np.round(x) if binary else x


def make_vae(shape=IMAGE_SHAPE, latent_size=LATENT_SIZE, hidden_units=HIDDEN_UNITS, **kwargs):
  """The tests' one VAE factory: `tfvae.make_vae` with tiny defaults."""
  return tfvae.make_vae(shape, latent_size, hidden_units, **kwargs)


def discretized_logistic_probs(loc, scale, mixture_logits=None) -> np.ndarray:
  """P(x = k / 255), k = 0..255, of discretized logistic pixels, by SciPy in float64.

  The reference for `tfvae.model.layers.DiscretizedLogisticMixture`: level `k`
  holds the mass of `Logistic(255 loc, 255 scale)` on `(k - 0.5, k + 0.5]`,
  the edge levels the tails, mixed with weights `softmax(mixture_logits)`.

  Args:
    loc, scale: `[..., K]` on the [0, 1] scale.
    mixture_logits: `[..., K]`, or `None` for equal weights.

  Returns:
    `[..., 256]` probabilities.
  """
  loc = 255.0 * np.asarray(loc, np.float64)[..., None]
  scale = 255.0 * np.asarray(scale, np.float64)[..., None]
  k = np.arange(256)
  upper = np.where(k == 255, 1.0, stats.logistic.cdf(k + 0.5, loc, scale))
  lower = np.where(k == 0, 0.0, stats.logistic.cdf(k - 0.5, loc, scale))
  if mixture_logits is None:
    weights = np.full(loc.shape[:-1], 1.0 / loc.shape[-2])
  else:
    weights = special.softmax(np.asarray(mixture_logits, np.float64), axis=-1)
  return np.sum(weights[..., None] * (upper - lower), axis=-2)


def run_python(code: str, env: dict | None = None, timeout: float = 300) -> str:
  """Runs `code` in a fresh interpreter at the repository root; returns stdout."""
  full_env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2', **(env or {}))
  result = subprocess.run(
    [sys.executable, '-c', code],
    cwd=REPO_ROOT,
    env=full_env,
    capture_output=True,
    text=True,
    timeout=timeout,
  )
  if result.returncode != 0:
    raise AssertionError(f'subprocess failed ({result.returncode}):\n{result.stderr[-4000:]}')
  return result.stdout


def main():
  tf.test.main()
