"""``wslab dev`` as a user runs it: the chat deployed with hot reload, an edit of a handler
reported in one line and answered by the next message, Ctrl-C ending it cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.support import connect, poll
from tests.support import REGION, OutputLines, scaled
from wslab.aws import Target
from wslab.deploy import project
from wslab.deploy.stack import ChatStack, delete, deploy
from wslab.local.process import LocalAWSProcess

ROOT = Path(__file__).resolve().parents[2]
HOT_RELOAD_CODE_SHA256 = "hot-reloading-hash-not-available"  # LocalStack's, for a folder
UNKNOWN = 'f"Unknown action {shown}."'
EDITED = 'f"No such action: {shown}."'


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalAWSProcess]:
    with LocalAWSProcess(port=0) as started:
        yield started


@pytest.mark.timeout(scaled(600))
def test_wslab_dev_reloads_an_edited_handler(stack: LocalAWSProcess, tmp_path: Path) -> None:
    """Edit ``chat/handlers.py``: a ``reload:`` line names it and the chat's functions, and
    the next unknown action is answered with the edited text."""
    code = tmp_path / "lambda_src"
    shutil.copytree(project.lambda_src(), code, ignore=shutil.ignore_patterns("__pycache__"))
    handlers = code / "chat" / "handlers.py"
    assert UNKNOWN in handlers.read_text()
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "dev", "--endpoint-url", stack.endpoint_url,
         "--code-dir", str(code), "--stack-name", "dev-chat"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    output = OutputLines(process.stdout)
    try:
        url = output.wait_for(lambda line: line.startswith("WebSocketURL="), 300).split("=", 1)[1]
        output.wait_for(lambda line: line.startswith("watching "))
        ws = connect(url)
        try:

            def answer() -> str:
                ws.send(json.dumps({"action": "dance"}))
                return str(json.loads(ws.recv())["message"])

            assert answer() == 'Unknown action "dance".'
            handlers.write_text(handlers.read_text().replace(UNKNOWN, EDITED))
            reload = output.wait_for(lambda line: line.startswith("reload: "))
            assert reload.startswith("reload: chat/handlers.py -> ")
            assert "dev-chat-default" in reload.split(" -> ", 1)[1].split(", ")
            poll(lambda: answer() == 'No such action: "dance".', 30, "the edited answer")
        finally:
            ws.close()
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(scaled(30)) == 0, "\n".join(output.lines)
        assert output.lines[-1].startswith("stopped watching")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_wslab_dev_says_in_one_line_when_the_folder_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "dev", "--code-dir", str(missing)],
        cwd=ROOT, capture_output=True, text=True, timeout=scaled(60),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"wslab dev: {missing} is not a folder\n"


def test_wslab_deploy_hot_refuses_aws(tmp_path: Path) -> None:
    """Hot reload runs a folder of this machine: against AWS, one line and no stack."""
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "deploy", "--aws", "--hot", "--region", "us-east-1"],
        cwd=ROOT, capture_output=True, text=True, timeout=scaled(60),
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("wslab deploy: hot reload runs"), result


@pytest.mark.timeout(scaled(600))
def test_deploying_again_switches_between_a_package_and_the_folder(
    stack: LocalAWSProcess,
) -> None:
    """``wslab deploy``, then ``wslab deploy --hot`` (or ``wslab dev``), then ``wslab deploy``
    again: each update moves the functions' code between the zip and the folder."""
    target = ChatStack(Target.local(stack.endpoint_url, REGION), "switch-chat", say=print)
    function = "switch-chat-default"
    lambda_client = target.client("lambda")

    def code_sha256() -> str:
        found = lambda_client.get_function(FunctionName=function)["Configuration"]
        return str(found["CodeSha256"])

    deploy(target)
    packaged = code_sha256()
    assert packaged != HOT_RELOAD_CODE_SHA256
    deploy(target, hot_reload=True)
    assert code_sha256() == HOT_RELOAD_CODE_SHA256
    location = lambda_client.get_function(FunctionName=function)["Code"]["Location"]
    assert location == f"Code location: {project.lambda_src().resolve()}"
    deploy(target)
    assert code_sha256() == packaged
    delete(target)
