# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for tfvae.serving: the SavedModel that TensorFlow Serving runs."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow.core.framework import op_def_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.client import pywrap_tf_session

import test_util
import tfvae
from tfvae.model import layers as layers_lib
from tfvae.serving import saved_model as serving

tfd = tfp.distributions

_SHAPE = test_util.IMAGE_SHAPE
_LATENT = test_util.LATENT_SIZE
_SEED = np.array([11, 12], np.int32)
_NUM = 4
_NUM_SAMPLES = 9
_SIGNATURES = [
  'decode',
  'elbo',
  'encode',
  'log_likelihood',
  'reconstruct',
  'sample',
  'serving_default',
]
_DETERMINISTIC = ('serving_default', 'reconstruct', 'encode', 'decode')
# Registered core ops that need a Python interpreter, which TF Serving lacks.
_PYTHON_OPS = ('EagerPyFunc', 'PyFunc', 'PyFuncStateless')

# Runs in a fresh interpreter that cannot import TFP, tf_keras or tfvae: runs
# every signature on the inputs in argv[2] and writes the outputs to argv[3];
# prints the op types of the graph and the ones the core registry lacks.
_BLOCKED_IMPORTS_SCRIPT = """
import importlib.abc, json, sys

BLOCKED = ('tensorflow_probability', 'tf_keras', 'tfvae')

class Blocker(importlib.abc.MetaPathFinder):
  def find_spec(self, name, path=None, target=None):
    if name.split('.')[0] in BLOCKED:
      raise ImportError(name + ' is blocked')
    return None

sys.meta_path.insert(0, Blocker())
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.client import pywrap_tf_session
from tensorflow.python.framework import op_def_registry

path, inputs, outputs = sys.argv[1:4]
loaded = tf.saved_model.load(path)
requests = json.loads(open(inputs + '.json').read())
arrays = np.load(inputs + '.npz')
results = {}
for name, keys in requests.items():
  function = loaded.signatures[name]
  for key, value in function(**{k: tf.constant(arrays[name + '/' + k]) for k in keys}).items():
    results[name + '/' + key] = value.numpy()
again = {k: tf.constant(arrays['reconstruct/' + k]) for k in requests['reconstruct']}
(again,) = loaded.signatures['reconstruct'](**again).values()
results['reconstruct/again'] = again.numpy()
np.savez(outputs, **results)

model = saved_model_pb2.SavedModel()
with open(path + '/saved_model.pb', 'rb') as f:
  model.ParseFromString(f.read())
graph = model.meta_graphs[0].graph_def
functions = {function.signature.name for function in graph.library.function}
nodes = list(graph.node) + [n for function in graph.library.function for n in function.node_def]
op_types = sorted({node.op for node in nodes} - functions)
registered = op_def_pb2.OpList.FromString(
  pywrap_tf_session.TF_GetBuffer(pywrap_tf_session.TF_GetAllOpList())
)
print(json.dumps({
  'op_types': op_types,
  'unregistered': [op for op in op_types if op_def_registry.get(op) is None],
  'registered': sorted(op.name for op in registered.op),
  'blocked_imported': [m for m in sys.modules if m.split('.')[0] in BLOCKED],
}))
"""


def _make_vae(**kwargs):
  tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
  return test_util.make_vae(_SHAPE, _LATENT, **kwargs)


def _images(n=test_util.BATCH_SIZE, seed=0):
  return np.round(np.random.default_rng(seed).uniform(size=(n, *_SHAPE))).astype(np.float32)


def _elbo_by_hand(vae, x, seed):
  """log p(x|z) - KL(q || p) at z ~ q(z|x) drawn with `seed`, through the Keras models."""
  posterior = vae.encoder(x).tensor_distribution
  z = posterior.sample(seed=tf.constant(seed))
  kl = tfvae.divergence.kl_divergence(posterior, vae.prior, analytic=vae.analytic_kl, z=z)
  return (vae.decoder(z).log_prob(x) - kl).numpy()


def _serve_in_tensorflow_alone(path, requests, work):
  """Runs `requests` on the export in a process that cannot import TFP, tf_keras or tfvae.

  Returns:
    The pair `(report, outputs)`: the script's JSON report on the graph's op
    types, and `signature/output -> array`.
  """
  inputs, outputs = os.path.join(work, 'inputs'), os.path.join(work, 'outputs.npz')
  with open(inputs + '.json', 'w') as f:
    json.dump({name: sorted(request) for name, request in requests.items()}, f)
  np.savez(
    inputs, **{f'{name}/{k}': v for name, request in requests.items() for k, v in request.items()}
  )
  report = json.loads(
    subprocess.run(
      [sys.executable, '-c', _BLOCKED_IMPORTS_SCRIPT, path, inputs, outputs],
      cwd=work,  # Not the repository root, so tfvae is not importable anyway.
      # TensorFlow alone: TF_USE_LEGACY_KERAS=1 would make it import tf_keras.
      env={
        **{k: v for k, v in os.environ.items() if k != 'TF_USE_LEGACY_KERAS'},
        'TF_CPP_MIN_LOG_LEVEL': '2',
        'PYTHONPATH': '',
      },
      capture_output=True,
      text=True,
      timeout=300,
      check=True,
    ).stdout
  )
  return report, dict(np.load(outputs))


def _assert_core_ops_only(test, report):
  """Every op type is registered in a TensorFlow-only process and none needs Python."""
  op_types = set(report['op_types'])
  test.assertEqual(report['blocked_imported'], [])
  test.assertEqual(report['unregistered'], [])
  test.assertContainsSubset(op_types, set(report['registered']))
  test.assertEmpty(op_types & set(_PYTHON_OPS))
  # None exists only once TFP, tf_keras and tfvae are loaded.
  test.assertEmpty(op_types & (_all_registered_ops() - set(report['registered'])))
  return op_types


def _graph(path):
  model = saved_model_pb2.SavedModel()
  with open(os.path.join(path, 'saved_model.pb'), 'rb') as f:
    model.ParseFromString(f.read())
  return model.meta_graphs[0]


def _signature_op_types(meta_graph, name):
  """Op types a signature's graph holds, following function calls."""
  library = {
    function.signature.name: function for function in meta_graph.graph_def.library.function
  }
  output = next(iter(meta_graph.signature_def[name].outputs.values())).name.split(':')[0]
  (node,) = [n for n in meta_graph.graph_def.node if n.name == output]
  pending, seen, op_types = [node.attr['f'].func.name], set(), set()
  while pending:
    function = library[pending.pop()]
    if function.signature.name in seen:
      continue
    seen.add(function.signature.name)
    for node in function.node_def:
      if node.op in library:
        pending.append(node.op)
      else:
        op_types.add(node.op)
      for value in node.attr.values():
        if value.func.name:
          pending.append(value.func.name)
        pending.extend(f.name for f in value.list.func)
  return op_types


def _all_registered_ops():
  buffer = pywrap_tf_session.TF_GetAllOpList()
  return {op.name for op in op_def_pb2.OpList.FromString(pywrap_tf_session.TF_GetBuffer(buffer)).op}


class ExportTest(test_util.TestCase):
  """One export of a small VAE, checked from the outside."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.vae = _make_vae()
    cls.vae.compile()
    x = _images()
    cls.before = {
      'kl': cls.vae.evaluate(x, verbose=0, return_dict=True)['kl'],  # Analytic: no sampling.
      'reconstruct': cls.vae.reconstruct(x).numpy(),
      'weights': [w.copy() for w in cls.vae.get_weights()],
    }
    cls.export_base = tempfile.mkdtemp()
    cls.path = serving.export_saved_model(cls.vae, cls.export_base)
    cls.loaded = tf.saved_model.load(cls.path)

  @classmethod
  def tearDownClass(cls):
    tf.io.gfile.rmtree(cls.export_base)
    super().tearDownClass()

  def _expected(self):
    """Requests and what the exporting process computes for them."""
    vae, x, z = self.vae, _images(), np.random.default_rng(1).normal(size=(2, _LATENT))
    z = z.astype(np.float32)
    posterior = vae.encoder(x).tensor_distribution
    likelihood = vae.decoder(z).tensor_distribution
    requests = {
      'serving_default': {'x': x},
      'reconstruct': {'x': x},
      'encode': {'x': x},
      'decode': {'z': z},
      'sample': {'num': np.int32(_NUM), 'seed': _SEED},
      'elbo': {'x': x, 'seed': _SEED},
      'log_likelihood': {'x': x, 'num_samples': np.int32(_NUM_SAMPLES), 'seed': _SEED},
    }
    expected = {
      'serving_default/probs': vae.reconstruct(x),
      'reconstruct/probs': vae.reconstruct(x),
      'encode/loc': posterior.mean(),
      'encode/scale': posterior.stddev(),
      'decode/probs': likelihood.mean(),
      'decode/logits': likelihood.distribution.logits,
      'sample/probs': vae.sample(_NUM, seed=_SEED),
      'sample/samples': vae.sample(_NUM, seed=_SEED, mean=False),
      'elbo/elbo': _elbo_by_hand(vae, x, _SEED),
      # The plain graph, as served (`vae.log_likelihood` evaluates log p(x|z)
      # in an XLA cluster: the same samples, equal up to rounding).
      'log_likelihood/log_likelihood': tf.function(vae.importance_weighted_log_likelihood)(
        x, tf.constant(_NUM_SAMPLES), tf.constant(_NUM_SAMPLES), tf.constant(_SEED)
      ),
    }
    return requests, {key: np.asarray(value) for key, value in expected.items()}

  def test_export_leaves_the_model_as_it_was(self):
    x = _images()
    self.assertEqual(self.vae.evaluate(x, verbose=0, return_dict=True)['kl'], self.before['kl'])
    self.assertAllEqual(self.vae.reconstruct(x), self.before['reconstruct'])
    for before, after in zip(self.before['weights'], self.vae.get_weights()):
      self.assertAllEqual(before, after)
    self.vae(x)
    self.assertAllClose(tf.add_n(self.vae.losses), self.before['kl'], rtol=1e-6)

  def test_version_directory_layout(self):
    self.assertEqual(os.listdir(self.export_base), ['1'])
    self.assertEqual(
      sorted(os.listdir(self.path)),
      ['assets', 'assets.extra', 'fingerprint.pb', 'saved_model.pb', 'variables'],
    )

  def test_signature_defs_name_dtypes_and_shapes(self):
    batch, event, latent = [-1], list(_SHAPE), [_LATENT]
    float32, int32, unknown = tf.float32.as_datatype_enum, tf.int32.as_datatype_enum, None
    expected = {
      'reconstruct': ({'x': (float32, batch + event)}, {'probs': (float32, batch + event)}),
      'encode': (
        {'x': (float32, batch + event)},
        {'loc': (float32, batch + latent), 'scale': (float32, batch + latent)},
      ),
      'decode': (
        {'z': (float32, batch + latent)},
        {'probs': (float32, batch + event), 'logits': (float32, batch + event)},
      ),
      'sample': (
        {'num': (int32, unknown), 'seed': (int32, unknown)},
        {'probs': (float32, batch + event), 'samples': (float32, batch + event)},
      ),
      'elbo': (
        {'x': (float32, batch + event), 'seed': (int32, unknown)},
        {'elbo': (float32, batch)},
      ),
      'log_likelihood': (
        {
          'x': (float32, batch + event),
          'num_samples': (int32, unknown),
          'seed': (int32, unknown),
        },
        {'log_likelihood': (float32, batch)},
      ),
    }
    expected['serving_default'] = expected['reconstruct']

    def describe(tensors):
      return {
        key: (
          info.dtype,
          None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim],
        )
        for key, info in tensors.items()
      }

    signatures = _graph(self.path).signature_def
    self.assertEqual(sorted(set(signatures) - {'__saved_model_init_op'}), _SIGNATURES)
    for name, (inputs, outputs) in expected.items():
      with self.subTest(signature=name):
        self.assertEqual(signatures[name].method_name, 'tensorflow/serving/predict')
        self.assertEqual(describe(signatures[name].inputs), inputs)
        self.assertEqual(describe(signatures[name].outputs), outputs)

  def test_runs_without_tfp_tf_keras_and_tfvae_and_equals_the_exporting_process(self):
    requests, expected = self._expected()
    report, served = _serve_in_tensorflow_alone(
      self.path, requests, self.create_tempdir().full_path
    )
    for key, value in expected.items():
      with self.subTest(output=key):
        self.assertEqual(served[key].shape, value.shape)
        self.assertAllClose(served[key], value, rtol=1e-6, atol=1e-6)
    for key in ('serving_default/probs', 'reconstruct/probs', 'sample/samples', 'encode/loc'):
      self.assertAllEqual(served[key], expected[key])
    self.assertAllEqual(served['reconstruct/again'], served['reconstruct/probs'])
    self.assertAllEqual(np.unique(served['sample/samples']), [0.0, 1.0])

    op_types = _assert_core_ops_only(self, report)
    self.assertContainsSubset({'MatMul', 'Assert', 'StatelessRandomNormalV2'}, op_types)

  def test_log_likelihood_equals_vae_log_likelihood_for_the_same_seed(self):
    x = _images()
    served = self.loaded.signatures['log_likelihood'](
      x=tf.constant(x), num_samples=tf.constant(_NUM_SAMPLES), seed=tf.constant(_SEED)
    )['log_likelihood']
    expected = self.vae.log_likelihood(x, num_samples=_NUM_SAMPLES, seed=_SEED)
    self.assertAllClose(served, expected, rtol=1e-5, atol=1e-5)
    other_seed = self.vae.log_likelihood(x, num_samples=_NUM_SAMPLES, seed=_SEED + 1)
    self.assertGreater(np.max(np.abs(other_seed - expected)), 1e-3)

  def test_deterministic_signatures_hold_no_random_op(self):
    meta_graph = _graph(self.path)
    for name in _DETERMINISTIC:
      with self.subTest(signature=name):
        op_types = _signature_op_types(meta_graph, name)
        self.assertContainsSubset({'MatMul', 'Assert'}, op_types)
        self.assertEmpty({op for op in op_types if 'Random' in op})
    for name in ('sample', 'elbo'):
      with self.subTest(signature=name):
        random_ops = {op for op in _signature_op_types(meta_graph, name) if 'Random' in op}
        self.assertNotEmpty(random_ops)
        self.assertTrue(all(op.startswith('StatelessRandom') for op in random_ops), random_ops)

  def test_seeded_signatures_repeat_and_depend_on_the_seed(self):
    x = tf.constant(_images())
    sample, elbo = self.loaded.signatures['sample'], self.loaded.signatures['elbo']
    first = sample(num=tf.constant(_NUM), seed=tf.constant(_SEED))['samples']
    self.assertAllEqual(sample(num=tf.constant(_NUM), seed=tf.constant(_SEED))['samples'], first)
    other = sample(num=tf.constant(_NUM), seed=tf.constant([11, 13]))['samples']
    self.assertNotAllEqual(other, first)
    self.assertAllEqual(
      elbo(x=x, seed=tf.constant(_SEED))['elbo'], elbo(x=x, seed=tf.constant(_SEED))['elbo']
    )

  def test_row_format_inputs_give_the_same_answer(self):
    # TF Serving's REST `instances` form adds a batch dimension to every input.
    x = tf.constant(_images())
    rows = tf.constant(np.tile(_SEED, [3, 1]))
    elbo = self.loaded.signatures['elbo']
    self.assertAllEqual(elbo(x=x, seed=rows)['elbo'], elbo(x=x, seed=tf.constant(_SEED))['elbo'])
    sample = self.loaded.signatures['sample']
    self.assertAllEqual(
      sample(num=tf.constant([_NUM]), seed=rows[:1])['probs'],
      sample(num=tf.constant(_NUM), seed=tf.constant(_SEED))['probs'],
    )

  def test_concurrent_reconstruct_equals_sequential(self):
    reconstruct = self.loaded.signatures['reconstruct']
    batches = [tf.constant(_images(n=5, seed=i)) for i in range(8)]
    sequential = [reconstruct(x=x)['probs'].numpy() for x in batches]
    concurrent = [[] for _ in batches]

    def worker(i):
      for _ in range(20):
        concurrent[i].append(reconstruct(x=batches[i])['probs'].numpy())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(batches))]
    for thread in threads:
      thread.start()
    for thread in threads:
      thread.join(timeout=120)
    for i, results in enumerate(concurrent):
      self.assertLen(results, 20)
      for result in results:
        self.assertAllEqual(result, sequential[i])

  @test_util.parameterized.named_parameters(
    (
      'wrong_inner_shape',
      'reconstruct',
      {'x': np.zeros([2, 24, 1, 1], np.float32)},
      'x. must have shape \\[batch_size, 4, 6, 1\\]',
    ),
    ('wrong_rank', 'encode', {'x': np.zeros([2, 24], np.float32)}, 'x. must have shape'),
    ('empty_batch', 'reconstruct', {'x': np.zeros([0, *_SHAPE], np.float32)}, 'batch_size >= 1'),
    (
      'above_one',
      'reconstruct',
      {'x': np.full([2, *_SHAPE], 2.0, np.float32)},
      'x. must hold values in \\[0, 1\\]',
    ),
    (
      'negative',
      'elbo',
      {'x': np.full([2, *_SHAPE], -0.5, np.float32), 'seed': _SEED},
      'x. must hold values in \\[0, 1\\]',
    ),
    (
      'nan',
      'reconstruct',
      {'x': np.full([2, *_SHAPE], np.nan, np.float32)},
      'x. must not contain NaN',
    ),
    (
      'latent_shape',
      'decode',
      {'z': np.zeros([2, _LATENT + 1], np.float32)},
      'z. must have shape \\[batch_size, 5\\]',
    ),
    (
      'latent_inf',
      'decode',
      {'z': np.full([2, _LATENT], np.inf, np.float32)},
      'z. must not contain NaN',
    ),
    (
      'num_zero',
      'sample',
      {'num': np.int32(0), 'seed': _SEED},
      'num. must be one positive integer',
    ),
    (
      'num_differs',
      'sample',
      {'num': np.array([2, 3], np.int32), 'seed': _SEED},
      'num. must be one positive integer',
    ),
    (
      'seed_size',
      'sample',
      {'num': np.int32(2), 'seed': np.array([1, 2, 3], np.int32)},
      'seed. must be 2 int32 values',
    ),
    (
      'seed_rows_differ',
      'elbo',
      {'x': _images(2), 'seed': np.array([[1, 2], [1, 3]], np.int32)},
      'seed. must be 2 int32 values',
    ),
    (
      'num_samples_zero',
      'log_likelihood',
      {'x': _images(2), 'num_samples': np.int32(0), 'seed': _SEED},
      'num_samples. must be one positive integer',
    ),
  )
  def test_invalid_request_fails_with_invalid_argument(self, signature, inputs, message):
    function = self.loaded.signatures[signature]
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
      function(**{key: tf.constant(value) for key, value in inputs.items()})

  def test_warmup_records_replay(self):
    from tensorflow_serving.apis import prediction_log_pb2

    records = list(tf.data.TFRecordDataset(os.path.join(self.path, serving.WARMUP_FILE)))
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in records]
    self.assertEqual(
      sorted(log.predict_log.request.model_spec.signature_name for log in logs), _SIGNATURES
    )
    for log in logs:
      request = log.predict_log.request
      with self.subTest(signature=request.model_spec.signature_name):
        function = self.loaded.signatures[request.model_spec.signature_name]
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        outputs = function(**inputs)
        self.assertTrue(all(np.all(np.isfinite(v)) for v in outputs.values()))

  def test_saved_model_cli_shows_and_runs_the_signatures(self):
    # What the `saved_model_cli` console script runs, found without PATH.
    cli = [sys.executable, '-m', 'tensorflow.python.tools.saved_model_cli']
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
    work = self.create_tempdir().full_path
    shown = subprocess.run(
      [*cli, 'show', '--dir', self.path, '--all'],
      env=env,
      capture_output=True,
      text=True,
      timeout=300,
      check=True,
    ).stdout
    for name in _SIGNATURES:
      self.assertIn(f"signature_def['{name}']:", shown)
    self.assertIn("inputs['x'] tensor_info:", shown)
    subprocess.run(
      [
        *cli,
        'run',
        '--dir',
        self.path,
        '--tag_set',
        'serve',
        '--signature_def',
        'sample',
        '--input_exprs',
        'num=3;seed=[11,12]',
        '--outdir',
        work,
      ],
      env=env,
      capture_output=True,
      timeout=300,
      check=True,
    )
    self.assertAllEqual(np.load(f'{work}/probs.npy'), self.vae.sample(3, seed=_SEED))
    self.assertAllEqual(np.load(f'{work}/samples.npy'), self.vae.sample(3, seed=_SEED, mean=False))

  def test_loaded_module_keeps_python_callable_functions(self):
    x = tf.constant(_images())
    self.assertAllEqual(self.loaded.reconstruct(x)['probs'], self.vae.reconstruct(x))


class ExportSavedModelTest(test_util.TestCase):
  def test_versions_increment_and_are_not_overwritten(self):
    export_base = os.path.join(self.create_tempdir().full_path, 'models')
    os.makedirs(os.path.join(export_base, '3'))
    os.makedirs(os.path.join(export_base, 'notes'))  # Not a version: ignored.
    vae = _make_vae()
    path = serving.export_saved_model(vae, export_base, version=7, warmup=False)
    self.assertEqual(path, os.path.join(export_base, '7'))
    path = serving.export_saved_model(vae, export_base, warmup=False)
    self.assertEqual(path, os.path.join(export_base, '8'))
    stamp = os.path.getmtime(os.path.join(export_base, '7', 'saved_model.pb'))
    with self.assertRaisesRegex(FileExistsError, 'overwrite'):
      serving.export_saved_model(vae, export_base, version=7, warmup=False)
    self.assertEqual(os.path.getmtime(os.path.join(export_base, '7', 'saved_model.pb')), stamp)
    self.assertEqual(sorted(os.listdir(export_base)), ['3', '7', '8', 'notes'])
    for version in (0, -1, 1.5, True):
      with self.assertRaisesRegex(ValueError, 'version'):
        serving.export_saved_model(vae, export_base, version=version)

  def test_concurrent_exports_each_get_their_own_version(self):
    export_base = os.path.join(self.create_tempdir().full_path, 'models')
    start = os.path.join(os.path.dirname(export_base), 'start')
    # Three real processes build a model, wait for the same moment, and export
    # with version=None; each must land in a version of its own.
    code = f"""
import os, sys, time
import tfvae
encoder = tfvae.make_encoder((4, 6, 1), 3, (5,))
vae = tfvae.VAE(encoder, tfvae.make_decoder(3, (4, 6, 1), (5,)))
open({start!r} + '.' + sys.argv[1], 'w').close()
while not os.path.exists({start!r}):
  time.sleep(0.001)
print(tfvae.export_saved_model(vae, {export_base!r}, warmup=False))
"""
    env = dict(os.environ, PYTHONPATH=test_util.REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    processes = [
      subprocess.Popen(
        [sys.executable, '-c', code, str(i)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
      )
      for i in range(3)
    ]
    while not all(os.path.exists(f'{start}.{i}') for i in range(3)):
      self.assertTrue(all(p.poll() is None for p in processes), 'an exporter died early')
      time.sleep(0.01)
    open(start, 'w').close()
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
      self.assertEqual(process.returncode, 0, stderr.decode()[-2000:])
    paths = sorted(stdout.decode().strip().splitlines()[-1] for stdout, _ in outputs)
    self.assertEqual(paths, [os.path.join(export_base, str(v)) for v in (1, 2, 3)])
    self.assertEqual(sorted(os.listdir(export_base)), ['1', '2', '3'])
    for path in paths:
      self.assertTrue(tf.saved_model.contains_saved_model(path))
    # An explicit version that exists still fails.
    with self.assertRaisesRegex(FileExistsError, 'overwrite'):
      serving.export_saved_model(_make_vae(), export_base, version=2, warmup=False)

  def test_export_base_that_is_a_file(self):
    path = os.path.join(self.create_tempdir().full_path, 'model.txt')
    with open(path, 'w') as f:
      f.write('not a directory')
    with self.assertRaisesRegex(ValueError, '`export_base`: .*model.txt exists and is not a dir'):
      serving.export_saved_model(_make_vae(), path)
    with open(path) as f:
      self.assertEqual(f.read(), 'not a directory')

  def test_racing_rename_moves_on_to_the_next_version(self):
    export_base = self.create_tempdir().full_path
    vae = _make_vae()
    rename = os.rename
    raced = []

    def another_export_wins(source, target):
      # Another export renames its version 1 into place just before this one.
      if not raced:
        raced.append(target)
        serving.export_saved_model(vae, export_base, version=1, warmup=False)
      return rename(source, target)

    with mock.patch.object(os, 'rename', side_effect=another_export_wins):
      path = serving.export_saved_model(vae, export_base, warmup=False)
    self.assertEqual(raced, [os.path.join(export_base, '1')])
    self.assertEqual(path, os.path.join(export_base, '2'))
    self.assertEqual(sorted(os.listdir(export_base)), ['1', '2'])

  @test_util.parameterized.named_parameters(
    ('during_warmup', '_write_warmup', RuntimeError('disk full'), None),
    ('interrupted_overwrite', 'tf.saved_model.save', KeyboardInterrupt(), 1),
  )
  def test_failed_export_leaves_no_version_directory(self, target, error, version):
    export_base = self.create_tempdir().full_path
    vae = _make_vae()
    if version is not None:
      serving.export_saved_model(vae, export_base, version=version, warmup=False)
    save = tf.saved_model.save

    def fail(module, directory, *args, **kwargs):
      if target == 'tf.saved_model.save':
        save(module, directory, *args, **kwargs)  # Written, then interrupted.
      raise error

    patch = (
      mock.patch.object(serving, '_write_warmup', side_effect=fail)
      if target == '_write_warmup'
      else mock.patch.object(tf.saved_model, 'save', side_effect=fail)
    )
    with patch, self.assertRaises(type(error)):
      serving.export_saved_model(vae, export_base, version=version, overwrite=True)
    if version is None:
      self.assertEqual(os.listdir(export_base), [])
    else:  # The version it was to replace is intact.
      self.assertEqual(os.listdir(export_base), [str(version)])
      self.assertTrue(tf.saved_model.contains_saved_model(os.path.join(export_base, '1')))

  def test_overwrite_replaces_the_version_or_puts_the_old_one_back(self):
    export_base = self.create_tempdir().full_path
    old, new = _make_vae(), _make_vae()
    new.decoder.layers[-2].bias.assign(tf.fill(new.decoder.layers[-2].bias.shape, 3.0))
    path = serving.export_saved_model(old, export_base, version=3, warmup=False)
    rename = tf.io.gfile.rename

    def fail_into_place(source, target, *args, **kwargs):
      if target == path and '.tmp-' in source:
        raise OSError('interrupted')
      return rename(source, target, *args, **kwargs)

    x = tf.constant(_images())
    with mock.patch.object(tf.io.gfile, 'rename', side_effect=fail_into_place):
      with self.assertRaisesRegex(OSError, 'interrupted'):
        serving.export_saved_model(new, export_base, version=3, overwrite=True, warmup=False)
    self.assertEqual(os.listdir(export_base), ['3'])
    served = tf.saved_model.load(path).signatures['reconstruct'](x=x)['probs']
    self.assertAllClose(served, old.reconstruct(x), rtol=1e-6, atol=1e-6)

    serving.export_saved_model(new, export_base, version=3, overwrite=True, warmup=False)
    self.assertEqual(os.listdir(export_base), ['3'])
    served = tf.saved_model.load(path).signatures['reconstruct'](x=x)['probs']
    self.assertAllClose(served, new.reconstruct(x), rtol=1e-6, atol=1e-6)
    self.assertNotAllClose(served, old.reconstruct(x))

  def test_without_serving_api_warns_and_skips_warmup(self):
    export_base = self.create_tempdir().full_path
    blocked = {'tensorflow_serving': None, 'tensorflow_serving.apis': None}
    with mock.patch.dict(sys.modules, blocked):
      with self.assertWarnsRegex(UserWarning, 'tensorflow-serving-api is not installed'):
        path = serving.export_saved_model(_make_vae(), export_base)
    self.assertFalse(os.path.exists(os.path.join(path, 'assets.extra')))
    self.assertTrue(tf.saved_model.contains_saved_model(path))

  @test_util.parameterized.named_parameters(
    ('conv', dict(architecture='conv')),
    ('vae_owned_kl', dict(kl_owner='vae', kl_weight=0.5)),
    ('monte_carlo_kl', dict(analytic_kl=False)),
  )
  def test_variants_serve_what_the_model_computes(self, kwargs):
    vae = _make_vae(**kwargs)
    path = serving.export_saved_model(vae, self.create_tempdir().full_path, warmup=False)
    signatures = tf.saved_model.load(path).signatures
    x = _images()
    self.assertAllClose(
      signatures['reconstruct'](x=tf.constant(x))['probs'],
      vae.reconstruct(x),
      rtol=1e-6,
      atol=1e-6,
    )
    self.assertAllClose(
      signatures['elbo'](x=tf.constant(x), seed=tf.constant(_SEED))['elbo'],
      _elbo_by_hand(vae, x, _SEED),
      rtol=1e-6,
      atol=1e-6,
    )

  def test_bfloat16_trained_model_serves_float32_as_the_library(self):
    vae = _make_vae(precision='bfloat16')
    x = _images(n=16)
    vae.compile(tfvae.keras.optimizers.Adam(1e-3))
    vae.fit(x, batch_size=8, epochs=2, verbose=0)
    path = serving.export_saved_model(vae, self.create_tempdir().full_path, warmup=False)
    for name, signature in tf.saved_model.load(path).signatures.items():
      tensors = {**signature.structured_input_signature[1], **signature.structured_outputs}
      for key, spec in tensors.items():
        with self.subTest(signature=name, tensor=key):
          self.assertIn(spec.dtype, (tf.float32, tf.int32))
    x = x[:3]
    requests = {
      'reconstruct': {'x': x},
      'elbo': {'x': x, 'seed': _SEED},
      'log_likelihood': {'x': x, 'num_samples': np.int32(_NUM_SAMPLES), 'seed': _SEED},
    }
    _, served = _serve_in_tensorflow_alone(path, requests, self.create_tempdir().full_path)
    self.assertEqual(served['reconstruct/probs'].dtype, np.float32)
    # The same function up to where bfloat16 rounds: the graph fuses the
    # hidden layers' ops differently from the library's calls (2^-8 relative).
    self.assertAllClose(served['reconstruct/probs'], vae.reconstruct(x), rtol=2**-8, atol=1e-4)
    # Sums of such terms agree to bfloat16's relative precision (0.02 nats of
    # 19 was once exceeded, by 0.027, in a parallel run; not reproduced alone).
    self.assertAllClose(served['elbo/elbo'], _elbo_by_hand(vae, x, _SEED), rtol=2**-8, atol=1e-3)
    expected = tf.function(vae.importance_weighted_log_likelihood)(
      x, tf.constant(_NUM_SAMPLES), tf.constant(_NUM_SAMPLES), tf.constant(_SEED)
    )
    self.assertAllClose(served['log_likelihood/log_likelihood'], expected, rtol=2**-8, atol=1e-3)

  @test_util.parameterized.named_parameters(
    ('iaf_gaussian', 'iaf', 'gaussian'),
    ('full_covariance_discretized_logistic_mixture', 'full_covariance', 'discretized_logistic', 3),
  )
  def test_families_serve_what_the_model_computes(self, posterior, likelihood, num_components=1):
    self._check_family_serves(posterior, likelihood, num_components)

  @test_util.parameterized.named_parameters(
    ('full_covariance_continuous_bernoulli', 'full_covariance', 'continuous_bernoulli'),
    ('diagonal_discretized_logistic', 'diagonal', 'discretized_logistic'),
  )
  @pytest.mark.slow
  def test_more_families_serve_what_the_model_computes(self, posterior, likelihood):
    self._check_family_serves(posterior, likelihood)

  def _check_family_serves(self, posterior, likelihood, num_components=1):
    tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
    vae = tfvae.VAE(
      tfvae.make_encoder(_SHAPE, _LATENT, test_util.HIDDEN_UNITS, posterior=posterior),
      tfvae.make_decoder(
        _LATENT,
        _SHAPE,
        test_util.HIDDEN_UNITS,
        likelihood=likelihood,
        num_components=num_components,
      ),
    )
    path = serving.export_saved_model(vae, self.create_tempdir().full_path, warmup=False)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, *_SHAPE)).astype(np.float32)  # Grey levels.
    if likelihood == 'gaussian':
      x = 4.0 * x - 2.0  # Any real values.
    if likelihood == 'discretized_logistic':
      x = np.round(255 * x) / np.float32(255)  # 8-bit levels.
    z = rng.normal(size=(2, _LATENT)).astype(np.float32)
    requests = {
      'serving_default': {'x': x},
      'encode': {'x': x},
      'decode': {'z': z},
      'sample': {'num': np.int32(_NUM), 'seed': _SEED},
      'elbo': {'x': x, 'seed': _SEED},
      'log_likelihood': {'x': x, 'num_samples': np.int32(_NUM_SAMPLES), 'seed': _SEED},
      'reconstruct': {'x': x},
    }
    q = vae.encoder(x).tensor_distribution
    p = vae.decoder(z).tensor_distribution
    expected = {
      'serving_default/mean': vae.reconstruct(x),
      'reconstruct/mean': vae.reconstruct(x),
      'reconstruct/again': vae.reconstruct(x),
      'encode/loc': layers_lib.point_estimate(q),
      'decode/mean': p.mean(),
      'sample/mean': vae.sample(_NUM, seed=_SEED),
      'sample/samples': vae.sample(_NUM, seed=_SEED, mean=False),
      'elbo/elbo': _elbo_by_hand(vae, x, _SEED),
      'log_likelihood/log_likelihood': tf.function(vae.importance_weighted_log_likelihood)(
        x, tf.constant(_NUM_SAMPLES), tf.constant(_NUM_SAMPLES), tf.constant(_SEED)
      ),
    }
    if posterior != 'iaf':
      expected['encode/scale'] = q.stddev()
    if posterior == 'full_covariance':
      expected['encode/scale_tril'] = q.scale.to_dense()
    if likelihood == 'continuous_bernoulli':
      expected['decode/logits'] = p.distribution.logits
    elif likelihood == 'gaussian':
      expected['decode/scale'] = p.stddev()
    else:
      pixels = p.distribution
      squeeze = (lambda t: t[..., 0]) if num_components == 1 else (lambda t: t)  # noqa: E731
      expected['decode/loc'] = squeeze(pixels.loc)
      expected['decode/scale'] = squeeze(pixels.scale)
      if num_components > 1:
        expected['decode/mixture_logits'] = pixels.mixture_logits
    report, served = _serve_in_tensorflow_alone(path, requests, self.create_tempdir().full_path)
    self.assertEqual(sorted(served), sorted(expected))
    for key, value in expected.items():
      with self.subTest(output=key):
        self.assertAllClose(served[key], value, rtol=1e-5, atol=1e-5)
    _assert_core_ops_only(self, report)
    if likelihood == 'discretized_logistic':
      # Means and draws on [0, 1], draws on the levels; the means are the exact ones.
      levels = np.arange(256, dtype=np.float32).reshape(256, 1, 1, 1, 1) / np.float32(255)
      probs = np.exp(p.distribution.log_prob(levels).numpy())
      self.assertAllClose(
        served['decode/mean'], np.einsum('k,k...->...', levels.ravel(), probs), atol=1e-5
      )
      samples = served['sample/samples']
      self.assertAllInRange(samples, 0.0, 1.0)
      # Levels up to float rounding (the graph may divide by 255 as a product).
      self.assertAllClose(samples * 255, np.round(samples * 255), atol=1e-4)
      self.assertAllInRange(served['sample/mean'], 0.0, 1.0)
      # A request off the levels fails, naming `x`.
      signatures = tf.saved_model.load(path).signatures
      with self.assertRaisesRegex(tf.errors.InvalidArgumentError, '`x` must hold 8-bit levels'):
        signatures['reconstruct'](x=tf.constant(x + 0.4 / 255))

  def test_conditional_vae_serves_what_the_model_computes(self):
    tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
    encoder = tfvae.make_encoder(
      _SHAPE, _LATENT, test_util.HIDDEN_UNITS, condition_size=3, kl_regularizer=False
    )
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, test_util.HIDDEN_UNITS, condition_size=3)
    prior = tfvae.prior.ConditionalGaussian(_LATENT, 3, hidden_units=(4,))
    vae = tfvae.VAE(encoder, decoder, prior=prior)
    x = _images(4)
    labels = np.array([0, 2, 1, 2])
    vae.compile(tfvae.keras.optimizers.Adam(0.05))
    vae.fit(x, labels, epochs=3, verbose=0)  # A prior that differs by class.
    path = serving.export_saved_model(vae, self.create_tempdir().full_path, sample_temperature=0.5)
    c = np.eye(3, dtype=np.float32)[labels]
    z = np.random.default_rng(0).normal(size=(4, _LATENT)).astype(np.float32)
    requests = {
      'serving_default': {'x': x, 'condition': c},
      'encode': {'x': x, 'condition': c},
      'decode': {'z': z, 'condition': c},
      'sample': {'condition': c, 'seed': _SEED},
      'elbo': {'x': x, 'condition': c, 'seed': _SEED},
      'log_likelihood': {
        'x': x,
        'condition': c,
        'num_samples': np.int32(_NUM_SAMPLES),
        'seed': _SEED,
      },
      'reconstruct': {'x': x, 'condition': c},
    }
    q = encoder([x, c]).tensor_distribution
    posterior_draw = q.sample(seed=tf.constant(_SEED))
    p_z = vae.prior_distribution(tf.constant(c))
    elbo = decoder([posterior_draw, c]).log_prob(x) - tfd.kl_divergence(q, p_z)
    expected = {
      'serving_default/probs': vae.reconstruct(x, labels),
      'reconstruct/probs': vae.reconstruct(x, labels),
      'reconstruct/again': vae.reconstruct(x, labels),
      'encode/loc': q.mean(),
      'encode/scale': q.stddev(),
      'decode/probs': decoder([z, c]).mean(),
      'decode/logits': decoder([z, c]).tensor_distribution.distribution.logits,
      'sample/probs': vae.sample(labels, seed=_SEED, temperature=0.5),
      'sample/samples': vae.sample(labels, seed=_SEED, mean=False, temperature=0.5),
      'elbo/elbo': elbo,
      'log_likelihood/log_likelihood': tf.function(vae.importance_weighted_log_likelihood)(
        x,
        tf.constant(_NUM_SAMPLES),
        tf.constant(_NUM_SAMPLES),
        tf.constant(_SEED),
        condition=tf.constant(c),
      ),
    }
    report, served = _serve_in_tensorflow_alone(path, requests, self.create_tempdir().full_path)
    self.assertEqual(sorted(served), sorted(expected))
    for key, value in expected.items():
      with self.subTest(output=key):
        self.assertAllClose(served[key], value, rtol=1e-5, atol=1e-5)
    _assert_core_ops_only(self, report)
    # The prior is p(z|c): samples for other classes differ; and the export's
    # temperature is not the model's.
    self.assertNotAllClose(
      served['sample/probs'], vae.sample((labels + 1) % 3, seed=_SEED, temperature=0.5)
    )
    self.assertNotAllClose(served['sample/probs'], vae.sample(labels, seed=_SEED))
    loaded = tf.saved_model.load(path)
    bad = {
      'width': (
        np.zeros([4, 2], np.float32),
        r'`condition` must be float vectors \[batch_size, 3\]',
      ),
      'nan': (np.full([4, 3], np.nan, np.float32), '`condition` must not contain NaN'),
      'rows': (c[:2], '`condition` must have one row per example of `x`'),
    }
    for name, (condition, message) in bad.items():
      with self.subTest(invalid=name):
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
          loaded.signatures['reconstruct'](x=tf.constant(x), condition=tf.constant(condition))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, 'one row per example of `z`'):
      loaded.signatures['decode'](z=tf.constant(z), condition=tf.constant(c[:3]))
    from tensorflow_serving.apis import prediction_log_pb2

    records = tf.data.TFRecordDataset(os.path.join(path, serving.WARMUP_FILE))
    for record in records:
      request = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
      with self.subTest(warmup=request.model_spec.signature_name):
        self.assertIn('condition', request.inputs)
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
        self.assertTrue(all(np.all(np.isfinite(v)) for v in outputs.values()))

  def test_anomaly_signature_scores_and_flags_as_the_library(self):
    self._check_anomaly_signature('log_likelihood')

  @test_util.parameterized.parameters('complexity', 'reconstruction', 'elbo')
  @pytest.mark.slow
  def test_anomaly_signature_of_the_other_scores(self, score):
    self._check_anomaly_signature(score)

  def _check_anomaly_signature(self, score):
    vae = _make_vae()
    threshold = tfvae.anomaly.fit_threshold(vae, _images(40, seed=1), 0.2, score, num_samples=8)
    path = serving.export_saved_model(vae, self.create_tempdir().full_path, anomaly=threshold)
    x = _images(6, seed=2)
    requests = {'anomaly': {'x': x, 'seed': _SEED}, 'reconstruct': {'x': x}}
    expected_score = tf.function(tfvae.anomaly.score_batch, autograph=False)(
      score,
      tf.constant(x),
      vae.posterior(x),
      vae.likelihood,
      vae.prior,
      tf.constant(8),
      tf.constant(_SEED),
    ).numpy()
    report, served = _serve_in_tensorflow_alone(path, requests, self.create_tempdir().full_path)
    self.assertAllClose(served['anomaly/score'], expected_score, rtol=1e-5, atol=1e-5)
    self.assertAllEqual(served['anomaly/is_anomaly'], expected_score > threshold.value)
    _assert_core_ops_only(self, report)
    # Deterministic for a seed; another seed, another estimate (but for the
    # deterministic reconstruction error).
    loaded = tf.saved_model.load(path).signatures['anomaly']
    again = loaded(x=tf.constant(x), seed=tf.constant(_SEED))['score']
    self.assertAllEqual(again, served['anomaly/score'])
    other = loaded(x=tf.constant(x), seed=tf.constant(_SEED + 1))['score']
    if score == 'reconstruction':
      self.assertAllEqual(other, again)
    else:
      self.assertNotAllClose(other, again)
    with self.assertRaisesRegex(
      tf.errors.InvalidArgumentError, r'`x` must hold values in \[0, 1\]'
    ):
      loaded(x=tf.constant(x + 2.0), seed=tf.constant(_SEED))

  def test_rejects_what_it_cannot_serve(self):
    with self.assertRaisesRegex(TypeError, 'tfvae.VAE'):
      serving.export_saved_model(_make_vae().encoder, self.create_tempdir().full_path)
    vae = _make_vae()
    decoder = tfvae.keras.Sequential(
      [
        tfvae.keras.layers.InputLayer(input_shape=(_LATENT,)),
        tfvae.keras.layers.Dense(int(np.prod(_SHAPE))),
        tfvae.keras.layers.Reshape(_SHAPE),
        tfp.layers.DistributionLambda(lambda t: tfd.Independent(tfd.Laplace(t, 1.0), 3)),
      ]
    )
    export_base = self.create_tempdir().full_path
    with self.assertRaisesRegex(
      ValueError, r'`decoder` must end in a tfvae distribution layer.*DistributionLambda'
    ):
      serving.export_saved_model(tfvae.VAE(vae.encoder, decoder), export_base)
    self.assertEqual(os.listdir(export_base), [])
    # A tfvae layer whose distribution it cannot serve.
    inputs = tfvae.keras.layers.Input((_LATENT,))
    params = tfvae.keras.layers.Dense(tfvae.MultivariateNormalDiag.params_size(2))(inputs)
    decoder = tfvae.keras.Model(inputs, tfvae.MultivariateNormalDiag(2)(params))
    encoder = tfvae.make_encoder((2,), _LATENT, (3,))
    with self.assertRaisesRegex(
      ValueError,
      r'`decoder` must return tfd.Independent over tfd.Bernoulli.*MultivariateNormalDiag',
    ):
      serving.export_saved_model(tfvae.VAE(encoder, decoder), export_base)
    self.assertEqual(os.listdir(export_base), [])
    # The combined score is standardized on calibration data: not exported.
    combined = tfvae.anomaly.calibrate(np.arange(10.0), 0.2, tfvae.anomaly.COMBINED)
    with self.assertRaisesRegex(ValueError, r"`anomaly`: the 'combined' score .* not exported"):
      serving.export_saved_model(_make_vae(), export_base, anomaly=combined)
    self.assertEqual(os.listdir(export_base), [])
    with self.assertRaisesRegex(ValueError, '`sample_temperature` must be > 0'):
      serving.export_saved_model(_make_vae(), export_base, sample_temperature=0.0)
    # A VampPrior of flows has no Gaussian spread to scale.
    encoder = tfvae.make_encoder(_SHAPE, _LATENT, (3,), posterior='iaf', kl_regularizer=False)
    decoder = tfvae.make_decoder(_LATENT, _SHAPE, (3,))
    vamp = tfvae.VAE(encoder, decoder, prior=tfvae.prior.VampPrior(2, _SHAPE))
    with self.assertRaisesRegex(ValueError, '`temperature`=0.5 scales Gaussians, but .* mixes'):
      serving.ServingModule(vamp, sample_temperature=0.5)
    missing = os.path.join(export_base, 'new')
    with self.assertRaisesRegex(ValueError, '`temperature`=0.5 scales Gaussians, but .* mixes'):
      serving.export_saved_model(vamp, missing, sample_temperature=0.5)
    self.assertFalse(os.path.exists(missing))
    self.assertEqual(os.listdir(export_base), [])


if __name__ == '__main__':
  test_util.main()
