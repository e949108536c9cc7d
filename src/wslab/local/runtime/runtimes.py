"""Which runtime client starts a function's environments, by the function's ``Runtime``.

``python3.x`` functions run on the local Python with AWS's runtime client (awslambdaric)
where it is installed, else with wslab's own (``WSLAB_PYTHON_RUNTIME_CLIENT`` chooses:
:mod:`.python_client.choice`); ``nodejs*.x`` functions the Node.js bootstrap on the
machine's ``node`` (:mod:`.node`).
Any other runtime (``java21``, ``provided.al2023``, ``dotnet8``, ...) and container images
are refused at invoke, never run with another language's runtime client. A Python runtime
newer than the local interpreter runs, with a one-line notice at the top of its log.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from wslab.local.control import FunctionSpec
from wslab.local.runtime.launch import Launch, RuntimeUnavailable
from wslab.local.runtime.node import launch_node
from wslab.local.runtime.python_client.choice import UnknownPythonClient, python_client

__all__ = ["PYTHON_BOOTSTRAP", "launch_for"]

PYTHON_BOOTSTRAP = (sys.executable, "-m", "wslab.local.runtime.bootstrap")

_PYTHON = re.compile(r"python(\d+)\.(\d+)")
_NODE = re.compile(r"nodejs(\d+)\.x")


def _launch_python(runtime: str, version: tuple[int, int], task_root: Path) -> Launch:
    try:
        client = python_client()
    except UnknownPythonClient as unknown:
        raise RuntimeUnavailable(str(unknown)) from None
    local = sys.version_info[:2]
    notice = ""
    if version > local:
        notice = (
            f"wslab local: this {runtime} function runs on the local Python "
            f"{local[0]}.{local[1]}, older than its runtime"
        )
    environment = {
        "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
        "PYTHONPATH": str(task_root),
    }
    return Launch((*PYTHON_BOOTSTRAP, client), environment, notice)


def launch_for(spec: FunctionSpec, task_root: Path) -> Launch:
    """How to start ``spec``'s environments, its code unpacked at ``task_root``."""
    if spec.package_type != "Zip":
        raise RuntimeUnavailable(
            f"wslab local runs .zip functions only: {spec.name} is a container image "
            f"(PackageType {spec.package_type}). Deploy it to AWS to run it"
        )
    if found := _PYTHON.fullmatch(spec.runtime):
        return _launch_python(spec.runtime, (int(found[1]), int(found[2])), task_root)
    if found := _NODE.fullmatch(spec.runtime):
        return launch_node(spec.runtime, int(found[1]), task_root)
    raise RuntimeUnavailable(
        f"wslab local cannot run {spec.runtime or 'this'} functions: it runs python3.x "
        "functions on the local Python and nodejs*.x functions on Node.js. "
        f"Deploy {spec.name} to AWS to run it"
    )
