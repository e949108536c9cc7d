"""The functions both emulators run in ``side_by_side.py``: the same code, the same work.

Connection ids live in a file (under an exclusive lock) rather than in DynamoDB, because
serverless-offline has no DynamoDB of its own: both emulators then do identical work per
event, and only the emulator differs.

- ``connect`` / ``disconnect`` add and remove the connection's id;
- ``echo`` answers a message with itself (a two-way ``$default`` route);
- ``broadcast`` posts the message's ``data`` to every connection through ``@connections``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from typing import Any

import boto3

_IDS = os.environ.get("BENCH_CONNECTIONS_FILE", "/tmp/bench-connections.json")
_management: Any = None


def _update(change: Callable[[list[str]], list[str]]) -> list[str]:
    with open(_IDS + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(_IDS) as stored:
                ids = json.load(stored)
        except (FileNotFoundError, ValueError):
            ids = []
        ids = change(ids)
        with open(_IDS + ".tmp", "w") as fresh:
            json.dump(ids, fresh)
        os.replace(_IDS + ".tmp", _IDS)
        return ids


def _client() -> Any:
    global _management
    if _management is None:
        _management = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=os.environ["BENCH_MANAGEMENT_URL"],
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
    return _management


def connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    connection_id = event["requestContext"]["connectionId"]
    _update(lambda ids: [*ids, connection_id] if connection_id not in ids else ids)
    return {"statusCode": 200}


def disconnect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    connection_id = event["requestContext"]["connectionId"]
    _update(lambda ids: [other for other in ids if other != connection_id])
    return {"statusCode": 200}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": event.get("body") or ""}


def broadcast(event: dict[str, Any], context: Any) -> dict[str, Any]:
    data = json.loads(event.get("body") or "{}").get("data", "")
    client = _client()
    gone = []
    for connection_id in _update(lambda ids: ids):
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data.encode())
        except client.exceptions.GoneException:
            gone.append(connection_id)
    if gone:
        _update(lambda ids: [other for other in ids if other not in gone])
    return {"statusCode": 200}
