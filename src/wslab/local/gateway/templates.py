"""Which template and which integration response a non-proxy integration uses.

Behaviour: docs/apigw-websocket.md §5.1. The integration's ``TemplateSelectionExpression``
(``${request.body.jsonPath}`` or a static value such as ``\\$default``) picks one of its
``RequestTemplates`` by key, with ``$default`` as the fallback; ``PassthroughBehavior`` says
what happens to a message no template matches. The backend's answer picks an integration
response whose key (a ``/regex/``) matches its selector, or the ``$default`` one; that
response's own ``TemplateSelectionExpression`` picks its template the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from wslab.local.control import IntegrationResponseSnapshot, IntegrationSnapshot
from wslab.local.gateway.selection import evaluate_selection_expression

__all__ = [
    "DEFAULT_KEY",
    "PassthroughRefused",
    "pick_integration_response",
    "pick_request_template",
    "pick_response_template",
]

DEFAULT_KEY = "$default"
_STATUS_VARIABLE = re.compile(
    r"\$\{integration\.response\.statuscode\}|\$integration\.response\.statuscode"
)


class PassthroughRefused(Exception):
    """No template matches and ``PassthroughBehavior`` forbids passing the body through."""


def _selection_key(expression: str, body: str) -> str:
    key = evaluate_selection_expression(expression, body)
    # A body that is not JSON has no paths to follow; the static text still counts.
    return key if key is not None else evaluate_selection_expression(expression, "{}") or ""


def _pick(
    templates: Mapping[str, str], expression: str | None, body: str
) -> tuple[bool, str | None]:
    """(found, template): the selected template, else the ``$default`` one. Without a
    selection expression an integration's only template is used (UNCONFIRMED: the guide
    shows ``RequestTemplates`` keyed ``application/json`` without one, as REST keys them)."""
    if expression:
        key = _selection_key(expression, body)
        if key in templates:
            return True, templates[key]
    elif len(templates) == 1:
        return True, next(iter(templates.values()))
    if DEFAULT_KEY in templates:
        return True, templates[DEFAULT_KEY]
    return False, None


def pick_request_template(integration: IntegrationSnapshot, body: str) -> str | None:
    """The request template for ``body``, or None to pass the body through unchanged.

    Raises :class:`PassthroughRefused` when ``PassthroughBehavior`` forbids passing it:
    ``NEVER`` always, ``WHEN_NO_TEMPLATES`` once the integration has templates;
    ``WHEN_NO_MATCH`` (the default) never."""
    templates = dict(integration.request_templates)
    behaviour = integration.passthrough_behavior or "WHEN_NO_MATCH"
    if templates:
        found, template = _pick(templates, integration.template_selection_expression, body)
        if found:
            return template
        if behaviour == "WHEN_NO_MATCH":
            return None
        raise PassthroughRefused(
            f"no request template matches and PassthroughBehavior is {behaviour}"
        )
    if behaviour == "NEVER":
        raise PassthroughRefused(
            "the integration has no request template and PassthroughBehavior is NEVER"
        )
    return None


@lru_cache(maxsize=512)
def _key_pattern(key: str) -> re.Pattern[str] | None:
    if len(key) < 2 or not (key.startswith("/") and key.endswith("/")):
        return None
    try:
        return re.compile(key[1:-1])
    except re.error:
        return None


def pick_integration_response(
    responses: Iterable[IntegrationResponseSnapshot], selector: str
) -> IntegrationResponseSnapshot | None:
    """The integration response whose ``/regex/`` key matches ``selector`` as a whole (the
    backend's status code, or a Lambda function's error message), else the ``$default`` one;
    None when neither exists."""
    default = None
    for response in responses:
        if response.key == DEFAULT_KEY:
            default = response
            continue
        pattern = _key_pattern(response.key)
        if pattern is not None and pattern.fullmatch(selector):
            return response
    return default


def pick_response_template(
    response: IntegrationResponseSnapshot, status_code: int, body: str
) -> str | None:
    """The response template of ``response`` for the backend's answer, or None to pass the
    output through (no template, or none selected)."""
    templates = dict(response.templates)
    if not templates:
        return None
    expression = response.template_selection_expression
    if expression:
        expression = _STATUS_VARIABLE.sub(str(status_code), expression)
    _, template = _pick(templates, expression, body)
    return template
