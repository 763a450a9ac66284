# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.conditioning."""

import numpy as np
import tensorflow as tf

import test_util
from tfvae.internal import keras
from tfvae.model import conditioning


class ConcatenateConditionTest(test_util.TestCase):
  def test_vectors_are_concatenated(self):
    features = np.arange(6, dtype=np.float32).reshape(2, 3)
    condition = np.array([[1, 0], [0, 1]], np.float32)
    joined = conditioning.ConcatenateCondition()([features, condition])
    self.assertAllEqual(joined, np.concatenate([features, condition], axis=-1))

  def test_images_get_the_condition_at_every_pixel(self):
    images = np.random.default_rng(0).uniform(size=(2, 3, 4, 1)).astype(np.float32)
    condition = np.array([[1, 0, 0], [0, 0, 1]], np.float32)
    joined = conditioning.ConcatenateCondition()([images, condition]).numpy()
    self.assertEqual(joined.shape, (2, 3, 4, 4))
    self.assertAllEqual(joined[..., :1], images)
    for i in range(2):
      self.assertAllEqual(joined[i, :, :, 1:], np.broadcast_to(condition[i], (3, 4, 3)))

  def test_in_a_saved_model_round_trip(self):
    x = keras.layers.Input((3,))
    c = keras.layers.Input((2,))
    model = keras.Model([x, c], conditioning.ConcatenateCondition()([x, c]))
    self.assertEqual(model.output_shape, (None, 5))
    clone = keras.Model.from_config(model.get_config())
    inputs = [np.ones([1, 3], np.float32), np.zeros([1, 2], np.float32)]
    self.assertAllEqual(clone(inputs), model(inputs))


class CheckConditionTest(test_util.TestCase):
  def test_integer_labels_become_one_hot(self):
    for labels in (np.array([2, 0, 1]), np.array([[2], [0], [1]]), [2, 0, 1]):
      self.assertAllEqual(
        conditioning.check_condition(labels, 3), np.eye(3, dtype=np.float32)[[2, 0, 1]]
      )

  def test_float_vectors_pass_through(self):
    condition = np.array([[0.5, -1.0]], np.float64)
    checked = conditioning.check_condition(condition, 2, num_examples=1)
    self.assertEqual(checked.dtype, np.float32)
    self.assertAllEqual(checked, condition)

  @test_util.parameterized.named_parameters(
    ('label_too_large', np.array([0, 3]), 3, None, ValueError, r'\[0, 3\).*\[0, 3\]'),
    ('negative_label', np.array([-1]), 3, None, ValueError, r'\[0, 3\)'),
    ('wrong_width', np.zeros([2, 4], np.float32), 3, None, ValueError, r'\[n, 3\]'),
    ('labels_of_rank_2', np.zeros([2, 2], np.int64), 3, None, ValueError, 'shape \\[n\\]'),
    ('nan', np.full([1, 3], np.nan, np.float32), 3, None, ValueError, 'NaN'),
    ('rows_differ', np.zeros([2, 3], np.float32), 3, 5, ValueError, '2 rows.*5 examples'),
    ('strings', np.array(['a']), 3, None, TypeError, 'dtype'),
    ('booleans', np.array([True]), 3, None, TypeError, 'dtype'),
  )
  def test_bad_conditions(self, condition, size, num_examples, error, message):
    with self.assertRaisesRegex(error, message):
      conditioning.check_condition(condition, size, num_examples)

  def test_as_condition_in_a_graph(self):
    fn = tf.function(lambda c: conditioning.as_condition(c, 4))
    self.assertAllEqual(fn(tf.constant([3, 1])), np.eye(4)[[3, 1]])
    self.assertAllEqual(fn(tf.constant([[0.5, 0, 0, 1]], tf.float64)), [[0.5, 0, 0, 1]])


if __name__ == '__main__':
  test_util.main()
