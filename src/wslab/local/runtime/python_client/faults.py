"""Lambda's error JSON, and the runtime's own errors (``Runtime.*``) that go into it."""

from __future__ import annotations

import os
import traceback
from types import TracebackType
from typing import Any, Final

__all__ = ["Fault", "error_result", "fault_result", "handler_frames", "xray_cause"]

# Frames of this package: the filenames its code objects carry.
_CLIENT_DIR: Final = os.path.join(os.path.dirname(__file__), "")


class Fault(Exception):
    """An error of the runtime, not of the handler: awslambdaric's ``Runtime.*`` types."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


_Frame = tuple[str, int, str, str | None]


def handler_frames(tb: TracebackType | None) -> list[_Frame]:
    """The traceback from the first frame outside this client (awslambdaric drops its own
    frames the same way), or all of it if every frame is the client's. Plain tuples, as
    awslambdaric formats them: no column markers under the lines."""
    frames = [(f.filename, f.lineno or 0, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, (filename, *_) in enumerate(frames):
        if not filename.startswith(_CLIENT_DIR):
            return frames[index:]
    return frames


def error_result(
    message: str, error_type: str, stack_trace: list[str] | None, request_id: str | None = None
) -> dict[str, Any]:
    """The JSON Lambda returns for a failed invocation, keys in awslambdaric's order."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def fault_result(error: BaseException, request_id: str | None = None) -> dict[str, Any]:
    """``error_result`` of a Fault, or of any exception with its handler's traceback."""
    if isinstance(error, Fault):
        return error_result(error.message, error.error_type, error.trace, request_id)
    frames = handler_frames(error.__traceback__)
    return error_result(str(error), type(error).__name__, traceback.format_list(frames), request_id)


def xray_cause(error: BaseException, working_dir: str) -> dict[str, Any]:
    """The X-Ray view of an error, sent alongside it (awslambdaric's ``make_xray_fault``)."""
    if isinstance(error, Fault):
        return {
            "working_directory": working_dir,
            "exceptions": [
                {"message": error.message, "type": "LambdaValidationError", "stack": []}
            ],
            "paths": [],
        }
    frames = handler_frames(error.__traceback__)
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": working_dir,
        "exceptions": [{"message": str(error), "type": type(error).__name__, "stack": stack}],
        "paths": list({path for path, *_ in frames}),
    }
