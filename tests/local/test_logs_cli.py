"""``wslab logs``, run as the README prints it, against a real ``wslab local``: a function's
lines from CloudWatch Logs, every function's, following new ones, and one line for a
function with no logs."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.local.lambda_helpers import create_function, invoke_json
from tests.support import OutputLines, clients_on, scaled
from wslab.local.process import LocalAWSProcess

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FUNCTION = "wslab-chat-sendmessage"  # the name the README's block uses
OTHER = "wslab-chat-joinroom"
SOURCE = 'def handler(event, context):\n    print("said:", event["say"])\n    return "ok"\n'
# 2024-05-01T10:00:00.123Z [function] message
_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(?P<function>[^\]]+)\] (?P<text>.*)$"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalAWSProcess]:
    """A stack of its own: the README's function names are fixed."""
    with LocalAWSProcess() as own:
        yield own


@pytest.fixture(scope="module")
def aws(stack: LocalAWSProcess) -> Callable[..., Any]:
    aws = clients_on(stack.endpoint_url)
    for name in (FUNCTION, OTHER):
        create_function(aws, name, SOURCE)
        invoke_json(aws, name, {"say": f"first from {name}"})
    return aws


@pytest.fixture(scope="module")
def env(stack: LocalAWSProcess) -> dict[str, str]:
    """The README's setting (AWS_ENDPOINT_URL), and the venv's ``wslab`` on the PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "AWS_ENDPOINT_URL": stack.endpoint_url, "PATH": path}


def _readme_commands() -> list[str]:
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        first, _, rest = block.partition("\n")
        if first == "# The functions' logs":
            return [line.split("#")[0].strip() for line in rest.splitlines() if line.strip()]
    raise AssertionError("no sh block titled 'The functions' logs' in the README")


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, env=env, capture_output=True, text=True, timeout=scaled(60)
    )


def _texts(output: str) -> list[tuple[str, str]]:
    found = [_LINE.match(line) for line in output.splitlines()]
    assert all(found), output
    return [(match["function"], match["text"]) for match in found if match]


def test_the_readme_shows_one_function_all_and_follow() -> None:
    assert _readme_commands() == [
        f"wslab logs {FUNCTION}",
        "wslab logs --all --since 1h",
        f"wslab logs -f {FUNCTION}",
    ]


def test_one_functions_log_as_printed(aws: Callable[..., Any], env: dict[str, str]) -> None:
    done = _run(_readme_commands()[0], env)
    assert done.returncode == 0, done.stderr
    texts = _texts(done.stdout)
    assert {function for function, _ in texts} == {FUNCTION}
    assert (FUNCTION, f"said: first from {FUNCTION}") in texts
    assert any(text.startswith("START RequestId: ") for _, text in texts)
    assert any(text.startswith("REPORT RequestId: ") for _, text in texts)


def test_every_functions_log_as_printed(aws: Callable[..., Any], env: dict[str, str]) -> None:
    done = _run(_readme_commands()[1], env)
    assert done.returncode == 0, done.stderr
    texts = _texts(done.stdout)
    assert (FUNCTION, f"said: first from {FUNCTION}") in texts
    assert (OTHER, f"said: first from {OTHER}") in texts


def test_follow_prints_what_comes_next_until_ctrl_c(
    aws: Callable[..., Any], env: dict[str, str]
) -> None:
    follower = subprocess.Popen(
        shlex.split(_readme_commands()[2]),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the Ctrl-C below reaches wslab, not pytest
    )
    try:
        printed = OutputLines(follower.stdout)  # type: ignore[arg-type]
        printed.wait_for(lambda line: line.endswith(f"said: first from {FUNCTION}"))
        invoke_json(aws, FUNCTION, {"say": "second"})
        printed.wait_for(lambda line: line.endswith("said: second"))
        invoke_json(aws, OTHER, {"say": "not followed"})
        invoke_json(aws, FUNCTION, {"say": "third"})
        printed.wait_for(lambda line: line.endswith("said: third"))
        os.killpg(follower.pid, signal.SIGINT)
        assert follower.wait(scaled(30)) == 130
        assert follower.stderr is not None and "Traceback" not in follower.stderr.read()
        # Each line once, and only the function followed.
        said = [line for line in printed.lines if " said: " in line]
        assert [line.split(" said: ")[1] for line in said] == [
            f"first from {FUNCTION}",
            "second",
            "third",
        ]
    finally:
        if follower.poll() is None:
            os.killpg(follower.pid, signal.SIGKILL)
            follower.wait()


def test_a_function_without_logs_is_one_line(env: dict[str, str]) -> None:
    done = _run("wslab logs no-such-function", env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "wslab logs: no logs for function no-such-function (no log group "
        "/aws/lambda/no-such-function): no such function, or it has not run yet\n"
    )


def test_a_bad_duration_is_one_line(env: dict[str, str]) -> None:
    done = _run("wslab logs --since 10 x", env)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "wslab logs: error: argument --since: must be a number and a unit (s, m, h, d or w), "
        "like 10m, got 10"
    )
