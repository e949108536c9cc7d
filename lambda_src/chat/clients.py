"""boto3 clients, created on first use and then kept for the execution environment.

Creating a client costs milliseconds and opens new TLS connections, so each warm
execution environment makes each client once and reuses it (and its connection pool)
for every invocation. Nothing is created at import time: tests and the local stack
set their endpoints before the first call, not before the import.

boto3 ships without type information, so clients are `Any` at this boundary.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

__all__ = [
    "MANAGEMENT_ENDPOINT_VARIABLE",
    "dynamodb",
    "management_api",
    "secrets_manager",
    "table",
]

# The SDK's own per-service endpoint variable; boto3 reads it if no endpoint_url is passed
# (passing one would override it). Lambda never sets it. It is here for a custom domain:
# there the event's domainName is the custom domain and its stage is the API's stage, but
# the URL's path is the API mapping's base path, so https://{domainName}/{stage} names no
# route ("No method found matching route", aws-samples/simple-websockets-chat-app#40).
# Setting it to the domain plus base path (https://chat.example.com/v1) fixes that without
# a code change. The local stack does not use it: its workers' redirect sends the event's
# https://{domainName}/{stage} to the stack, as for any handler written for AWS.
MANAGEMENT_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"

_cache: dict[tuple[str, ...], Any] = {}


def dynamodb() -> Any:
    """The DynamoDB service resource (tables are `dynamodb().Table(name)`)."""
    return _cached(("dynamodb",), lambda: boto3.resource("dynamodb"))


def table(name: str) -> Any:
    """The `Table` resource of a table, made once per name: boto3 builds a resource's
    class from its model each time `Table(...)` is called, which costs more than a call."""
    return _cached(("table", name), lambda: dynamodb().Table(name))


def management_api(event_endpoint: str, pool_size: int) -> Any:
    """The API Gateway Management API client for posting to connections.

    `event_endpoint` is `https://{domainName}/{stage}` from the event. The client is
    made once per endpoint, so one function serving one stage keeps exactly one client.
    """
    configured = os.environ.get(MANAGEMENT_ENDPOINT_VARIABLE, "").strip()
    config = Config(
        # One connection per fan-out worker, so no worker waits for a pooled connection.
        max_pool_connections=pool_size,
        connect_timeout=3,
        read_timeout=5,
        # Throttling is retried by fanout.post_with_retry, per target and counted;
        # SDK retries on top of that would multiply the attempts.
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    if configured:
        return _cached(
            ("apigatewaymanagementapi", configured),
            lambda: boto3.client("apigatewaymanagementapi", config=config),
        )
    return _cached(
        ("apigatewaymanagementapi", event_endpoint),
        lambda: boto3.client("apigatewaymanagementapi", endpoint_url=event_endpoint, config=config),
    )


def secrets_manager() -> Any:
    """The Secrets Manager client, used only when the token secret lives there."""
    return _cached(("secretsmanager",), lambda: boto3.client("secretsmanager"))


def _cached(key: tuple[str, ...], create: Callable[[], Any]) -> Any:
    if key not in _cache:
        _cache[key] = create()
    return _cache[key]
