# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Cross-cutting: the objective under tf.distribute equals the one without.

Each case runs in a fresh interpreter: logical devices and collective ops
must be configured before TensorFlow runs its first op.
"""

import json

import test_util

_MIRRORED = r"""
import json
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import tfvae
from tfvae.internal import keras

SHAPE, LATENT = (4, 6, 1), 5

def build(regularize):
  inputs = keras.layers.Input(shape=SHAPE)
  h = keras.layers.Dense(7, activation='tanh')(keras.layers.Flatten()(inputs))
  params = keras.layers.Dense(2 * LATENT)(h)
  regularizer = tfvae.KLDivergenceRegularizer(tfvae.prior.make_standard_normal(LATENT)) if regularize else None
  # 'mean' makes z deterministic, so both runs see the same sample.
  posterior = tfvae.MultivariateNormalDiag(LATENT, 'mean', activity_regularizer=regularizer)(params)
  encoder = keras.Model(inputs, posterior)
  decoder = tfvae.make_decoder(LATENT, SHAPE, (7,))
  vae = tfvae.VAE(encoder, decoder)
  vae.compile(keras.optimizers.SGD(0.1))
  return vae

x = np.round(np.random.default_rng(0).uniform(size=(6, *SHAPE))).astype(np.float32)
results = {}
for regularize in (True, False):
  keras.utils.set_random_seed(1)
  single = build(regularize)
  strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
  with strategy.scope():
    mirrored = build(regularize)
  mirrored.set_weights(single.get_weights())
  assert strategy.num_replicas_in_sync == 2
  before = [m.evaluate(x, batch_size=6, verbose=0, return_dict=True) for m in (single, mirrored)]
  for m in (single, mirrored):
    m.fit(x, batch_size=6, epochs=1, shuffle=False, verbose=0)
  after = [m.evaluate(x, batch_size=6, verbose=0, return_dict=True) for m in (single, mirrored)]
  weight_gap = max(float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), mirrored.get_weights()))
  results[str(regularize)] = dict(before=before, after=after, weight_gap=weight_gap)
print(json.dumps(results))
"""


class MirroredStrategyTest(test_util.TestCase):
  def test_same_loss_and_update_as_one_device(self):
    results = json.loads(test_util.run_python(_MIRRORED).strip().splitlines()[-1])
    for regularize, result in results.items():
      with self.subTest(regularize=regularize):
        single, mirrored = result['before']
        for name in ('loss', 'reconstruction', 'kl'):
          self.assertAllClose(mirrored[name], single[name], rtol=1e-5)
        single, mirrored = result['after']
        self.assertAllClose(mirrored['loss'], single['loss'], rtol=1e-4)
        # One SGD step on the same batch: gradients averaged, not summed.
        self.assertLess(result['weight_gap'], 1e-5)
        self.assertNotAllClose(result['before'][0]['loss'], result['after'][0]['loss'])


if __name__ == '__main__':
  test_util.main()
