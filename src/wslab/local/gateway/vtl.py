"""API Gateway's mapping templates: VTL with ``$input``, ``$context``, ``$util`` and
``$stageVariables``, rendered by airspeed (the one module that imports it).

Behaviour: docs/apigw-websocket.md §5.1. The variables are those of API Gateway's mapping
template reference (DG:api-gateway-mapping-template-reference), as far as a WebSocket
message has them: ``$input.body``, ``$input.json(path)``, ``$input.path(path)``; ``$context``
holds the fields of the proxy event's ``requestContext``; ``$input.params()`` the
``$connect`` request's query string and headers; ``$util.escapeJavaScript``,
``parseJson``, ``urlEncode``, ``urlDecode``, ``base64Encode`` and ``base64Decode``.

JSONPath here is the subset templates use: ``$``, ``.name``, ``['name']``, ``[0]``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

__all__ = ["TemplateFailure", "render_template"]

_STEP = re.compile(
    r"""\.(?P<name>[^.\[]+)|\[\s*(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<index>-?\d+))\s*\]"""
)


class TemplateFailure(Exception):
    """A template that does not parse or fails while rendering (API Gateway answers with
    an internal error; the log line says which)."""


def _follow(root: Any, path: str) -> Any:
    """The value at a JSONPath below ``root``; None where the path leads nowhere."""
    path = path.strip()
    if not path.startswith("$"):
        return None
    node = root
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            return None
        position = match.end()
        if match["index"] is not None:
            index = int(match["index"])
            if not isinstance(node, list) or not -len(node) <= index < len(node):
                return None
            node = node[index]
            continue
        name = match["name"] if match["name"] is not None else (match["sq"] or match["dq"] or "")
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return node


class _Input:
    """``$input``: the message body and JSONPath views of it, and (on ``$connect``) the
    request's query string and headers as ``params``."""

    def __init__(self, body: str, query: Mapping[str, str], headers: Mapping[str, str]) -> None:
        self._body = body
        self._query = dict(query)
        self._headers = dict(headers)
        self._parsed: Any = None
        self._parsed_once = False

    @property
    def body(self) -> str:
        return self._body

    def _root(self) -> Any:
        if not self._parsed_once:
            self._parsed_once = True
            try:
                self._parsed = json.loads(self._body)
            except ValueError:
                self._parsed = None
        return self._parsed

    def json(self, path: str = "$") -> str:
        """The value at ``path`` as JSON text (``$input.json('$.data')``)."""
        return json.dumps(_follow(self._root(), path or "$"), separators=(",", ":"))

    def path(self, path: str = "$") -> Any:
        """The value at ``path`` as an object a template can walk (``$input.path('$').a``)."""
        return _follow(self._root(), path or "$")

    def params(self, name: str | None = None) -> Any:
        """``$input.params()``: every parameter by kind; ``$input.params('x')``: the query
        string's ``x``, else the header ``x`` (names of headers without regard to case)."""
        if name is None:
            return {"path": {}, "querystring": self._query, "header": self._headers}
        if name in self._query:
            return self._query[name]
        for header, value in self._headers.items():
            if header.lower() == name.lower():
                return value
        return ""


class _Util:
    """``$util``, as the mapping template reference describes it."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        # json.dumps escapes as JavaScript does; API Gateway also escapes single quotes.
        return json.dumps(text)[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(text: str) -> Any:
        return json.loads(text)

    @staticmethod
    def urlEncode(text: str) -> str:
        return quote_plus(str(text))

    @staticmethod
    def urlDecode(text: str) -> str:
        return unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: Any) -> str:
        raw = text if isinstance(text, bytes) else str(text).encode()
        return base64.b64encode(raw).decode("ascii")

    @staticmethod
    def base64Decode(text: str) -> str:
        return base64.b64decode(str(text)).decode("utf-8", "replace")


_UTIL = _Util()


@lru_cache(maxsize=256)
def _compiled(template: str) -> Any:
    try:
        compiled = airspeed.Template(template)
        compiled.ensure_compiled()
    except airspeed.TemplateError as error:
        raise TemplateFailure(f"mapping template does not parse: {error}") from error
    return compiled


def render_template(
    template: str,
    *,
    body: str,
    context: Mapping[str, Any],
    stage_variables: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Render ``template`` for a message ``body`` (or an integration's output); ``query``
    and ``headers`` are those of the ``$connect`` request, when there is one."""
    namespace = {
        "input": _Input(body, query or {}, headers or {}),
        "context": dict(context),
        "util": _UTIL,
        "stageVariables": dict(stage_variables),
    }
    try:
        return str(_compiled(template).merge(namespace))
    except TemplateFailure:
        raise
    except Exception as error:  # airspeed raises plain errors from a template's own calls
        raise TemplateFailure(f"mapping template failed: {error}") from error
