"""`history`: a client that saw a gap in the numbering fetches the messages it missed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chat import handlers

from .conftest import Chat
from .support import connect_event, log_records, message_event

ALICE, BOB = "ALICEaaaaaaaaa=", "BOBbbbbbbbbbbb="


def connect(connection_id: str, room: str) -> None:
    assert handlers.connect(connect_event(connection_id, {"roomId": room}), None) == {
        "statusCode": 200
    }


def send(connection_id: str, text: str) -> None:
    body = json.dumps({"action": "sendmessage", "data": text})
    assert handlers.send_message(message_event(connection_id, body), None) == {"statusCode": 200}


def ask(connection_id: str, request: dict[str, Any] | str) -> dict[str, Any]:
    body = request if isinstance(request, str) else json.dumps({"action": "history", **request})
    return handlers.history(message_event(connection_id, body, route="history"), None)


@pytest.fixture
def lobby(chat: Chat) -> Chat:
    """Alice and Bob in lobby; Bob said m1 to m6 (seq 1 to 6)."""
    connect(ALICE, "lobby")
    connect(BOB, "lobby")
    for n in range(1, 7):
        send(BOB, f"m{n}")
    chat.api.delivered.clear()
    return chat


def test_answer_is_the_messages_after_since_seq_exactly_as_sent_live(lobby: Chat) -> None:
    """Only the asker gets the answer; each message is the live envelope, oldest first."""
    assert ask(ALICE, {"sinceSeq": 3}) == {"statusCode": 200}
    (answer,) = lobby.api.received(ALICE)
    assert set(answer) == {"type", "room", "messages", "latestSeq"}
    assert (answer["type"], answer["room"], answer["latestSeq"]) == ("history", "lobby", 6)
    assert [m["seq"] for m in answer["messages"]] == [4, 5, 6]
    assert [m["text"] for m in answer["messages"]] == ["m4", "m5", "m6"]
    for message in answer["messages"]:
        assert set(message) == {"type", "room", "seq", "sender", "text", "sentAt"}
        assert message["type"] == "message"
    assert lobby.api.received(BOB) == []


def test_limit_bounds_the_answer(lobby: Chat) -> None:
    ask(ALICE, {"sinceSeq": 0, "limit": 2})
    (answer,) = lobby.api.received(ALICE)
    assert [m["seq"] for m in answer["messages"]] == [1, 2]
    assert answer["latestSeq"] == 6


def test_default_limit_is_50(chat: Chat) -> None:
    connect(ALICE, "lobby")
    for n in range(60):
        send(ALICE, f"m{n}")
    chat.api.delivered.clear()
    ask(ALICE, {"sinceSeq": 0})
    (answer,) = chat.api.received(ALICE)
    assert [m["seq"] for m in answer["messages"]] == list(range(1, 51))


def test_nothing_newer_is_an_empty_list(lobby: Chat) -> None:
    ask(ALICE, {"sinceSeq": 6})
    assert lobby.api.received(ALICE) == [
        {"type": "history", "room": "lobby", "messages": [], "latestSeq": 6}
    ]


def test_another_room_by_name(lobby: Chat) -> None:
    """`roomId` reads another room (any member may join it and read it anyway)."""
    connect("CAROLccccccccc=", "games")
    send("CAROLccccccccc=", "in games")
    ask(ALICE, {"sinceSeq": 0, "roomId": "games"})
    (answer,) = lobby.api.received(ALICE)
    assert (answer["room"], [m["text"] for m in answer["messages"]]) == ("games", ["in games"])


def test_a_number_never_stored_is_skipped(lobby: Chat) -> None:
    """A message lost for good (here deleted) leaves a hole the answer simply skips."""
    lobby.history.delete_item(Key={"roomId": "lobby", "seq": 5})
    ask(ALICE, {"sinceSeq": 3})
    (answer,) = lobby.api.received(ALICE)
    assert [m["seq"] for m in answer["messages"]] == [4, 6]


def test_an_answer_fits_in_one_post(chat: Chat) -> None:
    """100 messages of 4 KB would be over PostToConnection's 128 KB: the oldest that fit
    are sent, and the client asks again from the last one."""
    connect(ALICE, "lobby")
    for n in range(40):
        send(ALICE, f"{n:03d}" + "x" * 4000)
    chat.api.delivered.clear()
    ask(ALICE, {"sinceSeq": 0, "limit": 100})
    (answer,) = chat.api.received(ALICE)
    seqs = [m["seq"] for m in answer["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert 20 < len(seqs) < 40
    assert len(json.dumps(answer)) < 128 * 1024


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({}, "invalid_since_seq"),
        ({"sinceSeq": -1}, "invalid_since_seq"),
        ({"sinceSeq": "3"}, "invalid_since_seq"),
        ({"sinceSeq": True}, "invalid_since_seq"),
        ({"sinceSeq": 1.5}, "invalid_since_seq"),
        ({"sinceSeq": 1, "limit": 0}, "invalid_limit"),
        ({"sinceSeq": 1, "limit": 101}, "invalid_limit"),
        ({"sinceSeq": 1, "limit": "10"}, "invalid_limit"),
        ({"sinceSeq": 1, "roomId": "no spaces"}, "invalid_room"),
        ('{"action": "history", "sinceSeq": NaN}', "invalid_json"),
        ("[" * 100_000, "invalid_json"),
    ],
)
def test_bad_requests_get_the_error_envelope(
    lobby: Chat, request_: dict[str, Any] | str, code: str
) -> None:
    assert ask(ALICE, request_) == {"statusCode": 400}
    (error,) = lobby.api.received(ALICE)
    assert (error["type"], error["error"]) == ("error", code)
    assert error["validActions"] == ["sendmessage", "joinroom"]


def test_an_unregistered_connection_is_told_to_reconnect(chat: Chat) -> None:
    ask(ALICE, {"sinceSeq": 0})
    (error,) = chat.api.received(ALICE)
    assert error["error"] == "not_connected"


def test_one_log_line_with_what_was_returned(
    lobby: Chat, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ask(ALICE, {"sinceSeq": 4})
    (line,) = log_records(capsys.readouterr().out)
    assert (line["route"], line["outcome"], line["room"]) == ("history", "ok", "lobby")
    assert (line["since_seq"], line["returned"], line["latest_seq"]) == (4, 2, 6)
