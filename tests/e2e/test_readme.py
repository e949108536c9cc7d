"""What the README tells a user to run, run as printed: ``make run`` and the join command it
prints, and the README's Python snippets. They name the local AWS's own port, 4577: where
something else holds it, these tests skip and say so, rather than touch what runs there."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import OutputLines, scaled
from wslab.local.defaults import DEFAULT_PORT
from wslab.local.process import stop_background

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PYTHON_SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.fixture
def readme_port() -> Iterator[int]:
    """Port 4577, free before the test and again after it."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", DEFAULT_PORT)) == 0:
            pytest.skip(f"something already listens on 127.0.0.1:{DEFAULT_PORT}, the README's port")
    yield DEFAULT_PORT
    stop_background(DEFAULT_PORT)  # had a snippet's background stack been left running


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=scaled(120)
    )


def test_the_readme_has_the_snippets_run_here() -> None:
    """A new Python snippet in the README needs a test here."""
    assert len(PYTHON_SNIPPETS) == 2, PYTHON_SNIPPETS
    assert "boto3.client(" in PYTHON_SNIPPETS[0]
    assert "LocalAWSProcess" in PYTHON_SNIPPETS[1]


def test_the_python_api_snippet(readme_port: int) -> None:
    """A private stack, then the background one on 4577, then stopped: as printed."""
    result = _run_python(PYTHON_SNIPPETS[1])
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", result.stdout), result.stdout
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", readme_port)) != 0, "stop_background() stopped it"


def test_the_boto3_snippet_reaches_wslab_local(readme_port: int) -> None:
    """The client the README shows, against ``wslab local`` on its default port."""
    stack = subprocess.Popen(
        [sys.executable, "-m", "wslab", "local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert stack.stdout is not None
        assert stack.stdout.readline().strip() == f"AWS_ENDPOINT_URL=http://127.0.0.1:{readme_port}"
        result = _run_python(PYTHON_SNIPPETS[0] + "\nprint(dynamodb.list_tables()['TableNames'])")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "[]\n"
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(scaled(30))


def test_make_run_and_the_join_command_it_prints(readme_port: int) -> None:
    """``make run`` as the README's first command, in a terminal: the demo's conversation,
    then its join command, typed in another terminal, joins the lobby; Ctrl-C cleans up."""
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make run would first build .venv: run make test (or make run) once")
    demo = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own terminal: Ctrl-C reaches make and the demo
    )
    assert demo.stdout is not None
    output = OutputLines(demo.stdout)
    try:
        output.wait_for(lambda line: line.startswith("Ctrl-C here stops the demo"), 300)
        assert f"started the local AWS at http://127.0.0.1:{readme_port}" in output.lines[1]
        prefix = "  from other terminals:  "
        command = output.wait_for(lambda line: line.startswith(prefix))[len(prefix) :]
        assert command.startswith(".venv/bin/wslab chat ws://127.0.0.1:4577/")
        said = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=ROOT,
            input="hello from the README\n",
            capture_output=True,
            text=True,
            timeout=scaled(60),
        )
        assert said.returncode == 0, said.stderr
        assert "[lobby #1] alice: hello lobby!" in said.stdout
        assert re.search(r"^\[lobby #\d+\] you: hello from the README$", said.stdout, re.M)
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        output.wait_for(lambda line: line == "deleted the demo's stack")
        demo.wait(scaled(60))  # make itself ends by the SIGINT, as in a terminal
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", readme_port)) != 0, "the stack outlived it"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()


def _shell_block(title: str) -> str:
    """The README's ```sh block whose first line is ``# <title>``, without that line."""
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        first, _, rest = block.partition("\n")
        if first == f"# {title}":
            return rest
    raise AssertionError(f"no sh block titled {title!r} in the README")


def test_the_steps_without_make_as_printed(tmp_path: Path) -> None:
    """The Linux/macOS steps without ``make``, line by line as printed, in a copy of the
    checkout: a new venv, the install, and the demo (``--once`` added to the last line, so
    that it ends by itself; the running demo is tested through ``make run`` above)."""
    copy = tmp_path / "wslab"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True
    ).stdout
    copy.mkdir()
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    lines = [line for line in _shell_block("Linux, macOS, WSL2").splitlines() if line]
    assert lines[-1] == ".venv/bin/wslab demo", lines
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    for line in [*lines[:-1], lines[-1] + " --once --port 0"]:
        done = subprocess.run(
            line, shell=True, cwd=copy, env=env, capture_output=True, text=True,
            timeout=scaled(600),
        )  # fmt: skip
        assert done.returncode == 0, f"{line}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    assert "carol got  [games #1] carol: anyone for a game?" in done.stdout
