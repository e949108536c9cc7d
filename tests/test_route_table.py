"""One route table: the template's routes, and everything that lists them agrees.

``cloudformation/template.yaml`` is the source (read by ``wslab.deploy.routes``). The
notebooks build from it; the handlers (stdlib + boto3, which cannot read it at run time),
their docs and the browser page are checked against it here.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from wslab.deploy import project
from wslab.deploy.routes import ChatRoute, RouteTableError, chat_routes, routes_of
from wslab.notebook.names import Names

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = ROOT / "lambda_src"
CHAT_PAGE = ROOT / "src" / "wslab" / "client" / "page" / "chat.js"
# A Markdown table row whose first two cells are code: | `route` | `Handler` | ...
_TABLE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)
# What the page sends: send({ action: "joinroom", ... })
_PAGE_ACTION = re.compile(r"""\baction:\s*["']([^"']+)["']""")


def _chat_module(name: str) -> ModuleType:
    """A module of ``lambda_src/chat`` as Lambda imports it (the zip's root on the path)."""
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    return importlib.import_module(f"chat.{name}")


def _template_pairs() -> set[tuple[str, str]]:
    return {(route.key, route.handler) for route in chat_routes()}


def test_the_template_joins_every_route_to_a_handler() -> None:
    """The reader follows Route -> Integration -> Function for each of the six routes."""
    routes = chat_routes()
    assert [route.key for route in routes] == [
        "$connect", "$disconnect", "sendmessage", "joinroom", "$default", "history",
    ]  # fmt: skip
    assert ChatRoute("history", "chat.handlers.history", "HistoryFunction") in routes


def test_every_handler_string_names_a_function_of_lambda_src() -> None:
    for route in chat_routes():
        module, _, function = route.handler.rpartition(".")
        assert module == "chat.handlers", route
        assert callable(getattr(_chat_module("handlers"), function, None)), route


def test_the_routed_actions_are_the_templates_action_routes() -> None:
    """``$default`` answers ``route_not_deployed`` for exactly the template's actions."""
    validation = _chat_module("validation")
    template_actions = {route.action for route in chat_routes() if route.action}
    assert set(validation.ROUTED_ACTIONS) == template_actions
    assert set(validation.VALID_ACTIONS) <= template_actions


def test_the_handlers_docstring_table_is_the_template() -> None:
    """(Its authorizer row, "authorizer", is no route: the pattern leaves it out.)"""
    doc = _chat_module("handlers").__doc__ or ""
    assert set(_TABLE_ROW.findall(doc)) == _template_pairs()


def test_the_lambda_src_readme_table_is_the_template() -> None:
    readme = (LAMBDA_SRC / "README.md").read_text()
    # The "Deploying" table; the authorizer's row says "REQUEST authorizer on `$connect`".
    rows = {row for row in _TABLE_ROW.findall(readme) if row[1].startswith("chat.handlers.")}
    assert rows == _template_pairs()


def test_the_page_sends_only_actions_the_template_routes() -> None:
    sent = set(_PAGE_ACTION.findall(CHAT_PAGE.read_text()))
    assert sent, "no action found in chat.js: the pattern no longer matches the page"
    assert "history" in sent  # its gap recovery
    assert sent <= {route.action for route in chat_routes()}


def test_the_notebooks_create_a_function_for_every_route() -> None:
    made = Names("wslab-alice").chat_functions
    assert list(made) == [route.key for route in chat_routes()]
    assert made["history"] == "wslab-alice-on-history" != "wslab-alice-history"  # the table
    assert len(set(made.values())) == len(made)


def test_a_route_whose_integration_is_missing_is_refused() -> None:
    broken = {
        "Resources": {
            "R": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"RouteKey": "x", "Target": {"Fn::Sub": "integrations/${Gone}"}},
            }
        }
    }
    with pytest.raises(RouteTableError, match=r"R\.Target names no single"):
        routes_of(broken)


def test_an_edited_template_is_read_again(tmp_path: Path) -> None:
    copy = tmp_path / "template.yaml"
    text = project.template().read_text()
    copy.write_text(text)
    assert len(chat_routes(copy)) == 6
    copy.write_text(text.replace("RouteKey: history", "RouteKey: backlog"))
    assert "backlog" in {route.key for route in chat_routes(copy)}
