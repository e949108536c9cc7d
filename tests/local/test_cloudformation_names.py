"""Names CloudFormation generates fit each resource type's limits, through a real stack.

A stack with a long name (CloudFormation takes 128 characters) and CDK-style logical ids
(construct path and hash) deploys with boto3 to ``CREATE_COMPLETE``; every resource
without a name of its own gets ``<stack>-<logical id>-<suffix>`` cut to what its service
takes, and is there under that name. The rule and its sources:
src/wslab/local/moto_ext/cloudformation/names.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.local.cfn_helpers import create, failure_reasons, status
from wslab.deploy.packaging import zip_sources

# The stack of the public CDK example that rolled back on a 94-character function name.
CDK_STACK = "python-example-code-apigateway-websocket-chat"
CDK_FUNCTION = "docexampleapigatewaywebsocketconnectC8DFF23E"
# CDK logical ids: the construct path, then a hash (each over 60 characters here).
LONG = "docexampleapigatewaywebsocketchatconnectionsandmessages"
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
ANSWER = "def handler(event, context):\n    return {'answer': 42}\n"


def _resources(layer_bucket: str) -> dict[str, Any]:
    return {
        f"{LONG}ServiceRole1234ABCD": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": ROLE_POLICY},
        },
        f"{LONG}ServiceRoleDefaultPolicy5678EF90": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "default",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
                },
                "Roles": [{"Ref": f"{LONG}ServiceRole1234ABCD"}],
            },
        },
        f"{LONG}ManagedPolicyAB12CD34": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}],
                }
            },
        },
        CDK_FUNCTION: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": [f"{LONG}ServiceRole1234ABCD", "Arn"]},
                "Code": {"ZipFile": ANSWER},
                "Layers": [{"Ref": f"{LONG}LayerC0FFEE11"}],
            },
        },
        f"{LONG}LayerC0FFEE11": {
            "Type": "AWS::Lambda::LayerVersion",
            "Properties": {"Content": {"S3Bucket": layer_bucket, "S3Key": "layer.zip"}},
        },
        f"{LONG}Table0A1B2C3D": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
        f"{LONG}Bucket9F8E7D6C": {"Type": "AWS::S3::Bucket"},
        f"{LONG}LogGroupDEADBEEF": {"Type": "AWS::Logs::LogGroup"},
        f"{LONG}QueueFEEDFACE": {"Type": "AWS::SQS::Queue"},
        f"{LONG}TopicBADC0DE5": {"Type": "AWS::SNS::Topic"},
        f"{LONG}StateMachine0F1E2D3C": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": {"Fn::GetAtt": [f"{LONG}ServiceRole1234ABCD", "Arn"]},
                "DefinitionString": json.dumps(
                    {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
                ),
            },
        },
    }


def _last(separator: str) -> Callable[[str], str]:
    return lambda physical_id: physical_id.rsplit(separator, 1)[-1]


# Type -> (the longest name its service takes, the name in its physical id).
NAMED = {
    "AWS::Lambda::Function": (64, str),
    "AWS::IAM::Role": (64, str),
    "AWS::IAM::Policy": (128, str),
    "AWS::IAM::ManagedPolicy": (128, _last("/")),
    "AWS::DynamoDB::Table": (255, str),
    "AWS::S3::Bucket": (63, str),
    "AWS::Logs::LogGroup": (512, str),
    "AWS::SQS::Queue": (80, _last("/")),
    "AWS::SNS::Topic": (256, _last(":")),
    "AWS::Lambda::LayerVersion": (140, lambda arn: arn.split(":")[6]),
    "AWS::StepFunctions::StateMachine": (80, _last(":")),
}
# Types CloudFormation names after the logical id alone, without the stack's name.
WITHOUT_STACK_NAME = {"AWS::Lambda::LayerVersion", "AWS::StepFunctions::StateMachine"}


def _deploy(aws: Any, stack_name: str, unique: str) -> dict[str, tuple[str, str]]:
    """Deploy the template as ``stack_name``; logical id -> (type, generated name)."""
    s3 = aws("s3")
    bucket = f"layers-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="layer.zip", Body=zip_sources({"python/lib.py": "X = 1\n"}))
    cfn = aws("cloudformation")
    template = {"Resources": _resources(bucket)}
    create(cfn, stack_name, template, Capabilities=["CAPABILITY_IAM"])
    assert status(cfn, stack_name) == "CREATE_COMPLETE", failure_reasons(cfn, stack_name)
    summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    return {
        item["LogicalResourceId"]: (
            item["ResourceType"],
            NAMED[item["ResourceType"]][1](item["PhysicalResourceId"]),
        )
        for item in summaries
    }


@pytest.fixture
def long_stack(aws: Any, unique: str) -> Any:
    """A stack named with CloudFormation's longest name, 128 characters."""
    name = f"s{unique}-" + "long-stack-name-" * 8
    name = name[:128]
    yield name, _deploy(aws, name, unique)
    aws("cloudformation").delete_stack(StackName=name)


@pytest.fixture
def cdk_stack(aws: Any, unique: str) -> Any:
    name = f"{CDK_STACK}-{unique}"
    yield name, _deploy(aws, name, unique)
    aws("cloudformation").delete_stack(StackName=name)


def test_every_generated_name_fits_its_type(long_stack: Any) -> None:
    """Under a 128-character stack name, each name is within its type's limit, begins
    with the stack name cut, and S3's is lowercase."""
    stack_name, names = long_stack
    assert len(stack_name) == 128
    assert {kind for kind, _ in names.values()} == set(NAMED)
    for kind, name in names.values():
        assert len(name) <= NAMED[kind][0], (kind, name)
        if kind not in WITHOUT_STACK_NAME:
            assert name.lower().startswith(stack_name[:5].lower()), (kind, name)
    bucket = next(name for kind, name in names.values() if kind == "AWS::S3::Bucket")
    assert bucket == bucket.lower()
    assert re.fullmatch(r"[a-z0-9.-]{3,63}", bucket)


def test_a_cdk_function_name_is_cut_as_aws_cuts_it(cdk_stack: Any, aws: Any) -> None:
    """The stack of the CDK example and its function's logical id: 25 characters of the
    stack name, 24 of the logical id, a 12-character suffix; the function answers."""
    stack_name, names = cdk_stack
    _, function = names[CDK_FUNCTION]
    assert re.fullmatch(
        re.escape(f"{stack_name[:25]}-{CDK_FUNCTION[:24]}-") + r"[A-Za-z0-9]{12}", function
    ), function
    answer = aws("lambda").invoke(FunctionName=function)["Payload"].read()
    assert json.loads(answer) == {"answer": 42}


def test_each_resource_exists_under_its_generated_name(long_stack: Any, aws: Any) -> None:
    """The names the stack lists are those the services know."""
    _, names = long_stack
    by_type = {kind: name for kind, name in names.values()}
    assert aws("iam").get_role(RoleName=by_type["AWS::IAM::Role"])["Role"]
    role_policies = aws("iam").list_role_policies(RoleName=by_type["AWS::IAM::Role"])
    assert role_policies["PolicyNames"] == ["default"]
    assert aws("dynamodb").describe_table(TableName=by_type["AWS::DynamoDB::Table"])["Table"]
    aws("s3").head_bucket(Bucket=by_type["AWS::S3::Bucket"])
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=by_type["AWS::Logs::LogGroup"])
    assert [group["logGroupName"] for group in groups["logGroups"]] == [
        by_type["AWS::Logs::LogGroup"]
    ]
    assert aws("sqs").get_queue_url(QueueName=by_type["AWS::SQS::Queue"])["QueueUrl"]
    layers = aws("lambda").list_layer_versions(LayerName=by_type["AWS::Lambda::LayerVersion"])
    assert len(layers["LayerVersions"]) == 1
    machines = aws("stepfunctions").list_state_machines()["stateMachines"]
    assert by_type["AWS::StepFunctions::StateMachine"] in [machine["name"] for machine in machines]
