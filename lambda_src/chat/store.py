"""The connections table: one item per open WebSocket connection.

Schema (created by the template, documented in this folder's README):

- partition key `id` (S): the API Gateway connection id;
- `roomId` (S): the room the connection is in, the key of the `roomId-index` GSI;
- `userName` (S, optional): the user the authorizer allowed;
- `connectedAt` (N): epoch milliseconds, from the CONNECT event;
- `expiresAt` (N): epoch seconds, the table's TTL attribute.

Every function takes its `Table` as an argument, so the handlers decide which table and
tests can hand in a table of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

__all__ = [
    "Connection",
    "RoomQueryStats",
    "connections_in_room",
    "find_connection",
    "move_connection",
    "register_connection",
    "remove_connection",
    "remove_connections",
]


@dataclass(frozen=True)
class Connection:
    """One item of the connections table."""

    connection_id: str
    room: str
    user_name: str | None
    expires_at: int | None

    def is_expired(self, now: float) -> bool:
        """True once the item has outlived API Gateway's connection limit.

        DynamoDB deletes expired items only eventually (often within days), so readers
        must skip them themselves. An item without `expiresAt` counts as live.
        """
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class RoomQueryStats:
    """What one walk over a room's connections saw, for the broadcast summary log."""

    pages: int = 0
    expired: int = 0


def _connection(item: dict[str, Any]) -> Connection:
    expires = item.get("expiresAt")
    user = item.get("userName")
    return Connection(
        connection_id=str(item["id"]),
        room=str(item.get("roomId", "")),
        user_name=str(user) if user else None,
        expires_at=int(expires) if expires is not None else None,
    )


def register_connection(
    table: Any,
    *,
    connection_id: str,
    room: str,
    user_name: str | None,
    connected_at_ms: int,
    expires_at: int,
) -> None:
    """Store a new connection (a retried `$connect` simply overwrites its own item)."""
    item: dict[str, Any] = {
        "id": connection_id,
        "roomId": room,
        "connectedAt": connected_at_ms,
        "expiresAt": expires_at,
    }
    if user_name:
        item["userName"] = user_name
    table.put_item(Item=item)


def find_connection(table: Any, connection_id: str) -> Connection | None:
    """The connection's item, read consistently so a `$connect` just before is seen."""
    response = table.get_item(Key={"id": connection_id}, ConsistentRead=True)
    item = response.get("Item")
    return _connection(item) if item else None


def move_connection(table: Any, connection_id: str, room: str) -> str | None:
    """Put an existing connection in `room`; its previous room, or None if it is unknown.

    The condition stops an update from recreating, without a TTL, the item of a
    connection whose `$disconnect` has already deleted it.
    """
    try:
        response = table.update_item(
            Key={"id": connection_id},
            UpdateExpression="SET #room = :room",
            ConditionExpression=Attr("id").exists(),
            ExpressionAttributeNames={"#room": "roomId"},
            ExpressionAttributeValues={":room": room},
            ReturnValues="UPDATED_OLD",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return str(response.get("Attributes", {}).get("roomId", room))


def remove_connection(table: Any, connection_id: str) -> str | None:
    """Delete a connection's item; the room it was in, or None if it was already gone.

    Deleting a missing item succeeds in DynamoDB, which makes `$disconnect` idempotent.
    """
    response = table.delete_item(Key={"id": connection_id}, ReturnValues="ALL_OLD")
    attributes = response.get("Attributes")
    return str(attributes["roomId"]) if attributes and "roomId" in attributes else None


def remove_connections(table: Any, connection_ids: Iterable[str]) -> None:
    """Delete many connections in batches of 25 (the batch writer retries leftovers)."""
    with table.batch_writer() as batch:
        for connection_id in connection_ids:
            batch.delete_item(Key={"id": connection_id})


def connections_in_room(
    table: Any,
    index_name: str,
    room: str,
    now: float,
    stats: RoomQueryStats | None = None,
) -> Iterator[Connection]:
    """Every live connection in `room`, page by page from the room index.

    A Query on the index reads only the room's items, where a Scan would read the whole
    table for every message. A page holds at most 1 MB, so big rooms take several pages;
    each is yielded as it arrives so posting can start before the last page is read.
    """
    stats = stats if stats is not None else RoomQueryStats()
    query: dict[str, Any] = {
        "IndexName": index_name,
        "KeyConditionExpression": Key("roomId").eq(room),
    }
    while True:
        page = table.query(**query)
        stats.pages += 1
        for item in page.get("Items", []):
            connection = _connection(item)
            if connection.is_expired(now):
                stats.expired += 1
                continue
            yield connection
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            return
        query["ExclusiveStartKey"] = last_key
