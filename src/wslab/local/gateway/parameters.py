"""An integration's ``RequestParameters``: headers and query string parameters of the
request an HTTP or HTTP_PROXY integration sends (docs/apigw-websocket.md §5.2).

Each key is ``integration.request.header.{name}`` or ``integration.request.querystring.{name}``;
each value a static ``'text'``, ``route.request.header.{name}`` or
``route.request.querystring.{name}`` (what ``$connect``'s request carried),
``route.request.body.{path}``, ``context.{variable}`` or ``stageVariables.{name}``
(DG:websocket-api-data-mapping). A source that resolves to nothing leaves the parameter out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wslab.local.gateway.selection import evaluate_selection_expression

__all__ = ["IntegrationParameters", "integration_parameters"]

_HEADER = "integration.request.header."
_QUERY = "integration.request.querystring."


@dataclass(frozen=True)
class IntegrationParameters:
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def _lookup(mapping: Any, name: str) -> str | None:
    if not isinstance(mapping, Mapping):
        return None
    for key, value in mapping.items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def _context_value(context: Mapping[str, Any], path: str) -> str | None:
    node: Any = context
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return None if node is None or isinstance(node, Mapping) else str(node)


def _source_value(
    source: str,
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
) -> str | None:
    source = source.strip()
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("route.request.header."):
        return _lookup(event.get("headers"), source.removeprefix("route.request.header."))
    if source.startswith("route.request.querystring."):
        name = source.removeprefix("route.request.querystring.")
        return _lookup(event.get("queryStringParameters"), name)
    if source.startswith("route.request.body."):
        path = source.removeprefix("route.request.body.")
        value = evaluate_selection_expression(
            "${request.body." + path + "}", event.get("body") or ""
        )
        return value or None
    if source.startswith("context."):
        return _context_value(event.get("requestContext") or {}, source.removeprefix("context."))
    if source.startswith("stageVariables."):
        return stage_variables.get(source.removeprefix("stageVariables."))
    return None


def integration_parameters(
    parameters: Iterable[tuple[str, str]],
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
) -> IntegrationParameters:
    """The headers and query parameters ``parameters`` map for ``event``."""
    mapped = IntegrationParameters()
    for target, source in parameters:
        value = _source_value(source, event, stage_variables)
        if value is None:
            continue
        if target.startswith(_HEADER):
            mapped.headers[target.removeprefix(_HEADER)] = value
        elif target.startswith(_QUERY):
            mapped.query[target.removeprefix(_QUERY)] = value
    return mapped
