"""Where the local stack listens by default, in a module that imports nothing heavy:
helpers that only need to find a running stack must not pay for loading moto."""

from __future__ import annotations

__all__ = ["CHAT_PAGE_PATH", "DEFAULT_LAMBDA_CONCURRENCY", "DEFAULT_PORT", "HEALTH_PATH"]

DEFAULT_PORT = 4577
HEALTH_PATH = "/_wslab/health"
CHAT_PAGE_PATH = "/_wslab/chat/"
"""The browser chat page; its fragment says where to connect (``#url=...&room=...&token=...``)."""
DEFAULT_LAMBDA_CONCURRENCY = 10
"""Execution environments per function without reserved concurrency."""
