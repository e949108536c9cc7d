"""Idle timeout and maximum connection duration, on stacks started with short ones.
Behaviour: docs/apigw-websocket.md §7, §9.

AWS closes after 10 minutes without traffic and after 2 hours; ``wslab local`` takes both
as options. Neither close code is confirmed for AWS: the spec's best guess, 1001
"Going away", is what both send; the reason (also ``$disconnect``'s ``disconnectReason``)
tells the idle timeout from the maximum duration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websocket import ABNF

from tests.conformance.short_stacks import IDLE_S, ShortStack, ShortStacks
from tests.conformance.support import ask, connect, connection_id_of
from wslab.aws import client
from wslab.local.gateway.frames import REASON_IDLE_TIMEOUT, REASON_MAX_DURATION

TRAFFIC_EVERY_S = IDLE_S / 5


@pytest.fixture(scope="module")
def stacks(short_stacks: ShortStacks) -> Iterator[dict[str, ShortStack]]:
    """``idle``: a short idle timeout; ``max``: a short maximum duration (idle as on AWS)."""
    try:
        yield short_stacks.wait()
    finally:
        short_stacks.stop(wait=False)  # the session fixture waits for them at the end


def close_code_after_traffic(ws: Any, every_s: float, until_s: float) -> int | None:
    """Send a message every ``every_s`` for ``until_s``; the server's close code, if it closed."""
    deadline = time.monotonic() + until_s
    while time.monotonic() < deadline:
        ws.send(json.dumps({"action": "keepalive"}))
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == ABNF.OPCODE_CLOSE:
            return int.from_bytes(frame.data[:2], "big")
        time.sleep(every_s)
    return None


def test_idle_connection_is_closed_with_1001(stacks: dict[str, ShortStack]) -> None:
    """A connection without traffic is closed at the idle timeout: 1001, then ``$disconnect``."""
    stack = stacks["idle"]
    ws = connect(stack.api.url)
    connection_id = connection_id_of(ws)
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1001
    ws.shutdown()
    context = stack.disconnect_context(connection_id)
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (
        1001,
        REASON_IDLE_TIMEOUT,
    )


def test_client_traffic_resets_the_idle_timer(stacks: dict[str, ShortStack]) -> None:
    """Messages from the client more often than the idle timeout keep the connection open."""
    ws = connect(stacks["idle"].api.url)
    try:
        assert close_code_after_traffic(ws, TRAFFIC_EVERY_S, 2 * IDLE_S) is None
    finally:
        ws.close()


def test_server_traffic_resets_the_idle_timer(stacks: dict[str, ShortStack]) -> None:
    """Posts to the connection count as traffic too: the silent client stays connected."""
    stack = stacks["idle"]
    ws = connect(stack.api.url)
    try:
        connection_id = connection_id_of(ws)
        management = client("apigatewaymanagementapi", stack.api.management_url)
        deadline = time.monotonic() + 2 * IDLE_S
        while time.monotonic() < deadline:
            management.post_to_connection(ConnectionId=connection_id, Data=b"ping")
            assert ws.recv() == "ping"
            time.sleep(TRAFFIC_EVERY_S)
        assert ask(ws, {"action": "still-open"})
    finally:
        ws.close()


def test_pings_do_not_reset_the_idle_timer(stacks: dict[str, ShortStack]) -> None:
    """Protocol pings are answered but are not traffic: a client that only pings goes idle."""
    ws = connect(stacks["idle"].api.url)
    deadline = time.monotonic() + 4 * IDLE_S
    try:
        while time.monotonic() < deadline:
            ws.ping(b"still there?")
            opcode, frame = ws.recv_data_frame(control_frame=True)
            if opcode == ABNF.OPCODE_CLOSE:
                assert int.from_bytes(frame.data[:2], "big") == 1001
                return
            assert opcode == ABNF.OPCODE_PONG
            time.sleep(TRAFFIC_EVERY_S)
    finally:
        ws.shutdown()
    raise AssertionError("a client sending only pings was never closed as idle")


def test_connection_is_closed_at_maximum_duration(stacks: dict[str, ShortStack]) -> None:
    """A connection is closed at the maximum duration: 1001, then ``$disconnect``."""
    stack = stacks["max"]
    ws = connect(stack.api.url)
    connection_id = connection_id_of(ws)
    # The idle timeout of this stack is AWS's 10 minutes: only the duration can close it.
    opcode, frame = ws.recv_data_frame(control_frame=True)
    ws.shutdown()
    assert opcode == ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1001
    context = stack.disconnect_context(connection_id)
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (
        1001,
        REASON_MAX_DURATION,
    )
