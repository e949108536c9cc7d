"""A template as ``cdk synth`` writes it deploys: ``AWS::CDK::Metadata``, Conditions, Rules,
the ``BootstrapVersion`` parameter read from SSM, and policy-only resources.

Conditions decide which resources exist: a resource whose condition is false is made by
no call and shown by no listing, and an output with a false condition is not shown.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.local.cfn_helpers import create, listed, outputs, refused, status
from wslab.aws import LAMBDA_TRUST_POLICY

BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
ANALYTICS = "v2:deflate64:H4sIAAAAAAAA/zPSMzS11DNQTCwv1k1OydbNyUzSqw4uSUzO1nFOy/MvLUkFAH+CUQUdAAAA"
HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"
REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"]


def cdk_template(unique: str) -> dict[str, Any]:
    """What ``cdk synth`` gives for a small chat backend stack (hashes in ids, metadata)."""
    return {
        "Description": "chat backend (synthesized)",
        "Parameters": {
            "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": BOOTSTRAP_PARAMETER,
                "Description": "Version of the CDK Bootstrap resources in this environment, "
                "automatically retrieved from SSM Parameter Store. [cdk:skip]",
            },
        },
        "Conditions": {
            "CDKMetadataAvailable": {
                "Fn::Or": [
                    {"Fn::Equals": [{"Ref": "AWS::Region"}, region]} for region in REGIONS[:3]
                ]
                + [{"Fn::Or": [{"Fn::Equals": [{"Ref": "AWS::Region"}, r]} for r in REGIONS[3:]]}]
            },
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "ProdHere": {
                "Fn::And": [
                    {"Condition": "IsProd"},
                    {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                ]
            },
        },
        "Resources": {
            "ConnectionsTable0A1B2C3D": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": {"Fn::Sub": f"connections-{unique}-${{Stage}}"},
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                },
                "UpdateReplacePolicy": "Delete",
                "DeletionPolicy": "Delete",
                "Metadata": {"aws:cdk:path": "ChatStack/Connections/Resource"},
            },
            "HandlerServiceRoleFCDC14AE": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
                    "ManagedPolicyArns": [
                        {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                                ],
                            ]
                        }
                    ],
                },
                "Metadata": {"aws:cdk:path": "ChatStack/Handler/ServiceRole/Resource"},
            },
            "HandlerServiceRoleDefaultPolicyCBD0CC91": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                                "Effect": "Allow",
                                "Resource": {"Fn::GetAtt": ["ConnectionsTable0A1B2C3D", "Arn"]},
                            }
                        ],
                        "Version": "2012-10-17",
                    },
                    "PolicyName": "HandlerServiceRoleDefaultPolicyCBD0CC91",
                    "Roles": [{"Ref": "HandlerServiceRoleFCDC14AE"}],
                },
            },
            "Handler886CB40B": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"ZipFile": HANDLER},
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Role": {"Fn::GetAtt": ["HandlerServiceRoleFCDC14AE", "Arn"]},
                    "Environment": {
                        "Variables": {
                            "TABLE": {"Ref": "ConnectionsTable0A1B2C3D"},
                            "MODE": {"Fn::If": ["IsProd", "production", "development"]},
                            "ALARMS": {
                                "Fn::If": ["IsProd", {"Ref": "AlarmTopic"}, {"Ref": "AWS::NoValue"}]
                            },
                        }
                    },
                },
                "DependsOn": [
                    "HandlerServiceRoleDefaultPolicyCBD0CC91",
                    "HandlerServiceRoleFCDC14AE",
                ],
            },
            "AlarmTopic": {"Type": "AWS::SNS::Topic", "Condition": "IsProd"},
            "AlarmTopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Condition": "ProdHere",
                "Properties": {
                    "PolicyDocument": _policy("sns:Publish", {"Ref": "AlarmTopic"}),
                    "Topics": [{"Ref": "AlarmTopic"}],
                },
            },
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Condition": "NotProd"},
            "DeadLettersPolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Condition": "NotProd",
                "Properties": {
                    "PolicyDocument": _policy(
                        "sqs:SendMessage", {"Fn::GetAtt": ["DeadLetters", "Arn"]}
                    ),
                    "Queues": [{"Ref": "DeadLetters"}],
                },
            },
            "CDKMetadata": {
                "Type": "AWS::CDK::Metadata",
                "Properties": {"Analytics": ANALYTICS},
                "Metadata": {"aws:cdk:path": "ChatStack/CDKMetadata/Default"},
                "Condition": "CDKMetadataAvailable",
            },
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": "ConnectionsTable0A1B2C3D"}},
            "Mode": {"Value": {"Fn::If": ["IsProd", "production", "development"]}},
            "AlarmTopicArn": {"Condition": "IsProd", "Value": {"Ref": "AlarmTopic"}},
            "DeadLettersUrl": {"Condition": "NotProd", "Value": {"Ref": "DeadLetters"}},
        },
        "Rules": {
            "CheckBootstrapVersion": {
                "Assertions": [
                    {
                        "Assert": {
                            "Fn::Not": [
                                {
                                    "Fn::Contains": [
                                        ["1", "2", "3", "4", "5"],
                                        {"Ref": "BootstrapVersion"},
                                    ]
                                }
                            ]
                        },
                        "AssertDescription": "CDK bootstrap stack version 6 required.",
                    }
                ]
            }
        },
    }


def _policy(action: str, resource: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}
    return {
        "Version": "2012-10-17",
        "Statement": [{**statement, "Action": action, "Resource": resource}],
    }


@pytest.fixture
def bootstrapped(aws: Any) -> None:
    """The SSM parameter ``cdk bootstrap`` leaves, which BootstrapVersion reads."""
    aws("ssm").put_parameter(Name=BOOTSTRAP_PARAMETER, Value="21", Type="String", Overwrite=True)


def _deploy(aws: Any, unique: str, stage: str) -> tuple[str, dict[str, str]]:
    """The stack for ``stage``, created: its name, and its resources as listed."""
    cfn, name = aws("cloudformation"), f"cdk-{stage}-{unique}"
    create(
        cfn,
        name,
        cdk_template(unique),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert status(cfn, name) == "CREATE_COMPLETE"
    return name, listed(cfn, name)


def test_a_dev_stack_has_only_what_its_conditions_allow(
    aws: Any, unique: str, bootstrapped: None
) -> None:
    """Stage=dev: the queue and its policy, no topic; the metadata is there and inert."""
    cfn = aws("cloudformation")
    name, resources = _deploy(aws, unique, "dev")
    assert set(resources) == {
        "ConnectionsTable0A1B2C3D",
        "HandlerServiceRoleFCDC14AE",
        "HandlerServiceRoleDefaultPolicyCBD0CC91",
        "Handler886CB40B",
        "DeadLetters",
        "DeadLettersPolicy",
        "CDKMetadata",
    }
    assert set(resources.values()) == {"CREATE_COMPLETE"}
    described = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert "AlarmTopic" not in {item["LogicalResourceId"] for item in described}
    out = outputs(cfn, name)
    assert out["Mode"] == "development" and "AlarmTopicArn" not in out
    assert out["TableName"] == f"connections-{unique}-dev"
    queue_policy = aws("sqs").get_queue_attributes(
        QueueUrl=out["DeadLettersUrl"], AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    assert json.loads(queue_policy)["Statement"][0]["Action"] == "sqs:SendMessage"
    function = listed_physical(cfn, name)["Handler886CB40B"]
    variables = aws("lambda").get_function_configuration(FunctionName=function)["Environment"]
    assert variables["Variables"]["MODE"] == "development"
    assert "ALARMS" not in variables["Variables"]
    cfn.delete_stack(StackName=name)
    sqs = aws("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=out["DeadLettersUrl"])


def listed_physical(cfn: Any, stack: str) -> dict[str, str]:
    summaries = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in summaries}


def test_a_prod_stack_gets_the_topic_and_its_policy(
    aws: Any, unique: str, bootstrapped: None
) -> None:
    """Stage=prod in us-east-1: the topic with its policy, no queue."""
    cfn = aws("cloudformation")
    name, resources = _deploy(aws, unique, "prod")
    assert {"AlarmTopic", "AlarmTopicPolicy"} <= set(resources)
    assert not {"DeadLetters", "DeadLettersPolicy"} & set(resources)
    out = outputs(cfn, name)
    assert out["Mode"] == "production" and "DeadLettersUrl" not in out
    attributes = aws("sns").get_topic_attributes(TopicArn=out["AlarmTopicArn"])["Attributes"]
    assert json.loads(attributes["Policy"])["Statement"][0]["Action"] == "sns:Publish"
    cfn.delete_stack(StackName=name)


def test_without_bootstrap_the_parameter_cannot_be_read(aws: Any, unique: str) -> None:
    """A BootstrapVersion that names an SSM parameter nobody made: ValidationError."""
    cfn = aws("cloudformation")
    template = cdk_template(unique)
    template["Parameters"]["BootstrapVersion"]["Default"] = f"/cdk-bootstrap/{unique}/version"
    message = refused(
        cfn.create_stack,
        StackName=f"cdk-nobootstrap-{unique}",
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
    )
    assert f"/cdk-bootstrap/{unique}/version" in message


def _cdk_change_set(cfn: Any, name: str, template: dict[str, Any], kind: str) -> dict[str, Any]:
    """What ``cdk deploy`` does: delete its change set's name, create, describe."""
    parameters = [{"ParameterKey": "Stage", "ParameterValue": "dev"}]
    if kind == "UPDATE":
        cfn.delete_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
        parameters.append({"ParameterKey": "BootstrapVersion", "UsePreviousValue": True})
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType=kind,
        TemplateBody=json.dumps(template),
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return dict(cfn.describe_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set"))


def test_deploying_and_redeploying_as_cdk_deploy_does(
    aws: Any, unique: str, bootstrapped: None
) -> None:
    """A change set under one name, deleted before each deploy; UsePreviousValue of the
    SSM-typed BootstrapVersion; a deploy with nothing new has no changes."""
    cfn = aws("cloudformation")
    name = f"cdk-cs-{unique}"
    template = cdk_template(unique)
    created = _cdk_change_set(cfn, name, template, "CREATE")
    cfn.execute_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
    assert status(cfn, name) == "CREATE_COMPLETE"
    summaries = cfn.list_change_sets(StackName=name)["Summaries"]
    assert [s["ChangeSetId"] for s in summaries] == [created["ChangeSetId"]]
    nothing = _cdk_change_set(cfn, name, template, "UPDATE")
    assert nothing["Status"] == "FAILED"
    cfn.delete_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
        cfn.describe_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
    changed = copy.deepcopy(template)
    handler = changed["Resources"]["Handler886CB40B"]["Properties"]
    handler["Code"]["ZipFile"] = HANDLER.replace("200", "201")
    update = _cdk_change_set(cfn, name, changed, "UPDATE")
    modified = [c["ResourceChange"]["LogicalResourceId"] for c in update["Changes"]]
    assert modified == ["Handler886CB40B"]
    cfn.execute_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
    assert status(cfn, name) == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=name)
