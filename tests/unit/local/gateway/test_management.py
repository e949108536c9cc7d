"""The @connections API's answers to endpoints that miss part of the stage's URL."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import make_mocked_request

from wslab.local.gateway.connections import Connection, ConnectionRegistry, ConnectionState
from wslab.local.gateway.events import ConnectionContext
from wslab.local.gateway.ids import new_id
from wslab.local.gateway.management import ManagementApi

API_ID = "a1b2c3d4e5"


def _open_connection(registry: ConnectionRegistry) -> str:
    context = ConnectionContext(
        connection_id=new_id(),
        api_id=API_ID,
        stage="prod",
        domain_name=f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        region="us-east-1",
        account_id="123456789012",
        connected_at_ms=1_700_000_000_000,
        source_ip="127.0.0.1",
    )
    connection = Connection(context, state=ConnectionState.OPEN)
    registry.add(connection)
    return context.connection_id


def _get(registry: ConnectionRegistry, path: str) -> tuple[int, str, bytes]:
    request = make_mocked_request("GET", path)
    parts = path.strip("/").split("/")
    response = asyncio.run(ManagementApi(registry).handle(request, parts))
    body = response.body if isinstance(response.body, bytes) else b""
    return response.status, response.headers.get("x-amzn-ErrorType", ""), body


def test_stage_left_out_is_forbidden_not_gone() -> None:
    """/{apiId}/@connections/{id}: 403 Forbidden, as AWS answers an endpoint without stage."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, error_type, body = _get(registry, f"/{API_ID}/@connections/{connection_id}")
    assert (status, error_type) == (403, "ForbiddenException")
    assert json.loads(body) == {"message": "Forbidden"}


def test_full_stage_url_finds_the_connection() -> None:
    """/{apiId}/{stage}/@connections/{id} describes the open connection."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, _, body = _get(registry, f"/{API_ID}/prod/@connections/{connection_id}")
    assert status == 200
    assert json.loads(body)["identity"]["sourceIp"] == "127.0.0.1"


def test_wrong_stage_is_gone() -> None:
    """Another stage of the API does not hold the connection: 410."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, error_type, _ = _get(registry, f"/{API_ID}/dev/@connections/{connection_id}")
    assert (status, error_type) == (410, "GoneException")
