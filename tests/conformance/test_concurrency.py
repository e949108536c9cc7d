"""Concurrency: slow handlers stall nobody; many connections and messages at once (issue 3 §5).

Overlap is proven without timing: a handler waits for a gate that only another message can
open, or for a barrier that only enough messages in flight together can reach. Serialised
handling would leave them waiting until they give up (20 s) and answer so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.support import (
    EventLog,
    ask,
    connect,
    connection_id_of,
    create_behave_function,
    new_tag,
    wire,
)
from tests.support import scaled
from wslab.wiring import WiredApi

LONG_WAIT = 40.0  # seconds before scaling: a barrier may wait for several cold starts


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(aws, behave, ["$default", "echo"], two_way=["$default", "echo"])


@pytest.fixture
def sockets(api: WiredApi) -> Iterator[list[Any]]:
    """Eight connected clients with a read timeout long enough for the barrier."""
    opened = [connect(api.url) for _ in range(8)]
    for socket in opened:
        socket.settimeout(scaled(LONG_WAIT))
    yield opened
    for socket in opened:
        socket.close()


def test_slow_handler_does_not_stall_another_connection(api: WiredApi, event_log: EventLog) -> None:
    """While one connection's handler waits, another connection's message is handled."""
    gate = new_tag()
    waiting, opening = connect(api.url), connect(api.url)
    try:
        waiting.settimeout(scaled(LONG_WAIT))
        waiting_id = connection_id_of(waiting)
        waiting.send(json.dumps({"action": "echo", "gate_wait": gate}))
        event_log.wait(waiting_id, "MESSAGE", 2)  # its handler is now running
        assert ask(opening, {"action": "echo", "gate_open": gate, "reply": "opened"}) == "opened"
        assert waiting.recv() == "released"
    finally:
        waiting.close()
        opening.close()


def test_messages_of_one_connection_are_handled_concurrently(
    api: WiredApi, event_log: EventLog
) -> None:
    """A second message on the same connection is handled while the first is still running."""
    gate = new_tag()
    ws = connect(api.url)
    try:
        ws.settimeout(scaled(LONG_WAIT))
        connection_id = connection_id_of(ws)
        ws.send(json.dumps({"action": "echo", "gate_wait": gate}))
        event_log.wait(connection_id, "MESSAGE", 2)
        ws.send(json.dumps({"action": "echo", "gate_open": gate, "reply": "opened"}))
        assert sorted([ws.recv(), ws.recv()]) == ["opened", "released"]
    finally:
        ws.close()


def test_many_connections_with_messages_in_flight_at_once(sockets: list[Any]) -> None:
    """Eight connections' messages all run at once, then 40 more each reach their sender."""
    barrier = new_tag()
    for index, ws in enumerate(sockets):
        ws.send(json.dumps({"action": "echo", "barrier": barrier, "n": 8, "reply": str(index)}))
    assert [ws.recv() for ws in sockets] == [f"{index}:met" for index in range(8)]

    ids = [connection_id_of(ws) for ws in sockets]
    for index, ws in enumerate(sockets):
        for n in range(5):
            ws.send(json.dumps({"action": "echo", "n": f"{index}-{n}"}))
    for index, ws in enumerate(sockets):
        answers = [json.loads(ws.recv()) for _ in range(5)]
        assert {answer["connectionId"] for answer in answers} == {ids[index]}
        assert sorted(json.loads(answer["body"])["n"] for answer in answers) == [
            f"{index}-{n}" for n in range(5)
        ]


def test_invocations_queue_at_the_function_concurrency_limit(aws: Any, events_table: str) -> None:
    """A function with reserved concurrency 2 never runs 3 at once; extra messages wait."""
    limited = create_behave_function(
        aws, f"conformance-limited-{new_tag()}", events_table, reserved_concurrency=2
    )
    limited_api = wire(aws, limited, ["$default"], two_way=["$default"])
    clients = [connect(limited_api.url) for _ in range(6)]
    try:
        counter = new_tag()
        for ws in clients:
            ws.settimeout(scaled(LONG_WAIT))
        threads = [
            threading.Thread(target=ws.send, args=(json.dumps({"inflight": counter}),))
            for ws in clients
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        running = [int(ws.recv()) for ws in clients]
        assert all(1 <= count <= 2 for count in running), running
    finally:
        for ws in clients:
            ws.close()
