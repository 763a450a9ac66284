# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The data wing: arrays, file sources, splits and binarization, streamed through tf.data.

Imports `tfvae.internal` only; knows no model.
"""

__all__ = []
