"""``$disconnect``: once per connection, with the close code and reason.

Behaviour: docs/apigw-websocket.md §3, §9."""

from __future__ import annotations

from typing import Any

import pytest
from websocket import ABNF

from tests.conformance.support import (
    ID,
    EventLog,
    access_lines,
    connect,
    connection_id_of,
    expect_close,
    poll,
    wire,
)
from tests.support import load_event
from wslab.aws import client
from wslab.deploy.wiring import WiredApi
from wslab.local.process import LocalAWSProcess

DISCONNECT_CAPTURE = load_event("powertools-python__apiGatewayWebSocketApiDisconnect.json")


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(
        aws, behave, ["$connect", "$disconnect", "$default", "echo"], two_way=["$default", "echo"]
    )


def disconnect_of(
    stack: LocalAWSProcess, event_log: EventLog, connection_id: str
) -> dict[str, Any]:
    """The connection's one DISCONNECT event, once ``$disconnect`` has returned."""
    poll(
        lambda: access_lines(stack.output(), "DISCONNECT", connection_id),
        what=f"$disconnect of {connection_id}",
    )
    records = event_log.of(connection_id, "DISCONNECT")
    assert len(records) == 1
    assert len(access_lines(stack.output(), "DISCONNECT", connection_id)) == 1
    return records[0].event


@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (1001, ""), (4001, "bye now")])
def test_client_close_code_and_reason_are_passed_on(
    api: WiredApi,
    local_stack: LocalAWSProcess,
    event_log: EventLog,
    code: int,
    reason: str,
) -> None:
    """A close frame's code and reason become ``disconnectStatusCode``/``disconnectReason``."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    ws.close(status=code, reason=reason.encode())
    context = disconnect_of(local_stack, event_log, connection_id)["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (code, reason)


def test_client_close_without_status(
    api: WiredApi, local_stack: LocalAWSProcess, event_log: EventLog
) -> None:
    """An empty close frame is reported as 1005 "Client-side close frame status not set"."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    ws.send(b"", ABNF.OPCODE_CLOSE)
    expect_close(ws)
    context = disconnect_of(local_stack, event_log, connection_id)["requestContext"]
    assert context["disconnectStatusCode"] == 1005
    assert context["disconnectReason"] == "Client-side close frame status not set"


def test_delete_connection_closes_with_1000(
    api: WiredApi, local_stack: LocalAWSProcess, event_log: EventLog
) -> None:
    """DeleteConnection closes with 1000; ``$disconnect`` gets "Connection Closed Normally"."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    management = client("apigatewaymanagementapi", api.management_url)
    response = management.delete_connection(ConnectionId=connection_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert expect_close(ws)[0] == 1000
    context = disconnect_of(local_stack, event_log, connection_id)["requestContext"]
    assert context["disconnectStatusCode"] == 1000
    assert context["disconnectReason"] == "Connection Closed Normally"


def test_dropped_connection_still_gets_disconnect(
    api: WiredApi, local_stack: LocalAWSProcess, event_log: EventLog
) -> None:
    """A TCP drop without a close frame still runs ``$disconnect`` once (1006: UNCONFIRMED)."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    ws.shutdown()
    context = disconnect_of(local_stack, event_log, connection_id)["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1006, "")


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (lambda ws: ws.send_binary(b"binary"), 1003),
        (lambda ws: ws.send("x" * (32 * 1024 + 1)), 1009),
    ],
    ids=["binary", "oversized"],
)
def test_gateway_close_still_runs_disconnect_once(
    api: WiredApi,
    local_stack: LocalAWSProcess,
    event_log: EventLog,
    send: Any,
    code: int,
) -> None:
    """After the gateway closes a connection for a bad frame, ``$disconnect`` gets its code."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    send(ws)
    assert expect_close(ws)[0] == code
    context = disconnect_of(local_stack, event_log, connection_id)["requestContext"]
    # The reason texts are UNCONFIRMED: RFC 6455's names of the codes.
    assert context["disconnectStatusCode"] == code


def test_disconnect_event_matches_the_aws_capture(
    api: WiredApi, local_stack: LocalAWSProcess, event_log: EventLog
) -> None:
    """The DISCONNECT event: AWS's key set and exactly the fixed four headers."""
    ws = connect(api.url, header=["User-Agent: conformance/1.0", "X-Api-Key: secret"])
    connection_id = connection_id_of(ws)
    ws.close()
    event = disconnect_of(local_stack, event_log, connection_id)
    [connected] = event_log.of(connection_id, "CONNECT")
    assert event.keys() == DISCONNECT_CAPTURE.keys()
    context = event["requestContext"]
    assert context.keys() == DISCONNECT_CAPTURE["requestContext"].keys()
    domain = f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    assert event["headers"] == {
        "Host": domain,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert event["multiValueHeaders"] == {
        "Host": [domain],
        "x-api-key": [""],
        "X-Forwarded-For": [""],
        "x-restapi": [""],
    }
    assert event["isBase64Encoded"] is False
    assert context["routeKey"] == "$disconnect" and context["eventType"] == "DISCONNECT"
    assert context["connectionId"] == connection_id
    assert (
        ID.fullmatch(context["requestId"]) and context["extendedRequestId"] == context["requestId"]
    )
    assert context["identity"] == {"userAgent": "conformance/1.0", "sourceIp": "127.0.0.1"}
    connect_context = connected.event["requestContext"]
    assert context["connectedAt"] == connect_context["connectedAt"]
    assert context["requestTimeEpoch"] >= connect_context["requestTimeEpoch"]
    assert context["requestId"] != connect_context["requestId"]
