"""Route selection for incoming WebSocket messages (docs/apigw-websocket.md §1.1, §1.2).

An API's ``routeSelectionExpression`` (usually ``$request.body.action``) is evaluated once
against each text message, and the resulting key picks the route::

    >>> evaluate_selection_expression("${request.body.service}/${request.body.action}",
    ...                               '{"service": "chat", "action": "join"}')
    'chat/join'
    >>> select_route({"chat/join", "$default"}, "chat/join")
    'chat/join'

Grammar, as documented for selection expressions:

* ``$request.body.<path>`` is a variable; without braces it ends at the first character
  that cannot continue a path (so ``$request.body.a-b`` is the variable ``a`` followed by
  the text ``-b``, which is why AWS writes ``${request.body.version}-beta``).
* ``${request.body.<path>}`` is a variable delimited by braces, usable inside static text.
* ``\\$`` is a literal dollar sign, so ``\\$default`` evaluates to ``$default``.
* Everything else is static text. Evaluation is single-pass: a value that itself looks
  like an expression is not evaluated again.

``<path>`` is a JSONPath below the body: ``.name``, ``['name']``, ``["name"]``, ``[0]``,
``[-1]``, and the wildcards ``.*`` and ``[*]``. A path that does not resolve yields ``""``,
as does every variable when the body's top level is not a JSON object. A body that is not
JSON cannot be routed by content at all: :func:`evaluate_selection_expression` returns
``None`` and :func:`select_route` then goes straight to ``$default``.

How values become text follows what the documentation shows for arrays (a two-element
array becomes ``[item1, item2]``), which is Java's ``toString`` of the parsed JSON. The same
convention is applied, as a best guess (UNCONFIRMED), to everything else: strings are used
as is; ``true`` / ``false``; integers in plain digits; other numbers as Java prints a
``double`` (``1.5``, ``100.0`` for ``1e2``, ``1.0E7``); objects as ``{key=value, k2=v2}``;
``null`` inside a collection as ``null``. A ``null`` value on its own counts as not resolved
and yields ``""`` (docs/apigw-websocket.md §1.2 item 6: it falls through to ``$default``
either way).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from decimal import Decimal
from typing import Final

__all__ = [
    "CONNECT_ROUTE",
    "DEFAULT_ROUTE",
    "DISCONNECT_ROUTE",
    "evaluate_selection_expression",
    "parse_json_body",
    "route_for_message",
    "select_route",
    "stringify_json_value",
]

CONNECT_ROUTE: Final = "$connect"
DISCONNECT_ROUTE: Final = "$disconnect"
DEFAULT_ROUTE: Final = "$default"

_BODY_VARIABLE: Final = "request.body"

# An unbraced variable: ``request.body`` and then path steps made of identifier characters
# or brackets. ``-``, ``/``, spaces and the like end it.
_UNBRACED = re.compile(r"request\.body(?:\.(?:[A-Za-z0-9_]+|\*)|\[[^\]]*\])*")

# One step of a path: ``.name``, ``.*``, ``['name']``, ``["name"]``, ``[3]``, ``[-1]``, ``[*]``.
_STEP = re.compile(
    r"""\.(?P<name>[^.\[]+)
      | \[\s*(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<index>-?[0-9]+)|(?P<star>\*))\s*\]""",
    re.VERBOSE,
)


class _NotJson(Exception):
    """The message body is not a JSON text."""


def _reject_constant(name: str) -> object:
    # Python's json module accepts NaN and Infinity; JSON (RFC 8259) does not. How API
    # Gateway's parser treats them is UNCONFIRMED (no AWS source says): taken to refuse
    # them as a strict parser does, so the message is not JSON and goes to $default.
    raise _NotJson(name)


def _integer(text: str) -> int | Decimal:
    # JSON numbers have no size limit; Python's int() refuses over 4,300 digits.
    return int(text) if len(text) < 4000 else Decimal(text)


def parse_json_body(body: str) -> tuple[bool, object]:
    """Parse a message body; return ``(True, value)`` for JSON and ``(False, None)`` otherwise."""
    try:
        return True, json.loads(body, parse_constant=_reject_constant, parse_int=_integer)
    except (_NotJson, ValueError, RecursionError):
        return False, None


def _java_double(value: float) -> str:
    """Print ``value`` as Java's ``Double.toString`` does (shortest round-trip digits)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        # repr never switches to exponent form in this range and always keeps a ".".
        return repr(value)
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # finite by the checks above
    digits = "".join(str(d) for d in digit_tuple)
    scientific_exponent = len(digits) - 1 + exponent
    digits = digits.rstrip("0") or "0"
    mantissa = f"{digits[0]}.{digits[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{scientific_exponent}"


def stringify_json_value(value: object) -> str:
    """Turn a parsed JSON value into text the way AWS stringifies selection results."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(stringify_json_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{key}={stringify_json_value(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


class _BadPath(Exception):
    """The variable is not a JSONPath below ``request.body``."""


def _parse_steps(path: str) -> list[str | int | None]:
    """Split a path like ``.a[0]['b c'].*`` into keys, indexes and ``None`` for wildcards."""
    steps: list[str | int | None] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise _BadPath(path)
        position = match.end()
        if match["star"] is not None or match["name"] == "*":
            steps.append(None)
        elif match["index"] is not None:
            steps.append(int(match["index"]))
        else:
            name = match["name"] if match["name"] is not None else (match["sq"] or match["dq"])
            steps.append(name or "")
    return steps


def _apply_step(node: object, step: str | int | None) -> list[object]:
    """Children of ``node`` selected by one step (none when the step does not apply)."""
    if step is None:
        if isinstance(node, dict):
            return list(node.values())
        if isinstance(node, list):
            return list(node)
        return []
    if isinstance(step, int):
        if isinstance(node, list) and -len(node) <= step < len(node):
            return [node[step]]
        return []
    if isinstance(node, dict) and step in node:
        return [node[step]]
    return []


def _evaluate_variable(variable: str, root: object) -> str:
    """Value of one variable (without ``$`` and braces) against the parsed body."""
    if not variable.startswith(_BODY_VARIABLE) or not isinstance(root, dict):
        # Only the body is available to route a message; an object is needed to look into.
        return ""
    try:
        steps = _parse_steps(variable[len(_BODY_VARIABLE) :])
    except _BadPath:
        return ""
    nodes: list[object] = [root]
    for step in steps:
        nodes = [child for node in nodes for child in _apply_step(node, step)]
    if None in steps:
        # An indefinite path (with a wildcard) yields the list of what it matched.
        return stringify_json_value(nodes)
    if not nodes or nodes[0] is None:
        return ""
    return stringify_json_value(nodes[0])


def _render(expression: str, root: object) -> str:
    parts: list[str] = []
    position = 0
    length = len(expression)
    while position < length:
        char = expression[position]
        if char == "\\" and expression.startswith("$", position + 1):
            parts.append("$")
            position += 2
        elif char == "$" and expression.startswith("{", position + 1):
            end = expression.find("}", position + 2)
            if end < 0:
                # An unterminated ``${`` is kept as text.
                parts.append(expression[position:])
                break
            parts.append(_evaluate_variable(expression[position + 2 : end].strip(), root))
            position = end + 1
        elif char == "$" and (match := _UNBRACED.match(expression, position + 1)) is not None:
            parts.append(_evaluate_variable(match.group(), root))
            position = match.end()
        else:
            parts.append(char)
            position += 1
    return "".join(parts)


def evaluate_selection_expression(expression: str, body: str) -> str | None:
    """Evaluate a route selection expression against a message body.

    Returns the selection key, or ``None`` when ``body`` is not JSON: such a message
    cannot be routed by content and must go to ``$default`` (see :func:`select_route`).
    """
    is_json, root = parse_json_body(body)
    if not is_json:
        return None
    return _render(expression, root)


def select_route(route_keys: Collection[str], selection_key: str | None) -> str | None:
    """Pick the route for a message from the evaluated selection key.

    The key must equal a route key exactly (case-sensitive: the documentation does not
    say otherwise); otherwise ``$default`` is used if the API has it. ``None`` as the result
    means no route: the client gets the ``Forbidden`` frame. ``None`` as ``selection_key``
    (a non-JSON body) goes straight to ``$default``. ``$connect`` and ``$disconnect`` are
    never chosen for a message, even if the body names them.
    """
    if (
        selection_key is not None
        and selection_key not in (CONNECT_ROUTE, DISCONNECT_ROUTE)
        and selection_key in route_keys
    ):
        return selection_key
    return DEFAULT_ROUTE if DEFAULT_ROUTE in route_keys else None


def route_for_message(route_keys: Collection[str], expression: str, body: str) -> str | None:
    """Evaluate ``expression`` against ``body`` and select the route (``None``: Forbidden)."""
    return select_route(route_keys, evaluate_selection_expression(expression, body))
