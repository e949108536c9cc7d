"""``wslab doctor``'s machine lines and its report, where a real failure is easy to make."""

from __future__ import annotations

import importlib.metadata
import os
import socket
import sys
import time

import pytest

from wslab.doctor import machine
from wslab.doctor.report import Report, failed, passed


def test_an_old_python_fails_with_what_is_needed() -> None:
    outcome = machine.python((3, 10, 12))
    assert not outcome.passed
    assert outcome.detail.startswith("Python 3.10.12 at ")
    assert outcome.detail.endswith("the tutorial needs 3.11 or later")
    assert machine.python((3, 11, 0)).passed


def test_the_install_is_what_wslab_declares_with_its_notebooks_extra() -> None:
    names = machine.needed()
    assert {"moto", "boto3", "aiohttp", "websocket-client", "jupyterlab"} <= set(names)
    assert "uvloop" not in names and "pytest" not in names  # platform-only; tests only
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
