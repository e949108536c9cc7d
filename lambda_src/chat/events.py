"""Read-only views over the events API Gateway hands to the handlers.

The shapes are API Gateway's own (see `tests/events/` for real captures). Fields that
AWS leaves out in some events (`headers` on MESSAGE, `queryStringParameters` without a
query string, `body` outside MESSAGE) come back as empty values instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AuthorizerEvent", "WebSocketEvent"]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class WebSocketEvent:
    """A CONNECT, MESSAGE or DISCONNECT event from a Lambda proxy integration."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._context = _mapping(raw.get("requestContext"))

    @property
    def connection_id(self) -> str:
        """The connection's id, the key of its item in the connections table."""
        return str(self._context.get("connectionId", ""))

    @property
    def route_key(self) -> str:
        """The route API Gateway chose: `$connect`, `sendmessage`, `$default`, ..."""
        return str(self._context.get("routeKey", ""))

    @property
    def event_type(self) -> str:
        """`CONNECT`, `MESSAGE` or `DISCONNECT`."""
        return str(self._context.get("eventType", ""))

    @property
    def request_id(self) -> str:
        """API Gateway's id for this request, to match our logs with its access logs."""
        return str(self._context.get("requestId", ""))

    @property
    def domain_name(self) -> str:
        """The host the client connected to (the API's domain or a custom domain)."""
        return str(self._context.get("domainName", ""))

    @property
    def stage(self) -> str:
        """The stage name, the first path segment of the client's URL."""
        return str(self._context.get("stage", ""))

    @property
    def connected_at_ms(self) -> int | None:
        """When the connection was opened, epoch milliseconds (the same on every event)."""
        value = self._context.get("connectedAt")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def management_endpoint(self) -> str:
        """The @connections API base URL for this connection's API and stage."""
        return f"https://{self.domain_name}/{self.stage}"

    @property
    def body(self) -> str | None:
        """The text of the frame the client sent (MESSAGE events only)."""
        body = self.raw.get("body")
        return body if isinstance(body, str) else None

    @property
    def authorizer_user(self) -> str | None:
        """The user name our authorizer put in its `context`, if an authorizer ran."""
        user = _mapping(self._context.get("authorizer")).get("user")
        return user if isinstance(user, str) and user else None

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name (clients choose the case)."""
        wanted = name.lower()
        for key, value in _mapping(self.raw.get("headers")).items():
            if key.lower() == wanted and isinstance(value, str):
                return value
        return None

    def query(self, name: str) -> str | None:
        """A query-string parameter (the last value when repeated, as AWS gives it)."""
        value = _mapping(self.raw.get("queryStringParameters")).get(name)
        return value if isinstance(value, str) else None


class AuthorizerEvent:
    """The event of a REQUEST authorizer attached to the `$connect` route."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._context = _mapping(raw.get("requestContext"))

    @property
    def method_arn(self) -> str:
        """`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`."""
        return str(self.raw.get("methodArn", ""))

    @property
    def connection_id(self) -> str:
        """The id the connection will have if it is allowed."""
        return str(self._context.get("connectionId", ""))

    @property
    def request_id(self) -> str:
        """API Gateway's id for this request."""
        return str(self._context.get("requestId", ""))

    def query(self, name: str) -> str | None:
        """A query-string parameter; browsers cannot set headers on WebSocket upgrades."""
        value = _mapping(self.raw.get("queryStringParameters")).get(name)
        return value if isinstance(value, str) else None
