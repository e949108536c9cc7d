"""`sendmessage`: validation, numbering, and the fan-out to the sender's room."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from chat import clients, handlers

from .conftest import Chat
from .support import connect_event, load_event, log_records, message_event

ALICE, BOB, CAROL = "ALICEaaaaaaaaa=", "BOBbbbbbbbbbbb=", "CAROLccccccccc="
DAVE, ERIN = "DAVEdddddddddd=", "ERINeeeeeeeeee="


def join(chat: Chat, connection_id: str, room: str, user: str | None = None) -> None:
    event = connect_event(connection_id, {"roomId": room}, authorized_user=user)
    assert handlers.connect(event, None) == {"statusCode": 200}


def send(connection_id: str, text: Any) -> dict[str, Any]:
    body = json.dumps({"action": "sendmessage", "data": text})
    return handlers.send_message(message_event(connection_id, body), None)


@pytest.fixture
def rooms(chat: Chat) -> Chat:
    """Alice, Bob and Carol in lobby; Dave and Erin in games."""
    for connection_id in (ALICE, BOB, CAROL):
        join(chat, connection_id, "lobby")
    for connection_id in (DAVE, ERIN):
        join(chat, connection_id, "games")
    return chat


def test_golden_event_reaches_everyone_in_the_room_and_no_one_else(rooms: Chat) -> None:
    """The sender's room gets the envelope (the sender too, to learn its seq)."""
    event = load_event("wslab__message-sendmessage.json")
    event["requestContext"]["connectionId"] = ALICE

    assert handlers.send_message(event, None) == {"statusCode": 200}

    for member in (ALICE, BOB, CAROL):
        (envelope,) = rooms.api.received(member)
        assert envelope["type"] == "message"
        assert envelope["room"] == "lobby"
        assert envelope["text"] == "Hello, room!"
        assert envelope["seq"] == 1
    assert rooms.api.received(DAVE) == rooms.api.received(ERIN) == []


def test_envelope_format(rooms: Chat) -> None:
    """Exactly the documented fields, the server time in ISO 8601 UTC with milliseconds."""
    send(BOB, "caf\u00e9 \u2615")
    (envelope,) = rooms.api.received(ALICE)
    assert set(envelope) == {"type", "room", "seq", "sender", "text", "sentAt"}
    assert envelope["text"] == "caf\u00e9 \u2615"
    assert re.fullmatch(r"guest-[0-9a-f]{8}", envelope["sender"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", envelope["sentAt"])
    # Non-ASCII goes out as UTF-8, not \u escapes, so the size limit means what it says.
    assert "caf\u00e9".encode() in rooms.api.delivered[ALICE][0]


def test_guest_names_are_stable_and_distinct(rooms: Chat) -> None:
    """Without an authorizer, each connection has its own stable guest name."""
    send(ALICE, "one")
    send(ALICE, "two")
    send(BOB, "three")
    senders = [envelope["sender"] for envelope in rooms.api.received(CAROL)]
    assert senders[0] == senders[1] != senders[2]
    assert ALICE not in json.dumps(rooms.api.received(CAROL))


def test_authorized_sender_is_named(chat: Chat) -> None:
    """The user from the authorizer is the envelope's sender."""
    join(chat, ALICE, "lobby", user="alice")
    join(chat, BOB, "lobby")
    send(ALICE, "hi")
    (envelope,) = chat.api.received(BOB)
    assert envelope["sender"] == "alice"


def test_management_endpoint_comes_from_the_event(rooms: Chat) -> None:
    """https://{domainName}/{stage} of the event, when no endpoint variable is set."""
    send(ALICE, "hi")
    assert set(rooms.endpoints) == {"https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"}


def test_sequence_numbers_count_per_room(rooms: Chat) -> None:
    """Each room numbers 1, 2, 3, ... on its own, whoever sends."""
    send(ALICE, "l1")
    send(DAVE, "g1")
    send(BOB, "l2")
    send(ERIN, "g2")
    send(CAROL, "l3")
    assert [e["seq"] for e in rooms.api.received(ALICE)] == [1, 2, 3]
    assert [e["text"] for e in rooms.api.received(ALICE)] == ["l1", "l2", "l3"]
    assert [e["seq"] for e in rooms.api.received(DAVE)] == [1, 2]


def test_message_is_kept_in_history_with_a_ttl(rooms: Chat) -> None:
    """The history item carries the envelope's fields and an expiry."""
    send(ALICE, "remember me")
    stored = rooms.history.get_item(Key={"roomId": "lobby", "seq": 1})["Item"]
    assert stored["text"] == "remember me"
    assert int(stored["expiresAt"]) > time.time()


def test_logs_route_and_broadcast_summary(rooms: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """One broadcast summary and one route line, both JSON."""
    capsys.readouterr()
    send(ALICE, "hi")
    summary, route = log_records(capsys.readouterr().out)
    assert summary["event"] == "broadcast"
    assert (summary["delivered"], summary["gone"], summary["failed"]) == (3, 0, 0)
    assert summary["recipients"] == 3
    assert isinstance(summary["duration_ms"], float)
    assert route["event"] == "route"
    assert (route["route"], route["room"], route["outcome"], route["seq"]) == (
        "sendmessage",
        "lobby",
        "ok",
        1,
    )
    assert isinstance(route["latency_ms"], float)


BAD_BODIES = [
    pytest.param("hello", "invalid_json", id="not-json"),
    pytest.param('{"action": "sendmessage", "data": "x"', "invalid_json", id="truncated-json"),
    pytest.param('["sendmessage", "x"]', "invalid_message", id="array"),
    pytest.param('"sendmessage"', "invalid_message", id="string"),
    pytest.param("42", "invalid_message", id="number"),
    pytest.param("null", "invalid_message", id="null"),
    pytest.param("", "empty_body", id="empty"),
    pytest.param(None, "empty_body", id="no-body"),
    pytest.param('{"action": "sendmessage"}', "missing_data", id="missing-data"),
    pytest.param('{"action": "sendmessage", "data": 42}', "invalid_data", id="data-number"),
    pytest.param('{"action": "sendmessage", "data": null}', "invalid_data", id="data-null"),
    pytest.param('{"action": "sendmessage", "data": {"t": 1}}', "invalid_data", id="data-object"),
    pytest.param('{"action": "sendmessage", "data": ["x"]}', "invalid_data", id="data-array"),
    pytest.param('{"action": "sendmessage", "data": true}', "invalid_data", id="data-bool"),
    pytest.param('{"action": "sendmessage", "data": ""}', "invalid_data", id="data-empty"),
    pytest.param('{"action": "sendmessage", "data": " \\n "}', "invalid_data", id="data-blank"),
    pytest.param('{"action": "sendmessage", "data": "\\ud800"}', "invalid_data", id="surrogate"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_bad_input_answers_the_sender_only(rooms: Chat, body: str | None, code: str) -> None:
    """The sender gets one JSON error; nobody else gets anything; nothing is numbered."""
    result = handlers.send_message(message_event(ALICE, body), None)

    assert result == {"statusCode": 400}
    (error,) = rooms.api.received(ALICE)
    assert error["type"] == "error"
    assert error["error"] == code
    assert error["message"]
    assert error["validActions"] == ["sendmessage", "joinroom"]
    assert error["examples"]["sendmessage"] == {"action": "sendmessage", "data": "Hello, room!"}
    assert rooms.api.received(BOB) == rooms.api.received(DAVE) == []
    assert "Item" not in rooms.history.get_item(Key={"roomId": "lobby", "seq": 0})


def test_size_limit_counts_utf8_bytes(rooms: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAX_MESSAGE_BYTES is UTF-8 bytes: 10 ASCII pass, 6 two-byte characters do not."""
    monkeypatch.setenv("MAX_MESSAGE_BYTES", "10")
    send(ALICE, "x" * 10)
    send(ALICE, "\u00e9" * 6)
    send(ALICE, "x" * 11)
    ok, too_big_utf8, too_big_ascii = rooms.api.received(ALICE)
    assert ok["type"] == "message"
    assert too_big_utf8["error"] == too_big_ascii["error"] == "message_too_large"
    assert "12 bytes" in too_big_utf8["message"] and "10 bytes" in too_big_utf8["message"]
    assert len(rooms.api.received(BOB)) == 1


def test_default_size_limit_is_4096_bytes(rooms: Chat) -> None:
    """The documented default."""
    send(ALICE, "x" * 4096)
    send(ALICE, "x" * 4097)
    ok, too_big = rooms.api.received(ALICE)
    assert ok["type"] == "message" and too_big["error"] == "message_too_large"


def test_unregistered_sender_is_told_to_reconnect(rooms: Chat) -> None:
    """A connection with no item (its $connect never stored one) gets not_connected."""
    result = send("STRANGERxxxxxx=", "hi")
    assert result == {"statusCode": 400}
    (error,) = rooms.api.received("STRANGERxxxxxx=")
    assert error["error"] == "not_connected"
    assert rooms.api.received(ALICE) == []


def test_expired_sender_is_treated_as_unregistered(rooms: Chat) -> None:
    """An item past its TTL, not yet deleted by DynamoDB, does not count."""
    rooms.connections.put_item(Item={"id": "OLDoooooooooooo=", "roomId": "lobby", "expiresAt": 1})
    send("OLDoooooooooooo=", "hi")
    assert rooms.api.received("OLDoooooooooooo=")[0]["error"] == "not_connected"
    assert rooms.api.received(ALICE) == []


def test_stale_target_is_removed_and_never_the_sender(
    rooms: Chat, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression for aws-samples/simple-websockets-chat-app: a 410 deletes the target."""
    rooms.api.fail(BOB, "GoneException", 410)
    capsys.readouterr()

    assert send(ALICE, "anyone there?") == {"statusCode": 200}

    assert "Item" not in rooms.connections.get_item(Key={"id": BOB})
    assert "Item" in rooms.connections.get_item(Key={"id": ALICE})
    assert "Item" in rooms.connections.get_item(Key={"id": CAROL})
    assert len(rooms.api.received(ALICE)) == len(rooms.api.received(CAROL)) == 1
    summary = log_records(capsys.readouterr().out)[0]
    assert (summary["delivered"], summary["gone"], summary["failed"]) == (2, 1, 0)

    # The next broadcast no longer tries the stale connection.
    send(CAROL, "again")
    assert rooms.api.attempts[BOB] == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ForbiddenException", 403),
        ("PayloadTooLargeException", 413),
        ("BadRequestException", 400),
        ("InternalServerError", 500),
    ],
)
def test_other_failures_are_counted_not_fatal(
    rooms: Chat, capsys: pytest.CaptureFixture[str], code: str, status: int
) -> None:
    """A failing target is logged and counted; it is kept; the rest still get the message."""
    rooms.api.fail(BOB, code, status)
    capsys.readouterr()

    assert send(ALICE, "hi") == {"statusCode": 200}

    assert len(rooms.api.received(CAROL)) == 1
    assert "Item" in rooms.connections.get_item(Key={"id": BOB})
    summary = log_records(capsys.readouterr().out)[0]
    assert (summary["delivered"], summary["gone"], summary["failed"]) == (2, 0, 1)
    assert summary["errors"] == {code: 1}
    assert summary["level"] == "WARNING"


@pytest.mark.parametrize(
    "code", ["LimitExceededException", "ThrottlingException", "TooManyRequestsException"]
)
def test_throttled_target_is_retried(
    rooms: Chat, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    """Two throttling answers, then success: delivered, with the retries counted."""
    rooms.api.fail(BOB, code, 429, times=2)
    capsys.readouterr()

    send(ALICE, "hi")

    assert rooms.api.attempts[BOB] == 3
    assert len(rooms.api.received(BOB)) == 1
    summary = log_records(capsys.readouterr().out)[0]
    assert (summary["delivered"], summary["failed"], summary["retries"]) == (3, 0, 2)


def test_throttling_retries_are_bounded(
    rooms: Chat, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A target throttled every time is tried POST_MAX_ATTEMPTS times, then counted failed."""
    monkeypatch.setenv("POST_MAX_ATTEMPTS", "4")
    rooms.api.fail(BOB, "LimitExceededException", 429)
    capsys.readouterr()

    assert send(ALICE, "hi") == {"statusCode": 200}

    assert rooms.api.attempts[BOB] == 4
    summary = log_records(capsys.readouterr().out)[0]
    assert (summary["delivered"], summary["failed"]) == (2, 1)
    assert summary["errors"] == {"LimitExceededException": 1}
    assert "Item" in rooms.connections.get_item(Key={"id": BOB})


def test_expired_connections_are_skipped(rooms: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """Items past expiresAt, which DynamoDB has not deleted yet, get no post."""
    rooms.connections.put_item(
        Item={"id": "GHOSTggggggggg=", "roomId": "lobby", "expiresAt": int(time.time()) - 1}
    )
    capsys.readouterr()

    send(ALICE, "hi")

    assert rooms.api.attempts["GHOSTggggggggg="] == 0
    summary = log_records(capsys.readouterr().out)[0]
    assert (summary["recipients"], summary["expired_skipped"]) == (3, 1)


def test_item_without_expiry_still_receives(rooms: Chat) -> None:
    """An item written without expiresAt (e.g. by hand) is treated as live."""
    rooms.connections.put_item(Item={"id": "HANDhhhhhhhhhh=", "roomId": "lobby"})
    send(ALICE, "hi")
    assert len(rooms.api.received("HANDhhhhhhhhhh=")) == 1


def test_big_room_is_read_over_several_pages(
    chat: Chat, capsys: pytest.CaptureFixture[str]
) -> None:
    """A room larger than one 1 MB Query page: every page is read, everyone receives."""
    members = [f"MEMBER{n:08d}=" for n in range(60)]
    padding = "p" * 30_000  # 60 items x 30 KB = 1.8 MB, so DynamoDB must page
    with chat.connections.batch_writer() as batch:
        for connection_id in members:
            batch.put_item(
                Item={
                    "id": connection_id,
                    "roomId": "big",
                    "expiresAt": int(time.time()) + 3600,
                    "padding": padding,
                }
            )
    queries: list[dict[str, Any]] = []
    # The handlers' own client: the one this execution environment will reuse.
    clients.dynamodb().meta.client.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: queries.append(parsed)
    )
    capsys.readouterr()

    send(members[0], "hello, everyone")

    # boto3's resource layer may already have turned {"S": "big"} into "big" here.
    room_queries = [
        q for q in queries if q["Items"] and q["Items"][0]["roomId"] in ("big", {"S": "big"})
    ]
    assert len(room_queries) >= 2
    assert "LastEvaluatedKey" in room_queries[0]
    assert sum(len(q["Items"]) for q in room_queries) == 60
    assert all(len(chat.api.received(member)) == 1 for member in members)
    summary = log_records(capsys.readouterr().out)[0]
    assert summary["pages"] >= 2
    assert summary["delivered"] == 60


def test_fan_out_never_scans(rooms: Chat) -> None:
    """The room is read with Query on the index; no Scan, ever."""
    operations: list[str] = []
    clients.dynamodb().meta.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: operations.append(model.name)
    )
    send(ALICE, "hi")
    assert "Query" in operations
    assert "Scan" not in operations
