"""The history table: per-room sequence numbers, bounded storage, size-fitted replies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from chat.history import (
    HistoryConflict,
    append_message,
    fit_to_size,
    last_sequence,
    next_sequence,
    recent_messages,
)
from chat.responses import encode, message_envelope
from moto import mock_aws

from .support import create_tables


@pytest.fixture
def history() -> Iterator[Any]:
    with mock_aws():
        yield create_tables()[1]


def append(history: Any, room: str, text: str, keep: int = 20) -> dict[str, Any]:
    return append_message(
        history,
        room=room,
        sender="alice",
        text=text,
        sent_at="2025-01-27T16:39:50.113Z",
        now=time.time(),
        keep=keep,
        ttl_seconds=3600,
    )


def test_sequences_are_monotonic_per_room(history: Any) -> None:
    """Interleaved rooms each count 1, 2, 3, ... without gaps or reuse."""
    seen: dict[str, list[int]] = {"a": [], "b": []}
    for room in "abaabbba":
        seen[room].append(next_sequence(history, room))
    assert seen == {"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]}
    assert last_sequence(history, "a") == 4
    assert last_sequence(history, "never-used") == 0


def test_counter_item_has_no_ttl(history: Any) -> None:
    """If the counter expired, a room would restart at 1 and clients would drop messages."""
    append(history, "a", "hi")
    counter = history.get_item(Key={"roomId": "a", "seq": 0})["Item"]
    assert "expiresAt" not in counter


def test_append_returns_the_stored_envelope(history: Any) -> None:
    """What is broadcast is what a later joiner reads back."""
    envelope = append(history, "a", "hello")
    assert recent_messages(history, "a", 10, time.time()) == [envelope]


def test_storage_is_bounded(history: Any) -> None:
    """After 12 messages with keep=3, the room holds exactly the last 3 (plus its counter)."""
    for n in range(12):
        append(history, "a", f"m{n}", keep=3)
    seqs = [int(i["seq"]) for i in history.scan()["Items"] if i["roomId"] == "a"]
    assert sorted(seqs) == [0, 10, 11, 12]
    assert [m["text"] for m in recent_messages(history, "a", 3, time.time())] == [
        "m9",
        "m10",
        "m11",
    ]


def test_reading_is_bounded_too(history: Any) -> None:
    """A lower limit when reading (HISTORY_LIMIT lowered later) still returns the newest."""
    for n in range(6):
        append(history, "a", f"m{n}")
    assert [m["seq"] for m in recent_messages(history, "a", 2, time.time())] == [5, 6]


def test_reset_counter_is_detected_not_overwritten(history: Any) -> None:
    """A counter deleted by hand would hand out a number already used: refuse to overwrite."""
    append(history, "a", "original")
    history.delete_item(Key={"roomId": "a", "seq": 0})
    with pytest.raises(HistoryConflict):
        append(history, "a", "would overwrite")
    assert history.get_item(Key={"roomId": "a", "seq": 1})["Item"]["text"] == "original"


def test_fit_to_size_keeps_the_newest_that_fit() -> None:
    """Oldest messages are dropped first until the JSON fits the budget."""
    messages = [
        message_envelope(room="a", seq=n, sender="s", text="x" * 100, sent_at="t")
        for n in range(1, 6)
    ]
    one = len(encode(messages[0])) + 1
    assert [m["seq"] for m in fit_to_size(messages, one * 2)] == [4, 5]
    assert fit_to_size(messages, one * 10) == messages
    assert fit_to_size(messages, one - 1) == []
