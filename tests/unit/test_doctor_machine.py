"""``wslab doctor``'s machine lines and its report, where a real failure is easy to make."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from wslab.doctor import machine
from wslab.doctor.report import Report, failed, noted, passed
from wslab.local.platform import describe_machine
from wslab.local.runtime.node import sdk_modules


def test_an_old_python_fails_with_what_is_needed() -> None:
    outcome = machine.python((3, 10, 12))
    assert not outcome.passed
    assert outcome.detail.startswith("Python 3.10.12 at ")
    assert outcome.detail.endswith("the tutorial needs 3.11 or later")
    assert machine.python((3, 11, 0)).passed


def test_the_install_is_what_wslab_declares_with_its_notebooks_extra() -> None:
    names = machine.needed()
    assert {"moto", "boto3", "aiohttp", "websocket-client", "jupyterlab"} <= set(names)
    assert "pytest" not in names and "mypy" not in names  # the test and dev extras
    assert ("uvloop" in names) == (sys.platform != "win32")


def test_the_install_keeps_the_requirements_whose_markers_hold_here() -> None:
    declared = [
        "boto3>=1.35",
        "here; python_version >= '3'",
        "nowhere; sys_platform == 'no-such-system'",
        'jupyterlab>=4; extra == "notebooks"',
        'pytest>=8; extra == "test"',
    ]
    assert machine.needed(declared) == ["boto3", "here", "jupyterlab"]


def _executable(folder: Path, name: str, prints: str) -> None:
    """A program ``name`` in ``folder`` that prints ``prints`` (POSIX shells)."""
    program = folder / name
    program.write_text(f"#!/bin/sh\necho {prints}\n")
    program.chmod(0o755)


def test_no_node_is_a_note_saying_what_is_left_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    outcome = machine.node()
    assert outcome.passed and outcome.note
    assert outcome.detail == (
        "no Node.js on the PATH: Node.js functions and notebook 04's wscat cell are skipped"
    )
    assert outcome.fix == "install Node.js 18 or later (https://nodejs.org/), then: npm ci"


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in node is a shell script")
def test_an_old_node_is_a_note(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _executable(tmp_path, "node", "v16.20.2")
    monkeypatch.setenv("PATH", str(tmp_path))
    outcome = machine.node()
    assert outcome.note
    assert outcome.detail.startswith("Node.js v16.20.2 is older than 18: ")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_node_without_the_sdk_is_a_note_with_npm_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WSLAB_NODE_MODULES", str(tmp_path))  # no @aws-sdk there
    outcome = machine.node()
    assert outcome.note
    assert "without the AWS SDK for JavaScript v3 (node_modules)" in outcome.detail
    assert outcome.fix == "npm ci in the project's folder" or outcome.fix.startswith("install")


@pytest.mark.skipif(
    shutil.which("node") is None or sdk_modules() is None, reason="needs Node.js and npm ci"
)
def test_node_with_the_sdk_passes() -> None:
    outcome = machine.node()
    assert outcome.passed and not outcome.note
    assert outcome.detail.startswith("Node.js v")
    assert f"AWS SDK for JavaScript in {sdk_modules()}" in outcome.detail


def test_the_machine_line_names_the_system() -> None:
    assert machine.machine().detail.startswith(describe_machine())
    assert describe_machine("darwin").startswith("macOS ")
    assert describe_machine("win32").startswith("Windows ")


def test_a_note_is_printed_as_such_and_is_no_failure() -> None:
    lines: list[str] = []
    report = Report(lines.append)
    report.check("node", lambda: noted("no Node.js", "install it"))
    assert lines[0].startswith("NOTE  node       no Node.js (")
    assert lines[1] == "                fix: install it"
    assert report.summary() == 0
    outcome = machine.install()
    assert outcome.passed, outcome.detail
    assert "websocket-client " in outcome.detail and "jupyterlab " in outcome.detail


def test_the_install_says_which_client_runs_python_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WSLAB_PYTHON_RUNTIME_CLIENT", "wslab")
    outcome = machine.install()
    assert outcome.passed, outcome.detail
    assert outcome.detail.rpartition(", ")[2] == "Python functions on wslab's own runtime client"


def test_the_install_says_awslambdaric_where_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("awslambdaric", reason="awslambdaric has wheels for Linux only")
    monkeypatch.setenv("WSLAB_PYTHON_RUNTIME_CLIENT", "awslambdaric")
    detail = machine.install().detail
    assert detail.rpartition(", ")[2] == (
        f"Python functions on awslambdaric {importlib.metadata.version('awslambdaric')}"
    )


def test_an_unknown_python_client_fails_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSLAB_PYTHON_RUNTIME_CLIENT", "nodejs")
    outcome = machine.install()
    assert not outcome.passed
    assert outcome.detail.startswith("WSLAB_PYTHON_RUNTIME_CLIENT=nodejs names no runtime client")
    assert outcome.fix == "unset WSLAB_PYTHON_RUNTIME_CLIENT"


def test_a_missing_package_fails_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "needed", lambda: ["boto3", "no-such-package"])
    outcome = machine.install()
    assert not outcome.passed
    assert outcome.detail == "no-such-package is not installed"
    assert 'pip install -e ".[notebooks]"' in outcome.fix


def test_a_bad_prefix_fails_the_tutorial_line() -> None:
    outcome = machine.tutorial({"WSLAB_PREFIX": "Alice"})
    assert not outcome.passed
    assert "WSLAB_PREFIX='Alice' is not a usable prefix" in outcome.detail


def test_the_report_says_each_line_and_keeps_to_its_budget() -> None:
    lines: list[str] = []
    report = Report(lines.append, budget_s=0.2)
    report.check("first", lambda: passed("fine"))
    report.check("slow", lambda: time.sleep(0.3) or failed("broken", "mend it"))
    report.check("late", lambda: passed("never run"))
    report.check("broken", lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert lines[0].startswith("PASS  first      fine (")
    assert lines[1].startswith("FAIL  slow       broken (")
    assert lines[2] == "                fix: mend it"
    assert lines[3] == "FAIL  late       not run: the 0 s budget is spent"
    assert lines[4] == "FAIL  broken     not run: the 0 s budget is spent"
    assert report.summary() == 1
    assert lines[-1].startswith("3 of 4 checks failed (")


def test_a_check_that_breaks_is_one_failing_line() -> None:
    lines: list[str] = []
    report = Report(lines.append)
    report.check("broken", lambda: {}["missing"])  # type: ignore[return-value]
    assert lines[0].startswith("FAIL  broken     the check itself failed: KeyError: 'missing' (")
    assert report.summary() == 1


@pytest.mark.skipif(sys.platform != "linux", reason="the holder is found in /proc on Linux")
def test_a_taken_port_names_its_holder_and_how_to_end_it() -> None:
    """The port's line names the process that listens there (this one) and its command."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = taken.getsockname()[1]
        outcome = machine.port(number)
    assert not outcome.passed
    assert outcome.detail.startswith(f"{number} is taken by pid {os.getpid()} (")
    assert outcome.fix.startswith(f"kill {os.getpid()}; or use another port")
