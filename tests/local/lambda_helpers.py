"""Creating test functions on the local stack."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from typing import Any

import pytest

from wslab.aws import LAMBDA_TRUST_POLICY
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import WIRED_FUNCTION_POLICY
from wslab.local.runtime.node import sdk_modules

requires_node = pytest.mark.skipif(
    shutil.which("node") is None,
    reason="node is not on PATH: Node.js functions cannot run (install Node.js 20 or later)",
)
requires_node_sdk = pytest.mark.skipif(
    shutil.which("node") is None or sdk_modules() is None,
    reason="Node.js or the AWS SDK for JavaScript v3 is missing: install Node.js and run "
    "`make` (npm ci installs the SDK from package-lock.json)",
)


def role_arn(iam: Any, name: str) -> str:
    """A Lambda role allowed what the tests' functions call (``WIRED_FUNCTION_POLICY``)."""
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name, PolicyName="test", PolicyDocument=json.dumps(WIRED_FUNCTION_POLICY)
        )
        return str(arn)


def create_function(
    aws: Any, name: str, source: str, handler: str = "app.handler", **settings: Any
) -> dict[str, Any]:
    """A python3.12 function whose app.py is ``source``."""
    return create_package_function(aws, name, {"app.py": source}, handler, "python3.12", **settings)


def create_package_function(
    aws: Any,
    name: str,
    files: Mapping[str, str],
    handler: str = "index.handler",
    runtime: str = "nodejs20.x",
    **settings: Any,
) -> dict[str, Any]:
    """A function of any runtime (Node.js by default) whose package holds ``files``."""
    result: dict[str, Any] = aws("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler=handler,
        Code={"ZipFile": zip_sources(files)},
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
