"""One function under a debugger: ``wslab local --debug FUNCTION`` (or ``WSLAB_DEBUG``).

Its environments run under a debugger listening on 127.0.0.1: debugpy for Python (VS Code's
"Python Debugger: Attach"), Node.js's inspector (``node --inspect``) for Node.js. One
environment at a time (concurrency 1), so every invocation reaches the one debugger. A
handler paused at a breakpoint must not be cut short, so while debugging neither the
function's Timeout nor the integration timeout fires locally; on AWS they would.

The code runs from a copy (``wslab-local-<pid>/code/<hash>``), which an editor never opens:
debugpy maps the copy's paths to the source folder the editor has (``PATHS_FROM_ECLIPSE_TO_
PYTHON``, debugpy's own variable), found among ``source_roots`` as the folder holding the
handler's module with the same bytes. A client that sends its own ``pathMappings`` replaces
that mapping: VS Code's configuration maps ``remoteRoot: "."``, the environment's working
directory, which is the copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "ATTACHED_NOTICE",
    "DEBUGPY_ADDRESS_VARIABLE",
    "DEBUG_TIMEOUT_S",
    "DEBUG_VARIABLE",
    "DEFAULT_NODE_PORT",
    "DEFAULT_PYTHON_PORT",
    "BadDebugTarget",
    "DebugTarget",
    "handler_source",
    "node_inspector_notice",
    "python_debug_environment",
]

DEBUG_VARIABLE: Final = "WSLAB_DEBUG"
"""``FUNCTION[:PORT]`` in the environment of ``wslab local``: as ``--debug FUNCTION``."""

DEBUGPY_ADDRESS_VARIABLE: Final = "_WSLAB_DEBUGPY"
"""Set for a Python environment under the debugger: where debugpy listens (host:port)."""

DEFAULT_PYTHON_PORT: Final = 5678  # debugpy's documented default, VS Code's attach default
DEFAULT_NODE_PORT: Final = 9229  # Node.js's inspector default

DEBUG_TIMEOUT_S: Final = 24 * 3600.0
"""The Timeout an invocation of the debugged function gets: a day, so a handler paused at
a breakpoint is never timed out (and ``get_remaining_time_in_millis`` stays positive)."""

_LIMITS_PAGE = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"

ATTACHED_NOTICE: Final = (
    "while a debugger holds this handler, wslab local suspends the function's Timeout and "
    "API Gateway's integration timeout; on AWS, API Gateway stops waiting after 29 s and "
    f"the client gets 'Endpoint request timed out' ({_LIMITS_PAGE}), and Lambda ends the "
    "invocation at the function's Timeout"
)


class BadDebugTarget(ValueError):
    """``--debug`` or ``WSLAB_DEBUG`` is not ``FUNCTION[:PORT]``; the message says why."""


@dataclass(frozen=True)
class DebugTarget:
    """The function to debug, the port its debugger listens on (None: the language's
    default) and the folders where the editor's copy of its code may be."""

    function: str
    port: int | None = None
    source_roots: tuple[Path, ...] = ()

    @classmethod
    def parse(cls, value: str, source_roots: tuple[Path, ...] = ()) -> DebugTarget:
        """``FUNCTION`` or ``FUNCTION:PORT`` (a function's name, or its ARN, whose last
        part is the name; PORT 0 picks a free one)."""
        text = value.strip()
        name, port = text, None
        head, sep, tail = text.rpartition(":")
        if sep and tail.isdigit():
            name, port = head, int(tail)
            if not 0 <= port <= 65535:
                raise BadDebugTarget(f"the port in {value!r} must be 0 to 65535")
        name = name.rsplit(":function:", 1)[-1]
        if not name or ":" in name or "/" in name:
            raise BadDebugTarget(f"{value!r} is not FUNCTION or FUNCTION:PORT")
        return cls(name, port, source_roots)

    def port_for(self, default: int) -> int:
        return default if self.port is None else self.port


def _module_files(handler: str) -> list[Path]:
    """Where a Python handler's module is, relative to the code's root:
    ``chat.handlers.connect`` -> ``chat/handlers.py`` (or ``chat/handlers/__init__.py``)."""
    module = handler.rpartition(".")[0]
    if not module:
        return []
    base = Path(*module.split("."))
    return [base.with_suffix(".py"), base / "__init__.py"]


def handler_source(handler: str, task_root: Path, source_roots: tuple[Path, ...]) -> Path | None:
    """The folder among ``source_roots`` holding the handler's module with the same bytes
    as the copy at ``task_root``: the folder the function was deployed from."""
    for relative in _module_files(handler):
        deployed = task_root / relative
        if not deployed.is_file():
            continue
        code = deployed.read_bytes()
        for root in source_roots:
            candidate = root / relative
            if candidate.is_file() and candidate.read_bytes() == code:
                return root.resolve()
    return None


def python_debug_environment(
    target: DebugTarget, handler: str, task_root: Path
) -> tuple[dict[str, str], str]:
    """What a Python environment of the debugged function adds to its variables, and the
    notice at the top of its log."""
    address = f"127.0.0.1:{target.port_for(DEFAULT_PYTHON_PORT)}"
    environment = {
        DEBUGPY_ADDRESS_VARIABLE: address,
        # Python 3.11's frozen standard modules make debugpy warn at start: its breakpoints
        # are in the handler's code, which is never frozen.
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    source = handler_source(handler, task_root, target.source_roots)
    if source is not None and source != task_root.resolve():
        environment["PATHS_FROM_ECLIPSE_TO_PYTHON"] = json.dumps([[str(source), str(task_root)]])
        where = f"breakpoints set in {source} bind to this copy"
    elif source is not None:
        where = "the editor's files are the code itself"
    else:
        where = (
            "no source folder holds this handler's module as deployed (give "
            "--debug-source DIR): set breakpoints in the copy, or map remoteRoot '.' to "
            "your folder"
        )
    notice = (
        f"wslab local: debugging {target.function}: the invocation waits for a debugger "
        f"(debugpy) to attach on {address}; the code runs from {task_root}: {where}"
    )
    return environment, notice


def node_inspector_notice(target: DebugTarget, port: int, task_root: Path) -> str:
    return (
        f"wslab local: debugging {target.function}: Node.js's inspector listens on "
        f"127.0.0.1:{port}; the code runs from {task_root} (the remoteRoot to map to your "
        f"folder); {ATTACHED_NOTICE}"
    )
