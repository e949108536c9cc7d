"""Reading CloudFormation stacks on the local stack, as a user would through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def status(cfn: Any, stack: str) -> str:
    return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])


def outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}


def failure_reasons(cfn: Any, stack: str) -> str:
    """The reasons in a stack's events, joined: where CloudFormation says what failed."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return " ".join(event.get("ResourceStatusReason", "") for event in events)


def listed(cfn: Any, stack: str) -> dict[str, str]:
    """Logical id -> status, of every resource ListStackResources shows."""
    summaries = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {item["LogicalResourceId"]: item["ResourceStatus"] for item in summaries}


def create(cfn: Any, name: str, template: dict[str, Any], **options: Any) -> str:
    """Create a stack from a template dict; its id."""
    return str(
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), **options)["StackId"]
    )


def refused(call: Any, code: str = "ValidationError", **request: Any) -> str:
    """Call, expecting a CloudFormation error with ``code``; its message."""
    with pytest.raises(ClientError) as raised:
        call(**request)
    error = raised.value.response["Error"]
    assert error["Code"] == code, error
    return str(error["Message"])


def gone(cfn: Any, stack: str) -> bool:
    """Whether DescribeStacks says the stack (by name) does not exist."""
    try:
        cfn.describe_stacks(StackName=stack)
    except ClientError as error:
        return "does not exist" in error.response["Error"]["Message"]
    return False


# A stack of one table, for tests that need any stack operation to take a service's lock.
ONE_TABLE = json.dumps(
    {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }
        }
    }
)
