"""Tie a worker's life to the stack's, then run its runtime client.

Asking the kernel to kill this process when its parent dies means a worker never outlives
``wslab local``, even when that is killed with SIGKILL. Done here, after ``exec``, because
doing it between ``fork`` and ``exec`` is unsafe in a process that has threads. The request
survives a further ``exec``, so a worker in another language starts as
``python -I -S parent.py <program> <args...>``: this file then imports only the standard
library and replaces itself with the program (Node.js).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

__all__ = ["PARENT_PID_VARIABLE", "die_with_parent"]

_PR_SET_PDEATHSIG = 1
PARENT_PID_VARIABLE = "_WSLAB_PARENT_PID"


def die_with_parent() -> None:
    parent = os.environ.pop(PARENT_PID_VARIABLE, None)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != int(parent):
        os._exit(1)  # the parent died before the request above took effect


if __name__ == "__main__":
    die_with_parent()
    os.execv(sys.argv[1], sys.argv[1:])
