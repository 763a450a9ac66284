# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The analysis wing: evaluation, anomaly scores, normalization diagnostics, figures, TensorBoard.

Imports the model and data wings and `tfvae.internal`; never serving or jobs.
"""

__all__ = []
