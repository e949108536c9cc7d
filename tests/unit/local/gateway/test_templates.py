"""Choosing request templates, passthrough, integration responses and response templates
(docs/apigw-websocket.md §5.1)."""

from __future__ import annotations

from typing import Any

import pytest

from wslab.local.control import IntegrationResponseSnapshot, IntegrationSnapshot
from wslab.local.gateway.templates import (
    PassthroughRefused,
    pick_integration_response,
    pick_request_template,
    pick_response_template,
)


def integration(**settings: Any) -> IntegrationSnapshot:
    return IntegrationSnapshot("i1", "HTTP", "http://127.0.0.1:1/", 29_000, **settings)


def test_selected_by_the_expression_then_default() -> None:
    """The key the expression gives picks the template; an unknown key takes ``$default``."""
    chosen = integration(
        request_templates=(("$default", "D"), ("join", "J")),
        template_selection_expression="${request.body.action}",
    )
    assert pick_request_template(chosen, '{"action": "join"}') == "J"
    assert pick_request_template(chosen, '{"action": "leave"}') == "D"
    assert pick_request_template(chosen, "not json") == "D"


def test_static_expression() -> None:
    """``\\$default`` is the static key ``$default``, for JSON and text bodies alike."""
    chosen = integration(
        request_templates=(("$default", "D"),), template_selection_expression="\\$default"
    )
    assert pick_request_template(chosen, "text") == "D"


def test_only_template_without_an_expression() -> None:
    """No expression: the integration's only template is used (UNCONFIRMED)."""
    only = integration(request_templates=(("application/json", "T"),))
    assert pick_request_template(only, "{}") == "T"


@pytest.mark.parametrize(
    ("behaviour", "templates", "passes"),
    [
        (None, (), True),
        ("WHEN_NO_MATCH", (("x", "X"),), True),
        ("WHEN_NO_TEMPLATES", (), True),
        ("WHEN_NO_TEMPLATES", (("x", "X"),), False),
        ("NEVER", (), False),
        ("NEVER", (("x", "X"),), False),
    ],
)
def test_passthrough_behaviour(
    behaviour: str | None, templates: tuple[tuple[str, str], ...], passes: bool
) -> None:
    """What each ``PassthroughBehavior`` does with a body no template matches."""
    chosen = integration(
        request_templates=templates,
        template_selection_expression="${request.body.action}",
        passthrough_behavior=behaviour,
    )
    if passes:
        assert pick_request_template(chosen, '{"action": "y"}') is None
    else:
        with pytest.raises(PassthroughRefused):
            pick_request_template(chosen, '{"action": "y"}')


def test_integration_response_by_regex_then_default() -> None:
    """A ``/regex/`` key matching the whole selector wins; else ``$default``; else None."""
    ok = IntegrationResponseSnapshot("/2\\d\\d/")
    client = IntegrationResponseSnapshot("/4\\d\\d/")
    default = IntegrationResponseSnapshot("$default")
    assert pick_integration_response((default, ok, client), "201") is ok
    assert pick_integration_response((default, ok, client), "404") is client
    assert pick_integration_response((default, ok, client), "500") is default
    assert pick_integration_response((ok,), "2000") is None
    assert pick_integration_response((IntegrationResponseSnapshot("/[/"),), "x") is None


def test_response_template_by_status_code() -> None:
    """``${integration.response.statuscode}`` selects the response template."""
    response = IntegrationResponseSnapshot(
        "/2\\d\\d/",
        templates=(("201", "created"), ("$default", "other")),
        template_selection_expression="${integration.response.statuscode}",
    )
    assert pick_response_template(response, 201, "") == "created"
    assert pick_response_template(response, 200, "") == "other"
    assert pick_response_template(IntegrationResponseSnapshot("$default"), 200, "") is None
