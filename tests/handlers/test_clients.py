"""Clients: made lazily, once per execution environment, pointed at the right endpoint."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from chat import clients

from .conftest import LAMBDA_SRC

EVENT_ENDPOINT = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"


def test_management_endpoint_from_the_event() -> None:
    """Without the SDK variable, the client posts to https://{domainName}/{stage}."""
    client = clients.management_api(EVENT_ENDPOINT, pool_size=8)
    assert client.meta.endpoint_url == EVENT_ENDPOINT


def test_sdk_endpoint_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI (a custom domain's base path) is used as is."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:4510/prod")
    client = clients.management_api(EVENT_ENDPOINT, pool_size=8)
    assert client.meta.endpoint_url == "http://127.0.0.1:4510/prod"


def test_one_client_per_endpoint_reused() -> None:
    """The same endpoint gives the same client (and its connection pool) every time."""
    first = clients.management_api(EVENT_ENDPOINT, pool_size=8)
    assert clients.management_api(EVENT_ENDPOINT, pool_size=8) is first
    assert clients.management_api("https://other.example/prod", pool_size=8) is not first
    assert clients.dynamodb() is clients.dynamodb()


def test_pool_matches_the_workers_and_sdk_retries_are_off() -> None:
    """A connection per fan-out worker; one SDK attempt, since fanout retries itself."""
    config = clients.management_api(EVENT_ENDPOINT, pool_size=24).meta.config
    assert config.max_pool_connections == 24
    assert config.retries["total_max_attempts"] == 1


def test_importing_the_handlers_creates_no_client() -> None:
    """Nothing talks to boto3 at import time (a fresh interpreter, like a cold start)."""
    code = (
        "import boto3, chat.handlers, chat.clients;"
        "assert boto3.DEFAULT_SESSION is None, 'a boto3 session was created at import';"
        "assert chat.clients._cache == {}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=LAMBDA_SRC, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
