"""Creating test functions on the local stack."""

from __future__ import annotations

import json
from typing import Any

from wslab.aws import LAMBDA_TRUST_POLICY, TEST_FUNCTION_POLICY
from wslab.packaging import zip_sources


def role_arn(iam: Any, name: str) -> str:
    """A Lambda role allowed what the tests' functions call (``TEST_FUNCTION_POLICY``)."""
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name, PolicyName="test", PolicyDocument=json.dumps(TEST_FUNCTION_POLICY)
        )
        return str(arn)


def create_function(
    aws: Any, name: str, source: str, handler: str = "app.handler", **settings: Any
) -> dict[str, Any]:
    """A python3.12 function whose app.py is ``source``."""
    lam = aws("lambda")
    result: dict[str, Any] = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler=handler,
        Code={"ZipFile": zip_sources({"app.py": source})},
        **settings,
    )
    return result


def invoke_json(aws: Any, name: str, event: Any = None, **options: Any) -> tuple[Any, Any]:
    """Invoke synchronously; returns (decoded payload, full response)."""
    response = aws("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event if event is not None else {}), **options
    )
    raw = response["Payload"].read()
    return (json.loads(raw) if raw else None), response


def create_id_table(aws: Any, name: str) -> None:
    """An on-demand DynamoDB table keyed by a string ``id``."""
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
