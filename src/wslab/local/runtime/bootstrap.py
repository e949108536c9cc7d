"""First code of an execution environment: tie its life to the stack's, then run awslambdaric.

Asking the kernel to kill this process when its parent dies means a worker never outlives
``wslab local``, even when that is killed with SIGKILL. Done here, after ``exec``, because
doing it between ``fork`` and ``exec`` is unsafe in a process that has threads.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
PARENT_PID_VARIABLE = "_WSLAB_PARENT_PID"


def _die_with_parent() -> None:
    parent = os.environ.pop(PARENT_PID_VARIABLE, None)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != int(parent):
        os._exit(1)  # the parent died before the request above took effect


def main() -> None:
    _die_with_parent()
    from awslambdaric.__main__ import main as run_runtime_interface_client

    run_runtime_interface_client(sys.argv)


if __name__ == "__main__":
    main()
