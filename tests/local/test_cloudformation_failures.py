"""CloudFormation's failures on the local stack, as AWS has them.

A template CloudFormation refuses at the call (a reference to nothing, a missing export, a
missing parameter value) is a ``ValidationError`` of ``CreateStack`` and no stack is made.
A resource that fails to create rolls the stack back, and it stays rolled back: no later
read brings back what the rollback deleted. Whatever fails, boto3 gets a CloudFormation
error it can parse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.local.cfn_helpers import (
    create,
    failure_reasons,
    gone,
    listed,
    outputs,
    refused,
    status,
)
from tests.local.lambda_helpers import role_arn
from wslab.aws import LAMBDA_TRUST_POLICY

HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def _failing_template(unique: str, role: str) -> dict[str, Any]:
    """A table, a role and a function that create, then an API whose property the local
    stack lacks: created last (it depends on the others), it fails the stack."""
    return {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": f"rolled-back-{unique}",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                },
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": f"rolled-back-{unique}",
                    "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"rolled-back-{unique}",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": HANDLER},
                    "Environment": {"Variables": {"TABLE": {"Ref": "Table"}}},
                },
            },
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "DependsOn": ["Function"],
                "Properties": {
                    "Name": f"rolled-back-{unique}",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                    "BodyS3Location": {"Bucket": "b", "Key": "k"},
                },
            },
        },
        "Outputs": {
            "TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}},
            "ApiId": {"Value": {"Ref": "Api"}},
        },
    }


def _nothing_left(aws: Any, unique: str) -> None:
    name = f"rolled-back-{unique}"
    dynamodb, lam, iam = aws("dynamodb"), aws("lambda"), aws("iam")
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.describe_table(TableName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=name)
    assert name not in [api["Name"] for api in aws("apigatewayv2").get_apis()["Items"]]


@pytest.fixture
def rolled_back(aws: Any, unique: str) -> tuple[str, str]:
    """A stack whose creation failed: (name, id)."""
    cfn = aws("cloudformation")
    role = role_arn(aws("iam"), "wslab-test-lambda")
    template = _failing_template(unique, role)  # its role has a name of its own
    stack_id = create(cfn, f"rb-{unique}", template, Capabilities=["CAPABILITY_NAMED_IAM"])
    return f"rb-{unique}", stack_id


def test_a_failed_create_rolls_back_with_the_reason_in_its_events(
    aws: Any, rolled_back: tuple[str, str]
) -> None:
    """The failing resource's CREATE_FAILED event says why; what was created is deleted."""
    name, _ = rolled_back
    cfn = aws("cloudformation")
    assert status(cfn, name) == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Api"]
    assert "BodyS3Location is not supported by wslab local" in failed[0]["ResourceStatusReason"]
    deleted = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_COMPLETE"}
    assert deleted == {"Table", "Role", "Function"}
    assert "The following resource(s) failed to create: [Api]" in failure_reasons(cfn, name)


def test_no_read_brings_rolled_back_resources_back(
    aws: Any, unique: str, rolled_back: tuple[str, str]
) -> None:
    """Every read of the stack, and the waiters, find nothing; the resources stay gone."""
    name, stack_id = rolled_back
    cfn = aws("cloudformation")
    reads: list[Callable[[], Any]] = [
        lambda: cfn.describe_stacks(StackName=name),
        lambda: cfn.describe_stacks(StackName=stack_id),
        lambda: cfn.list_stack_resources(StackName=name),
        lambda: cfn.describe_stack_resources(StackName=name),
        lambda: cfn.get_template(StackName=name),
        lambda: cfn.get_template(StackName=name, TemplateStage="Processed"),
        lambda: cfn.describe_stack_events(StackName=name),
        lambda: cfn.get_template_summary(StackName=name),
        lambda: cfn.get_waiter("stack_exists").wait(StackName=name),
    ]
    for read in reads:
        read()
        _nothing_left(aws, unique)
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName=name)
    _nothing_left(aws, unique)
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert "Outputs" not in described
    assert listed(cfn, name) == {}
    assert cfn.describe_stack_resources(StackName=name)["StackResources"] == []
    refused(cfn.describe_stack_resource, StackName=name, LogicalResourceId="Table")


def test_a_rolled_back_stack_deletes_and_can_be_created_again(
    aws: Any, unique: str, rolled_back: tuple[str, str]
) -> None:
    """DeleteStack works on ROLLBACK_COMPLETE; the name is free again; nothing comes back."""
    name, stack_id = rolled_back
    cfn = aws("cloudformation")
    assert "can not be updated" in refused(
        cfn.update_stack, StackName=name, TemplateBody=json.dumps({"Resources": {}})
    )
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert gone(cfn, name)
    _nothing_left(aws, unique)
    queue = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    create(cfn, name, queue)
    assert status(cfn, name) == "CREATE_COMPLETE"
    assert set(listed(cfn, name)) == {"Queue"}
    cfn.delete_stack(StackName=name)


def _with(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Resources": resources, **sections}


QUEUE = {"Type": "AWS::SQS::Queue"}
TEMPLATE_ERRORS = {
    "GetAtt of an undefined resource": (
        _with({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "x"}}},
              Outputs={"Arn": {"Value": {"Fn::GetAtt": ["Missing", "Arn"]}}}),
        {},
        "Template error: instance of Fn::GetAtt references undefined resource Missing",
    ),
    "GetAtt in a property": (
        _with({"Q": QUEUE, "T": {"Type": "AWS::SNS::Topic", "Properties": {
            "DisplayName": {"Fn::GetAtt": ["Nowhere", "Arn"]}}}}),
        {},
        "Template error: instance of Fn::GetAtt references undefined resource Nowhere",
    ),
    "ImportValue of a missing export": (
        _with({"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": {"Fn::ImportValue": "no-such-export"}}}}),
        {},
        "No export named no-such-export found.",
    ),
    "Ref to nothing": (
        _with({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Nope"}}}}),
        {},
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block "
        "of the template",
    ),
    "Sub of nothing": (
        _with({"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": {"Fn::Sub": "${AWS::StackName}-${Nope}"}}}}),
        {},
        "Unresolved resource dependencies [Nope]",
    ),
    "DependsOn nothing": (
        _with({"Q": {**QUEUE, "DependsOn": "Ghost"}}),
        {},
        "Unresolved resource dependencies [Ghost]",
    ),
    "a parameter without a value": (
        _with({"Q": QUEUE}, Parameters={"Name": {"Type": "String"}}),
        {},
        "Parameters: [Name] must have values",
    ),
    "a parameter the template lacks": (
        _with({"Q": QUEUE}),
        {"Extra": "1"},
        "Parameters: [Extra] do not exist in the template",
    ),
    "a value outside AllowedValues": (
        _with({"Q": QUEUE}, Parameters={"Env": {"Type": "String", "AllowedValues": ["a", "b"]}}),
        {"Env": "c"},
        "Parameter 'Env' must be one of AllowedValues",
    ),
    "a circular dependency": (
        _with({"A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"},
               "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"}}),
        {},
        "Circular dependency between resources: [A, B]",
    ),
    "no resources": (
        {"Description": "nothing"},
        {},
        "Template format error: At least one Resources member must be defined.",
    ),
    "a type that does not exist": (
        _with({"X": {"Type": "AWS::Nothing::Here"}}),
        {},
        "Template format error: Unrecognized resource types: [AWS::Nothing::Here]",
    ),
    "an intrinsic function the local stack lacks": (
        _with({"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": {"Fn::Select": [0, {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}]}}}}),
        {},
        "Fn::Cidr is not supported by wslab local",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TEMPLATE_ERRORS))
def test_template_errors_are_refused_at_create_stack(aws: Any, unique: str, case: str) -> None:
    """ValidationError from CreateStack itself, as on AWS: no stack, nothing to roll back."""
    template, parameters, message = TEMPLATE_ERRORS[case]
    cfn = aws("cloudformation")
    name = f"refused-{unique}"
    got = refused(
        cfn.create_stack,
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    assert message in got
    assert gone(cfn, name)


def test_template_errors_are_refused_at_create_change_set(aws: Any, unique: str) -> None:
    """A change set of a template CloudFormation refuses is refused too; no stack is left."""
    cfn = aws("cloudformation")
    template, _, message = TEMPLATE_ERRORS["GetAtt of an undefined resource"]
    got = refused(
        cfn.create_change_set,
        StackName=f"refused-cs-{unique}",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
    )
    assert message in got


def test_an_unsupported_resource_type_fails_the_stack_by_name(aws: Any, unique: str) -> None:
    """A type AWS has and the local stack lacks: the stack rolls back, its event names it."""
    cfn = aws("cloudformation")
    template = {"Resources": {"Q": QUEUE, "Bus": {"Type": "AWS::Pipes::Pipe"}}}
    create(cfn, f"unsupported-{unique}", template)
    assert status(cfn, f"unsupported-{unique}") == "ROLLBACK_COMPLETE"
    reasons = failure_reasons(cfn, f"unsupported-{unique}")
    assert "Resource type AWS::Pipes::Pipe is not supported by wslab local" in reasons
    assert listed(cfn, f"unsupported-{unique}") == {}


def test_another_services_error_reaches_boto3_as_a_stack_event(aws: Any, unique: str) -> None:
    """A function whose code is in no bucket: Lambda's error is the resource's reason, and
    every CloudFormation call still answers in CloudFormation's format."""
    cfn = aws("cloudformation")
    template = {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role_arn(aws("iam"), "wslab-test-lambda"),
                    "Code": {"S3Bucket": f"no-bucket-{unique}", "S3Key": "code.zip"},
                },
            }
        }
    }
    create(cfn, f"nocode-{unique}", template)
    assert status(cfn, f"nocode-{unique}") == "ROLLBACK_COMPLETE"
    assert "NoSuchBucket" in failure_reasons(cfn, f"nocode-{unique}")
    cfn.delete_stack(StackName=f"nocode-{unique}")
    assert gone(cfn, f"nocode-{unique}")


def test_unknown_stacks_are_validation_errors(aws: Any, unique: str) -> None:
    """Reads of a stack that does not exist: ValidationError, never another shape."""
    cfn = aws("cloudformation")
    for call in (cfn.describe_stacks, cfn.list_stack_resources, cfn.get_template):
        try:
            call(StackName=f"never-{unique}")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationError"
            assert "does not exist" in error.response["Error"]["Message"]
        else:
            pytest.fail(f"{call} found a stack that does not exist")


def test_a_failed_update_rolls_back_to_what_was_there(aws: Any, unique: str) -> None:
    """An update whose new resource fails: UPDATE_ROLLBACK_COMPLETE, what it added is gone,
    what was there stays, outputs included."""
    cfn, sns = aws("cloudformation"), aws("sns")
    name = f"upd-{unique}"
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"kept-{unique}"}}
        },
        "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
    }
    create(cfn, name, template)
    before = outputs(cfn, name)
    broken = json.loads(json.dumps(template))
    broken["Resources"]["Topic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": f"added-{unique}"},
    }
    broken["Resources"]["Pipe"] = {"Type": "AWS::Pipes::Pipe", "DependsOn": "Topic"}
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(broken))
    assert status(cfn, name) == "UPDATE_ROLLBACK_COMPLETE"
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName=name)
    assert set(listed(cfn, name)) == {"Queue"}
    assert outputs(cfn, name) == before
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert not [arn for arn in topics if arn.endswith(f":added-{unique}")]
    assert "AWS::Pipes::Pipe is not supported" in failure_reasons(cfn, name)
    cfn.delete_stack(StackName=name)
    assert gone(cfn, name)


def _table(key: str, name: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
    }
    if name:
        properties["TableName"] = name
    return {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": properties}}}


def test_a_resource_that_cannot_change_in_place_is_replaced(aws: Any, unique: str) -> None:
    """A table's new key: a new table is made, the old one deleted, the stack updated."""
    cfn, dynamodb = aws("cloudformation"), aws("dynamodb")
    name = f"replace-{unique}"
    create(cfn, name, _table("id"))
    before = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Table")
    old_table = before["StackResourceDetail"]["PhysicalResourceId"]
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(_table("connectionId")))
    assert status(cfn, name) == "UPDATE_COMPLETE"
    after = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Table")
    new_table = after["StackResourceDetail"]["PhysicalResourceId"]
    assert new_table != old_table
    schema = dynamodb.describe_table(TableName=new_table)["Table"]["KeySchema"]
    assert schema[0]["AttributeName"] == "connectionId"
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.describe_table(TableName=old_table)
    cfn.delete_stack(StackName=name)


def test_a_named_resource_that_cannot_change_in_place_fails_the_update(
    aws: Any, unique: str
) -> None:
    """The same with a TableName of its own: no replacement can take the name; the update
    fails naming it, and the table stays as it was."""
    cfn, dynamodb = aws("cloudformation"), aws("dynamodb")
    name = f"named-{unique}"
    create(cfn, name, _table("id", name=f"named-{unique}"))
    cfn.update_stack(
        StackName=name, TemplateBody=json.dumps(_table("connectionId", name=f"named-{unique}"))
    )
    assert status(cfn, name) == "UPDATE_ROLLBACK_COMPLETE"
    assert (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename named-{unique} and update the stack again."
    ) in failure_reasons(cfn, name)
    schema = dynamodb.describe_table(TableName=f"named-{unique}")["Table"]["KeySchema"]
    assert schema[0]["AttributeName"] == "id"
    cfn.delete_stack(StackName=name)
    assert gone(cfn, name)


def test_a_custom_resource_fails_at_once_instead_of_waiting(aws: Any, unique: str) -> None:
    """A custom resource: the stack fails naming it, instead of waiting for an answer."""
    cfn = aws("cloudformation")
    token = f"arn:aws:lambda:us-east-1:123456789012:function:provider-{unique}"
    thing = {"Type": "Custom::Thing", "Properties": {"ServiceToken": token}}
    template = {"Resources": {"Q": QUEUE, "Thing": thing}}
    create(cfn, f"custom-{unique}", template)
    assert status(cfn, f"custom-{unique}") == "ROLLBACK_COMPLETE"
    assert "Custom resource type Custom::Thing is not supported" in failure_reasons(
        cfn, f"custom-{unique}"
    )
