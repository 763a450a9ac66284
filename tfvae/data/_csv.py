# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""CSV tables: a header row, numeric feature columns and an optional integer label column."""

import csv
import math

import numpy as np
import tensorflow as tf

from tfvae.data import _files as file_sources

__all__ = [
  'CsvFormat',
  'read_header',
]


# Delimiters a header may show; the most frequent in the header line is used.
DELIMITERS = (',', ';', '\t', '|')


def read_header(path, delimiter=None):
  """`(column names, delimiter)` of the CSV file at `path`, from its first line.

  Args:
    path: the file.
    delimiter: the field delimiter.
      Default value: `None`: the one of `DELIMITERS` that the header line
      shows most often (`,` if it shows none).
  """
  try:
    with tf.io.gfile.GFile(path, 'r') as f:
      line = f.readline()
  except (OSError, UnicodeDecodeError, tf.errors.OpError) as e:
    raise file_sources.DataError(f'{path}: cannot read its header: {e}') from None
  if delimiter is None:
    delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ','
  header = next(csv.reader([line], delimiter=delimiter), [])
  return [name.strip() for name in header], delimiter


class CsvFormat(file_sources.RecordFormat):
  """CSV files with one header; the feature columns are floats, the label an integer.

  The field delimiter is the one the header shows (`,`, `;`, tab or `|`).
  Every column but the label is a feature unless `feature_columns` names
  them or `ignore_columns` leaves some out (IDs, text); columns that are
  neither are not read.
  """

  vectorized = True

  def __init__(self, paths, label_column, feature_columns=None, ignore_columns=None):
    self.header, self.delimiter = read_header(paths[0])
    if not self.header or not any(self.header):
      raise file_sources.DataError(f'{paths[0]}: line 1 must be a header of column names.')
    if all(_is_number(name) for name in self.header):
      raise file_sources.DataError(
        f'{paths[0]}: line 1 ({self.delimiter.join(self.header)}) looks like data; a header row '
        'with column names is required.'
      )
    duplicates = sorted({name for name in self.header if self.header.count(name) > 1})
    if duplicates:
      raise file_sources.DataError(f'{paths[0]}: duplicate column names {duplicates}.')
    for path in paths[1:]:
      header, delimiter = read_header(path)
      if delimiter != self.delimiter:
        raise file_sources.DataError(
          f'{path}: its header separates fields by {delimiter!r}, that of {paths[0]} by '
          f'{self.delimiter!r}.'
        )
      if header != self.header:
        raise file_sources.DataError(
          f'{path}: header {header} differs from {self.header}, the header of {paths[0]}.'
        )
    for name, columns in (('feature_columns', feature_columns), ('ignore_columns', ignore_columns)):
      missing = [c for c in columns or () if c not in self.header]
      if missing:
        raise ValueError(
          f'`{name}`: no column(s) {missing} in {paths[0]}, whose columns are {self.header}'
          + (f' (delimiter {self.delimiter!r}).' if self.delimiter != ',' else '.')
        )
    ignored = set(ignore_columns or ())
    if label_column is None and 'label' in self.header and 'label' not in ignored:
      label_column = 'label'
    if label_column is not None and label_column not in self.header:
      raise ValueError(f'`label_column`: no column {label_column!r} in {self.header}.')
    self.label_index = None if label_column is None else self.header.index(label_column)
    if feature_columns:
      self.feature_index = [self.header.index(c) for c in feature_columns]
    else:
      self.feature_index = [
        i for i, name in enumerate(self.header) if i != self.label_index and name not in ignored
      ]
    if self.label_index in self.feature_index:
      raise ValueError(f'`feature_columns` must not name the label column {label_column!r}.')
    self.feature_names = [self.header[i] for i in self.feature_index]
    if not self.feature_index:
      raise file_sources.DataError(f'{paths[0]}: no feature columns besides the label.')
    self.has_label = self.label_index is not None
    # The columns read, in file order, and where each lands in a record.
    self._columns = sorted(self.feature_index + ([self.label_index] if self.has_label else []))
    self._position = {column: i for i, column in enumerate(self._columns)}
    self._defaults = [tf.int64 if i == self.label_index else tf.float32 for i in self._columns]
    self._moments = file_sources.Moments()
    self._max_label = -1

  def reader(self, path):
    # Selected columns are read from lines of any length: select only when
    # some are left out, so that a short or long line is an error otherwise.
    selected = self._columns if len(self._columns) < len(self.header) else None
    return tf.data.experimental.CsvDataset(
      path, self._defaults, header=True, field_delim=self.delimiter, select_cols=selected
    )

  def decode_batch(self, batch):
    columns = batch['record']
    decoded = {'x': tf.stack([columns[self._position[i]] for i in self.feature_index], axis=1)}
    if self.has_label:
      decoded['y'] = columns[self._position[self.label_index]]
    return decoded

  def scan_chunk(self, records, split_ids):
    x = tf.stack([records[self._position[i]] for i in self.feature_index], axis=1)
    good = tf.reduce_all(tf.math.is_finite(x), axis=1)
    if self.has_label:
      labels = records[self._position[self.label_index]]
      good = tf.logical_and(good, labels >= 0)
      out = {'max_label': tf.reduce_max(tf.concat([labels, [-1]], 0))}
    else:
      out = {}
    out['good'] = good
    out.update(file_sources.chunk_moments(x, tf.equal(split_ids, 0)))
    return out

  def check_chunk(self, stats, path, first_index):
    if not stats['good'].all():
      self.diagnose(path, None)
      bad = first_index + int(np.flatnonzero(~stats['good'])[0])
      raise file_sources.DataError(f'{path}, data record {bad}: NaN, Inf or a negative label.')
    self._moments.add(*(stats[k] for k in ('count', 'mean', 'm2', 'low', 'high')))
    if self.has_label:
      self._max_label = max(self._max_label, int(stats['max_label']))

  def diagnose(self, path, error):
    """Reads the file line by line with Python's `csv`; raises at the first bad cell."""
    del error
    with tf.io.gfile.GFile(path, 'r') as f:
      reader = csv.reader(f, delimiter=self.delimiter)
      next(reader, None)
      line = reader.line_num
      for row in reader:
        where = f'{path}, line {line + 1}'
        line = reader.line_num
        if len(row) != len(self.header):
          raise file_sources.DataError(
            f'{where}: {len(row)} field(s) separated by {self.delimiter!r}; the header has '
            f'{len(self.header)} ({self.delimiter.join(self.header)}).'
          )
        for i, cell in enumerate(row):
          if i not in self._position:
            continue  # A column not read.
          name = self.header[i]
          if i == self.label_index:
            if not _is_label(cell):
              raise file_sources.DataError(
                f'{where}, column {name!r}: {cell!r} is not a label (an integer >= 0).'
              )
          elif not _is_number(cell) or not math.isfinite(float(cell)):
            what = 'missing' if not cell.strip() else f'{cell!r} is not a finite number'
            raise file_sources.DataError(f'{where}, column {name!r}: {what}.')

  def fields(self):
    """The `SourceInfo` fields this scan found."""
    loc, scale = self._moments.loc_and_scale()
    return {
      'kind': 'table',
      'event_shape': (len(self.feature_index),),
      'feature_names': self.feature_names,
      'num_classes': self._max_label + 1 if self.has_label else None,
      'loc': loc,
      'scale': scale,
      'value_range': 'real',
    }


def _is_number(text):
  try:
    float(text)
  except ValueError:
    return False
  return True


def _is_label(text):
  try:
    return int(text.strip()) >= 0
  except ValueError:
    return False
