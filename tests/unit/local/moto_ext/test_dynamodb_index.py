"""A Query reads its partition: same answers as moto's walk of the table, without the walk.

In-process moto (``mock_aws``) with the extension installed, driven by boto3. Random writes
of every kind (put, update moving an item to another index partition, delete, batch,
transaction, PartiQL) are checked against the answer computed from a Scan of the table.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from tests.handlers.support import CONNECTIONS_TABLE, HISTORY_TABLE, REGION, create_tables
from wslab.local.moto_ext.dynamodb import index as dynamodb_index

ROOMS = [f"room{n}" for n in range(8)]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """The chat's two tables (the connections table has its room index), in moto."""
    dynamodb_index.install()
    with mock_aws():
        create_tables()
        yield boto3.client("dynamodb", region_name=REGION)


def room_ids(client: Any, room: str, **extra: Any) -> list[str]:
    pages = client.get_paginator("query").paginate(
        TableName=CONNECTIONS_TABLE,
        IndexName="roomId-index",
        KeyConditionExpression="roomId = :r",
        ExpressionAttributeValues={":r": {"S": room}},
        **extra,
    )
    return sorted(item["id"]["S"] for page in pages for item in page["Items"])


def scanned_rooms(client: Any) -> dict[str, list[str]]:
    rooms: dict[str, list[str]] = {room: [] for room in ROOMS}
    for page in client.get_paginator("scan").paginate(TableName=CONNECTIONS_TABLE):
        for item in page["Items"]:
            if "roomId" in item:
                rooms[item["roomId"]["S"]].append(item["id"]["S"])
    return {room: sorted(ids) for room, ids in rooms.items()}


def random_write(client: Any, rng: random.Random) -> str:
    key = f"c{rng.randrange(60)}"
    room = rng.choice(ROOMS)
    kind = rng.choice(["put", "move", "delete", "batch", "transact", "partiql", "unset"])
    if kind == "put":
        client.put_item(TableName=CONNECTIONS_TABLE, Item={"id": {"S": key}, "roomId": {"S": room}})
    elif kind == "move":
        client.update_item(
            TableName=CONNECTIONS_TABLE,
            Key={"id": {"S": key}},
            UpdateExpression="SET roomId = :r",
            ExpressionAttributeValues={":r": {"S": room}},
        )
    elif kind == "delete":
        client.delete_item(TableName=CONNECTIONS_TABLE, Key={"id": {"S": key}})
    elif kind == "batch":
        client.batch_write_item(
            RequestItems={
                CONNECTIONS_TABLE: [
                    {"PutRequest": {"Item": {"id": {"S": key}, "roomId": {"S": room}}}},
                    {"DeleteRequest": {"Key": {"id": {"S": f"c{rng.randrange(60)}"}}}},
                ]
            }
        )
    elif kind == "transact":
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": CONNECTIONS_TABLE,
                        "Key": {"id": {"S": key}},
                        "UpdateExpression": "SET roomId = :r",
                        "ExpressionAttributeValues": {":r": {"S": room}},
                    }
                }
            ]
        )
    elif kind == "partiql":
        client.execute_statement(
            Statement=f"UPDATE \"{CONNECTIONS_TABLE}\" SET roomId='{room}' WHERE id='{key}'"
        )
    else:  # the index attribute removed: the item leaves the (sparse) index
        client.update_item(
            TableName=CONNECTIONS_TABLE, Key={"id": {"S": key}}, UpdateExpression="REMOVE roomId"
        )
    return kind


def test_every_write_path_keeps_the_index_answers_right(dynamodb: Any) -> None:
    rng = random.Random(13)
    written: Counter[str] = Counter()
    for round_ in range(40):
        for _ in range(15):
            # A PartiQL update of a missing item fails, for instance: nothing written.
            with contextlib.suppress(dynamodb.exceptions.ClientError):
                written[random_write(dynamodb, rng)] += 1
        expected = scanned_rooms(dynamodb)
        for room in ROOMS:
            assert room_ids(dynamodb, room) == expected[room], (round_, room)
    assert len(written) == 7 and min(written.values()) > 20, written  # every kind of write


def test_pages_limits_and_filters_are_moto_s_own(dynamodb: Any) -> None:
    for n in range(30):
        dynamodb.put_item(
            TableName=CONNECTIONS_TABLE,
            Item={"id": {"S": f"x{n:02d}"}, "roomId": {"S": "room0"}, "n": {"N": str(n)}},
        )
    assert room_ids(dynamodb, "room0", PaginationConfig={"PageSize": 7}) == sorted(
        f"x{n:02d}" for n in range(30)
    )
    filtered = dynamodb.query(
        TableName=CONNECTIONS_TABLE,
        IndexName="roomId-index",
        KeyConditionExpression="roomId = :r",
        FilterExpression="n >= :low",
        ExpressionAttributeValues={":r": {"S": "room0"}, ":low": {"N": "25"}},
    )
    assert (filtered["Count"], filtered["ScannedCount"]) == (5, 30)


def test_a_table_query_reads_one_partition_in_order(dynamodb: Any) -> None:
    for room in ("a", "b"):
        for seq in (3, 1, 2):
            dynamodb.put_item(
                TableName=HISTORY_TABLE, Item={"roomId": {"S": room}, "seq": {"N": str(seq)}}
            )
    answer = dynamodb.query(
        TableName=HISTORY_TABLE,
        KeyConditionExpression="roomId = :r AND seq > :s",
        ExpressionAttributeValues={":r": {"S": "b"}, ":s": {"N": "1"}},
        ScanIndexForward=False,
    )
    assert [(i["roomId"]["S"], i["seq"]["N"]) for i in answer["Items"]] == [("b", "3"), ("b", "2")]


def test_a_query_never_walks_the_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the index is mapped, Queries of both tables read no other partition."""
    for n in range(200):
        dynamodb.put_item(
            TableName=CONNECTIONS_TABLE, Item={"id": {"S": f"c{n}"}, "roomId": {"S": ROOMS[n % 8]}}
        )
        dynamodb.put_item(
            TableName=HISTORY_TABLE, Item={"roomId": {"S": "h"}, "seq": {"N": str(n)}}
        )
    room_ids(dynamodb, "room1")  # maps the index: one walk
    walks: list[str] = []
    original = Table.all_items

    def counting(self: Table) -> Any:
        walks.append(self.name)
        return original(self)

    monkeypatch.setattr(Table, "all_items", counting)
    for room in ROOMS:
        assert len(room_ids(dynamodb, room)) == 25
    dynamodb.query(
        TableName=HISTORY_TABLE,
        KeyConditionExpression="roomId = :r",
        ExpressionAttributeValues={":r": {"S": "h"}},
    )
    assert walks == []
