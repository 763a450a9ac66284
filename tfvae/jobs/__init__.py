# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""The job wing: the main job's options, its run directory, training, and evaluate/score/export.

Composes every other wing; nothing but the command lines and `tfvae/__init__.py` imports it.
"""

__all__ = []
