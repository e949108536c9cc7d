"""Route selection, the Forbidden frame and redeploy semantics.

Behaviour: docs/apigw-websocket.md §1, §8, §9."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conformance.support import ask, connect, error_frame_pattern, wire
from wslab.deploy.wiring import WiredApi, integration_uri


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(
        aws,
        behave,
        ["$connect", "$default", "echo", "sendmessage"],
        two_way=["$default", "echo", "sendmessage"],
    )


@pytest.fixture
def ws(api: WiredApi) -> Any:
    socket = connect(api.url)
    yield socket
    socket.close()


def route_of(ws: Any, message: str | dict[str, Any]) -> str:
    """The route the behave function says handled ``message``."""
    return str(json.loads(ask(ws, message))["route"])


def add_route(aws: Any, api: WiredApi, function: str, route_key: str) -> None:
    """A two-way route on the API's configuration, not yet deployed."""
    apigw = aws("apigatewayv2")
    arn = aws("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    integration = apigw.create_integration(
        ApiId=api.api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=integration_uri(apigw.meta.region_name, arn),
    )
    route = apigw.create_route(
        ApiId=api.api_id,
        RouteKey=route_key,
        Target=f"integrations/{integration['IntegrationId']}",
        RouteResponseSelectionExpression="$default",
    )
    apigw.create_route_response(
        ApiId=api.api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
    )


def test_action_selects_the_route(ws: Any) -> None:
    """``$request.body.action`` picks the route whose key equals it."""
    assert route_of(ws, {"action": "sendmessage", "data": "hi"}) == "sendmessage"
    assert route_of(ws, {"action": "echo"}) == "echo"


def test_nested_path_selects_the_route(aws: Any, behave: str) -> None:
    """A nested path such as ``$request.body.service.do`` is followed into the body."""
    nested = wire(
        aws,
        behave,
        ["$default", "join"],
        two_way=["$default", "join"],
        route_selection_expression="$request.body.service.do",
    )
    ws = connect(nested.url)
    try:
        assert route_of(ws, {"service": {"do": "join"}}) == "join"
        assert route_of(ws, {"service": "join"}) == "$default"
    finally:
        ws.close()


def test_braced_variables_mixed_with_text(aws: Any, behave: str) -> None:
    """``${request.body.service}/${request.body.action}`` is evaluated with its static text."""
    mixed = wire(
        aws,
        behave,
        ["$default", "chat/join"],
        two_way=["$default", "chat/join"],
        route_selection_expression="${request.body.service}/${request.body.action}",
    )
    ws = connect(mixed.url)
    try:
        assert route_of(ws, {"service": "chat", "action": "join", "data": {}}) == "chat/join"
        # A missing path evaluates to "": "chat/" matches nothing.
        assert route_of(ws, {"service": "chat"}) == "$default"
    finally:
        ws.close()


def test_missing_key_falls_to_default(ws: Any) -> None:
    """A JSON message without the selection key goes to ``$default``."""
    assert route_of(ws, {"type": "sendmessage"}) == "$default"


def test_unknown_key_falls_to_default(ws: Any) -> None:
    """A key no route has goes to ``$default``."""
    assert route_of(ws, {"action": "nosuchroute"}) == "$default"


def test_non_json_falls_to_default(ws: Any) -> None:
    """A message that is not JSON is routed to ``$default``."""
    assert route_of(ws, "sendmessage") == "$default"
    assert route_of(ws, '{"action": "echo"') == "$default"


def test_route_keys_are_case_sensitive(ws: Any) -> None:
    """``ECHO`` does not select ``echo`` (UNCONFIRMED on AWS; the spec's best guess)."""
    assert route_of(ws, {"action": "ECHO"}) == "$default"


@pytest.mark.parametrize("message", ['["echo"]', '"echo"', '{"action": null}', ""])
def test_unroutable_json_falls_to_default(ws: Any, message: str) -> None:
    """Top-level arrays and scalars, null keys and empty frames go to ``$default`` (best guess)."""
    assert route_of(ws, message) == "$default"


def test_reserved_keys_are_never_selected(ws: Any) -> None:
    """A message naming ``$connect`` or ``$disconnect`` goes to ``$default``."""
    assert route_of(ws, {"action": "$connect"}) == "$default"
    assert route_of(ws, {"action": "$disconnect"}) == "$default"


def test_no_route_and_no_default_sends_forbidden_frame(aws: Any, behave: str) -> None:
    """Without a match or ``$default`` the client gets the Forbidden frame and stays connected."""
    strict = wire(aws, behave, ["echo"], two_way=["echo"])
    ws = connect(strict.url)
    try:
        connection_id = json.loads(ask(ws, {"action": "echo"}))["connectionId"]
        forbidden = error_frame_pattern("Forbidden", connection_id)
        first = ask(ws, {"action": "other"})
        second = ask(ws, "not json")
        assert forbidden.fullmatch(first) and forbidden.fullmatch(second)
        assert first != second  # each has its own requestId
        assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"
    finally:
        ws.close()


def test_route_added_after_deployment_is_live_only_after_redeploy(aws: Any, behave: str) -> None:
    """A new route answers Forbidden until CreateDeployment, then works on open connections."""
    strict = wire(aws, behave, ["echo"], two_way=["echo"])
    ws = connect(strict.url)
    try:
        connection_id = json.loads(ask(ws, {"action": "echo"}))["connectionId"]
        forbidden = error_frame_pattern("Forbidden", connection_id)
        add_route(aws, strict, behave, "late")
        assert forbidden.fullmatch(ask(ws, {"action": "late"}))
        aws("apigatewayv2").create_deployment(ApiId=strict.api_id, StageName=strict.stage)
        # Each message is routed with the stage's current deployment, even on this
        # connection opened before it.
        assert route_of(ws, {"action": "late"}) == "late"
    finally:
        ws.close()
    fresh = connect(strict.url)
    try:
        assert route_of(fresh, {"action": "late"}) == "late"
    finally:
        fresh.close()


def test_route_added_after_deployment_falls_to_default_until_redeploy(
    aws: Any, behave: str
) -> None:
    """With ``$default``, a route not yet deployed is handled by ``$default``."""
    lenient = wire(aws, behave, ["$default"], two_way=["$default"])
    ws = connect(lenient.url)
    try:
        add_route(aws, lenient, behave, "late")
        assert route_of(ws, {"action": "late"}) == "$default"
        aws("apigatewayv2").create_deployment(ApiId=lenient.api_id, StageName=lenient.stage)
        assert route_of(ws, {"action": "late"}) == "late"
    finally:
        ws.close()
