"""The chat as notebooks 01-03 build it has every route of the template, ``history`` included.

The notebooks run in order on a local AWS of their own (``tutorial.require``, as a notebook
opened on its own does), and a real WebSocket client then uses what they made: the page's
gap recovery (``{"action": "history", ...}``) is answered by the ``history`` function, not
by ``$default``'s ``route_not_deployed``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import websocket

from tests.support import REGION, scaled
from wslab.aws import Target
from wslab.deploy.routes import chat_routes
from wslab.local.process import LocalAWSProcess
from wslab.notebook import tutorial
from wslab.notebook.names import ENDPOINT_VARIABLE, PREFIX_VARIABLE, TARGET_VARIABLE


@pytest.fixture(scope="module")
def built() -> Iterator[Target]:
    """A fresh local AWS on which notebooks 01, 02 and 03 have run."""
    names = (ENDPOINT_VARIABLE, TARGET_VARIABLE, PREFIX_VARIABLE)
    saved = {name: os.environ.get(name) for name in names}
    with LocalAWSProcess(port=0) as stack:
        os.environ[ENDPOINT_VARIABLE] = stack.endpoint_url
        os.environ.pop(TARGET_VARIABLE, None)
        os.environ.pop(PREFIX_VARIABLE, None)
        try:
            target = Target(stack.endpoint_url, REGION)
            tutorial.require(target, "01", "02", "03")
            yield target
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.mark.timeout(scaled(600))
def test_the_notebooks_wire_every_route_of_the_template(built: Target) -> None:
    api = tutorial.find_api(built)
    assert api is not None
    apigw, lambda_ = built.client("apigatewayv2"), built.client("lambda")
    integrations = {
        item["IntegrationId"]: item["IntegrationUri"]
        for item in apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    }
    wired = {
        route["RouteKey"]: integrations[route["Target"].removeprefix("integrations/")]
        for route in apigw.get_routes(ApiId=api["ApiId"])["Items"]
    }
    for route in chat_routes():
        function = tutorial.CHAT_FUNCTIONS[route.key]
        configuration = lambda_.get_function_configuration(FunctionName=function)
        assert configuration["Handler"] == route.handler
        assert configuration["FunctionArn"] in wired[route.key]


@pytest.mark.timeout(scaled(600))
def test_the_notebooks_chat_answers_a_history_request(built: Target) -> None:
    """A message, then ``history`` since before it: the message comes back in a
    ``history`` frame."""
    api = tutorial.find_api(built)
    assert api is not None
    ws = websocket.create_connection(
        f"{api['ApiEndpoint']}/{tutorial.STAGE}?roomId=gaps", timeout=scaled(10)
    )
    try:
        ws.send(json.dumps({"action": "sendmessage", "data": "fill my gap"}))
        sent = tutorial.receive_until(ws, "message", timeout_s=30)
        ws.send(
            json.dumps(
                {"action": "history", "roomId": "gaps", "sinceSeq": sent["seq"] - 1, "limit": 10}
            )
        )
        answer = tutorial.receive_until(ws, "history", timeout_s=30)
    finally:
        ws.close()
    assert answer["room"] == "gaps"
    assert [(m["seq"], m["text"]) for m in answer["messages"]] == [(sent["seq"], "fill my gap")]
    assert answer["latestSeq"] == sent["seq"]
