"""An integration's ``RequestParameters`` (docs/apigw-websocket.md §5.2)."""

from __future__ import annotations

from wslab.local.gateway.parameters import integration_parameters

EVENT = {
    "headers": {"Auth": "token-1"},
    "queryStringParameters": {"room": "blue"},
    "requestContext": {"connectionId": "C1", "authorizer": {"principalId": "ada"}},
    "body": '{"user": {"name": "bob"}}',
}


def test_every_source() -> None:
    """Static text, the connect's header and query, body paths, context and stage variables."""
    mapped = integration_parameters(
        [
            ("integration.request.header.X-Static", "'fixed'"),
            ("integration.request.header.X-Auth", "route.request.header.auth"),
            ("integration.request.querystring.room", "route.request.querystring.room"),
            ("integration.request.querystring.user", "route.request.body.user.name"),
            ("integration.request.header.X-Principal", "context.authorizer.principalId"),
            ("integration.request.header.X-Env", "stageVariables.env"),
        ],
        EVENT,
        {"env": "dev"},
    )
    assert mapped.headers == {
        "X-Static": "fixed",
        "X-Auth": "token-1",
        "X-Principal": "ada",
        "X-Env": "dev",
    }
    assert mapped.query == {"room": "blue", "user": "bob"}


def test_what_resolves_to_nothing_is_left_out() -> None:
    """A missing header, path, variable or an unknown source maps nothing."""
    mapped = integration_parameters(
        [
            ("integration.request.header.A", "route.request.header.missing"),
            ("integration.request.header.B", "route.request.body.nothing"),
            ("integration.request.header.C", "context.authorizer"),
            ("integration.request.header.D", "stageVariables.none"),
            ("integration.request.header.E", "method.request.header.x"),
            ("integration.request.path.F", "'x'"),
        ],
        {"body": "not json"},
        {},
    )
    assert mapped.headers == {} and mapped.query == {}
