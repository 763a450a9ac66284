# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Private helpers of tfvae; nothing here is public API."""

__all__ = []
