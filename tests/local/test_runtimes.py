"""Runtimes the local stack cannot run are refused at invoke, clearly, in Lambda's shape."""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from typing import Any

import pytest
import websocket

from tests.local.lambda_helpers import create_package_function, invoke_json
from tests.support import scaled
from wslab.deploy.wiring import wire_websocket_api

pytestmark = pytest.mark.both_python_clients  # tests/local/conftest.py

AWS = Callable[..., Any]


@pytest.mark.parametrize("runtime", ["java21", "provided.al2023", "dotnet8"])
def test_a_runtime_that_cannot_run_fails_with_lambdas_error(
    aws: AWS, unique: str, runtime: str
) -> None:
    """Invoke answers Lambda's error JSON naming the runtime; the log says it too."""
    name = f"refused-{runtime.replace('.', '-')}-{unique}"
    create_package_function(aws, name, {"bootstrap": "#!/bin/sh\n"}, "main", runtime)
    body, response = invoke_json(aws, name, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].startswith("RequestId: ")
    assert f"wslab local cannot run {runtime} functions" in body["errorMessage"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert f"wslab local cannot run {runtime} functions" in log
    assert "REPORT RequestId:" in log


def test_a_refused_runtime_behind_a_route_is_an_internal_server_error(
    aws: AWS, unique: str
) -> None:
    """Through API Gateway the refusal is what any failing integration is: 502 at connect."""
    name = f"refused-route-{unique}"
    create_package_function(aws, name, {"Main.class": ""}, "example.Handler", "java21")
    api = wire_websocket_api(aws("apigatewayv2"), aws("lambda"), name, {"$connect": name})
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(api.url, timeout=scaled(10))
    assert refused.value.status_code == 502


def test_a_python_runtime_newer_than_the_local_one_runs_with_a_warning(
    aws: AWS, unique: str
) -> None:
    """It runs; one line at the top of its first log says which Python it runs on."""
    runtime = f"python3.{sys.version_info.minor + 1}"
    name = f"newer-python-{unique}"
    source = "def handler(event, context):\n    return 'ran'\n"
    create_package_function(aws, name, {"app.py": source}, "app.handler", runtime)
    body, response = invoke_json(aws, name, LogType="Tail")
    assert body == "ran"
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert lines[1] == (
        f"wslab local: this {runtime} function runs on the local Python "
        f"{sys.version_info.major}.{sys.version_info.minor}, older than its runtime"
    )
