"""What starts an execution environment, or why none can start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["UNAVAILABLE_ERROR_TYPE", "Launch", "RuntimeUnavailable"]

UNAVAILABLE_ERROR_TYPE: Final = "Runtime.InvalidEntrypoint"
"""The ``errorType`` of an invocation whose runtime cannot start: Lambda's own when it
cannot start a function's runtime (reported by users as "Couldn't find valid bootstrap(s)"
or "exec format error": https://github.com/iwpnd/fastapi-aws-lambda-example/issues/7)."""


@dataclass(frozen=True)
class Launch:
    """How one environment starts: the command (the handler is appended to it), what the
    language's runtime adds to Lambda's variables, and a notice for the top of its log."""

    command: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    notice: str = ""


class RuntimeUnavailable(Exception):
    """The function's runtime cannot run here; the message names it and what to do."""
