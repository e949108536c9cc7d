"""``wslab doctor`` on this machine, as an attendee runs it before class: with the local AWS
running, with none (stopped), with it frozen, and with the port taken by something else."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import OutputLines, scaled
from wslab import __version__
from wslab.local.process import LocalAWSProcess, health

BUDGET_S = 60.0


def _doctor(port: int) -> tuple[int, list[str], float]:
    """Exit status, lines and wall time of ``wslab doctor --port PORT``."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "doctor", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=scaled(120),
        env={key: value for key, value in os.environ.items() if key != "WSLAB_TARGET"},
    )
    took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.splitlines(), took


def _verdicts(lines: list[str]) -> dict[str, str]:
    """check name -> PASS, NOTE or FAIL."""
    found = (re.match(r"(PASS|NOTE|FAIL)  (\S+(?: AWS)?)", line) for line in lines)
    return {match[2]: match[1] for match in found if match}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _started_for_the_check(lines: list[str]) -> int:
    """The port of the stack the doctor started, which it must have stopped."""
    [line] = [line for line in lines if line.startswith("PASS  local AWS")]
    return int(re.search(r"started at http://127\.0\.0\.1:(\d+)", line)[1])  # type: ignore[index]


CHECKS = ["machine", "python", "install", "tutorial", "node", "port", "local AWS", "WebSocket"]


def test_a_healthy_machine_with_the_local_aws_running(local_stack: LocalAWSProcess) -> None:
    port = int(local_stack.endpoint_url.rsplit(":", 1)[1])
    status, lines, took = _doctor(port)
    assert status == 0, "\n".join(lines)
    assert _verdicts(lines) == dict.fromkeys(CHECKS, "PASS")
    assert f"PASS  port       {port}: wslab local {__version__} answers there" in "\n".join(lines)
    assert f"wslab local at {local_stack.endpoint_url} answers" in "\n".join(lines)
    assert lines[-1].startswith("all 8 checks passed in ")
    print(f"wslab doctor, with the local AWS running: {took:.1f} s")
    assert took <= scaled(BUDGET_S)


def test_with_the_stack_stopped_it_starts_one_for_the_check() -> None:
    """The notebooks' stack was stopped: the port is free, and a stack started on another
    port for the check answers, then is stopped."""
    with LocalAWSProcess(port=0) as stopped:
        port = int(stopped.endpoint_url.rsplit(":", 1)[1])
    status, lines, took = _doctor(port)
    assert status == 0, "\n".join(lines)
    assert _verdicts(lines) == dict.fromkeys(CHECKS, "PASS")
    assert f"PASS  port       {port} is free" in "\n".join(lines)
    assert health(_started_for_the_check(lines)) is None
    print(f"wslab doctor, starting a local AWS for the check: {took:.1f} s")
    assert took <= scaled(BUDGET_S)


@pytest.fixture
def frozen() -> Iterator[LocalAWSProcess]:
    """A local AWS stopped with SIGSTOP (Ctrl-Z in its terminal): it holds its port and
    answers nothing."""
    with LocalAWSProcess(port=0) as stack:
        os.kill(stack.pid, signal.SIGSTOP)
        try:
            yield stack
        finally:
            os.kill(stack.pid, signal.SIGCONT)


def test_with_the_stack_frozen_the_port_fails_and_says_how_to_free_it(
    frozen: LocalAWSProcess,
) -> None:
    port = int(frozen.endpoint_url.rsplit(":", 1)[1])
    status, lines, took = _doctor(port)
    assert status == 1
    assert _verdicts(lines) == {**dict.fromkeys(CHECKS, "PASS"), "port": "FAIL"}
    text = "\n".join(lines)
    assert re.search(rf"FAIL  port       {port} is taken by pid {frozen.pid} \(.*wslab local", text)
    assert ", which is stopped, and no wslab local answers there" in text
    assert f"fix: kill -CONT {frozen.pid} to resume it, or kill -9 {frozen.pid}" in text
    assert lines[-1].startswith("1 of 8 checks failed")
    assert took <= scaled(BUDGET_S)


def test_a_busy_port_fails_and_names_who_holds_it() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = int(squatter.getsockname()[1])
        status, lines, _ = _doctor(port)
    assert status == 1
    assert _verdicts(lines) == {**dict.fromkeys(CHECKS, "PASS"), "port": "FAIL"}
    text = "\n".join(lines)
    assert f"FAIL  port       {port} is taken by pid {os.getpid()} (" in text
    assert f"fix: kill {os.getpid()}; or use another port: wslab local --port {port + 1}" in text
    assert health(_started_for_the_check(lines)) is None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_ctrl_c_while_it_starts_a_local_aws_leaves_nothing_behind() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "doctor", "--port", str(_free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        OutputLines(process.stdout).wait_for(lambda line: line.startswith("PASS  port"))
        deadline = time.monotonic() + scaled(10)
        while not (children := _children(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        [stack] = children  # the local AWS it starts for the check
        process.send_signal(signal.SIGINT)
        assert process.wait(scaled(30)) == 130
        assert process.stderr.read() == ""
        assert not Path(f"/proc/{stack}").exists()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
