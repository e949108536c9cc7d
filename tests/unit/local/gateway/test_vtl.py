"""Mapping templates: ``$input``, ``$context``, ``$util`` and ``$stageVariables``
(docs/apigw-websocket.md §5.1)."""

from __future__ import annotations

import json

import pytest

from wslab.local.gateway.vtl import TemplateFailure, render_template

BODY = '{"action": "say", "data": {"text": "it\'s \\"ok\\"", "n": [1, 2]}}'


def render(template: str, body: str = BODY, **context: object) -> str:
    return render_template(template, body=body, context=context, stage_variables={"env": "dev"})


def test_input_body_json_and_path() -> None:
    """``$input.body`` is the text as sent; ``json`` gives JSON text; ``path`` an object."""
    assert render("$input.body") == BODY
    assert json.loads(render("$input.json('$.data.n')")) == [1, 2]
    assert render("$input.json('$.missing')") == "null"
    assert render("$input.path('$.data').text") == 'it\'s "ok"'
    assert render("$input.path('$.data.n[1]')") == "2"
    assert render("$input.path(\"$['action']\")") == "say"


def test_input_of_a_body_that_is_not_json() -> None:
    """A text body has no paths: ``json`` is ``null``, ``body`` the text."""
    assert render("$input.json('$.a') $input.body", body="plain") == "null plain"


def test_context_and_stage_variables() -> None:
    """``$context`` holds the request context, nested maps included; ``$stageVariables`` the
    stage's variables."""
    out = render(
        "$context.connectionId $context.identity.sourceIp $context.authorizer.principalId"
        " $stageVariables.env",
        connectionId="C1",
        identity={"sourceIp": "127.0.0.1"},
        authorizer={"principalId": "ada"},
    )
    assert out == "C1 127.0.0.1 ada dev"


def test_util_functions() -> None:
    """``$util``: escapeJavaScript, parseJson, urlEncode/Decode, base64Encode/Decode."""
    assert render("$util.escapeJavaScript($input.path('$.data.text'))") == 'it\\\'s \\"ok\\"'
    assert render('$util.parseJson(\'{"a": {"b": 3}}\').a.b') == "3"
    assert render("$util.urlEncode('a b&c')") == "a+b%26c"
    assert render("$util.urlDecode('a+b%26c')") == "a b&c"
    assert render("$util.base64Encode('hi')") == "aGk="
    assert render("$util.base64Decode('aGk=')") == "hi"


def test_directives_work() -> None:
    """VTL's ``#set``, ``#if`` and ``#foreach`` run over the input."""
    template = (
        "#set($n = $input.path('$.data.n'))#foreach($x in $n)$x;#end#if($n.size() == 2)two#end"
    )
    assert render(template) == "1;2;two"


def test_a_template_that_does_not_parse_is_a_failure() -> None:
    """A broken template raises :class:`TemplateFailure`, never airspeed's own errors."""
    with pytest.raises(TemplateFailure):
        render("#if($input.body")


def test_input_params_of_the_connect_request() -> None:
    """``$input.params('x')``: the query string's, else the header's (any case)."""
    rendered = render_template(
        "$input.params('token') $input.params('x-team') $input.params('none')|"
        "$input.params().querystring.token",
        body="",
        context={},
        stage_variables={},
        query={"token": "t1"},
        headers={"X-Team": "blue"},
    )
    assert rendered == "t1 blue |t1"
