"""Where the local stack listens by default, in a module that imports nothing heavy:
helpers that only need to find a running stack must not pay for loading moto."""

from __future__ import annotations

__all__ = ["DEFAULT_LAMBDA_CONCURRENCY", "DEFAULT_PORT", "HEALTH_PATH"]

DEFAULT_PORT = 4577
HEALTH_PATH = "/_wslab/health"
DEFAULT_LAMBDA_CONCURRENCY = 10
"""Execution environments per function without reserved concurrency."""
