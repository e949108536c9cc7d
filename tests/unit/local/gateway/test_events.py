"""Tests for :mod:`wslab.local.gateway.events`, checked against events captured on AWS."""

from __future__ import annotations

import calendar
import dataclasses
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from wslab.local.gateway.events import (
    ConnectionContext,
    authorizer_event,
    authorizer_request_context,
    connect_event,
    disconnect_event,
    iso8601_ms,
    message_event,
    new_trace_id,
    request_time,
)

Loader = Callable[[str], dict[str, Any]]

CONNECT_CAPTURES = [
    "dotnet__websocket-api-connect-request.json",
    "powertools-python__apiGatewayWebSocketApiConnect.json",
]
MESSAGE_CAPTURES = [
    "aws-lambda-go__apigw-websocket-request-send-message.json",
    "powertools-python__apiGatewayWebSocketApiMessage.json",
]
DISCONNECT_CAPTURES = [
    "aws-lambda-go__apigw-websocket-request-disconnect.json",
    "powertools-python__apiGatewayWebSocketApiDisconnect.json",
    "rust-lambda-events__example-apigw-websocket-request-disconnect-route.json",
]
AUTHORIZER_CAPTURE = "powertools-python__apiGatewayAuthorizerWebSocketEvent.json"
ALL_CAPTURES = [*CONNECT_CAPTURES, *MESSAGE_CAPTURES, *DISCONNECT_CAPTURES, AUTHORIZER_CAPTURE]

# The upgrade request of the dotnet capture as wscat sends it (its order, its spelling).
WSCAT_HEADERS = [
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "BvlrrFKoKAPDYOlwBcGKWw=="),
    ("Connection", "Upgrade"),
    ("Upgrade", "websocket"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ("HeaderAuth1", "headerValue1"),
    ("Host", "lg10ltpf4f.execute-api.us-east-2.amazonaws.com"),
]

AWS_ADDED = {"Host", "X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"}


def context_of(event: dict[str, Any], account_id: str = "123456789012") -> ConnectionContext:
    """The ConnectionContext that the captured event was built from."""
    request = event["requestContext"]
    return ConnectionContext(
        connection_id=request["connectionId"],
        api_id=request["apiId"],
        stage=request["stage"],
        domain_name=request["domainName"],
        region=request["domainName"].split(".")[2],
        account_id=account_id,
        connected_at_ms=request["connectedAt"],
        source_ip=request["identity"]["sourceIp"],
        user_agent=request["identity"].get("userAgent"),
    )


CTX = ConnectionContext(
    connection_id="IU3kkeN4IAMCJwA=",
    api_id="abcd1234",
    stage="prod",
    domain_name="abcd1234.execute-api.us-east-1.amazonaws.com",
    region="us-east-1",
    account_id="123456789012",
    connected_at_ms=1707502303419,
    source_ip="192.0.2.1",
)
NOW = 1707502303420


def header_names(event: dict[str, Any]) -> list[str]:
    """Header names in order, after checking the single- and multi-value maps agree."""
    assert list(event["headers"]) == list(event["multiValueHeaders"])
    for name, value in event["headers"].items():
        assert event["multiValueHeaders"][name][-1] == value
    return list(event["headers"])


# --- CONNECT ----------------------------------------------------------------------------


def test_connect_event_equals_the_dotnet_capture(aws_event: Loader) -> None:
    """Given the same upgrade request, the event is the captured one, key order included."""
    captured = aws_event("dotnet__websocket-api-connect-request.json")
    request = captured["requestContext"]
    built = connect_event(
        context_of(captured),
        WSCAT_HEADERS,
        [],
        request["requestId"],
        request["requestTimeEpoch"],
        trace_id=captured["headers"]["X-Amzn-Trace-Id"],
    )
    assert json.dumps(built) == json.dumps(captured)


@pytest.mark.parametrize("name", CONNECT_CAPTURES)
def test_connect_key_sets_match_captures(aws_event: Loader, name: str) -> None:
    """Top-level and requestContext keys are those of each real CONNECT event."""
    captured = aws_event(name)
    built = connect_event(context_of(captured), WSCAT_HEADERS, [], "BFHPhFe3IAMF95g=", NOW)
    assert list(built) == list(captured)
    assert list(built["requestContext"]) == list(captured["requestContext"])
    assert set(built["requestContext"]["identity"]) == set(captured["requestContext"]["identity"])
    assert set(captured["headers"]) - {"HeaderAuth1"} <= set(header_names(built))


def test_connect_headers_drop_connection_and_upgrade() -> None:
    """Connection and Upgrade never reach the $connect Lambda, whatever their case."""
    headers = [("connection", "upgrade"), ("upgrade", "websocket"), ("Origin", "http://x")]
    names = header_names(connect_event(CTX, headers, [], "r", NOW))
    assert "Origin" in names
    assert not {name.lower() for name in names} & {"connection", "upgrade"}


def test_connect_headers_drop_other_hop_by_hop_headers() -> None:
    """Keep-Alive, TE, Transfer-Encoding and headers listed in Connection are removed."""
    headers = [
        ("Connection", "Upgrade, Keep-Alive, X-Private"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Transfer-Encoding", "chunked"),
        ("X-Private", "1"),
        ("X-Public", "2"),
    ]
    names = header_names(connect_event(CTX, headers, [], "r", NOW))
    assert "X-Public" in names
    assert not {"Keep-Alive", "TE", "Transfer-Encoding", "X-Private"} & set(names)


def test_connect_headers_added_by_aws() -> None:
    """AWS adds the trace id and X-Forwarded-* headers and sets Host to the domain name."""
    event = connect_event(CTX, [("Host", "localhost:4566"), ("User-Agent", "ua")], [], "r", NOW)
    headers = event["headers"]
    assert set(headers) >= AWS_ADDED
    assert headers["Host"] == CTX.domain_name
    assert headers["X-Forwarded-For"] == CTX.source_ip
    assert headers["X-Forwarded-Port"] == "443"
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["User-Agent"] == "ua"
    seconds = f"{NOW // 1000:08x}"
    assert re.fullmatch(rf"Root=1-{seconds}-[0-9a-f]{{24}}", headers["X-Amzn-Trace-Id"])


def test_connect_headers_keep_client_case_and_sort() -> None:
    """Client spellings survive; headers are listed case-insensitively sorted as on AWS."""
    headers = [("x-lower", "1"), ("Accept-Language", "en"), ("sec-websocket-key", "k")]
    names = header_names(connect_event(CTX, headers, [], "r", NOW))
    assert "x-lower" in names and "sec-websocket-key" in names
    assert names == sorted(names, key=str.lower)


def test_connect_repeated_headers() -> None:
    """A repeated header keeps its first spelling, its last value, and all its values."""
    headers = [("X-Custom", "a"), ("x-custom", "b")]
    event = connect_event(CTX, headers, [], "r", NOW)
    assert event["headers"]["X-Custom"] == "b"
    assert event["multiValueHeaders"]["X-Custom"] == ["a", "b"]
    assert "x-custom" not in event["headers"]


def test_client_host_is_replaced() -> None:
    """A lower-case host header from the client does not survive next to Host."""
    names = header_names(connect_event(CTX, [("host", "127.0.0.1:4510")], [], "r", NOW))
    assert [name for name in names if name.lower() == "host"] == ["Host"]


def test_client_forwarded_for_is_extended() -> None:
    """An X-Forwarded-For from the client gets the source IP appended."""
    event = connect_event(CTX, [("X-Forwarded-For", "10.0.0.1")], [], "r", NOW)
    assert event["headers"]["X-Forwarded-For"] == "10.0.0.1, 192.0.2.1"


def test_connect_without_query_string_has_no_query_keys() -> None:
    """Without a query string both query maps are absent, not empty or null."""
    event = connect_event(CTX, [], [], "r", NOW)
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


def test_connect_with_query_string() -> None:
    """Query maps hold the last value and all values, placed before requestContext."""
    event = connect_event(CTX, [], [("token", "abc"), ("a", "1"), ("a", "2")], "r", NOW)
    assert event["queryStringParameters"] == {"token": "abc", "a": "2"}
    assert event["multiValueQueryStringParameters"] == {"token": ["abc"], "a": ["1", "2"]}
    assert list(event) == [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "isBase64Encoded",
    ]


def test_connect_request_context_values() -> None:
    """No messageId; requestId equals extendedRequestId; times in ms; no body."""
    event = connect_event(CTX, [], [], "IU3kkGyEoAMFwZQ=", NOW)
    request = event["requestContext"]
    assert "messageId" not in request
    assert request["requestId"] == request["extendedRequestId"] == "IU3kkGyEoAMFwZQ="
    assert request["routeKey"] == "$connect" and request["eventType"] == "CONNECT"
    assert request["messageDirection"] == "IN"
    assert request["connectedAt"] == CTX.connected_at_ms
    assert request["requestTimeEpoch"] == NOW
    assert request["requestTime"] == "09/Feb/2024:18:11:43 +0000"
    assert request["identity"] == {"sourceIp": "192.0.2.1"}
    assert event["isBase64Encoded"] is False
    assert "body" not in event


# --- MESSAGE ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", MESSAGE_CAPTURES)
def test_message_event_equals_capture(aws_event: Loader, name: str) -> None:
    """Rebuilt from its own values, each captured MESSAGE event comes out identical."""
    captured = aws_event(name)
    request = captured["requestContext"]
    built = message_event(
        context_of(captured),
        captured["body"],
        request["routeKey"],
        request["requestId"],
        request["messageId"],
        request["requestTimeEpoch"],
    )
    # extendedRequestId == requestId in every capture, so the rebuilt event is exact.
    assert json.dumps(built) == json.dumps(captured)


def test_message_event_has_no_headers() -> None:
    """A MESSAGE event carries no headers and no query string."""
    event = message_event(CTX, "hi", "$default", "r", "m", NOW)
    assert list(event) == ["requestContext", "body", "isBase64Encoded"]
    assert event["requestContext"]["messageId"] == "m"


def test_user_agent_appears_in_identity() -> None:
    """identity has userAgent first when the upgrade request had one."""
    ctx = dataclasses.replace(CTX, user_agent="Mozilla/5.0")
    identity = message_event(ctx, "hi", "$default", "r", "m", NOW)["requestContext"]["identity"]
    assert list(identity.items()) == [("userAgent", "Mozilla/5.0"), ("sourceIp", "192.0.2.1")]


# --- DISCONNECT -------------------------------------------------------------------------


@pytest.mark.parametrize("name", DISCONNECT_CAPTURES)
def test_disconnect_event_equals_capture(aws_event: Loader, name: str) -> None:
    """Rebuilt from its own values, each captured DISCONNECT event comes out identical."""
    captured = aws_event(name)
    request = captured["requestContext"]
    built = disconnect_event(
        context_of(captured),
        request["disconnectStatusCode"],
        request["disconnectReason"],
        request["requestId"],
        request["requestTimeEpoch"],
    )
    assert json.dumps(built) == json.dumps(captured)


def test_disconnect_headers_are_fixed() -> None:
    """DISCONNECT carries the four fixed headers, never the client's."""
    event = disconnect_event(CTX, 1000, "Connection Closed Normally", "r", NOW)
    assert event["headers"] == {
        "Host": CTX.domain_name,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert event["multiValueHeaders"] == {
        "Host": [CTX.domain_name],
        "x-api-key": [""],
        "X-Forwarded-For": [""],
        "x-restapi": [""],
    }
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    assert event["requestContext"]["disconnectReason"] == "Connection Closed Normally"


# --- authorizer -------------------------------------------------------------------------


def test_authorizer_event_matches_capture(aws_event: Loader) -> None:
    """The REQUEST authorizer event matches the capture, key order included."""
    captured = aws_event(AUTHORIZER_CAPTURE)
    request = captured["requestContext"]
    client_headers = [
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "CYZZrfNgEcgzzzwL44qytQ=="),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ("Authorization", "Leo"),
        ("Host", request["domainName"]),
    ]
    built = authorizer_event(
        context_of(captured, account_id="533568316194"),
        client_headers,
        [],
        {},
        request["requestId"],
        request["requestTimeEpoch"],
        trace_id=captured["headers"]["X-Amzn-Trace-Id"],
    )
    # The published capture lost Sec-WebSocket-Key from "headers" (it is still in
    # "multiValueHeaders"); AWS sends it in both, as on $connect.
    expected_headers = {**captured["headers"], "Sec-WebSocket-Key": "CYZZrfNgEcgzzzwL44qytQ=="}
    expected = {
        **captured,
        "headers": dict(sorted(expected_headers.items(), key=lambda item: item[0].lower())),
    }
    assert json.dumps(built) == json.dumps(expected)


def test_authorizer_event_has_empty_maps() -> None:
    """Query maps and stageVariables are present even when empty; the ARN ends in $connect."""
    event = authorizer_event(CTX, [], [], {}, "r", NOW)
    assert event["queryStringParameters"] == {}
    assert event["multiValueQueryStringParameters"] == {}
    assert event["stageVariables"] == {}
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:abcd1234/prod/$connect"
    assert event["headers"]["Connection"] == "upgrade"
    assert event["headers"]["Upgrade"] == "websocket"
    assert event["headers"]["content-length"] == "0"


def test_authorizer_event_carries_query_and_stage_variables() -> None:
    """Query string and stage variables reach the authorizer."""
    event = authorizer_event(CTX, [], [("token", "t")], {"env": "dev"}, "r", NOW)
    assert event["queryStringParameters"] == {"token": "t"}
    assert event["multiValueQueryStringParameters"] == {"token": ["t"]}
    assert event["stageVariables"] == {"env": "dev"}


def test_shared_trace_id() -> None:
    """The authorizer and $connect events of one upgrade can share a trace id."""
    trace = new_trace_id(NOW)
    first = authorizer_event(CTX, [], [], {}, "r", NOW, trace_id=trace)
    second = connect_event(CTX, [], [], "r", NOW, trace_id=trace)
    assert first["headers"]["X-Amzn-Trace-Id"] == second["headers"]["X-Amzn-Trace-Id"] == trace


def test_request_context_authorizer_on_every_event() -> None:
    """Once authorized, requestContext.authorizer appears on CONNECT, MESSAGE and DISCONNECT."""
    authorizer = authorizer_request_context("user", {"plan": "pro"}, 12)
    ctx = dataclasses.replace(CTX, authorizer=authorizer)
    events = [
        connect_event(ctx, [], [], "r", NOW),
        message_event(ctx, "hi", "$default", "r", "m", NOW),
        disconnect_event(ctx, 1005, "Client-side close frame status not set", "r", NOW),
    ]
    for event in events:
        assert event["requestContext"]["authorizer"] == authorizer
    assert "authorizer" not in authorizer_event(ctx, [], [], {}, "r", NOW)["requestContext"]
    assert "authorizer" not in connect_event(CTX, [], [], "r", NOW)["requestContext"]


def test_events_do_not_share_the_authorizer_dict() -> None:
    """A handler mutating its event cannot change later events."""
    ctx = dataclasses.replace(CTX, authorizer={"principalId": "u"})
    event = message_event(ctx, "hi", "$default", "r", "m", NOW)
    event["requestContext"]["authorizer"]["principalId"] = "changed"
    assert message_event(ctx, "hi", "$default", "r", "m", NOW)["requestContext"]["authorizer"] == {
        "principalId": "u"
    }


def test_authorizer_request_context_shape() -> None:
    """principalId, a numeric integrationLatency, then context values as strings."""
    built = authorizer_request_context(
        "user", {"name": "Ann", "count": 3, "admin": True, "ratio": 0.5, "principalId": "x"}, 7
    )
    assert built == {
        "principalId": "user",
        "integrationLatency": 7,
        "name": "Ann",
        "count": "3",
        "admin": "true",
        "ratio": "0.5",
    }


# --- times ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_CAPTURES)
def test_request_time_matches_captures(aws_event: Loader, name: str) -> None:
    """requestTime of every capture is its requestTimeEpoch in CLF."""
    request = aws_event(name)["requestContext"]
    assert request_time(request["requestTimeEpoch"]) == request["requestTime"]


def test_request_time_months_and_padding() -> None:
    """English month abbreviations, two-digit day, UTC."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    for month, name in enumerate(months, start=1):
        ms = calendar.timegm((2024, month, 3, 4, 5, 6, 0, 0, 0)) * 1000
        assert request_time(ms + 999) == f"03/{name}/2024:04:05:06 +0000"


def test_request_time_ignores_the_locale(german_time_locale: str) -> None:
    """Under a German LC_TIME the month is still "Mar", not "Mär"."""
    assert time.strftime("%b", time.gmtime(1709856000)) != "Mar"  # the locale is active
    assert request_time(1709856000000) == "08/Mar/2024:00:00:00 +0000"


def test_iso8601_ms() -> None:
    """GetConnection's timestamp format, with milliseconds."""
    assert iso8601_ms(1666814245104) == "2022-10-26T19:57:25.104Z"
    assert iso8601_ms(1666814245000) == "2022-10-26T19:57:25.000Z"
