# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The serving wing: SavedModel signatures, warmup requests, published versions.

Imports the model and analysis wings and `tfvae.internal`; never jobs.
"""

__all__ = []
