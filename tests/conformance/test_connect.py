"""Connecting: stages, ``$connect``, subprotocols and the CONNECT event.

Behaviour: docs/apigw-websocket.md §2, §9 items 1-2."""

from __future__ import annotations

import json
import re
import time
from calendar import timegm
from typing import Any

import pytest

from tests.conformance.support import (
    ID,
    REQUEST_TIME,
    EventLog,
    ask,
    connect,
    connection_id_of,
    new_tag,
    refused_status,
    wire,
)
from tests.support import load_event
from wslab.aws import client
from wslab.deploy.wiring import WiredApi

CONNECT_CAPTURE = load_event("powertools-python__apiGatewayWebSocketApiConnect.json")
CONNECT_WITH_QUERY = load_event("wslab__connect.json")


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(
        aws, behave, ["$connect", "$disconnect", "$default", "echo"], two_way=["$default", "echo"]
    )


def test_unknown_stage_is_refused(api: WiredApi) -> None:
    """An upgrade to a stage the API does not have is refused with 403."""
    assert refused_status(f"{api.api_endpoint}/nosuchstage") == 403


def test_undeployed_stage_is_refused(aws: Any, api: WiredApi) -> None:
    """A stage that exists but has no deployment serves nothing: 403."""
    aws("apigatewayv2").create_stage(ApiId=api.api_id, StageName="undeployed")
    assert refused_status(f"{api.api_endpoint}/undeployed") == 403


def test_connect_without_connect_route_is_accepted(aws: Any, behave: str) -> None:
    """With no ``$connect`` route, every upgrade is accepted."""
    bare = wire(aws, behave, ["$default"], two_way=["$default"])
    ws = connect(bare.url)
    try:
        assert json.loads(ask(ws, "hi"))["route"] == "$default"
    finally:
        ws.close()


@pytest.mark.parametrize("status", [200, 201, 204])
def test_connect_2xx_upgrades(api: WiredApi, status: int) -> None:
    """Any 2xx ``statusCode`` from ``$connect`` gives 101 and a working connection."""
    ws = connect(f"{api.url}?status={status}")
    try:
        assert ws.getstatus() == 101
        assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"
    finally:
        ws.close()


@pytest.mark.parametrize("status", [400, 401, 403, 429, 500, 501])
def test_connect_other_status_refuses_with_that_status(api: WiredApi, status: int) -> None:
    """Any other ``statusCode`` refuses the upgrade with exactly that HTTP status."""
    assert refused_status(f"{api.url}?status={status}") == status


def test_connect_exception_gives_502(api: WiredApi) -> None:
    """A ``$connect`` function that raises refuses the upgrade with 502."""
    assert refused_status(f"{api.url}?raise=1") == 502


def test_connect_timeout_gives_504(aws: Any, behave: str) -> None:
    """``$connect`` past its TimeoutInMillis refuses the upgrade with 504 (UNCONFIRMED guess)."""
    slow = wire(aws, behave, ["$connect", "$default"], timeout_ms={"$connect": 300})
    assert refused_status(f"{slow.url}?sleep=1") == 504


def test_only_subprotocol_reaches_the_client(api: WiredApi) -> None:
    """Of ``$connect``'s result only ``Sec-WebSocket-Protocol`` reaches the client."""
    ws = connect(f"{api.url}?protocol=chat", subprotocols=["chat", "superchat"])
    try:
        assert ws.getsubprotocol() == "chat"
        headers = {name.lower() for name in ws.getheaders()}
        assert "x-extra" not in headers
        # The body is dropped: the first frame the client gets is the answer to its message.
        assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"
    finally:
        ws.close()


def test_gateway_never_adds_a_subprotocol(api: WiredApi) -> None:
    """A requested subprotocol the function does not return is not echoed by the gateway."""
    ws = connect(api.url, header=["Sec-WebSocket-Protocol: chat"])
    try:
        assert "sec-websocket-protocol" not in {name.lower() for name in ws.getheaders()}
    finally:
        ws.close()


def test_connections_api_is_gone_during_connect(api: WiredApi, event_log: EventLog) -> None:
    """Inside ``$connect`` POST and GET on the connection's own id answer 410 GoneException."""
    tag = new_tag()
    ws = connect(f"{api.url}?probe=1&tag={tag}")
    try:
        [connected] = event_log.tagged(tag, "CONNECT")
        assert json.loads(connected.item["probe"]) == {
            "post": "GoneException 410",
            "get": "GoneException 410",
        }
        # Once the 101 is sent, the same id is postable.
        connection_id = connected.event["requestContext"]["connectionId"]
        client("apigatewaymanagementapi", api.management_url).post_to_connection(
            ConnectionId=connection_id, Data=b"now-connected"
        )
        assert ws.recv() == "now-connected"
    finally:
        ws.close()


def _check_common_request_context(
    context: dict[str, Any], api: WiredApi, before_ms: int, after_ms: int
) -> None:
    assert re.fullmatch(r"[a-z0-9]{10}", context["apiId"]) and context["apiId"] == api.api_id
    assert context["domainName"] == f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    assert context["stage"] == api.stage
    assert context["messageDirection"] == "IN"
    assert ID.fullmatch(context["connectionId"])
    assert ID.fullmatch(context["requestId"])
    assert context["extendedRequestId"] == context["requestId"]
    assert REQUEST_TIME.fullmatch(context["requestTime"])
    epoch = context["requestTimeEpoch"]
    assert isinstance(epoch, int) and before_ms <= epoch <= after_ms
    parsed = time.strptime(context["requestTime"], "%d/%b/%Y:%H:%M:%S +0000")
    assert timegm(parsed) == epoch // 1000
    assert isinstance(context["connectedAt"], int)
    assert before_ms <= context["connectedAt"] <= epoch


def test_connect_event_matches_the_aws_capture(api: WiredApi, event_log: EventLog) -> None:
    """The CONNECT event has AWS's key sets, headers, ids and time formats."""
    before = int(time.time() * 1000)
    ws = connect(api.url, header=["User-Agent: conformance/1.0", "X-Custom-Case: Kept"])
    try:
        connection_id = connection_id_of(ws)
    finally:
        ws.close()
    after = int(time.time() * 1000)
    [record] = event_log.wait(connection_id, "CONNECT")
    event = record.event
    assert event.keys() == CONNECT_CAPTURE.keys()
    context = event["requestContext"]
    assert context.keys() == CONNECT_CAPTURE["requestContext"].keys()
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert context["connectionId"] == connection_id
    assert context["identity"] == {"userAgent": "conformance/1.0", "sourceIp": "127.0.0.1"}
    assert context["connectedAt"] <= context["requestTimeEpoch"] <= after
    _check_common_request_context(context, api, before, after)
    assert event["isBase64Encoded"] is False

    headers = event["headers"]
    # What websocket-client sent, less Connection and Upgrade, plus what AWS adds.
    assert headers.keys() == {
        "Host",
        "Origin",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "User-Agent",
        "X-Custom-Case",
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
    }
    assert not {"connection", "upgrade"} & {name.lower() for name in headers}
    assert headers["Host"] == context["domainName"]
    assert headers["X-Custom-Case"] == "Kept"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == "443"
    assert headers["X-Forwarded-Proto"] == "https"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert event["multiValueHeaders"] == {name: [value] for name, value in headers.items()}


def test_connect_event_carries_the_query_string(api: WiredApi, event_log: EventLog) -> None:
    """With a query string, CONNECT has both query maps: last value, and every value."""
    ws = connect(f"{api.url}?room=a&room=b&token=t")
    try:
        connection_id = connection_id_of(ws)
    finally:
        ws.close()
    [record] = event_log.wait(connection_id, "CONNECT")
    assert record.event.keys() == CONNECT_WITH_QUERY.keys()
    assert record.event["queryStringParameters"] == {"room": "b", "token": "t"}
    assert record.event["multiValueQueryStringParameters"] == {
        "room": ["a", "b"],
        "token": ["t"],
    }
