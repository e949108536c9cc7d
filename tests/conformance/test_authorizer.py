"""The REQUEST authorizer on ``$connect``: 401, 403, and its result in later events.

Behaviour: docs/apigw-websocket.md §2.4."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.support import (
    EventLog,
    connect,
    connection_id_of,
    new_tag,
    refused_status,
    wire,
)
from tests.support import load_event
from wslab.deploy.wiring import WiredApi

AUTHORIZER_CAPTURE = load_event("powertools-python__apiGatewayAuthorizerWebSocketEvent.json")
ROUTES = ["$connect", "$disconnect", "$default"]


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    """Identity source: the ``token`` query parameter."""
    return wire(aws, behave, ROUTES, two_way=["$default"], authorizer_function=behave)


@pytest.fixture(scope="module")
def header_api(aws: Any, behave: str) -> WiredApi:
    """Identity source: the ``Auth`` header."""
    return wire(
        aws,
        behave,
        ROUTES,
        two_way=["$default"],
        authorizer_function=behave,
        identity_source=["route.request.header.Auth"],
    )


def test_missing_identity_source_is_401_without_calling_the_authorizer(
    api: WiredApi, event_log: EventLog
) -> None:
    """Without the identity source the upgrade gets 401 and no function runs."""
    tag = new_tag()
    assert refused_status(f"{api.url}?tag={tag}") == 401
    assert event_log.tagged(tag) == []


def test_deny_is_403(api: WiredApi, event_log: EventLog) -> None:
    """A Deny policy refuses the upgrade with 403 and ``$connect`` never runs."""
    tag = new_tag()
    assert refused_status(f"{api.url}?token=deny&tag={tag}") == 403
    assert [record.kind for record in event_log.tagged(tag)] == ["AUTHORIZER"]


def test_rest_style_resource_is_403(api: WiredApi, event_log: EventLog) -> None:
    """An Allow on a REST-style ``.../stage/*/*`` resource does not cover ``$connect``: 403."""
    tag = new_tag()
    assert refused_status(f"{api.url}?token=rest&tag={tag}") == 403
    assert [record.kind for record in event_log.tagged(tag)] == ["AUTHORIZER"]


def test_unauthorized_is_401(api: WiredApi, event_log: EventLog) -> None:
    """An authorizer failing with "Unauthorized" refuses the upgrade with 401."""
    tag = new_tag()
    assert refused_status(f"{api.url}?token=unauthorized&tag={tag}") == 401
    assert [record.kind for record in event_log.tagged(tag)] == ["AUTHORIZER"]


def test_authorizer_crash_is_500(api: WiredApi, event_log: EventLog) -> None:
    """An authorizer failing any other way refuses the upgrade with 500 (UNCONFIRMED guess)."""
    tag = new_tag()
    assert refused_status(f"{api.url}?token=crash&tag={tag}") == 500
    assert [record.kind for record in event_log.tagged(tag)] == ["AUTHORIZER"]


def test_header_identity_source(header_api: WiredApi) -> None:
    """A header identity source: absent gives 401, deny 403, allow connects."""
    assert refused_status(header_api.url) == 401
    assert refused_status(header_api.url, header=["Auth: deny"]) == 403
    ws = connect(header_api.url, header=["Auth: allow"])
    try:
        assert ws.getstatus() == 101
    finally:
        ws.close()


def test_allow_puts_principal_and_context_in_every_later_event(
    api: WiredApi, event_log: EventLog
) -> None:
    """After Allow, CONNECT, MESSAGE and DISCONNECT carry ``requestContext.authorizer``."""
    ws = connect(f"{api.url}?token=allow")
    connection_id = connection_id_of(ws, "anything")
    ws.close()
    [disconnected] = event_log.wait(connection_id, "DISCONNECT")
    [connected] = event_log.of(connection_id, "CONNECT")
    [message] = event_log.of(connection_id, "MESSAGE")
    for record in (connected, message, disconnected):
        authorizer = record.event["requestContext"]["authorizer"]
        assert authorizer["principalId"] == "user-allow"
        assert authorizer["user"] == "alice"
        # UNCONFIRMED for WebSocket: context values stringified as REST delivers them.
        assert authorizer["n"] == "1" and authorizer["flag"] == "true"
        assert isinstance(authorizer["integrationLatency"], int)
    # The authorizer ran once, for the connect; never for messages or $disconnect.
    assert len(event_log.of(connection_id, "AUTHORIZER")) == 1


def test_authorizer_event_matches_the_aws_capture(api: WiredApi, event_log: EventLog) -> None:
    """The authorizer gets the REQUEST event AWS sends: methodArn, upgrade headers, query."""
    ws = connect(f"{api.url}?token=allow&extra=1")
    connection_id = connection_id_of(ws, "anything")
    ws.close()
    [record] = event_log.wait(connection_id, "AUTHORIZER")
    event = record.event
    assert event.keys() == AUTHORIZER_CAPTURE.keys()
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == (
        f"arn:aws:execute-api:us-east-1:123456789012:{api.api_id}/{api.stage}/$connect"
    )
    headers = event["headers"]
    assert headers["Connection"] == "upgrade"
    assert headers["Upgrade"] == "websocket"
    assert headers["content-length"] == "0"
    assert headers["Host"] == f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    assert event["multiValueHeaders"] == {name: [value] for name, value in headers.items()}
    assert event["queryStringParameters"] == {"token": "allow", "extra": "1"}
    assert event["multiValueQueryStringParameters"] == {"token": ["allow"], "extra": ["1"]}
    assert event["stageVariables"] == {}
    context = event["requestContext"]
    assert context.keys() == AUTHORIZER_CAPTURE["requestContext"].keys()
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert context["connectionId"] == connection_id
