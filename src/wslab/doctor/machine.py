"""This machine: Python, the installed packages, the tutorial's files, a free port."""

from __future__ import annotations

import errno
import functools
import importlib
import importlib.metadata
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping

from packaging.requirements import Requirement

from wslab.doctor.report import Outcome, failed, noted, passed
from wslab.local.platform import (
    bind_as_a_server,
    describe_machine,
    port_holder,
    set_variable_command,
)
from wslab.local.process import health
from wslab.local.runtime.python_client.choice import (
    AWSLAMBDARIC,
    CLIENT_VARIABLE,
    UnknownPythonClient,
    python_client,
)

__all__ = ["install", "machine", "node", "port", "python", "tutorial"]

MINIMUM_PYTHON = (3, 11)
# Double quotes: the one quoting that bash, zsh, PowerShell and cmd.exe all read alike.
_INSTALL = 'pip install -e ".[notebooks]" from the project\'s folder (or: make)'


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed(requirements: Iterable[str] | None = None) -> list[str]:
    """What wslab requires on this machine, with its notebooks extra (JupyterLab):
    distribution names, as installed wslab declares them (``requirements``), each kept when
    its environment marker holds here (awslambdaric on Linux, uvloop outside Windows)."""
    declared = importlib.metadata.requires("wslab") if requirements is None else requirements
    names = []
    for line in declared or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": "notebooks"}):
            names.append(requirement.name)
    return names


@functools.cache
def _modules_by_distribution() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for module, owners in importlib.metadata.packages_distributions().items():
        for owner in owners:
            found.setdefault(_normal(owner), []).append(module)
    return found


def _module_of(distribution: str) -> str | None:
    """A module ``distribution`` installs (the one named like it, if any)."""
    provided = sorted(_modules_by_distribution().get(_normal(distribution), []))
    named = distribution.replace("-", "_").lower()
    return named if named in provided else (provided[0] if provided else None)


def python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Outcome:
    shown = ".".join(map(str, version))
    wanted = ".".join(map(str, MINIMUM_PYTHON))
    if tuple(version[:2]) < MINIMUM_PYTHON:
        return failed(
            f"Python {shown} at {sys.executable}; the tutorial needs {wanted} or later",
            f"install Python {wanted}+ and make the virtual environment with it",
        )
    return passed(f"Python {shown} ({wanted} or later needed)")


def install() -> Outcome:
    """Every package wslab and the notebooks need imports (importing is also what takes time)."""
    versions = [f"wslab {importlib.metadata.version('wslab')}"]
    for distribution in needed():
        module = _module_of(distribution)
        if module is None:
            return failed(f"{distribution} is not installed", _INSTALL)
        try:
            importlib.import_module(module)
        except ImportError as error:
            return failed(f"{distribution} does not import ({error})", _INSTALL)
        versions.append(f"{distribution} {importlib.metadata.version(distribution)}")
    try:
        versions.append(f"Python functions on {_python_runtime_client()}")
    except UnknownPythonClient as unknown:
        return failed(str(unknown), f"unset {CLIENT_VARIABLE}")
    return passed(", ".join(versions))


def _python_runtime_client() -> str:
    """Which runtime client runs the local stack's Python functions."""
    if python_client() == AWSLAMBDARIC:
        return f"awslambdaric {importlib.metadata.version('awslambdaric')}"
    return "wslab's own runtime client"


def machine() -> Outcome:
    """The operating system, the processor and the Python that runs the tutorial."""
    return passed(f"{describe_machine()}, {sys.implementation.name} {sys.version.split()[0]}")


def node() -> Outcome:
    """Node.js, npm and the AWS SDK for JavaScript v3: optional, so a NOTE (not a failure)
    says what is left out without them."""
    from wslab.local.runtime.node import OLDEST_NODE, installed_version, sdk_modules

    install = f"install Node.js {OLDEST_NODE} or later (https://nodejs.org/), then: npm ci"
    without = "Node.js functions and notebook 04's wscat cell are skipped"
    found = shutil.which("node")
    if found is None:
        return noted(f"no Node.js on the PATH: {without}", install)
    version = installed_version(found)
    if int(version.lstrip("v").split(".")[0] or 0) < OLDEST_NODE:
        return noted(f"Node.js {version} is older than {OLDEST_NODE}: {without}", install)
    sdk = sdk_modules()
    if sdk is None:
        fix = "npm ci in the project's folder" if shutil.which("npm") else install
        return noted(
            f"Node.js {version}, without the AWS SDK for JavaScript v3 (node_modules): "
            "Node.js functions that import @aws-sdk fail, and wscat is missing",
            fix,
        )
    return passed(f"Node.js {version}, npm {_npm_version()}, AWS SDK for JavaScript in {sdk}")


def _npm_version() -> str:
    npm = shutil.which("npm")
    if npm is None:
        return "not found (only needed to install node_modules)"
    answer = subprocess.run([npm, "--version"], capture_output=True, text=True, timeout=30)
    return answer.stdout.strip() or "of unknown version"


def tutorial(environ: Mapping[str, str] | None = None) -> Outcome:
    """The notebooks are here, and the names and target settings are usable."""
    from wslab.deploy import project
    from wslab.notebook.names import (
        TutorialError,
        permissions_boundary_from_environment,
        prefix_from_environment,
    )
    from wslab.notebook.target import target_kind

    try:
        notebooks_dir = project.notebooks()
    except project.ProjectFileMissing as missing:
        return failed(str(missing), "git clone the project, then make")
    notebooks = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    try:
        prefix = prefix_from_environment(environ)
    except TutorialError as error:
        setting = set_variable_command("WSLAB_PREFIX", "wslab-<your name>")
        return failed(str(error), f"{setting}, or unset it")
    try:
        kind = target_kind(environ)
        permissions_boundary_from_environment(environ)
    except TutorialError as error:
        return failed(str(error))
    return passed(
        f"{len(notebooks)} notebooks in {notebooks_dir}; names start with {prefix}-; "
        f"target: {'AWS' if kind == 'aws' else 'the local AWS'}"
    )


def port(number: int) -> Outcome:
    """The port the notebooks use: free, or held by a wslab local that answers."""
    running = health(number)
    if running is not None:
        return passed(
            f"{number}: wslab local {running['version']} answers there (pid {running['pid']}); "
            "the notebooks will use it"
        )
    probe = socket.socket()
    try:
        bind_as_a_server(probe, ("127.0.0.1", number))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            return failed(f"cannot listen on 127.0.0.1:{number}: {error}")
        holder = port_holder(number)
        stop = holder.remedy() if holder else "stop the program that holds it"
        return failed(
            f"{number} is taken{f' by {holder}' if holder else ''}, and no wslab local "
            "answers there",
            f"{stop}; or use another port: wslab local --port {number + 1}, and "
            f"{set_variable_command('WSLAB_ENDPOINT_URL', f'http://127.0.0.1:{number + 1}')} "
            "for the notebooks",
        )
    finally:
        probe.close()
    return passed(f"{number} is free: the notebooks will start the local AWS there")
