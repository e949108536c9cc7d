"""`chat.store` and `chat.history` against the DynamoDB that `AWS_ENDPOINT_URL` names (a
local AWS such as `wslab local`, or DynamoDB Local): tables of their own, created and
deleted here, so these tests skip where no local endpoint is set."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chat.history import append_message, last_sequence, messages_since, recent_messages
from chat.store import connections_in_room, find_connection, move_connection, register_connection

pytestmark = pytest.mark.skipif(
    not os.environ.get("AWS_ENDPOINT_URL"), reason="AWS_ENDPOINT_URL is not set"
)


def _table(dynamodb: Any, name: str, keys: list[tuple[str, str, str]], **extra: Any) -> Any:
    table = dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _ in keys],
        KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in keys if k],
        **extra,
    )
    table.wait_until_exists()
    return table


@pytest.fixture
def tables() -> Iterator[tuple[Any, Any]]:
    dynamodb = boto3.resource("dynamodb")
    suffix = uuid.uuid4().hex[:8]
    connections = _table(
        dynamodb,
        f"chat-tests-connections-{suffix}",
        [("id", "S", "HASH"), ("roomId", "S", "")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "roomId-index",
                "KeySchema": [{"AttributeName": "roomId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    history = _table(
        dynamodb, f"chat-tests-history-{suffix}", [("roomId", "S", "HASH"), ("seq", "N", "RANGE")]
    )
    yield connections, history
    connections.delete()
    history.delete()


def test_connections_are_found_moved_and_listed_by_room(tables: tuple[Any, Any]) -> None:
    connections, _ = tables
    now = int(time.time())
    for connection_id, expires in (("a", now + 600), ("b", now - 1)):
        register_connection(
            connections, connection_id=connection_id, room="大厅", user_name="小明",
            connected_at_ms=now * 1000, expires_at=expires,
        )  # fmt: skip
    found = find_connection(connections, "a")
    assert found is not None and (found.room, found.user_name) == ("大厅", "小明")
    live = [c.connection_id for c in connections_in_room(connections, "roomId-index", "大厅", now)]
    assert live == ["a"]  # "b" has expired
    assert move_connection(connections, "a", "комната") == "大厅"
    assert move_connection(connections, "never-connected", "комната") is None


def test_messages_are_numbered_and_trimmed(tables: tuple[Any, Any]) -> None:
    _, history = tables
    now = time.time()
    for text in ("一", "二", "三"):
        append_message(
            history, room="sala-ñ", sender="小明", text=text, sent_at="now", now=now,
            keep=2, ttl_seconds=60,
        )  # fmt: skip
    assert last_sequence(history, "sala-ñ") == 3
    assert [m["seq"] for m in recent_messages(history, "sala-ñ", 10, now)] == [2, 3]
    assert [m["text"] for m in messages_since(history, "sala-ñ", 2, 10, now)] == ["三"]
