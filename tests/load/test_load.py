"""The load, fault and fuzz scenarios, short, in ``make test``: what must hold at any speed.

The chat is deployed once for the module on a ``wslab local`` of its own (faults change
its functions and kill its workers). Nothing here asserts a speed: the figures are
printed by ``python -m tests.load`` (``make load``), which runs the same scenarios long.
The stack restart and the frozen client are only in the long run: ``tests/local/test_cli``
covers a killed stack's folder, ``tests/conformance`` a client that stops reading.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from . import faults
from .atomic import concurrent_adds
from .chat import Chat, deployed_chat
from .fuzz import fuzz
from .scale import stop_with_connections
from .sizes import QUICK
from .traffic import burst, steady


@pytest.fixture(scope="module")
def chat() -> Iterator[Chat]:
    with deployed_chat(name="load-ci") as deployed:
        yield deployed


def test_concurrent_adds_on_one_item_lose_nothing(chat: Chat) -> None:
    threads, each = QUICK.atomic
    result = concurrent_adds(chat, threads, each)
    assert (result.counted, result.lost) == (threads * each, 0)


def test_bursts_lose_nothing_and_get_no_error_frame(chat: Chat) -> None:
    result = asyncio.run(burst(chat, QUICK.bursts))
    tally = result.tally
    assert (tally.lost, tally.duplicates, tally.error_frames) == (0, 0, 0), tally.summary()
    assert tally.delivered == QUICK.bursts * 20 * 100


def test_steady_load_is_delivered_whole(chat: Chat) -> None:
    rooms, rate, seconds = QUICK.steady
    result = asyncio.run(steady(chat, rooms, rate, seconds))
    tally = result.tally
    assert (tally.lost, tally.duplicates, tally.error_frames) == (0, 0, 0), tally.summary()
    assert tally.delivered == result.sent * 10


@pytest.mark.parametrize(
    "fault",
    ["vanishing_clients", "handler_exception", "integration_timeout", "worker_killed"],
)
def test_fault_holds(chat: Chat, fault: str) -> None:
    if fault == "worker_killed":
        outcome = asyncio.run(faults.worker_killed_mid_broadcast(chat, QUICK.audience))
    else:
        outcome = asyncio.run(getattr(faults, fault)(chat))
    assert outcome.held, outcome.seen


def test_fuzzed_input_is_always_answered_never_with_a_server_error(chat: Chat) -> None:
    messages, handshakes, calls = QUICK.fuzz
    result = asyncio.run(fuzz(chat, messages, handshakes, calls))
    assert result.messages == messages
    assert result.unanswered == 0
    assert result.internal_server_errors == 0
    assert result.forbidden_frames == 0
    assert result.frame_failures == []
    assert result.server_errors == []
    assert result.tracebacks == 0


def test_stop_with_many_connections_is_quiet() -> None:
    result = stop_with_connections(QUICK.connections)
    assert result.exit_code == 0
    assert result.stderr_lines == []
