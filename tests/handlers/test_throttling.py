"""DynamoDB throttling, once the SDK's own retries are spent: what each route does.

botocore's ``Stubber`` answers the handlers' own DynamoDB client call by call, so a
throttling error lands exactly where a test wants it (DynamoDB cannot be made to throttle
on demand). Nothing a client sent is lost without it knowing, nothing is stored twice,
and no throttle turns into ``Internal server error``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from chat import clients, handlers

from .conftest import Chat
from .support import connect_event, disconnect_event, log_records, message_event

ALICE, BOB = "ALICEaaaaaaaaa=", "BOBbbbbbbbbbbb="


@pytest.fixture
def dynamodb(chat: Chat) -> Iterator[Stubber]:
    """The handlers' DynamoDB client, every call answered by the test, in order."""
    with Stubber(clients.dynamodb().meta.client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def throttle(stubber: Stubber, operation: str, code: str = "ThrottlingException") -> None:
    stubber.add_client_error(operation, service_error_code=code, http_status_code=400)


def sender_found(stubber: Stubber) -> None:
    stubber.add_response(
        "get_item",
        # A new dict each time: boto3's resource layer turns the answer into Python values
        # in place.
        {"Item": {"id": {"S": ALICE}, "roomId": {"S": "lobby"}, "expiresAt": {"N": "9999999999"}}},
        {"TableName": ANY, "Key": ANY, "ConsistentRead": True},
    )


def send(text: str = "hi") -> dict[str, Any]:
    body = json.dumps({"action": "sendmessage", "data": text})
    return handlers.send_message(message_event(ALICE, body), None)


def last_route_line(output: str) -> dict[str, Any]:
    return [line for line in log_records(output) if line["event"] == "route"][-1]


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"],
)
def test_throttled_numbering_tells_the_sender_to_send_again(
    chat: Chat, dynamodb: Stubber, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    """The counter's UpdateItem throttled: nothing stored or sent, the sender may resend."""
    sender_found(dynamodb)
    throttle(dynamodb, "update_item", code)

    assert send() == {"statusCode": 429}

    (error,) = chat.api.received(ALICE)
    assert (error["type"], error["error"]) == ("error", "throttled")
    line = last_route_line(capsys.readouterr().out)
    assert (line["outcome"], line["error"], line["level"]) == ("throttled", "throttled", "INFO")


def test_throttled_storing_burns_a_number_but_stores_nothing(chat: Chat, dynamodb: Stubber) -> None:
    """Numbered (seq 7) but the PutItem throttled: the sender resends; the others see 7
    missing, and `history` says it does not exist."""
    sender_found(dynamodb)
    dynamodb.add_response("update_item", {"Attributes": {"lastSeq": {"N": "7"}}})
    throttle(dynamodb, "put_item", "ProvisionedThroughputExceededException")

    assert send() == {"statusCode": 429}
    (error,) = chat.api.received(ALICE)
    assert error["error"] == "throttled"


def test_throttled_broadcast_keeps_the_message_and_tells_the_sender_its_number(
    chat: Chat, dynamodb: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stored as seq 3, then the room's Query throttled: sending it again would make a
    second message, so the sender gets its own copy; the others fetch it with `history`."""
    sender_found(dynamodb)
    dynamodb.add_response("update_item", {"Attributes": {"lastSeq": {"N": "3"}}})
    dynamodb.add_response("put_item", {})
    throttle(dynamodb, "query")

    assert send("kept") == {"statusCode": 200}

    (mine,) = chat.api.received(ALICE)
    assert (mine["type"], mine["seq"], mine["text"]) == ("message", 3, "kept")
    assert chat.api.received(BOB) == []
    line = last_route_line(capsys.readouterr().out)
    assert (line["outcome"], line["seq"], line["error"]) == ("not_broadcast", 3, "throttled")


def test_throttled_join_and_history_say_so(chat: Chat, dynamodb: Stubber) -> None:
    throttle(dynamodb, "get_item")
    handlers.join_room(message_event(ALICE, '{"action": "joinroom"}', route="joinroom"), None)
    throttle(dynamodb, "get_item")
    handlers.history(
        message_event(ALICE, '{"action": "history", "sinceSeq": 0}', route="history"), None
    )
    assert [e["error"] for e in chat.api.received(ALICE)] == ["throttled", "throttled"]


def test_throttled_connect_refuses_the_upgrade_with_429(chat: Chat, dynamodb: Stubber) -> None:
    """Nothing can be posted before the connection exists: 429 tells the client to retry."""
    throttle(dynamodb, "put_item")
    assert handlers.connect(connect_event(ALICE, {"roomId": "lobby"}), None) == {"statusCode": 429}


def test_throttled_disconnect_is_logged_not_raised(
    chat: Chat, dynamodb: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    throttle(dynamodb, "delete_item")
    assert handlers.disconnect(disconnect_event(ALICE), None) == {"statusCode": 429}
    assert last_route_line(capsys.readouterr().out)["outcome"] == "throttled"


def test_other_dynamodb_errors_still_fail_the_invocation(
    chat: Chat, dynamodb: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing table is a deployment mistake: Lambda counts the error, the client gets
    `Internal server error`, and the log line names it."""
    dynamodb.add_client_error("get_item", service_error_code="ResourceNotFoundException")
    with pytest.raises(ClientError):
        send()
    line = last_route_line(capsys.readouterr().out)
    assert (line["outcome"], line["error"], line["level"]) == (
        "exception",
        "ResourceNotFoundException",
        "ERROR",
    )
