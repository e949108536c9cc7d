"""`$default`: every message no route took gets an error that says how to do it right."""

from __future__ import annotations

import pytest
from chat import handlers

from .conftest import Chat
from .support import load_event, message_event

ALICE = "ALICEaaaaaaaaa="


def test_golden_non_json_message(chat: Chat) -> None:
    """API Gateway sends non-JSON text to $default: the error explains the format."""
    event = load_event("wslab__message-default.json")
    connection_id = event["requestContext"]["connectionId"]

    assert handlers.default(event, None) == {"statusCode": 400}

    (error,) = chat.api.received(connection_id)
    assert error == {
        "type": "error",
        "error": "invalid_json",
        "message": "The message is not valid JSON.",
        "validActions": ["sendmessage", "joinroom"],
        "examples": {
            "sendmessage": {"action": "sendmessage", "data": "Hello, room!"},
            "joinroom": {"action": "joinroom", "roomId": "lobby"},
        },
    }


def test_real_aws_default_capture_without_action(chat: Chat) -> None:
    """The aws-lambda-go capture's body `{"a": 1}` has no action."""
    event = load_event("aws-lambda-go__apigw-websocket-request-send-message.json")
    handlers.default(event, None)
    (error,) = chat.api.received(event["requestContext"]["connectionId"])
    assert error["error"] == "missing_action"


@pytest.mark.parametrize(
    ("body", "code", "mentions"),
    [
        ('{"action": "dance"}', "unknown_action", '"dance"'),
        ('{"action": 12}', "unknown_action", "12"),
        ('{"action": "SendMessage", "data": "hi"}', "unknown_action", '"SendMessage"'),
        ('{"data": "hi"}', "missing_action", '"action"'),
        ('{"action": "sendmessage", "data": "hi"}', "route_not_deployed", '"sendmessage"'),
        ("[1, 2]", "invalid_message", "array"),
        ("true", "invalid_message", "boolean"),
        ("", "empty_body", "empty"),
    ],
)
def test_errors_name_the_problem(chat: Chat, body: str, code: str, mentions: str) -> None:
    """Each kind of wrong message has its own code and a message naming the problem."""
    assert handlers.default(message_event(ALICE, body, route="$default"), None) == {
        "statusCode": 400
    }
    (error,) = chat.api.received(ALICE)
    assert error["error"] == code
    assert mentions in error["message"]
    assert error["validActions"] == ["sendmessage", "joinroom"]


def test_long_unknown_action_is_cut_short(chat: Chat) -> None:
    """A huge action value is not echoed back in full."""
    handlers.default(
        message_event(ALICE, '{"action": "' + "x" * 5000 + '"}', route="$default"), None
    )
    (error,) = chat.api.received(ALICE)
    assert len(error["message"]) < 100


def test_nothing_is_broadcast_or_stored(chat: Chat) -> None:
    """$default never touches the room or the history."""
    chat.connections.put_item(Item={"id": "BOBbbbbbbbbbbb=", "roomId": "lobby"})
    chat.connections.put_item(Item={"id": ALICE, "roomId": "lobby"})
    handlers.default(
        message_event(ALICE, '{"action": "shout", "data": "hi"}', route="$default"), None
    )
    assert chat.api.received("BOBbbbbbbbbbbb=") == []
    assert chat.history.scan()["Items"] == []


@pytest.mark.parametrize(
    "body",
    [
        '{"action": "sendmessage", "data": NaN}',
        '{"action": "sendmessage", "data": Infinity}',
        '{"action": "joinroom", "n": -Infinity}',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 5_000 + "1" + "}" * 5_000,
        '{"action": "sendmessage", "data": "\\ud800" ',
        "\x00\x01\x02",
    ],
)
def test_anything_the_parser_refuses_is_invalid_json(chat: Chat, body: str) -> None:
    """NaN and Infinity (not JSON), nesting deeper than the parser goes, broken text: the
    client gets `invalid_json`, never `Internal server error` or a misleading code."""
    assert handlers.default(message_event(ALICE, body, route="$default"), None) == {
        "statusCode": 400
    }
    (error,) = chat.api.received(ALICE)
    assert error["error"] == "invalid_json"


def test_a_number_of_thousands_of_digits_is_still_json(chat: Chat) -> None:
    """JSON numbers have no size limit (Python's int() stops at 4,300 digits)."""
    body = '{"action": "dance", "n": ' + "7" * 5_000 + "}"
    handlers.default(message_event(ALICE, body, route="$default"), None)
    (error,) = chat.api.received(ALICE)
    assert error["error"] == "unknown_action"


def test_history_on_default_means_the_route_is_missing(chat: Chat) -> None:
    """`history` is an action clients send by themselves: it has a route of its own."""
    handlers.default(
        message_event(ALICE, '{"action": "history", "sinceSeq": 0}', route="$default"), None
    )
    (error,) = chat.api.received(ALICE)
    assert error["error"] == "route_not_deployed"
    assert '"history"' in error["message"]
