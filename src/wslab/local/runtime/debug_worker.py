"""Inside a Python environment: ``breakpoint()``, with a debugger or without one.

Without one, ``sys.breakpointhook`` is :func:`breakpoint_ignored`: pdb would read the
worker's empty standard input and end the invocation with ``BdbQuit``; instead the log
says how to stop there, and the handler goes on. Under ``wslab local --debug``,
:func:`wait_for_debugger` runs before the runtime client: debugpy listens, the invocation
waits for a client to attach, and ``breakpoint()`` is debugpy's (it installs its hook).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from wslab.local.runtime.debugging import ATTACHED_NOTICE

__all__ = ["breakpoint_ignored", "wait_for_debugger"]


def _function() -> str:
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "FUNCTION")


def breakpoint_ignored(*args: Any, **kwargs: Any) -> None:
    """``sys.breakpointhook`` of an environment no debugger can attach to; a function's own
    ``PYTHONBREAKPOINT`` (``0`` to skip them silently) is honoured, as Python does."""
    if os.environ.get("PYTHONBREAKPOINT"):
        sys.__breakpointhook__(*args, **kwargs)
        return
    caller = sys._getframe(1)  # the handler's frame: breakpoint() itself is built in
    where = f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno}"
    print(
        f"breakpoint() at {where} ignored: no debugger attached; run "
        f"`wslab local --debug {_function()}` to stop there",
        file=sys.stderr,
        flush=True,
    )


def wait_for_debugger(address: str) -> None:
    """Listen at ``address`` (host:port; port 0 picks one) and return once a client has
    attached and finished its configuration (its breakpoints are set)."""
    import debugpy

    host, _, port = address.rpartition(":")
    # The adapter in this process: no second process to stop with the environment.
    _, bound = debugpy.listen((host, int(port)), in_process_debug_adapter=True)
    print(
        f"wslab local: {_function()} waits for a debugger: debugpy listens on {host}:{bound}",
        flush=True,
    )
    debugpy.wait_for_client()
    print(f"wslab local: debugger attached to {_function()}: {ATTACHED_NOTICE}", flush=True)
