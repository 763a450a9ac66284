# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The model wing: q(z|x), p(x|z), p(z), the objective and the `VAE` that fits them.

Imports `tfvae.internal` only; knows no data source, analysis, serving or job.
"""

__all__ = []
