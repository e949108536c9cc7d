"""Concurrency: slow handlers stall nobody; many connections and messages at once (issue 3 §5).

Overlap is proven without timing: a handler waits for a gate that only another message can
open, or for a barrier that only enough messages in flight together can reach. Serialised
handling would leave them waiting until they give up (20 s) and answer so.
"""

from __future__ import annotations

import json
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
from wslab.deploy.wiring import WiredApi

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
    """Five connections' messages all run at once, then 40 more each reach their sender."""
    # Five, not eight: each one in flight needs its own execution environment, and cold
    # starts on a busy two-core machine must all fit in the barrier's 20 s.
    barrier, together = new_tag(), sockets[:5]
    for index, ws in enumerate(together):
        ws.send(json.dumps({"action": "echo", "barrier": barrier, "n": 5, "reply": str(index)}))
    assert [ws.recv() for ws in together] == [f"{index}:met" for index in range(5)]

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


def most_at_once(intervals: list[tuple[int, int]]) -> int:
    """The largest number of intervals that overlap at any instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, change in edges:  # at equal times an end (-1) sorts before a start
        running += change
        most = max(most, running)
    return most


def test_invocations_queue_at_the_function_concurrency_limit(
    aws: Any, events_table: str, event_log: EventLog
) -> None:
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
            ws.send(json.dumps({"inflight": counter}))
        # All six are answered: the ones over the limit waited their turn.
        assert [ws.recv() for ws in clients] == ["ran"] * 6
        intervals = event_log.intervals(counter)
        assert len(intervals) == 6
        assert most_at_once(intervals) <= 2
    finally:
        for ws in clients:
            ws.close()
