"""SAM templates as public SAM apps write them, deployed as ``sam deploy`` deploys them.

The template follows the shape of aws-samples/serverless-patterns
"apigw-websocket-api-lambda": a ``Globals`` section for every function (code, runtime,
memory, timeout, architectures, environment), ``AWS::Serverless::Function`` resources with
SAM policy templates, and a WebSocket API built from ``AWS::ApiGatewayV2::*`` resources
beside them. One function has ``AutoPublishAlias`` and a layer, and the API calls it
through its alias; the outputs name resources SAM generates (``EchoFunctionRole``,
``EchoFunction.Alias``). A change set with ``CAPABILITY_AUTO_EXPAND``, executed; a
client connects and gets its answer.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from botocore.exceptions import WaiterError

from tests.local.cfn_helpers import failure_reasons, outputs, status
from tests.support import scaled
from wslab.deploy.packaging import zip_sources

APP = """
import json, os, boto3

def on_connect(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    table.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}

def echo(event, context):
    answer = {
        "said": json.loads(event["body"])["data"],
        "greeting": os.environ["GREETING"],
        "stage": os.environ.get("STAGE"),
        "memory": int(context.memory_limit_in_mb),
    }
    return {"statusCode": 200, "body": json.dumps(answer)}
"""
SHARED = 'PREFIX = "from the layer"\n'

TEMPLATE = """
AWSTemplateFormatVersion: 2010-09-09
Transform: 'AWS::Serverless-2016-10-31'
Description: A WebSocket API and Lambda functions, with Globals.

Globals:
  Function:
    CodeUri: {code}
    Runtime: python3.12
    MemorySize: 192
    Timeout: 9
    Architectures:
      - arm64
    Environment:
      Variables:
        TABLE_NAME: !Ref ConnectionsTable
        GREETING: hello

Resources:
  WebSocketApi:
    Type: 'AWS::ApiGatewayV2::Api'
    Properties:
      Name: !Ref AWS::StackName
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.action"
  ConnectionsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - AttributeName: connectionId
          AttributeType: S
      KeySchema:
        - AttributeName: connectionId
          KeyType: HASH
      BillingMode: PAY_PER_REQUEST
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {layer}
      CompatibleRuntimes:
        - python3.12
  OnConnectFunction:
    Type: 'AWS::Serverless::Function'
    Properties:
      Handler: app.on_connect
      Layers:
        - !Ref SharedLayer
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref ConnectionsTable
        - AWSLambdaBasicExecutionRole
  OnConnectPermission:
    Type: 'AWS::Lambda::Permission'
    Properties:
      Action: 'lambda:InvokeFunction'
      Principal: apigateway.amazonaws.com
      FunctionName: !Ref OnConnectFunction
      SourceArn: !Sub 'arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{WebSocketApi}}/*'
  OnConnectIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri:
        Fn::Sub:
          arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{OnConnectFunction.Arn}}/invocations
  OnConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: $connect
      AuthorizationType: NONE
      Target: !Join ['/', ['integrations', !Ref OnConnectIntegration]]
  EchoFunction:
    Type: 'AWS::Serverless::Function'
    Properties:
      Handler: app.echo
      AutoPublishAlias: live
      Layers:
        - !Ref SharedLayer
      Environment:
        Variables:
          STAGE: prod
      Policies:
        - AWSLambdaBasicExecutionRole
  EchoPermission:
    Type: 'AWS::Lambda::Permission'
    Properties:
      Action: 'lambda:InvokeFunction'
      Principal: apigateway.amazonaws.com
      FunctionName: !Ref EchoFunction.Alias
      SourceArn: !Sub 'arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{WebSocketApi}}/*'
  EchoIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri:
        Fn::Sub:
          arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{EchoFunction.Alias}}/invocations
  EchoRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: echo
      AuthorizationType: NONE
      RouteResponseSelectionExpression: $default
      Target: !Join ['/', ['integrations', !Ref EchoIntegration]]
  EchoRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref WebSocketApi
      RouteId: !Ref EchoRoute
      RouteResponseKey: $default
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn:
      - OnConnectRoute
      - EchoRoute
    Properties:
      ApiId: !Ref WebSocketApi
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      StageName: prod
      DeploymentId: !Ref Deployment
      ApiId: !Ref WebSocketApi

Outputs:
  EchoFunctionRoleArn:
    Value: !GetAtt EchoFunctionRole.Arn
  EchoAlias:
    Value: !Ref EchoFunction.Alias
  EchoVersion:
    Value: !Ref EchoFunction.Version
  OnConnectFunctionName:
    Value: !Ref OnConnectFunction
  TableName:
    Value: !Ref ConnectionsTable
  ClientURL:
    Value: !Sub "${{WebSocketApi.ApiEndpoint}}/${{Stage}}"
"""


@pytest.fixture
def artifacts(aws: Any, unique: str) -> dict[str, str]:
    """What ``sam package`` uploads: the functions' code and the layer's content."""
    s3 = aws("s3")
    bucket = f"sam-apps-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app.zip", Body=zip_sources({"app.py": APP}))
    s3.put_object(Bucket=bucket, Key="layer.zip", Body=zip_sources({"python/shared.py": SHARED}))
    return {"bucket": bucket, "code": f"s3://{bucket}/app.zip", "layer": f"s3://{bucket}/layer.zip"}


def _change_set(aws: Any, name: str, body: str) -> dict[str, Any]:
    """CreateChangeSet as ``sam deploy`` calls it, waited for; DescribeChangeSet's answer."""
    cfn = aws("cloudformation")
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName="samcli-deploy1",
        ChangeSetType="CREATE",
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    # The waiter raises on FAILED: the reason is in the description, which is what's checked.
    with contextlib.suppress(WaiterError):
        cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"])
    return dict(cfn.describe_change_set(ChangeSetName=created["Id"]))


@pytest.fixture
def deployed(
    aws: Any, unique: str, artifacts: dict[str, str]
) -> Iterator[tuple[str, dict[str, str]]]:
    cfn = aws("cloudformation")
    name = f"sam-globals-{unique}"
    body = TEMPLATE.format(code=artifacts["code"], layer=artifacts["layer"])
    described = _change_set(aws, name, body)
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    cfn.get_waiter("stack_create_complete").wait(StackName=name)
    assert status(cfn, name) == "CREATE_COMPLETE", failure_reasons(cfn, name)
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    yield name, outputs(cfn, name)
    # Deleting takes the alias, the function and its unretained resources with it.
    cfn.delete_stack(StackName=name)
    deleted = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE", failure_reasons(cfn, stack_id)


def test_globals_apply_to_every_function(aws: Any, deployed: tuple[str, dict[str, str]]) -> None:
    """Runtime, memory, timeout, architectures and environment from Globals; a function's
    own variables merged with them."""
    _, out = deployed
    lam = aws("lambda")
    echo = lam.get_function(FunctionName=out["EchoAlias"])["Configuration"]
    connect = lam.get_function(FunctionName=out["OnConnectFunctionName"])["Configuration"]
    for function in (echo, connect):
        assert function["Runtime"] == "python3.12"
        assert (function["MemorySize"], function["Timeout"]) == (192, 9)
        assert function["Architectures"] == ["arm64"]
        assert function["Environment"]["Variables"]["TABLE_NAME"] == out["TableName"]
        assert function["Environment"]["Variables"]["GREETING"] == "hello"
    assert echo["Environment"]["Variables"]["STAGE"] == "prod"
    assert "STAGE" not in connect["Environment"]["Variables"]
    # The layer by its version's ARN (Ref of the LayerVersion SAM makes), named as SAM names
    # it: the logical id of the AWS::Serverless::LayerVersion.
    layers = [layer["Arn"] for layer in echo["Layers"]]
    assert len(layers) == 1 and layers[0].split(":")[5:] == ["layer", "SharedLayer", "1"]


def test_outputs_name_what_sam_generates(aws: Any, deployed: tuple[str, dict[str, str]]) -> None:
    """``!GetAtt EchoFunctionRole.Arn`` is the function's role; ``EchoFunction.Alias`` the
    alias ``live`` of the version ``EchoFunction.Version`` published."""
    _, out = deployed
    lam = aws("lambda")
    echo = lam.get_function(FunctionName=out["EchoAlias"])["Configuration"]
    assert echo["Role"] == out["EchoFunctionRoleArn"]
    assert out["EchoAlias"].endswith(":live")
    function_name = out["EchoAlias"].split(":")[6]
    alias = lam.get_alias(FunctionName=function_name, Name="live")
    assert alias["AliasArn"] == out["EchoAlias"]
    assert (
        out["EchoVersion"] == f"{echo['FunctionArn'].rsplit(':', 1)[0]}:{alias['FunctionVersion']}"
    )
    role = out["EchoFunctionRoleArn"].split("/")[-1]
    attached = aws("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [policy["PolicyName"] for policy in attached] == ["AWSLambdaBasicExecutionRole"]


def test_a_client_connects_and_the_alias_answers(
    aws: Any, deployed: tuple[str, dict[str, str]]
) -> None:
    """$connect writes to the table through DynamoDBCrudPolicy; ``echo``, integrated with
    the alias, answers with Globals' values (its own memory size)."""
    _, out = deployed
    socket = websocket.create_connection(out["ClientURL"], timeout=scaled(15))
    try:
        socket.send(json.dumps({"action": "echo", "data": "hi"}))
        answer = json.loads(socket.recv())
    finally:
        socket.close()
    assert answer == {
        "said": "hi",
        "greeting": "hello",
        "stage": "prod",
        "memory": 192,
    }
    items = aws("dynamodb").scan(TableName=out["TableName"])["Items"]
    assert len(items) == 1


def test_globals_without_the_transform_are_refused(aws: Any, unique: str) -> None:
    """Without ``Transform``, ``Globals`` is no CloudFormation section: refused at the call."""
    body = json.dumps(
        {
            "Globals": {"Function": {"Runtime": "python3.12"}},
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        }
    )
    cfn = aws("cloudformation")
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_change_set(
            StackName=f"no-transform-{unique}",
            ChangeSetName="samcli-deploy1",
            ChangeSetType="CREATE",
            TemplateBody=body,
        )
    assert raised.value.response["Error"]["Message"] == (
        "Template format error: Invalid template property or properties [Globals]"
    )


def test_a_layer_that_does_not_exist_fails_the_function_as_lambda_says(
    aws: Any, unique: str, artifacts: dict[str, str]
) -> None:
    """A layer version ARN that names nothing: CreateFunction's own error
    ("Layer version <arn> does not exist.", reported in intuit/costBuddy#19) fails the
    function, and the stack rolls back."""
    missing = "arn:aws:lambda:us-east-1:123456789012:layer:no-such-layer:3"
    body = f"""
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: {artifacts["code"]}
Resources:
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Layers:
        - {missing}
"""
    cfn = aws("cloudformation")
    name = f"sam-no-layer-{unique}"
    described = _change_set(aws, name, body)
    cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    assert status(cfn, name) == "ROLLBACK_COMPLETE"
    assert f"Layer version {missing} does not exist." in failure_reasons(cfn, name)
    cfn.delete_stack(StackName=name)


def test_new_code_publishes_a_version_the_alias_moves_to(
    aws: Any, artifacts: dict[str, str], deployed: tuple[str, dict[str, str]]
) -> None:
    """An update with new code: SAM's version resource changes (its logical id hashes the
    code), a new version is published, the alias moves to it, and the API, integrated with
    the alias, runs the new code; the first version stays (SAM retains its versions)."""
    name, before = deployed
    s3 = aws("s3")
    new_code = APP.replace('"said":', '"version": 2, "said":')
    s3.put_object(
        Bucket=artifacts["bucket"], Key="app2.zip", Body=zip_sources({"app.py": new_code})
    )
    body = TEMPLATE.format(code=f"s3://{artifacts['bucket']}/app2.zip", layer=artifacts["layer"])
    cfn = aws("cloudformation")
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName="samcli-deploy2",
        ChangeSetType="UPDATE",
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"])
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, name) == "UPDATE_COMPLETE", failure_reasons(cfn, name)
    after = outputs(cfn, name)
    assert after["EchoAlias"] == before["EchoAlias"]
    assert (before["EchoVersion"].rsplit(":", 1)[1], after["EchoVersion"].rsplit(":", 1)[1]) == (
        "1",
        "2",
    )
    lam = aws("lambda")
    function_name = after["EchoAlias"].split(":")[6]
    assert lam.get_alias(FunctionName=function_name, Name="live")["FunctionVersion"] == "2"
    assert lam.get_function(FunctionName=before["EchoVersion"])["Configuration"]["Version"] == "1"
    socket = websocket.create_connection(after["ClientURL"], timeout=scaled(15))
    try:
        socket.send(json.dumps({"action": "echo", "data": "hi"}))
        assert json.loads(socket.recv())["version"] == 2
    finally:
        socket.close()
