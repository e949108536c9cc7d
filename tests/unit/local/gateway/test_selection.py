"""Tests for :mod:`wslab.local.gateway.selection`."""

from __future__ import annotations

import json

import pytest

from wslab.local.gateway.selection import (
    evaluate_selection_expression,
    route_for_message,
    select_route,
    stringify_json_value,
)

# The payload of the worked examples in the developer guide (docs/apigw-websocket.md §1.1).
DOC_BODY = '{"service":"chat","action":"join","data":{"room":"room1234"}}'


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$request.body.action", "join"),
        ("${request.body.action}", "join"),
        ("${request.body.service}/${request.body.action}", "chat/join"),
        ("${request.body.action}-${request.body.invalidPath}", "join-"),
        ("action", "action"),
        ("\\$default", "$default"),
    ],
)
def test_documented_examples(expression: str, expected: str) -> None:
    """Each worked example of the developer guide evaluates as documented."""
    assert evaluate_selection_expression(expression, DOC_BODY) == expected


def test_nested_path() -> None:
    """Dotted paths descend into objects."""
    assert evaluate_selection_expression("$request.body.data.room", DOC_BODY) == "room1234"
    body = '{"service": {"do": "ping"}}'
    assert evaluate_selection_expression("$request.body.service.do", body) == "ping"


def test_unbraced_variable_ends_at_a_non_path_character() -> None:
    """Without braces the variable stops at '-', so the rest is static text."""
    assert evaluate_selection_expression("$request.body.action-beta", DOC_BODY) == "join-beta"
    assert evaluate_selection_expression("${request.body.action}-beta", DOC_BODY) == "join-beta"


def test_bracket_notation_and_indexes() -> None:
    """Quoted keys, array indexes and negative indexes resolve like JSONPath."""
    body = '{"a b": "spaced", "items": ["x", "y", "z"], "k.dot": 1}'
    assert evaluate_selection_expression("${request.body['a b']}", body) == "spaced"
    assert evaluate_selection_expression('${request.body["k.dot"]}', body) == "1"
    assert evaluate_selection_expression("$request.body.items[1]", body) == "y"
    assert evaluate_selection_expression("$request.body.items[-1]", body) == "z"
    assert evaluate_selection_expression("$request.body.items[3]", body) == ""


def test_array_becomes_bracketed_list() -> None:
    """A two-element array becomes the text "[item1, item2]" (docs/apigw-websocket.md §1.1)."""
    body = '{"action": ["item1", "item2"]}'
    assert evaluate_selection_expression("$request.body.action", body) == "[item1, item2]"


def test_wildcard_yields_the_list_of_matches() -> None:
    """An indefinite path gives the list it matched, stringified like an array."""
    body = '{"items": [{"id": 1}, {"id": 2}]}'
    assert evaluate_selection_expression("${request.body.items[*].id}", body) == "[1, 2]"


def test_missing_path_is_empty() -> None:
    """A path that does not resolve becomes "" (so routing falls to $default)."""
    assert evaluate_selection_expression("$request.body.nope", DOC_BODY) == ""
    assert evaluate_selection_expression("$request.body.action.deeper", DOC_BODY) == ""
    assert evaluate_selection_expression("x${request.body.nope}y", DOC_BODY) == "xy"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (-12345678901234567890, "-12345678901234567890"),
        (1.5, "1.5"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1e-4, "1.0E-4"),
        (1e7, "1.0E7"),
        (-2.5e20, "-2.5E20"),
        (0.0, "0.0"),
        ({"a": 1, "b": [True, None]}, "{a=1, b=[true, null]}"),
        ("plain", "plain"),
    ],
)
def test_scalar_and_object_stringification(value: object, text: str) -> None:
    """Values print as Java's toString of the parsed JSON would (documented guess)."""
    assert stringify_json_value(value) == text
    body = json.dumps({"v": value})
    assert evaluate_selection_expression("$request.body.v", body) == text


def test_json_number_written_with_exponent() -> None:
    """A JSON number such as 1e2 is a double, hence "100.0"."""
    assert evaluate_selection_expression("$request.body.v", '{"v": 1e2}') == "100.0"


def test_null_value_is_empty() -> None:
    """A key whose value is null resolves to "" like a missing one."""
    assert evaluate_selection_expression("$request.body.action", '{"action": null}') == ""


@pytest.mark.parametrize("body", ["hi", "", "{", "{'action': 'x'}", '{"v": NaN}', "Infinity"])
def test_non_json_body_is_not_evaluated(body: str) -> None:
    """A body that is not JSON yields None: the caller must route it to $default."""
    assert evaluate_selection_expression("$request.body.action", body) is None
    assert evaluate_selection_expression("static", body) is None


@pytest.mark.parametrize("body", ['["join"]', '"join"', "42", "null", "true"])
def test_top_level_not_an_object(body: str) -> None:
    """JSON whose top level is not an object gives "" for every variable."""
    assert evaluate_selection_expression("$request.body.action", body) == ""
    assert evaluate_selection_expression("a-${request.body[0]}-b", body) == "a--b"


def test_evaluation_is_not_recursive() -> None:
    """A value that looks like an expression is returned as text."""
    body = '{"action": "${request.body.other}", "other": "x"}'
    assert evaluate_selection_expression("$request.body.action", body) == "${request.body.other}"


def test_unknown_variables_and_stray_dollars() -> None:
    """Only the body can be read; other variables are "", a bare '$' is text."""
    assert evaluate_selection_expression("${request.header.x}", DOC_BODY) == ""
    assert evaluate_selection_expression("$5 and $", DOC_BODY) == "$5 and $"
    assert evaluate_selection_expression("${request.body.action", DOC_BODY) == (
        "${request.body.action"
    )


def test_body_that_is_whitespace_around_json() -> None:
    """Whitespace and CRLFs around JSON do not stop it from being JSON (aws-lambda-go capture)."""
    assert evaluate_selection_expression("$request.body.a", '{\r\n\t"a": 1\r\n}') == "1"


ROUTES = {"$connect", "$disconnect", "join", "sendmessage", "$default"}


def test_select_exact_route() -> None:
    """A key equal to a route key picks that route."""
    assert select_route(ROUTES, "join") == "join"


def test_select_is_case_sensitive() -> None:
    """Matching is exact, so a different case falls through to $default."""
    assert select_route(ROUTES, "Join") == "$default"


def test_select_falls_back_to_default() -> None:
    """Unknown, empty and unevaluable keys go to $default when it exists."""
    assert select_route(ROUTES, "other") == "$default"
    assert select_route(ROUTES, "") == "$default"
    assert select_route(ROUTES, None) == "$default"


def test_select_without_default_is_forbidden() -> None:
    """No match and no $default gives None: the Forbidden frame."""
    routes = {"$connect", "join"}
    assert select_route(routes, "other") is None
    assert select_route(routes, None) is None
    assert select_route(routes, "join") == "join"


def test_messages_never_reach_connect_or_disconnect() -> None:
    """A body naming $connect or $disconnect does not invoke those routes."""
    assert select_route(ROUTES, "$connect") == "$default"
    assert select_route({"$connect", "$disconnect"}, "$disconnect") is None


def test_escaped_default_selects_default() -> None:
    """The static expression \\$default sends every JSON message to $default."""
    assert route_for_message(ROUTES, "\\$default", '{"action": "join"}') == "$default"


def test_route_for_message_end_to_end() -> None:
    """Evaluation and selection together, including non-JSON without $default."""
    assert route_for_message(ROUTES, "$request.body.action", '{"action":"join"}') == "join"
    assert route_for_message(ROUTES, "$request.body.action", "hi") == "$default"
    assert route_for_message({"join"}, "$request.body.action", "hi") is None
