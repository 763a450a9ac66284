# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Tests for examples/serving: the gRPC client and the REST request bodies.

TensorFlow Serving itself is the production target; no server binary can be
installed here, so the client talks to an in-process test double of
`PredictionService` on 127.0.0.1 that runs the exported SavedModel the way the
server does (latest version, signature by name, TensorFlow errors as gRPC
status codes), and the REST bodies go through TF Serving's documented JSON
to tensor conversion.
"""

import concurrent.futures
import contextlib
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

import test_util
import tfvae
from tfvae.serving import saved_model as serving

_EXAMPLE_DIR = os.path.join(test_util.REPO_ROOT, 'examples', 'serving')
_MODEL_NAME = 'tfvae'
# The request bodies are written for the main job's default model: 8x8 digits, 32 latents.
_SHAPE = (8, 8, 1)
_LATENT = 32
_SERVER_LIFETIME_S = 120  # The test double stops itself after this, whatever happens.
# TensorFlow's error codes are gRPC's.
_STATUS = {code.value[0]: code for code in grpc.StatusCode}


def _load_client():
  spec = importlib.util.spec_from_file_location(
    'serving_client', os.path.join(_EXAMPLE_DIR, 'client.py')
  )
  client = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(client)  # Defines no flags: they are defined when it runs.
  return client


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
  """`PredictionService.Predict` over the latest version in a model base path."""

  def __init__(self, model_name, export_base):
    self._name = model_name
    versions = [int(name) for name in os.listdir(export_base) if name.isdigit()]
    self._models = {v: tf.saved_model.load(os.path.join(export_base, str(v))) for v in versions}

  def Predict(self, request, context):  # noqa: N802 (the gRPC method name)
    spec = request.model_spec
    version = spec.version.value if spec.HasField('version') else max(self._models)
    if spec.name != self._name or version not in self._models:
      context.abort(grpc.StatusCode.NOT_FOUND, f'Servable not found for request: {spec}')
    signature_name = spec.signature_name or 'serving_default'
    signatures = self._models[version].signatures
    if signature_name not in signatures:
      context.abort(
        grpc.StatusCode.FAILED_PRECONDITION,
        f'Serving signature key "{signature_name}" not found.',
      )
    function = signatures[signature_name]
    expected = set(function.structured_input_signature[1])
    if set(request.inputs) != expected:
      context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        f'inputs {sorted(request.inputs)} do not match the signature {sorted(expected)}',
      )
    inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
    try:
      outputs = function(**inputs)
    except tf.errors.OpError as error:
      context.abort(_STATUS[error.error_code], error.message)
    except (TypeError, ValueError) as error:  # A dtype the signature does not take.
      context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    response = predict_pb2.PredictResponse()
    response.model_spec.name = self._name
    response.model_spec.signature_name = signature_name
    response.model_spec.version.value = version
    for name in request.output_filter or outputs:
      response.outputs[name].CopyFrom(tf.make_tensor_proto(outputs[name].numpy()))
    return response


@contextlib.contextmanager
def _serve(export_base):
  """Serves the models in `export_base` on a free loopback port; yields 'host:port'."""
  server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
  prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
    _PredictionService(_MODEL_NAME, export_base), server
  )
  port = server.add_insecure_port('127.0.0.1:0')
  server.start()
  watchdog = threading.Timer(_SERVER_LIFETIME_S, server.stop, args=(None,))
  watchdog.daemon = True
  watchdog.start()
  try:
    yield f'127.0.0.1:{port}'
  finally:
    watchdog.cancel()
    server.stop(grace=None).wait(timeout=10)


def _rest_to_tensors(body, function):
  """TF Serving's REST `predict` body -> input tensors, in the row or columnar format.

  In the row format (`instances`) each named input of every instance gains a
  batch dimension and the instances are stacked; in the columnar format
  (`inputs`) each input is taken as it is. Values take the signature's dtype.
  """
  dtypes = {name: spec.dtype for name, spec in function.structured_input_signature[1].items()}
  if 'instances' in body:
    instances = body['instances']
    columns = {name: [instance[name] for instance in instances] for name in instances[0]}
  else:
    columns = body['inputs']
  return {name: tf.constant(np.array(value), dtype=dtypes[name]) for name, value in columns.items()}


def _make_vae():
  tfvae.keras.utils.set_random_seed(test_util.fixed_seed())
  return test_util.make_vae(_SHAPE, _LATENT)


class ServingExampleTest(test_util.TestCase):
  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.vae = _make_vae()
    cls.export_base = tempfile.mkdtemp()
    cls.path = serving.export_saved_model(cls.vae, cls.export_base)
    cls.client = _load_client()

  @classmethod
  def tearDownClass(cls):
    tf.io.gfile.rmtree(cls.export_base)
    super().tearDownClass()

  def test_client_demo_against_the_prediction_service(self):
    with _serve(self.export_base) as address, grpc.insecure_channel(address) as channel:
      results = self.client.demo(
        self.client.make_stub(channel), _MODEL_NAME, num=3, seed=5, timeout=60
      )
    seed = np.array([5, 0], np.int32)
    samples = results['samples']
    self.assertAllEqual(samples, self.vae.sample(3, seed=seed, mean=False))
    posterior = self.vae.encoder(samples)
    self.assertAllClose(results['loc'], posterior.mean(), rtol=1e-6, atol=1e-6)
    self.assertAllClose(results['scale'], posterior.stddev(), rtol=1e-6, atol=1e-6)
    self.assertAllClose(results['reconstruction'], self.vae.reconstruct(samples), atol=1e-6)
    self.assertAllEqual(results['decoded'], results['reconstruction'])
    self.assertEqual(results['elbo'].shape, (3,))
    self.assertTrue(np.all(results['elbo'] < 0))

  def test_invalid_request_is_invalid_argument_with_the_reason(self):
    with _serve(self.export_base) as address, grpc.insecure_channel(address) as channel:
      stub = self.client.make_stub(channel)
      x = np.full([2, *_SHAPE], 2.0, np.float32)
      with self.assertRaises(grpc.RpcError) as raised:
        self.client.predict(stub, _MODEL_NAME, 'reconstruct', {'x': x}, timeout=60)
      self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
      self.assertIn('`x` must hold values in [0, 1]', raised.exception.details())
      with self.assertRaises(grpc.RpcError) as raised:
        self.client.predict(stub, _MODEL_NAME, 'nope', {'x': x[:1] / 2}, timeout=60)
      self.assertEqual(raised.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

  def test_warmup_requests_replay_through_the_prediction_service(self):
    records = tf.data.TFRecordDataset(os.path.join(self.path, serving.WARMUP_FILE))
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in records]
    self.assertLen(logs, 7)
    with _serve(self.export_base) as address, grpc.insecure_channel(address) as channel:
      stub = self.client.make_stub(channel)
      for log in logs:
        request = log.predict_log.request
        request.model_spec.name = _MODEL_NAME  # The server fills it in for warmup.
        response = stub.Predict(request, timeout=60)
        self.assertNotEmpty(response.outputs)

  def test_client_script_runs_as_a_user_runs_it(self):
    with _serve(self.export_base) as address:
      result = subprocess.run(
        [
          sys.executable,
          os.path.join(_EXAMPLE_DIR, 'client.py'),
          f'--server={address}',
          '--num=2',
          '--seed=1',
        ],
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=''),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
      )
    self.assertIn(f'samples: (2, {", ".join(map(str, _SHAPE))}) float32', result.stdout)
    self.assertIn('elbo (nats): ', result.stdout)

  def test_rest_request_bodies_run_in_both_formats(self):
    signatures = tf.saved_model.load(self.path).signatures
    paths = sorted(glob.glob(os.path.join(_EXAMPLE_DIR, 'requests', '*.json')))
    names = sorted({os.path.basename(path).split('.')[0] for path in paths})
    self.assertEqual(names, sorted(set(signatures) - {'__saved_model_init_op'}))
    for name in names:
      with self.subTest(signature=name):
        outputs = {}
        for form in ('instances', 'inputs'):
          with open(os.path.join(_EXAMPLE_DIR, 'requests', f'{name}.{form}.json')) as f:
            body = json.load(f)
          self.assertEqual(body.get('signature_name', 'serving_default'), name)
          function = signatures[name]
          outputs[form] = function(**_rest_to_tensors(body, function))
        self.assertEqual(sorted(outputs['instances']), sorted(outputs['inputs']))
        for key, value in outputs['inputs'].items():
          self.assertAllEqual(outputs['instances'][key], value)


if __name__ == '__main__':
  test_util.main()
