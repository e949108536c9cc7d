"""``wslab local`` as a user starts it: first line, ports, signals, no leftover processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.local.lambda_helpers import (
    create_function,
    create_package_function,
    invoke_json,
    requires_node,
)
from tests.support import scaled
from wslab.aws import client
from wslab.local.process import LocalAWSProcess, LocalAWSStartError, health

# Answers its process id; {"spin": true} keeps it busy, deaf to anything but the kernel.
PID_SOURCE = """
import os
def handler(event, context):
    while event.get("spin"):
        pass
    return os.getpid()
"""
NODE_PID_SOURCE = """
exports.handler = async (event) => {
  while (event.spin) {}
  return process.pid;
};
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _wait_dead(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + scaled(seconds)
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def _worker_pid(endpoint_url: str, language: str = "python") -> int:
    def aws(service: str, **_: Any) -> Any:
        return client(service, endpoint_url)

    if language == "python":
        create_function(aws, "pid", PID_SOURCE, Timeout=120)
    else:
        create_package_function(aws, "pid", {"index.js": NODE_PID_SOURCE}, Timeout=120)
    pid, _ = invoke_json(aws, "pid")
    return int(pid)


def _keep_busy(endpoint_url: str, pid: int) -> None:
    """The warm worker ``pid`` runs a handler that never returns."""
    lam = client("lambda", endpoint_url)
    lam.invoke(FunctionName="pid", InvocationType="Event", Payload=b'{"spin": true}')
    deadline = time.monotonic() + scaled(10)
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split()[2] == "R":
                return
        time.sleep(0.02)
    raise AssertionError(f"worker {pid} never started spinning")


def test_first_line_is_the_endpoint_and_it_answers() -> None:
    """The first stdout line is AWS_ENDPOINT_URL=http://127.0.0.1:<port>, already serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("AWS_ENDPOINT_URL=http://127.0.0.1:")
        endpoint = first.split("=", 1)[1]
        tables = client("dynamodb", endpoint).list_tables()
        assert tables["TableNames"] == []
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(scaled(15)) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_it_and_its_workers(signum: signal.Signals) -> None:
    """SIGINT and SIGTERM stop the stack with status 0 and no worker process left."""
    stack = LocalAWSProcess(port=0)
    stack.start()
    worker = _worker_pid(stack.endpoint_url)
    assert _alive(worker)
    os.kill(stack.pid, signum)
    assert stack.stop() == 0
    assert _wait_dead(worker, 5), "a Lambda worker outlived wslab local"


@pytest.mark.parametrize("language", ["python", pytest.param("nodejs", marks=requires_node)])
def test_workers_die_even_when_the_stack_is_killed(language: str) -> None:
    """SIGKILL leaves no chance to clean up; the kernel still ends the workers, even one too
    busy to notice (Node.js ones too: they start through the same request to the kernel)."""
    stack = LocalAWSProcess(port=0)
    stack.start()
    worker = _worker_pid(stack.endpoint_url, language)
    _keep_busy(stack.endpoint_url, worker)
    os.kill(stack.pid, signal.SIGKILL)
    stack.stop()
    assert _wait_dead(worker, 5), "a Lambda worker outlived a killed wslab local"


# Ctrl-C (SIGINT to this script alone) while a stack in a session of its own starts: the
# script prints the child's pid first, so the test can look for it afterwards.
INTERRUPTED_START = """
import os, pathlib, signal, subprocess, sys, threading
from wslab.local.process import LocalAWSProcess

popen = subprocess.Popen
def recording(*args, **kwargs):
    child = popen(*args, **kwargs)
    print(child.pid, flush=True)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    return child
subprocess.Popen = recording
log_file = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else None
with LocalAWSProcess(port=0, own_session=True, log_file=log_file) as stack:
    print("started", flush=True)
"""


@pytest.mark.parametrize("to_file", [False, True], ids=["piped", "to a file"])
def test_ctrl_c_while_it_starts_stops_the_stack_too(tmp_path: Path, to_file: bool) -> None:
    """Ctrl-C while a caller (``wslab demo``) waits for its stack, in a session of its own,
    to start: no stack is left running behind it."""
    log_file = [str(tmp_path / "wslab-local.log")] if to_file else []
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_START, *log_file],
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    child = int(result.stdout.split()[0])
    try:
        assert "KeyboardInterrupt" in result.stderr, result.stderr
        assert "started" not in result.stdout
        assert _wait_dead(child, 10), "the stack outlived its interrupted starter"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_busy_port_is_a_clear_error() -> None:
    """Asking for a port that is taken fails at once, naming the port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "wslab", "local", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=scaled(60),
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port}" in result.stderr
    assert result.stdout == ""


def test_a_stack_writing_to_a_file_starts_and_keeps_what_it_prints(tmp_path: Path) -> None:
    """With ``log_file``, the endpoint is read from the file, and what the stack prints
    afterwards (a function's own line here) is there, not in a pipe of this process."""
    log_file = tmp_path / "wslab-local.log"
    with LocalAWSProcess(port=0, log_file=log_file) as stack:
        assert health(int(stack.endpoint_url.rsplit(":", 1)[1])) is not None

        def aws(service: str, **_: Any) -> Any:
            return client(service, stack.endpoint_url)

        create_function(aws, "says-hello", "def handler(event, context):\n    print('hello')\n")
        invoke_json(aws, "says-hello")
        deadline = time.monotonic() + scaled(10)
        while "[says-hello] hello" not in stack.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "[says-hello] hello" in stack.output()
        assert not any(line.startswith("AWS_ENDPOINT_URL=") for line in stack.output())
    assert "wslab local: stopped" in log_file.read_text()


def test_a_stack_writing_to_a_file_that_cannot_start_says_what_the_file_holds(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = LocalAWSProcess(port=port, log_file=tmp_path / "wslab-local.log")
        with pytest.raises(LocalAWSStartError, match=f"cannot listen on 127.0.0.1:{port}"):
            stack.start()


def test_health_names_the_stack(local_stack: LocalAWSProcess) -> None:
    """The health endpoint says which stack answers, so helpers can find it again."""
    port = int(local_stack.endpoint_url.rsplit(":", 1)[1])
    found = health(port)
    assert found is not None
    assert found["endpoint_url"] == local_stack.endpoint_url
    assert found["pid"] == local_stack.pid


def _folders_of(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"wslab-local-{pid}-*"))


def test_a_killed_stack_s_folder_is_removed_by_the_next_start_and_no_other() -> None:
    """SIGKILL leaves the stack's temporary folder behind; the next stack to start removes
    it, and leaves a running stack's folder alone."""
    killed, running = LocalAWSProcess(port=0), LocalAWSProcess(port=0)
    killed.start()
    running.start()
    try:
        assert _folders_of(killed.pid) and _folders_of(running.pid)
        os.kill(killed.pid, signal.SIGKILL)
        killed.stop()
        assert _folders_of(killed.pid), "the folder a killed stack leaves"
        with LocalAWSProcess(port=0):
            assert _folders_of(killed.pid) == []
            assert _folders_of(running.pid)
    finally:
        running.stop()
    assert _folders_of(running.pid) == []  # a stack that stops removes its own


def test_the_banner_says_state_lives_in_memory(local_stack: LocalAWSProcess) -> None:
    banner = [line for line in local_stack.output() if line.startswith("wslab local")]
    assert any("memory" in line and "gone when it stops" in line for line in banner), banner


# A caller whose locale encodes ASCII only, as a Windows console's code page encodes a
# few scripts only: the stack and this caller still pass a handler's line whole.
NARROW_LOCALE_CALLER = """
import pathlib, sys
from tests.local.lambda_helpers import create_function, invoke_json
from wslab.aws import client
from wslab.local.process import LocalAWSProcess

assert sys.stdout.encoding.lower() in ("ascii", "ansi_x3.4-1968"), sys.stdout.encoding
log_file = None if sys.argv[1] == "piped" else pathlib.Path(sys.argv[1])
with LocalAWSProcess(port=0, log_file=log_file) as stack:
    aws = lambda service, **_: client(service, stack.endpoint_url)
    source = "def handler(event, context):\\n    print('h\\u00e9llo \\u2713')\\n"
    create_function(aws, "says", source)
    invoke_json(aws, "says")
    stack.stop()
    said = [line for line in stack.output() if "llo" in line]
print(ascii(said))
"""


@pytest.mark.parametrize("to_file", [False, True], ids=["piped", "to a file"])
def test_a_handler_s_line_outside_the_locale_s_encoding_reaches_the_caller(
    tmp_path: Path, to_file: bool
) -> None:
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    env.pop("PYTHONIOENCODING", None)
    result = subprocess.run(
        [sys.executable, "-c", NARROW_LOCALE_CALLER, str(tmp_path / "log") if to_file else "piped"],
        capture_output=True,
        text=True,
        env=env,
        timeout=scaled(120),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "h\\xe9llo \\u2713" in result.stdout, result.stdout
