"""The function's log as awslambdaric writes it, in Lambda's text or JSON format.

The root logger gets a handler writing ``[LEVEL]\\t<UTC time>\\t<request id>\\t<message>``
to stdout, or one JSON object a record when ``AWS_LAMBDA_LOG_FORMAT`` is ``JSON``; stdout
and stderr are unbuffered so every line reaches the log at once; a failed invocation
writes one ``[ERROR]`` record whose lines are joined by carriage returns, which CloudWatch
keeps as one event (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import IO, Any, Final

from wslab.local.runtime.python_client.marshal import encode

__all__ = ["Unbuffered", "current_request", "install", "log_error", "unhandled_warning"]

_LINE_SEPARATOR: Final = "\r"
_INDENT: Final = "\u00a0"  # a no-break space, which CloudWatch does not strip
_FORMAT: Final = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
_JSON_TIME: Final = "%Y-%m-%dT%H:%M:%SZ"
# A record's attributes that are not extra fields of a JSON log line (awslambdaric's list:
# any other attribute, ``taskName`` of Python 3.12 included, is written when not None).
_RECORD_FIELDS: Final = frozenset(
    (
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process",
        "aws_request_id", "tenant_id", "_frame_type",
    )
)  # fmt: skip
# Values JSON cannot hold are written as their str(), rather than losing the record.
_encode_json = json.JSONEncoder(ensure_ascii=False, default=str).encode

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


def _json_logs() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def _normal_level(record: logging.LogRecord) -> int:
    return min(50, max(0, record.levelno)) // 10 * 10


class _JsonFormatter(logging.Formatter):
    """One JSON object a record: awslambdaric's fields, then the record's extra ones."""

    def __init__(self) -> None:
        super().__init__(datefmt=_JSON_TIME)

    def format(self, record: logging.LogRecord) -> str:
        record.levelno = _normal_level(record)
        record.levelname = logging.getLevelName(record.levelno)
        error = record.exc_info
        message = record.msg if isinstance(record.msg, dict) and not record.args else None
        line: dict[str, Any] = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": message if message is not None else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(error[2]) if error else None,
            "errorType": error[0].__name__ if error and error[0] else None,
            "errorMessage": str(error[1]) if error else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if error else None,
        }
        tenant_id = getattr(record, "tenant_id", None)
        if tenant_id is not None:
            line["tenantId"] = tenant_id
        line.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _RECORD_FIELDS and key not in line
        )
        return _encode_json({k: v for k, v in line.items() if v is not None}) + "\n"


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
    if _json_logs():
        handler.setFormatter(_JsonFormatter())
    else:
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
    if _json_logs():
        now = time.strftime(_JSON_TIME, time.gmtime())
        sink.log_error([encode({"timestamp": now, "level": "ERROR", **error})])
        return
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
