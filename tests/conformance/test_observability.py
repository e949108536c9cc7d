"""What ``wslab local`` prints: an access-log line per event, handler output by function name."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conformance.support import (
    access_lines,
    ask,
    connect,
    connection_id_of,
    new_tag,
    poll,
    wire,
)
from wslab.deploy.wiring import WiredApi
from wslab.local.process import LocalAWSProcess

CLF_TIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\]"


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(
        aws, behave, ["$connect", "$disconnect", "$default", "echo"], two_way=["$default", "echo"]
    )


def test_one_access_log_line_per_event(api: WiredApi, local_stack: LocalAWSProcess) -> None:
    """Each event logs its time, api, stage, route, connection, status and latency."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    ws.close()
    poll(
        lambda: access_lines(local_stack.output(), "DISCONNECT", connection_id),
        what="the DISCONNECT access-log line",
    )
    output = local_stack.output()
    for event_type, route in (
        ("CONNECT", "$connect"),
        ("MESSAGE", "echo"),
        ("DISCONNECT", "$disconnect"),
    ):
        [line] = access_lines(output, event_type, connection_id)
        assert re.search(CLF_TIME, line)
        assert f'"{event_type} {route} {connection_id}" 200 ' in line
        assert f"api={api.api_id}" in line
        assert f"stage={api.stage}" in line
        assert re.search(r"integrationLatency=\d+ms", line)


def test_error_frames_are_logged_with_their_cause(
    api: WiredApi, local_stack: LocalAWSProcess
) -> None:
    """A failed integration's line says so: a non-2xx status and the reason."""
    ws = connect(api.url)
    try:
        connection_id = connection_id_of(ws)
        ask(ws, {"action": "echo", "raise": True})
    finally:
        ws.close()
    [_, failed] = poll(
        lambda: (
            len(lines := access_lines(local_stack.output(), "MESSAGE", connection_id)) == 2
            and lines
        ),
        what="two MESSAGE lines",
    )
    assert not re.search(r'" 2\d\d ', failed)
    assert "error=" in failed and "failed on purpose" in failed


def test_handler_output_is_prefixed_with_the_function_name(
    api: WiredApi, behave: str, local_stack: LocalAWSProcess
) -> None:
    """What a handler prints shows on the stack's output as ``[function] line``."""
    tag = new_tag()
    ws = connect(f"{api.url}?log={tag}")
    try:
        ask(ws, {"action": "echo", "log": tag})
    finally:
        ws.close()
    poll(
        lambda: f"[{behave}] message-log {tag}" in local_stack.output(),
        what="the handler's message line",
    )
    assert f"[{behave}] connect-log {tag}" in local_stack.output()
