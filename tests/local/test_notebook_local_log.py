"""``tutorial.local_log()``: where the output of the local AWS the notebooks started in the
background goes (a file, the handlers' lines in it), and what to use instead otherwise."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.local.lambda_helpers import create_function, invoke_json
from tests.support import clients_on, scaled
from wslab.local.process import (
    LocalAWSProcess,
    background_log_path,
    ensure_running,
    stop_background,
)
from wslab.notebook import tutorial


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def background_endpoint() -> Iterator[str]:
    """A stack started as the notebooks start theirs (``ensure_running``), on a free port."""
    port = _free_port()
    try:
        yield ensure_running(port)
    finally:
        stop_background(port)


def test_a_background_stacks_file_holds_what_handlers_print(
    background_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = clients_on(background_endpoint)
    create_function(aws, "logged", 'def handler(event, context):\n    print("to the file")\n')
    invoke_json(aws, "logged")
    log_file = tutorial.local_log({tutorial.ENDPOINT_VARIABLE: background_endpoint})
    port = int(background_endpoint.rsplit(":", 1)[1])
    assert log_file == background_log_path(port)
    said = capsys.readouterr().out
    assert f"goes to {log_file}" in said and "`wslab logs <function>`" in said
    deadline = time.monotonic() + scaled(30)
    while "[logged] to the file" not in log_file.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the handler's line never reached the file"
        time.sleep(0.1)


def test_a_stack_started_elsewhere_has_its_output_in_its_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LocalAWSProcess() as stack:
        assert tutorial.local_log({tutorial.ENDPOINT_VARIABLE: stack.endpoint_url}) is None
    said = capsys.readouterr().out
    assert "was not started by a notebook: its output is in the terminal that started it" in said


def test_on_aws_the_logs_are_in_cloudwatch(capsys: pytest.CaptureFixture[str]) -> None:
    assert tutorial.local_log({tutorial.TARGET_VARIABLE: "aws"}) is None
    assert "`wslab logs <function> --aws`" in capsys.readouterr().out
