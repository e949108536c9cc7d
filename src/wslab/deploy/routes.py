"""The chat's routes, read from ``cloudformation/template.yaml``: the one route table.

The template is the source: each ``AWS::ApiGatewayV2::Route`` names its integration
(``Target: !Sub "integrations/${XIntegration}"``), each integration its function
(``IntegrationUri: !Sub "...${XFunction.Arn}/invocations"``), and each function its
``Handler``. The notebooks build their functions and routes from this table, and
``tests/test_route_table.py`` checks what cannot read it at run time (the handlers'
constants and docstring, the docs, the browser page) against it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wslab.deploy import project
from wslab.local.cfn_yaml import load

__all__ = ["ChatRoute", "RouteTableError", "chat_routes", "routes_of"]

ROUTE_TYPE = "AWS::ApiGatewayV2::Route"
INTEGRATION_TYPE = "AWS::ApiGatewayV2::Integration"
FUNCTION_TYPE = "AWS::Lambda::Function"

# ``${Name}`` or ``${Name.Attribute}`` in an Fn::Sub string: the logical id is before the dot.
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


class RouteTableError(ValueError):
    """The template does not join a route to a function's ``Handler``; the message says where."""


@dataclass(frozen=True)
class ChatRoute:
    """One route of the chat, as the template declares it."""

    key: str
    """The route key: ``$connect``, ``sendmessage``, ..."""
    handler: str
    """The ``Handler`` of the route's function: ``chat.handlers.send_message``."""
    function: str
    """The function's logical id in the template: ``SendMessageFunction``."""

    @property
    def action(self) -> str | None:
        """What a client puts in ``"action"`` to reach the route; None for the predefined
        routes (``$connect``, ``$disconnect``, ``$default``), which no action selects."""
        return None if self.key.startswith("$") else self.key


def _sub_target(value: Any, expected_type: str, resources: Mapping[str, Any], where: str) -> str:
    """The one resource of ``expected_type`` an ``Fn::Sub`` string refers to."""
    text = value.get("Fn::Sub") if isinstance(value, dict) else None
    if isinstance(text, list) and text:
        text = text[0]
    if not isinstance(text, str):
        raise RouteTableError(f"{where} is not an Fn::Sub string")
    found: list[str] = [
        name
        for name in _SUB_REFERENCE.findall(text)
        if isinstance(resources.get(name), dict) and resources[name].get("Type") == expected_type
    ]
    if len(found) != 1:
        raise RouteTableError(f"{where} names no single {expected_type}: {text!r}")
    return found[0]


def routes_of(template: Mapping[str, Any]) -> tuple[ChatRoute, ...]:
    """Every route of a parsed template, in the template's order, with its function's
    ``Handler``."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise RouteTableError("the template has no Resources")
    routes = []
    for name, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != ROUTE_TYPE:
            continue
        properties = resource.get("Properties") or {}
        key = properties.get("RouteKey")
        if not isinstance(key, str):
            raise RouteTableError(f"{name}: RouteKey is not a plain string")
        integration = _sub_target(
            properties.get("Target"), INTEGRATION_TYPE, resources, f"{name}.Target"
        )
        function = _sub_target(
            resources[integration].get("Properties", {}).get("IntegrationUri"),
            FUNCTION_TYPE,
            resources,
            f"{integration}.IntegrationUri",
        )
        handler = resources[function].get("Properties", {}).get("Handler")
        if not isinstance(handler, str):
            raise RouteTableError(f"{function}: Handler is not a plain string")
        routes.append(ChatRoute(key, handler, function))
    return tuple(routes)


@functools.lru_cache(maxsize=4)
def _routes_in_text(text: str) -> tuple[ChatRoute, ...]:
    # Keyed by the text, not the path: an edited template is read again, an unchanged one
    # is parsed once per process (about 90 ms).
    return routes_of(load(text))


def chat_routes(template: Path | None = None) -> tuple[ChatRoute, ...]:
    """The chat's routes in ``template`` (the project's ``cloudformation/template.yaml`` by
    default)."""
    path = template or project.template()
    return _routes_in_text(path.read_text(encoding="utf-8"))
