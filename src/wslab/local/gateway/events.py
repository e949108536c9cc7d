"""Lambda events in the shapes API Gateway WebSocket APIs deliver.

Behaviour: docs/apigw-websocket.md §2.3, §2.4, §3 and §4.

Each builder returns a fresh ``dict`` ready for ``json.dumps``. Key sets and key order
follow events captured on AWS (``tests/events/``):

* CONNECT: ``headers``, ``multiValueHeaders``, ``queryStringParameters`` and
  ``multiValueQueryStringParameters`` only when the URL had a query string,
  ``requestContext``, ``isBase64Encoded``. No body.
* MESSAGE: ``requestContext`` (with ``messageId``), ``body``, ``isBase64Encoded``.
* DISCONNECT: fixed ``headers`` / ``multiValueHeaders`` (``Host``, ``x-api-key``,
  ``X-Forwarded-For``, ``x-restapi``), ``requestContext`` with ``disconnectStatusCode`` and
  ``disconnectReason``, ``isBase64Encoded``.
* Authorizer (REQUEST): ``type``, ``methodArn``, headers including ``Connection``,
  ``Upgrade`` and ``content-length``, query maps and ``stageVariables`` even when empty,
  ``requestContext``.

Header handling on connect. The client's headers keep the case they were sent in. AWS adds
``X-Amzn-Trace-Id``, ``X-Forwarded-For``, ``X-Forwarded-Port: 443`` and
``X-Forwarded-Proto: https`` and sets ``Host`` to the API's domain name. Hop-by-hop headers
do not reach the Lambda proxy event: the captures show ``Connection`` and ``Upgrade``
removed, and the other RFC 7230 hop-by-hop headers (``Keep-Alive``, ``TE``, ``Trailer``,
``Transfer-Encoding``, ``Proxy-*``, and any header named in ``Connection``) are removed the
same way, as any proxy does. Headers are listed in case-insensitive alphabetical order, as
in every capture. Choices without a capture behind them (UNCONFIRMED):

* a header repeated by the client, or sent under two spellings, is one entry spelled as it
  first appeared: ``headers`` holds the last value, ``multiValueHeaders`` all of them (the
  REST proxy convention);
* an ``X-Forwarded-For`` sent by the client is kept and the source IP appended
  (``"client-value, source-ip"``), as AWS's load balancers do;
* an ``X-Amzn-Trace-Id`` sent by the client is kept, as X-Ray propagation does.

``stageVariables`` is left out of proxy events: no capture shows it and the documented
examples do not have it (UNCONFIRMED whether AWS adds it when the stage defines some).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from wslab.local.gateway.authorizer import ContextValue, route_arn
from wslab.local.gateway.selection import CONNECT_ROUTE, DISCONNECT_ROUTE, stringify_json_value
from wslab.local.headers import HOP_BY_HOP

__all__ = [
    "ConnectionContext",
    "authorizer_event",
    "authorizer_request_context",
    "connect_event",
    "disconnect_event",
    "iso8601_ms",
    "message_event",
    "new_trace_id",
    "request_time",
]

# Month abbreviations spelled out so the result never depends on the process locale.
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip

# Headers whose client value AWS replaces with its own.
_SET_BY_GATEWAY: Final = frozenset(
    {"host", "x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
)


@dataclass(frozen=True)
class ConnectionContext:
    """What every event of one connection shares.

    ``authorizer`` is the ``requestContext.authorizer`` object, built once at connect time
    with :func:`authorizer_request_context`; ``None`` when no authorizer ran.
    """

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    region: str
    account_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str | None = None
    authorizer: Mapping[str, object] | None = None


def request_time(ms: int) -> str:
    """Format epoch milliseconds as ``requestTime``: ``09/Feb/2024:18:11:43 +0000``."""
    return _request_time_of_second(ms // 1000)


@lru_cache(maxsize=64)
def _request_time_of_second(seconds: int) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return (
        f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year:04d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} +0000"
    )


def iso8601_ms(ms: int) -> str:
    """Format epoch milliseconds as GetConnection does: ``2022-10-26T19:57:25.104Z``."""
    seconds, millis = divmod(ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def new_trace_id(now_ms: int) -> str:
    """Return an ``X-Amzn-Trace-Id`` value: ``Root=1-{epoch seconds, 8 hex}-{24 hex}``."""
    return f"Root=1-{now_ms // 1000:08x}-{secrets.token_hex(12)}"


def authorizer_request_context(
    principal_id: str, context: Mapping[str, ContextValue], integration_latency_ms: int
) -> dict[str, object]:
    """Build ``requestContext.authorizer`` from an allowing authorizer's result.

    Shape (UNCONFIRMED for WebSocket, taken from REST Lambda authorizers):
    ``principalId``, ``integrationLatency`` as a number of milliseconds, then the context
    keys flattened in, each value as a string (``"1"``, ``"true"``), which is how REST
    delivers them and how ``$context.authorizer.<key>`` is documented for WebSocket.
    ``principalId`` and ``integrationLatency`` win over context keys of the same name.
    """
    authorizer: dict[str, object] = {
        "principalId": principal_id,
        "integrationLatency": integration_latency_ms,
    }
    for key, value in context.items():
        authorizer.setdefault(key, stringify_json_value(value))
    return authorizer


def _identity(ctx: ConnectionContext) -> dict[str, str]:
    # Key order as captured: userAgent (when the upgrade request had one), then sourceIp.
    identity: dict[str, str] = {}
    if ctx.user_agent is not None:
        identity["userAgent"] = ctx.user_agent
    identity["sourceIp"] = ctx.source_ip
    return identity


def _request_context(
    ctx: ConnectionContext,
    *,
    route_key: str,
    event_type: str,
    request_id: str,
    now_ms: int,
    message_id: str | None = None,
    disconnect: tuple[int, str] | None = None,
    with_authorizer: bool = True,
) -> dict[str, Any]:
    context: dict[str, Any] = {"routeKey": route_key}
    if message_id is not None:
        context["messageId"] = message_id
    if disconnect is not None:
        context["disconnectStatusCode"] = disconnect[0]
    context["eventType"] = event_type
    context["extendedRequestId"] = request_id
    context["requestTime"] = request_time(now_ms)
    context["messageDirection"] = "IN"
    if disconnect is not None:
        context["disconnectReason"] = disconnect[1]
    context["stage"] = ctx.stage
    context["connectedAt"] = ctx.connected_at_ms
    context["requestTimeEpoch"] = now_ms
    context["identity"] = _identity(ctx)
    context["requestId"] = request_id
    context["domainName"] = ctx.domain_name
    context["connectionId"] = ctx.connection_id
    context["apiId"] = ctx.api_id
    if with_authorizer and ctx.authorizer is not None:
        context["authorizer"] = dict(ctx.authorizer)
    return context


def _gateway_headers(
    ctx: ConnectionContext,
    client_headers: Iterable[tuple[str, str]],
    trace_id: str | None,
    now_ms: int,
    *,
    for_authorizer: bool,
) -> list[tuple[str, str]]:
    """The upgrade request's headers as the integration sees them, in AWS's order."""
    client_headers = list(client_headers)
    dropped = set(HOP_BY_HOP | _SET_BY_GATEWAY)
    for name, value in client_headers:
        if name.lower() == "connection":
            # Headers named in Connection are hop-by-hop too (RFC 7230 §6.1).
            dropped.update(token.strip().lower() for token in value.split(","))
    if for_authorizer:
        dropped.add("content-length")

    def last(header: str) -> str | None:
        values = [value for name, value in client_headers if name.lower() == header]
        return values[-1] if values else None

    forwarded_for = ctx.source_ip
    if (client_forwarded := last("x-forwarded-for")) is not None:
        forwarded_for = f"{client_forwarded}, {ctx.source_ip}"

    headers = [(name, value) for name, value in client_headers if name.lower() not in dropped]
    headers += [
        ("Host", ctx.domain_name),
        ("X-Amzn-Trace-Id", last("x-amzn-trace-id") or trace_id or new_trace_id(now_ms)),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    if for_authorizer:
        headers += [("Connection", "upgrade"), ("Upgrade", "websocket"), ("content-length", "0")]
    return sorted(headers, key=lambda header: header[0].lower())


def _single_and_multi(
    pairs: Iterable[tuple[str, str]], *, case_insensitive: bool
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``{name: last value}`` and ``{name: [all values]}``, names spelled as first seen."""
    spelling: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        folded = name.lower() if case_insensitive else name
        key = spelling.setdefault(folded, name)
        multi.setdefault(key, []).append(value)
    single = {key: values[-1] for key, values in multi.items()}
    return single, multi


def connect_event(
    ctx: ConnectionContext,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    request_id: str,
    now_ms: int,
    *,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """Build the ``$connect`` event from the upgrade request's headers and query string.

    ``headers`` and ``query`` are ``(name, value)`` pairs in the order received, decoded.
    ``trace_id`` lets the authorizer event and this one share an ``X-Amzn-Trace-Id``, as
    they would on AWS; a fresh one is made when it is ``None``.
    """
    single, multi = _single_and_multi(
        _gateway_headers(ctx, headers, trace_id, now_ms, for_authorizer=False),
        case_insensitive=True,
    )
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    if query:
        query_single, query_multi = _single_and_multi(query, case_insensitive=False)
        event["queryStringParameters"] = query_single
        event["multiValueQueryStringParameters"] = query_multi
    event["requestContext"] = _request_context(
        ctx, route_key=CONNECT_ROUTE, event_type="CONNECT", request_id=request_id, now_ms=now_ms
    )
    event["isBase64Encoded"] = False
    return event


def message_event(
    ctx: ConnectionContext,
    body: str,
    route_key: str,
    request_id: str,
    message_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """Build the event for one text message routed to ``route_key``."""
    return {
        "requestContext": _request_context(
            ctx,
            route_key=route_key,
            event_type="MESSAGE",
            request_id=request_id,
            now_ms=now_ms,
            message_id=message_id,
        ),
        "body": body,
        "isBase64Encoded": False,
    }


def disconnect_event(
    ctx: ConnectionContext,
    status_code: int,
    reason: str,
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """Build the ``$disconnect`` event; its headers are fixed, not the client's."""
    fixed = [("Host", ctx.domain_name), ("x-api-key", ""), ("X-Forwarded-For", ""),
             ("x-restapi", "")]  # fmt: skip
    return {
        "headers": dict(fixed),
        "multiValueHeaders": {name: [value] for name, value in fixed},
        "requestContext": _request_context(
            ctx,
            route_key=DISCONNECT_ROUTE,
            event_type="DISCONNECT",
            request_id=request_id,
            now_ms=now_ms,
            disconnect=(status_code, reason),
        ),
        "isBase64Encoded": False,
    }


def authorizer_event(
    ctx: ConnectionContext,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    stage_variables: Mapping[str, str],
    request_id: str,
    now_ms: int,
    *,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """Build the REQUEST authorizer event for a connect (docs/apigw-websocket.md §2.4).

    Unlike the ``$connect`` proxy event it shows ``Connection: upgrade``,
    ``Upgrade: websocket`` and ``content-length: 0``, always has the query maps and
    ``stageVariables`` (empty if need be), and never has ``requestContext.authorizer``.
    """
    single, multi = _single_and_multi(
        _gateway_headers(ctx, headers, trace_id, now_ms, for_authorizer=True),
        case_insensitive=True,
    )
    query_single, query_multi = _single_and_multi(query, case_insensitive=False)
    return {
        "type": "REQUEST",
        "methodArn": route_arn(ctx.region, ctx.account_id, ctx.api_id, ctx.stage, CONNECT_ROUTE),
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query_single,
        "multiValueQueryStringParameters": query_multi,
        "stageVariables": dict(stage_variables),
        "requestContext": _request_context(
            ctx,
            route_key=CONNECT_ROUTE,
            event_type="CONNECT",
            request_id=request_id,
            now_ms=now_ms,
            with_authorizer=False,
        ),
    }
