"""The function's log as awslambdaric writes it in Lambda's text format.

The root logger gets a handler writing ``[LEVEL]\\t<UTC time>\\t<request id>\\t<message>``
to stdout; stdout and stderr are unbuffered so every line reaches the log at once; a failed
invocation writes one ``[ERROR]`` record whose lines are joined by carriage returns, which
CloudWatch keeps as one event
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable
from typing import IO, Any, Final

__all__ = ["Unbuffered", "current_request", "install", "log_error", "unhandled_warning"]

_LINE_SEPARATOR: Final = "\r"
_INDENT: Final = "\u00a0"  # a no-break space, which CloudWatch does not strip
_FORMAT: Final = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"

unhandled_warning: Final = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error "
    "correlates with a change in the runtime version, you may be able to mitigate this error "
    "by temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


class _Request:
    """The invocation being handled: its id goes on every log record."""

    id: str | None = None
    tenant_id: str | None = None


current_request = _Request()


class Unbuffered:
    """A stream that flushes after every write."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        self.stream.writelines(lines)
        self.stream.flush()


class StdoutSink:
    """Where records go: stdout, which the execution environment's log reads."""

    def log(self, message: str) -> None:
        sys.stdout.write(message)

    def log_error(self, lines: list[str]) -> None:
        sys.stdout.write(_LINE_SEPARATOR.join(lines) + "\n")


class _SinkHandler(logging.Handler):
    def __init__(self, sink: StdoutSink) -> None:
        super().__init__()
        self.log_sink = sink  # LambdaContext.log writes here too

    def emit(self, record: logging.LogRecord) -> None:
        self.log_sink.log(self.format(record))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = current_request.id or ""
        record.tenant_id = current_request.tenant_id
        return True


def _level_from_environment() -> str:
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    return {None: "", "TRACE": "DEBUG"}.get(level, level or "").upper()


def install() -> StdoutSink:
    """Unbuffered stdout and stderr, and the root logger's handler."""
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    sink = StdoutSink()
    logging.Formatter.converter = time.gmtime
    handler = _SinkHandler(sink)
    handler.setFormatter(logging.Formatter(_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = _level_from_environment()
    if level in logging.getLevelNamesMapping():
        root.setLevel(level)
    root.addHandler(handler)
    return sink


def _indented(line: str) -> str:
    """Leading spaces as no-break spaces."""
    stripped = line.lstrip(" ")
    return _INDENT * (len(line) - len(stripped)) + stripped


def log_error(error: dict[str, Any], sink: StdoutSink) -> None:
    """The ``[ERROR]`` record of a failed Init or invocation."""
    error_type, message = error.get("errorType"), error.get("errorMessage")
    description = "[ERROR]"
    if error_type:
        description += f" {error_type}"
    if message:
        description += (":" if error_type else "") + f" {message}"
    lines = [description]
    stack_trace = error.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            lines += [_indented(line) for line in element.splitlines()] if element else [""]
    sink.log_error(lines)
