# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""A gRPC client of a tfvae model served by TensorFlow Serving.

  python examples/serving/client.py --server=localhost:8500 --model_name=tfvae

Draws images from the prior (`sample`), then sends them back to be encoded,
decoded, reconstructed and scored (`encode`, `decode`, `reconstruct`,
`elbo`), all through TF Serving's `PredictionService`. Needs TensorFlow and
tensorflow-serving-api (`pip install tfvae[serving]`), not tfvae.
"""

import sys

import grpc
import numpy as np
import tensorflow as tf
from absl import app
from absl import flags
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

__all__ = ['demo', 'main', 'make_stub', 'predict']


def make_stub(channel: grpc.Channel) -> prediction_service_pb2_grpc.PredictionServiceStub:
  """The `PredictionService` stub on a channel, e.g. `grpc.insecure_channel('localhost:8500')`."""
  return prediction_service_pb2_grpc.PredictionServiceStub(channel)


def predict(
  stub: prediction_service_pb2_grpc.PredictionServiceStub,
  model_name: str,
  signature_name: str,
  inputs: dict,
  timeout: float = 10.0,
  version: int | None = None,
) -> dict:
  """Runs one signature of a served model.

  Args:
    stub: a `PredictionServiceStub`.
    model_name: the model's name in the server (`--model_name`, or `name` in
      `models.config`).
    signature_name: `'reconstruct'`, `'encode'`, `'decode'`, `'sample'`,
      `'elbo'`, `'log_likelihood'` or `'serving_default'`.
    inputs: input name -> NumPy array of the signature's dtype (float32 images
      and latents, int32 counts and seeds).
    timeout: seconds to wait for the answer.
      Default value: `10.0`.
    version: a version number.
      Default value: `None`: the server's choice (by default the latest).

  Returns:
    Output name -> NumPy array.

  Raises:
    grpc.RpcError: if the server refuses the request, e.g. `INVALID_ARGUMENT`
      with a message naming the bad input.
  """
  request = predict_pb2.PredictRequest()
  request.model_spec.name = model_name
  request.model_spec.signature_name = signature_name
  if version is not None:
    request.model_spec.version.value = version
  for name, value in inputs.items():
    request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
  response = stub.Predict(request, timeout=timeout)
  return {name: tf.make_ndarray(tensor) for name, tensor in response.outputs.items()}


def demo(
  stub: prediction_service_pb2_grpc.PredictionServiceStub,
  model_name: str = 'tfvae',
  num: int = 4,
  seed: int = 0,
  timeout: float = 10.0,
) -> dict:
  """Samples `num` binary images, then encodes, decodes, reconstructs and scores them.

  Args:
    stub: a `PredictionServiceStub`.
    model_name: the model's name in the server.
      Default value: `'tfvae'`.
    num: images to draw.
      Default value: `4`.
    seed: seed of the draws; the same seed gives the same answers.
      Default value: `0`.
    timeout: seconds to wait for each answer.
      Default value: `10.0`.

  Returns:
    `dict` of NumPy arrays: `samples` (`[num, *event_shape]` binary images),
    `loc` and `scale` (their posterior), `decoded` (the likelihood's mean at
    `loc`), `reconstruction` (the `reconstruct` signature, equal to
    `decoded`) and `elbo` (`[num]`, nats).
  """
  seed = np.array([seed, 0], np.int32)

  def call(signature_name, **inputs):
    return predict(stub, model_name, signature_name, inputs, timeout=timeout)

  samples = call('sample', num=np.int32(num), seed=seed)['samples']
  posterior = call('encode', x=samples)
  return {
    'samples': samples,
    'loc': posterior['loc'],
    'scale': posterior['scale'],
    'decoded': call('decode', z=posterior['loc'])['probs'],
    'reconstruction': call('reconstruct', x=samples)['probs'],
    'elbo': call('elbo', x=samples, seed=seed)['elbo'],
  }


def main(argv):
  del argv  # Unused.
  options = flags.FLAGS
  with grpc.insecure_channel(options.server) as channel:
    try:
      results = demo(make_stub(channel), options.model_name, options.num, options.seed)
    except grpc.RpcError as error:
      sys.exit(f'{options.server}: {error.code().name}: {error.details()}')
  samples, reconstruction = results['samples'], results['reconstruction']
  print(f'samples: {samples.shape} {samples.dtype}')
  print(f'posterior loc: {results["loc"].shape}, mean scale {results["scale"].mean():.4f}')
  print(f'reconstruction error (mean |x - x_hat|): {np.abs(samples - reconstruction).mean():.4f}')
  print('elbo (nats): ' + ' '.join(f'{value:.2f}' for value in results['elbo']))


def _define_flags():
  # Defined when the script starts, not on import, so tests can import it.
  flags.DEFINE_string(
    'model_name', default='tfvae', help='The model name the server serves it under.'
  )
  flags.DEFINE_integer('num', default=4, help='Images to draw from the prior.')
  flags.DEFINE_integer('seed', default=0, help='Seed of the draws.')
  flags.DEFINE_string(
    'server', default='localhost:8500', help="host:port of TF Serving's gRPC endpoint."
  )


if __name__ == '__main__':
  _define_flags()
  app.run(main)
