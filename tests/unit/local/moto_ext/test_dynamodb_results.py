"""Item answers encoded straight to JSON are the documents moto's serializer makes.

Every item operation below runs through moto (in-process) with its serializer; for each,
the fast encoding of the same result is compared with what the serializer produced, for
every attribute type (binary ones included) and every ``ReturnValues`` choice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import ActionContext
from moto.dynamodb.responses import DynamoResult

from wslab.local.moto_ext.dynamodb import results as dynamodb_results

ITEM = {
    "k": {"S": "a"},
    "r": {"N": "1"},
    "g": {"S": "x"},
    "s": {"S": 'h\u00e9llo \u2603 "quoted"'},
    "n": {"N": "-1.5e3"},
    "b": {"B": b"\x00\xffbin"},
    "bool": {"BOOL": True},
    "null": {"NULL": True},
    "l": {"L": [{"S": "x"}, {"N": "2"}, {"B": b"\x01"}]},
    "m": {"M": {"in": {"S": "y"}, "bb": {"B": b"\x02"}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x03", b"\x04"]},
}


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Each item answer made both ways and compared; the count per operation."""
    counts: dict[str, int] = {}
    serialize = DynamoResult.execute_result

    def both(self: DynamoResult, context: ActionContext) -> Any:
        status, headers, body = serialize(self, context)
        name = context.operation_model.name
        if name in dynamodb_results.ITEM_OPERATIONS:
            output = context.operation_model.output_shape
            fast = dynamodb_results.encode_item_result(self.result, output.members)
            assert json.loads(fast) == json.loads(body), name
            assert (status, headers["Content-Type"]) == (200, "application/x-amz-json-1.0")
            counts[name] = counts.get(name, 0) + 1
        return status, headers, body

    monkeypatch.setattr(DynamoResult, "execute_result", both)
    with mock_aws():
        yield counts


def test_every_item_operation_encodes_as_the_serializer_does(compared: dict[str, int]) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="t",
        KeySchema=[
            {"AttributeName": "k", "KeyType": "HASH"},
            {"AttributeName": "r", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "k", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gix",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"k": {"S": "a"}, "r": {"N": "1"}}
    client.put_item(TableName="t", Item=ITEM)
    for capacity in ("TOTAL", "INDEXES", "NONE"):
        client.put_item(
            TableName="t",
            Item=dict(ITEM, r={"N": "2"}),
            ReturnValues="ALL_OLD",
            ReturnConsumedCapacity=capacity,
        )
    assert client.get_item(TableName="t", Key=key)["Item"]["b"]["B"] == b"\x00\xffbin"
    client.get_item(TableName="t", Key={"k": {"S": "none"}, "r": {"N": "1"}})
    client.get_item(TableName="t", Key=key, ProjectionExpression="b, m.bb, l[2]")
    for returned in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
        client.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="ADD c :one SET b2 = :b",
            ExpressionAttributeValues={":one": {"N": "1"}, ":b": {"B": b"zz"}},
            ReturnValues=returned,
            ReturnConsumedCapacity="TOTAL",
        )
    condition = {
        "KeyConditionExpression": "k = :k",
        "ExpressionAttributeValues": {":k": {"S": "a"}},
    }
    client.query(TableName="t", ReturnConsumedCapacity="TOTAL", **condition)
    client.query(TableName="t", Limit=1, **condition)
    client.query(TableName="t", Select="COUNT", **condition)
    client.query(
        TableName="t",
        IndexName="gix",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )
    client.scan(TableName="t")
    client.scan(TableName="t", Limit=1, ReturnConsumedCapacity="TOTAL")
    client.batch_get_item(
        RequestItems={"t": {"Keys": [key, {"k": {"S": "q"}, "r": {"N": "1"}}]}},
        ReturnConsumedCapacity="TOTAL",
    )
    client.delete_item(
        TableName="t", Key={"k": {"S": "a"}, "r": {"N": "2"}}, ReturnValues="ALL_OLD"
    )
    client.delete_item(TableName="t", Key={"k": {"S": "a"}, "r": {"N": "2"}})
    assert set(compared) == dynamodb_results.ITEM_OPERATIONS
