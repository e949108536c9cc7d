"""The apps gate's account inventory on a real local stack: what it counts, what it leaves
to the deploy tools and to Lambda, and the reason it reports for a failed stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import WaiterError

from tests.apps import inventory

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _wait(aws: Callable[..., Any], waiter: str, stack: str) -> None:
    aws("cloudformation").get_waiter(waiter).wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )


def test_what_an_app_makes_is_counted_until_it_is_deleted(aws: Callable[..., Any]) -> None:
    tag = uuid.uuid4().hex[:8]
    before = inventory.snapshot(aws)
    aws("dynamodb").create_table(
        TableName=f"t-{tag}",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    aws("iam").create_role(RoleName=f"r-{tag}", AssumeRolePolicyDocument=LAMBDA_TRUST)
    aws("logs").create_log_group(logGroupName=f"/app/{tag}")
    # Lambda's own log group outlives the function on AWS: not the app's leftover.
    aws("logs").create_log_group(logGroupName=f"/aws/lambda/f-{tag}")
    try:
        made = inventory.snapshot(aws) - before
        assert made == {f"table:t-{tag}", f"role:r-{tag}", f"log-group:/app/{tag}"}
    finally:
        aws("dynamodb").delete_table(TableName=f"t-{tag}")
        aws("iam").delete_role(RoleName=f"r-{tag}")
        aws("logs").delete_log_group(logGroupName=f"/app/{tag}")
    assert inventory.snapshot(aws) - before == set()


def test_a_deploy_tools_own_stack_and_its_bucket_are_not_counted(
    aws: Callable[..., Any],
) -> None:
    cloudformation = aws("cloudformation")
    before = inventory.snapshot(aws)
    cloudformation.create_stack(
        StackName="CDKToolkit",
        TemplateBody=json.dumps({"Resources": {"StagingBucket": {"Type": "AWS::S3::Bucket"}}}),
    )
    try:
        _wait(aws, "stack_create_complete", "CDKToolkit")
        assert inventory.snapshot(aws) == before
    finally:
        cloudformation.delete_stack(StackName="CDKToolkit")
        _wait(aws, "stack_delete_complete", "CDKToolkit")


def test_a_failed_stack_is_reported_by_its_first_failed_resource(
    aws: Callable[..., Any],
) -> None:
    stack = f"failing-{uuid.uuid4().hex[:8]}"
    before = inventory.snapshot(aws)
    template = {
        "Resources": {
            "Fine": {"Type": "AWS::SQS::Queue"},
            "Broken": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": "Fine",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::123456789012:role/no-such-role",
                    "Code": {"S3Bucket": f"no-such-bucket-{stack}", "S3Key": "code.zip"},
                },
            },
        }
    }
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(template))
    try:
        with pytest.raises(WaiterError, match="ROLLBACK_COMPLETE"):
            _wait(aws, "stack_create_complete", stack)
        reason = inventory.first_stack_failure(aws, before)
        assert reason.startswith("Broken (AWS::Lambda::Function): "), reason
        assert len(reason) > len("Broken (AWS::Lambda::Function): "), reason
    finally:
        cloudformation.delete_stack(StackName=stack)
        _wait(aws, "stack_delete_complete", stack)
