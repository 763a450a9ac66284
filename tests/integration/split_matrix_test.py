# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Every split style of every source, through train -> evaluate -> score -> export.

Sources: CSV tables (with an ID column and a label column), folders of PNG
images in class folders, TFRecord shards, .npz arrays. Split styles: a
stable hash of each example, files named train / test, top-level train/ and
test/ folders (arrays: `x_train` / `x_test`, or one `x`). Each case trains a
tiny model for one epoch, evaluates it, scores all three splits and checks
every row of the scores CSV against the example it names, read from the file
by this test: its label, and each score equal to `tfvae.anomaly.scores` of
that example. The default run covers one case; `-m slow` runs all ten.
"""

import csv
import glob
import os

import numpy as np
import pytest
import tensorflow as tf

import test_util
import tfvae
from tfvae.jobs import evaluation as evaluation_lib
from tfvae.jobs import experiment as experiment_lib

_N = 80  # Examples per source.
_SHAPE = (6, 5, 1)  # Images: height, width, channels all differ.
_SCORES = ('reconstruction', 'log_likelihood')
_TINY = dict(
  latent_size=2, hidden_units=(4,), epochs=1, batch_size=16, verbose=0,
  validation_fraction=0.25, test_fraction=0.25,
)  # fmt: skip
_IMPORTANCE_SAMPLES = 8
_BATCH_SIZE = 16


def _data(seed=0):
  """`_N` images in [0, 1] (8-bit levels), 2 classes, and a table of 3 features."""
  rng = np.random.default_rng(seed)
  labels = np.arange(_N) % 2
  levels = rng.integers(0, 120, size=(_N, *_SHAPE))
  levels[labels == 1, :2] = 250  # Class 1: bright top rows.
  images = levels.astype(np.float32) / 255.0
  table = np.round(rng.normal(size=(_N, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, -3.0], 4)
  return images, table, labels


def _write_csv(path, table, labels, ids):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['id', 'a', 'b', 'c', 'label'])
    for i, row, label in zip(ids, table, labels):
      writer.writerow([int(i), *row, int(label)])


def _write_pngs(root, images, labels, start=0):
  for i, (image, label) in enumerate(zip(images, labels)):
    folder = os.path.join(root, ('cat', 'dog')[label])
    os.makedirs(folder, exist_ok=True)
    png = tf.io.encode_png(np.round(image * 255).astype(np.uint8))
    tf.io.write_file(os.path.join(folder, f'{start + i:03d}.png'), png)


def _write_source(root, source, style):
  """Writes the data as `source` in split `style` under `root`; returns `--dataset`."""
  images, table, labels = _data()
  ids = 1000 + np.arange(_N)
  first, rest = slice(0, 56), slice(56, None)  # Named splits: 56 train, 24 test.
  if source == 'csv':
    if style == 'hash':
      _write_csv(os.path.join(root, 'part-0.csv'), table[:40], labels[:40], ids[:40])
      _write_csv(os.path.join(root, 'part-1.csv'), table[40:], labels[40:], ids[40:])
      return os.path.join(root, '*.csv')
    if style == 'files':
      _write_csv(os.path.join(root, 'bc_train.csv'), table[first], labels[first], ids[first])
      _write_csv(os.path.join(root, 'bc_test.csv'), table[rest], labels[rest], ids[rest])
      return os.path.join(root, 'bc_*.csv')
    _write_csv(os.path.join(root, 'train', 'part-0.csv'), table[first], labels[first], ids[first])
    _write_csv(os.path.join(root, 'test', 'part-0.csv'), table[rest], labels[rest], ids[rest])
    return os.path.join(root, '*', '*.csv')
  if source == 'tfrecord':
    write = tfvae.sources.write_tfrecords
    if style == 'hash':
      write(os.path.join(root, 'shapes'), images, labels, num_shards=3)
      return os.path.join(root, '*.tfrecord')
    if style == 'files':
      write(os.path.join(root, 'shapes-train'), images[first], labels[first], num_shards=2)
      write(os.path.join(root, 'shapes-test'), images[rest], labels[rest])
      return os.path.join(root, '*.tfrecord')
    write(os.path.join(root, 'train', 'shapes'), images[first], labels[first], num_shards=2)
    write(os.path.join(root, 'test', 'shapes'), images[rest], labels[rest])
    return os.path.join(root, '*', '*.tfrecord')
  if source == 'images':
    if style == 'hash':
      _write_pngs(root, images, labels)
      return root
    _write_pngs(os.path.join(root, 'train'), images[first], labels[first])
    _write_pngs(os.path.join(root, 'test'), images[rest], labels[rest], start=56)
    return root
  path = os.path.join(root, 'shapes.npz')
  if style == 'arrays':
    np.savez(
      path, x_train=images[first], y_train=labels[first], x_test=images[rest], y_test=labels[rest]
    )
  else:
    np.savez(path, x=images, y=labels)
  return path


def _listing(dataset, source, style):
  """The source's files in its order: sorted; image split folders train/ before test/."""
  if source == 'npz':
    return [dataset] if style == 'single' else [f'{dataset}:x_test', f'{dataset}:x_train']
  if source != 'images':
    return sorted(glob.glob(dataset))
  roots = [os.path.join(dataset, 'train'), os.path.join(dataset, 'test')]
  if style == 'hash':
    roots = [dataset]
  return [p for root in roots for p in sorted(glob.glob(os.path.join(root, '*', '*.png')))]


def _read_example(name):
  """`(x, label)` of the example a scores row names, read from its file by this test."""
  file, row = name
  if file.endswith('.csv'):
    with open(file, newline='') as f:
      lines = list(csv.reader(f))
    header, values = lines[0], lines[row + 1]  # `row` counts data lines.
    features = [float(v) for column, v in zip(header, values) if column != 'label']
    return np.array(features, np.float32), int(values[header.index('label')])
  if file.endswith('.tfrecord'):
    record = list(tf.data.TFRecordDataset(file).skip(row).take(1))[0]
    features = tf.train.Example.FromString(record.numpy()).features.feature
    image = tf.io.decode_png(features['image'].bytes_list.value[0]).numpy() / 255.0
    return image.astype(np.float32), int(features['label'].int64_list.value[0])
  if file.endswith('.png'):
    assert row == 0, row
    image = tf.io.decode_png(tf.io.read_file(file)).numpy() / 255.0
    return image.astype(np.float32), ('cat', 'dog').index(os.path.basename(os.path.dirname(file)))
  path, _, part = file.partition(':')  # `shapes.npz` or `shapes.npz:x_train`.
  part = part or 'x'
  with np.load(path) as arrays:
    return arrays[part][row].astype(np.float32), int(arrays['y' + part[1:]][row])


_CASES = [
  ('csv', 'hash'),
  ('csv', 'files'),
  ('csv', 'folders'),
  ('tfrecord', 'hash'),
  ('tfrecord', 'files'),
  ('tfrecord', 'folders'),
  ('images', 'hash'),
  ('images', 'folders'),
  ('npz', 'arrays'),
  ('npz', 'single'),
]
# Conditional where the split style varies most; plain elsewhere.
_CONDITIONAL = {('csv', 'folders'), ('tfrecord', 'files'), ('images', 'hash'), ('npz', 'arrays')}
# The default run: CSV split files (named train/test files, conditional); `-m slow` runs the rest.
_DEFAULT = {('csv', 'files')}


def _named(cases):
  return [(f'{source}_{style}', source, style) for source, style in cases]


class SplitMatrixTest(test_util.TestCase):
  @test_util.parameterized.named_parameters(*_named(c for c in _CASES if c in _DEFAULT))
  def test_split_style(self, source, style):
    self._check(source, style)

  @test_util.parameterized.named_parameters(*_named(c for c in _CASES if c not in _DEFAULT))
  @pytest.mark.slow
  def test_more_split_styles(self, source, style):
    self._check(source, style)

  def _check(self, source, style):
    dataset = _write_source(self.create_tempdir().full_path, source, style)
    model_dir = os.path.join(self.create_tempdir().full_path, 'run')
    conditional = (source, style) in _CONDITIONAL
    options = dict(_TINY, dataset=dataset, conditional=conditional)
    if source != 'csv':
      options['likelihood'] = 'continuous_bernoulli'  # Values as stored: no binarization.
    metrics = experiment_lib.train(model_dir=model_dir, **options)
    self.assertTrue(all(np.isfinite(v) for v in metrics.values()), metrics)
    run = experiment_lib.load_run(model_dir)
    counts = run.source.scan().num_examples
    if style in ('files', 'folders', 'arrays'):
      self.assertEqual(counts['test'], 24)  # The test files, whole.
    evaluation = evaluation_lib.evaluate_run(run, importance_samples=4, verbose=0)
    self.assertEqual(evaluation['num_examples'], counts['test'])

    splits = ('train', 'validation', 'test')
    output = os.path.join(self.create_tempdir().full_path, 'scores.csv')
    result = evaluation_lib.score_run(
      run, _SCORES, splits, importance_samples=_IMPORTANCE_SAMPLES, batch_size=_BATCH_SIZE,
      output=output,
    )  # fmt: skip
    with open(output, newline='') as f:
      rows = list(csv.DictReader(f))
    self.assertLen(rows, result['num_examples'])
    self.assertEqual({split: sum(r['split'] == split for r in rows) for split in splits}, counts)
    # Source order: files in the source's order, records in file order (one
    # pass, every split).
    files = _listing(dataset, source, style)
    keys = [(files.index(r['file']), int(r['row'])) for r in rows]
    self.assertEqual(keys, sorted(keys))
    self.assertLen(set(keys), len(keys))
    for split in splits:
      chosen = [r for r in rows if r['split'] == split]
      examples = [_read_example((r['file'], int(r['row']))) for r in chosen]
      x = np.stack([x for x, _ in examples])
      labels = np.array([label for _, label in examples])
      with self.subTest(split=split):
        self.assertAllEqual([int(r['label']) for r in chosen], labels)
        for score in _SCORES:
          expected = tfvae.anomaly.scores(
            run.model, x, score, condition=labels if conditional else None,
            num_samples=_IMPORTANCE_SAMPLES, seed=run.config.seed, batch_size=_BATCH_SIZE,
          )  # fmt: skip
          self.assertAllClose([float(r[score]) for r in chosen], expected, rtol=1e-4, atol=1e-4)

    path = evaluation_lib.export_run(
      run, self.create_tempdir().full_path, anomaly_score='reconstruction', warmup=False
    )
    self.assertIn('anomaly', tf.saved_model.load(path).signatures)


if __name__ == '__main__':
  test_util.main()
