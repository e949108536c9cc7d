"""Tie a worker's life to the stack's, then run its runtime client.

A worker never outlives ``wslab local``, even when that is killed with SIGKILL
(:func:`wslab.local.platform.tie_to_parent` says how, per system). A worker in another
language starts as ``python -I -S parent.py <program> <args...>``: this file then loads
only the standard library and ``platform.py`` (by its path: the wslab package is not
importable there) and becomes the program (Node.js), or on systems where the tie does not
survive ``exec``, runs it as its child.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["PARENT_PID_VARIABLE", "die_with_parent"]

PARENT_PID_VARIABLE = "_WSLAB_PARENT_PID"


def _parent_pid() -> int | None:
    """The stack's pid, as it started this worker; removed from what the handler sees."""
    value = os.environ.pop(PARENT_PID_VARIABLE, None)
    return None if value is None else int(value)


def die_with_parent() -> None:
    from wslab.local.platform import tie_to_parent

    tie_to_parent(_parent_pid())


def _platform_by_path() -> Any:
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "platform.py")
    spec = importlib.util.spec_from_file_location("_wslab_platform", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    _platform_by_path().run_tied_to_parent(sys.argv[1:], _parent_pid())
