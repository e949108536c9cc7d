"""Conditions in a role's policies, tested against the keys of a call made with its
credentials: the role as ``aws:PrincipalArn``, its account, and HTTPS (the local stack stands
for AWS's HTTPS endpoints)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.local.iam_helpers import ACCOUNT, REGION, create_role, denied, role_credentials


@pytest.fixture
def table(aws: Any, unique: str) -> str:
    name = f"conditions-{unique}"
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _when(action: str, resource: str, condition: dict[str, Any], effect: str = "Allow") -> Any:
    return {"Effect": effect, "Action": action, "Resource": resource, "Condition": condition}


def test_conditions_on_the_principal_and_transport(
    aws: Any, endpoint_url: str, unique: str, table: str
) -> None:
    """An Allow whose condition holds allows; one whose condition fails does not (implicit
    deny, with IAM's message); a Deny on plain HTTP does not apply."""
    role = f"role-{unique}"
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    role_arn = create_role(
        aws("iam"),
        role,
        _when(
            "dynamodb:DescribeTable",
            arn,
            {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{role}"}},
        ),
        _when("dynamodb:Scan", arn, {"StringEquals": {"aws:PrincipalAccount": "210987654321"}}),
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn},
        _when("dynamodb:*", "*", {"Bool": {"aws:SecureTransport": "false"}}, effect="Deny"),
    )
    credentials = role_credentials(aws, role_arn, "conditions")
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )

    assert dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})
    with pytest.raises(ClientError) as refused:
        dynamodb.scan(TableName=table)
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/conditions"
    assert refused.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": denied(principal, "dynamodb:Scan", arn),
    }
