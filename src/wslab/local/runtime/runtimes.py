"""Which runtime client starts a function's environments, by the function's ``Runtime``.

``python3.x`` functions run on the local Python with AWS's runtime client (awslambdaric)
where it is installed, else with wslab's own (``WSLAB_PYTHON_RUNTIME_CLIENT`` chooses:
:mod:`.python_client.choice`); ``nodejs*.x`` functions the Node.js bootstrap on the
machine's ``node`` (:mod:`.node`).
Any other runtime (``java21``, ``provided.al2023``, ``dotnet8``, ...) and container images
are refused at invoke, never run with another language's runtime client. A Python runtime
newer than the local interpreter runs, with a one-line notice at the top of its log.

The function ``wslab local --debug`` names runs under a debugger (:mod:`.debugging`);
``breakpoint()`` in any other Python function is logged and skipped (``bootstrap.py``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from wslab.local.control import FunctionSpec
from wslab.local.runtime.debugging import (
    DEFAULT_NODE_PORT,
    DebugTarget,
    node_inspector_notice,
    python_debug_environment,
)
from wslab.local.runtime.launch import Launch, RuntimeUnavailable
from wslab.local.runtime.node import launch_node
from wslab.local.runtime.python_client.choice import UnknownPythonClient, python_client

__all__ = ["PYTHON_BOOTSTRAP", "launch_for"]

PYTHON_BOOTSTRAP = (sys.executable, "-m", "wslab.local.runtime.bootstrap")

_PYTHON = re.compile(r"python(\d+)\.(\d+)")
_NODE = re.compile(r"nodejs(\d+)\.x")


def _launch_python(
    spec: FunctionSpec, version: tuple[int, int], task_root: Path, debug: DebugTarget | None
) -> Launch:
    runtime = spec.runtime
    try:
        client = python_client()
    except UnknownPythonClient as unknown:
        raise RuntimeUnavailable(str(unknown)) from None
    local = sys.version_info[:2]
    notices = []
    if version > local:
        notices.append(
            f"wslab local: this {runtime} function runs on the local Python "
            f"{local[0]}.{local[1]}, older than its runtime"
        )
    environment = {
        "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
        "PYTHONPATH": str(task_root),
    }
    if debug is not None:
        debug_environment, debug_notice = python_debug_environment(debug, spec.handler, task_root)
        environment.update(debug_environment)
        notices.append(debug_notice)
    return Launch((*PYTHON_BOOTSTRAP, client), environment, "\n".join(notices))


def _launch_nodejs(
    spec: FunctionSpec, major: int, task_root: Path, debug: DebugTarget | None
) -> Launch:
    if debug is None:
        return launch_node(spec.runtime, major, task_root)
    port = debug.port_for(DEFAULT_NODE_PORT)
    launch = launch_node(spec.runtime, major, task_root, inspector_port=port)
    notice = "\n".join(filter(None, [launch.notice, node_inspector_notice(debug, port, task_root)]))
    return Launch(launch.command, launch.environment, notice)


def launch_for(spec: FunctionSpec, task_root: Path, debug: DebugTarget | None = None) -> Launch:
    """How to start ``spec``'s environments, its code unpacked at ``task_root``; under a
    debugger when ``debug`` names the function."""
    if debug is not None and debug.function != spec.name:
        debug = None
    if spec.package_type != "Zip":
        raise RuntimeUnavailable(
            f"wslab local runs .zip functions only: {spec.name} is a container image "
            f"(PackageType {spec.package_type}). Deploy it to AWS to run it"
        )
    if found := _PYTHON.fullmatch(spec.runtime):
        return _launch_python(spec, (int(found[1]), int(found[2])), task_root, debug)
    if found := _NODE.fullmatch(spec.runtime):
        return _launch_nodejs(spec, int(found[1]), task_root, debug)
    raise RuntimeUnavailable(
        f"wslab local cannot run {spec.runtime or 'this'} functions: it runs python3.x "
        "functions on the local Python and nodejs*.x functions on Node.js. "
        f"Deploy {spec.name} to AWS to run it"
    )
