"""Running a command line from a notebook exactly as the notebook prints it for a terminal.

A notebook that tells its reader "in a terminal: ``wslab chat ...``" runs that very string,
so that what it prints is what the reader will see. The kernel's own ``bin`` folder comes
first on ``PATH`` (as in a terminal with the virtual environment activated), so ``wslab`` is
the one the notebook imports; the command runs in the checkout's root, where ``npx`` finds
the packages of ``package.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from wslab.deploy import project
from wslab.local.platform import kill_group, own_session

__all__ = ["CommandFailed", "run"]


class CommandFailed(RuntimeError):
    """The command exited with a status other than 0; the message holds what it printed."""


def run(command: str, timeout_s: float = 30.0) -> str:
    """What ``command`` printed (its output and errors, interleaved), run by the shell.

    Its input stays open and empty, as a terminal's where nobody types: some programs
    (wscat, for one) quit as soon as their input ends, before doing what they were asked.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    scale = float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))
    process = subprocess.Popen(
        command,
        shell=True,
        cwd=project.checkout_root() or Path.cwd(),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **own_session(),  # a timeout ends the shell and what it started
    )
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None and stdout is not None
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(stdout.read()), daemon=True)
    reader.start()
    try:
        status = process.wait(timeout=timeout_s * scale)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.wait()
        raise
    finally:
        stdin.close()
        reader.join()
        stdout.close()
    printed = "".join(output)
    if status != 0:
        raise CommandFailed(f"{command!r} exited with status {status}:\n{printed}")
    return printed.rstrip("\n")
