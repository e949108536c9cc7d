"""`joinroom`: moving between rooms and receiving a room's recent history."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from chat import handlers

from .conftest import Chat
from .support import connect_event, load_event, log_records, message_event

ALICE, BOB, CAROL = "ALICEaaaaaaaaa=", "BOBbbbbbbbbbbb=", "CAROLccccccccc="


def connect(connection_id: str, room: str, user: str | None = None) -> None:
    event = connect_event(connection_id, {"roomId": room}, authorized_user=user)
    assert handlers.connect(event, None) == {"statusCode": 200}


def send(connection_id: str, text: str) -> None:
    body = json.dumps({"action": "sendmessage", "data": text})
    assert handlers.send_message(message_event(connection_id, body), None) == {"statusCode": 200}


def join(connection_id: str, body: dict[str, Any] | str) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return handlers.join_room(message_event(connection_id, text, route="joinroom"), None)


def room_of(chat: Chat, connection_id: str) -> str:
    return str(chat.connections.get_item(Key={"id": connection_id})["Item"]["roomId"])


def test_golden_event_moves_to_the_room_and_sends_its_history(chat: Chat) -> None:
    """The mover's item changes room; it gets `joined` with games' history, oldest first."""
    connect(ALICE, "lobby")
    connect(BOB, "games")
    send(BOB, "first")
    send(BOB, "second")
    event = load_event("wslab__message-joinroom.json")
    event["requestContext"]["connectionId"] = ALICE

    assert handlers.join_room(event, None) == {"statusCode": 200}

    assert room_of(chat, ALICE) == "games"
    (joined,) = chat.api.received(ALICE)
    assert joined["type"] == "joined"
    assert joined["room"] == "games"
    assert joined["lastSeq"] == 2
    assert [m["text"] for m in joined["history"]] == ["first", "second"]
    assert [m["seq"] for m in joined["history"]] == [1, 2]
    assert all(m["type"] == "message" and m["room"] == "games" for m in joined["history"])


def test_after_moving_only_the_new_room_is_heard(chat: Chat) -> None:
    """Messages in the old room stop arriving; the new room's start."""
    connect(ALICE, "lobby")
    connect(BOB, "lobby")
    connect(CAROL, "games")
    join(ALICE, {"action": "joinroom", "roomId": "games"})

    send(BOB, "in lobby")
    send(CAROL, "in games")

    texts = [m.get("text") for m in chat.api.received(ALICE) if m["type"] == "message"]
    assert texts == ["in games"]


def test_without_room_id_stays_and_gets_history(chat: Chat) -> None:
    """`{"action": "joinroom"}` right after connecting is how a client gets history."""
    connect(BOB, "lobby")
    send(BOB, "earlier")
    connect(ALICE, "lobby")

    assert join(ALICE, {"action": "joinroom"}) == {"statusCode": 200}

    (joined,) = chat.api.received(ALICE)
    assert joined["room"] == "lobby"
    assert [m["text"] for m in joined["history"]] == ["earlier"]
    assert room_of(chat, ALICE) == "lobby"


def test_empty_room_has_empty_history(chat: Chat) -> None:
    """A room nobody has spoken in: no history, lastSeq 0."""
    connect(ALICE, "lobby")
    join(ALICE, {"action": "joinroom", "roomId": "quiet"})
    (joined,) = chat.api.received(ALICE)
    assert (joined["history"], joined["lastSeq"]) == ([], 0)


def test_joined_names_the_member(chat: Chat) -> None:
    """`you` is the name others see on this connection's messages."""
    connect(ALICE, "lobby", user="alice")
    join(ALICE, {"action": "joinroom"})
    assert chat.api.received(ALICE)[0]["you"] == "alice"


def test_history_is_bounded(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """A joiner gets the newest HISTORY_LIMIT messages; HISTORY_KEEP are stored, no more."""
    monkeypatch.setenv("HISTORY_LIMIT", "5")
    monkeypatch.setenv("HISTORY_KEEP", "6")
    connect(BOB, "lobby")
    for n in range(1, 9):
        send(BOB, f"m{n}")
    connect(ALICE, "lobby")

    join(ALICE, {"action": "joinroom"})

    (joined,) = chat.api.received(ALICE)
    assert [m["seq"] for m in joined["history"]] == [4, 5, 6, 7, 8]
    assert joined["lastSeq"] == 8
    stored = chat.history.query(
        KeyConditionExpression="roomId = :r", ExpressionAttributeValues={":r": "lobby"}
    )["Items"]
    assert sorted(int(item["seq"]) for item in stored) == [0, 3, 4, 5, 6, 7, 8]  # 0: the counter


def test_expired_history_is_not_sent(chat: Chat) -> None:
    """History items past their TTL, not yet deleted by DynamoDB, are left out."""
    connect(BOB, "lobby")
    send(BOB, "old")
    send(BOB, "new")
    chat.history.update_item(
        Key={"roomId": "lobby", "seq": 1},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": int(time.time()) - 1},
    )
    connect(ALICE, "lobby")

    join(ALICE, {"action": "joinroom"})

    assert [m["text"] for m in chat.api.received(ALICE)[0]["history"]] == ["new"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"action": "joinroom", "roomId": "bad room"}', "invalid_room"),
        ('{"action": "joinroom", "roomId": ""}', "invalid_room"),
        ('{"action": "joinroom", "roomId": null}', "invalid_room"),
        ('{"action": "joinroom", "roomId": 7}', "invalid_room"),
        ('{"action": "joinroom", "roomId": "' + "r" * 65 + '"}', "invalid_room"),
        ("joinroom games", "invalid_json"),
        ('["joinroom"]', "invalid_message"),
    ],
)
def test_bad_input_is_answered_and_changes_nothing(chat: Chat, body: str, code: str) -> None:
    """The sender gets an error; it stays where it was."""
    connect(ALICE, "lobby")
    connect(BOB, "lobby")

    assert join(ALICE, body) == {"statusCode": 400}

    (error,) = chat.api.received(ALICE)
    assert (error["type"], error["error"]) == ("error", code)
    assert room_of(chat, ALICE) == "lobby"
    assert chat.api.received(BOB) == []


def test_unregistered_connection_cannot_join(chat: Chat) -> None:
    """No item, no room to move: not_connected, and no item is created."""
    assert join("STRANGERxxxxxx=", {"action": "joinroom", "roomId": "games"}) == {"statusCode": 400}
    assert chat.api.received("STRANGERxxxxxx=")[0]["error"] == "not_connected"
    assert "Item" not in chat.connections.get_item(Key={"id": "STRANGERxxxxxx="})


def test_joiner_gone_before_the_reply_is_removed(chat: Chat) -> None:
    """If the reply to the joiner itself gets 410, the joiner is the stale connection."""
    connect(ALICE, "lobby")
    chat.api.fail(ALICE, "GoneException", 410)

    join(ALICE, {"action": "joinroom", "roomId": "games"})

    assert "Item" not in chat.connections.get_item(Key={"id": ALICE})


def test_logs_the_move(chat: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """The route line has the new and the previous room and the history size."""
    connect(BOB, "games")
    send(BOB, "hi")
    connect(ALICE, "lobby")
    capsys.readouterr()

    join(ALICE, {"action": "joinroom", "roomId": "games"})

    (record,) = log_records(capsys.readouterr().out)
    assert (record["route"], record["room"], record["previous_room"], record["history"]) == (
        "joinroom",
        "games",
        "lobby",
        1,
    )
