"""A session with a real third-party client: ``wscat`` from npm (``npm ci`` installs it)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.support import EventLog, error_frame_pattern, wire
from tests.support import scaled
from wslab.aws import client
from wslab.deploy.wiring import WiredApi

WSCAT = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "wscat"

pytestmark = pytest.mark.skipif(
    not WSCAT.exists(),
    reason="wscat is not installed: run `npm ci` at the repository root",
)


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    """No ``$default``: what wscat users meet in the spec's captures."""
    return wire(aws, behave, ["$connect", "$disconnect", "echo"], two_way=["echo"])


def wscat(*args: str) -> subprocess.Popen[str]:
    # stdin stays open: wscat quits as soon as its standard input ends.
    return subprocess.Popen(
        [str(WSCAT), "--no-color", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_lines(stream: Any, count: int) -> list[str]:
    """The next ``count`` lines of ``stream``, failing if they take too long."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line.rstrip("\n")) for line in stream], daemon=True
    ).start()
    return [lines.get(timeout=scaled(20)) for _ in range(count)]


def test_wscat_session(api: WiredApi, event_log: EventLog) -> None:
    """wscat connects, prints a route's reply and the Forbidden frame, and is closed by DELETE."""
    session = wscat(
        "-c",
        api.url,
        "-x",
        '{"action": "echo"}',
        "-x",
        '{"action": "echo", "reply": "hello from wscat"}',
        "-x",
        "hi",
        "-w",
        "-1",  # hold the connection open: the test ends it
    )
    try:
        printed = read_lines(session.stdout, 3)
        # Replies may come in any order: API Gateway does not order them.
        [described] = [line for line in printed if line.startswith('{"route"')]
        connection_id = json.loads(described)["connectionId"]
        assert "hello from wscat" in printed
        [forbidden] = [line for line in printed if line.startswith('{"message"')]
        assert error_frame_pattern("Forbidden", connection_id).fullmatch(forbidden)

        client("apigatewaymanagementapi", api.management_url).delete_connection(
            ConnectionId=connection_id
        )
        assert session.wait(timeout=scaled(20)) == 0  # wscat quits when the server closes
    finally:
        if session.poll() is None:
            session.kill()
        session.communicate()
    [disconnected] = event_log.wait(connection_id, "DISCONNECT")
    assert disconnected.event["requestContext"]["disconnectStatusCode"] == 1000


def test_wscat_sees_the_connect_status(api: WiredApi) -> None:
    """A ``$connect`` answering 401 makes wscat print ``Unexpected server response: 401``."""
    refused = wscat("-c", f"{api.url}?status=401")
    try:
        # Wait with stdin still open: closing it would make wscat quit on its own.
        returncode = refused.wait(timeout=scaled(20))
    finally:
        if refused.poll() is None:
            refused.kill()
        _, errors = refused.communicate()
    assert errors.strip() == "error: Unexpected server response: 401"
    assert returncode != 0
