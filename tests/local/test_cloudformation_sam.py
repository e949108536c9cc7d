"""A SAM template (``Transform: AWS::Serverless-2016-10-31``) deploys, chats and deletes.

The template is AWS's official SAM WebSocket chat sample (aws-samples/simple-websockets-chat-app)
with its three functions written in Python: an API, its routes and integrations, a
connections table, and ``AWS::Serverless::Function`` resources whose ``Policies`` SAM
turns into roles. It is deployed the way ``sam deploy`` does it: code and template
uploaded to S3, a change set created, described, executed; then real WebSocket clients
chat through it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
import yaml

from tests.local.cfn_helpers import gone, outputs, refused, status
from tests.support import scaled
from wslab.deploy.packaging import zip_sources

ON_CONNECT = """
import os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    table.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Connected."}
"""
ON_DISCONNECT = """
import os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Disconnected."}
"""
# As the sample's sendmessage: scan, post to each, drop the gone. The management endpoint
# comes from the event, unless the SDK's own endpoint variable names one.
SEND_MESSAGE = """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    context_ = event["requestContext"]
    endpoint = None
    if not os.environ.get("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"):
        endpoint = f"https://{context_['domainName']}/{context_['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    data = json.loads(event["body"])["data"]
    for item in table.scan(ProjectionExpression="connectionId")["Items"]:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data)
        except api.exceptions.GoneException:
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}
"""
SOURCES = {"onconnect": ON_CONNECT, "ondisconnect": ON_DISCONNECT, "sendmessage": SEND_MESSAGE}


def _route(key: str, integration: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": {"Ref": "SimpleChatWebSocket"},
            "RouteKey": key,
            "AuthorizationType": "NONE",
            "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integration}]]},
        },
    }


def _integration(function: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {
            "ApiId": {"Ref": "SimpleChatWebSocket"},
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {
                "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                f"${{{function}.Arn}}/invocations"
            },
        },
    }


def _function(code_uri: str, extra_policies: list[Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": code_uri,
            "Handler": "app.handler",
            "MemorySize": 256,
            "Runtime": "python3.12",
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": "TableName"}}},
            "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "TableName"}}}]
            + (extra_policies or []),
        },
    }


def _permission(function: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "DependsOn": ["SimpleChatWebSocket"],
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": function},
            "Principal": "apigateway.amazonaws.com",
        },
    }


def sam_template(code: dict[str, str]) -> dict[str, Any]:
    """The sample's template, code at ``code[name]`` (``s3://...`` once packaged)."""
    manage = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": [
                    {
                        "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:"
                        "${SimpleChatWebSocket}/*"
                    }
                ],
            }
        ]
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "simple-websockets-chat-app, its functions in Python",
        "Parameters": {
            "TableName": {
                "Type": "String",
                "Default": "simplechat_connections",
                "MinLength": 3,
                "MaxLength": 50,
                "AllowedPattern": "^[A-Za-z_]+$",
            }
        },
        "Resources": {
            "SimpleChatWebSocket": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": "SimpleChatWebSocket",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                },
            },
            "ConnectRoute": _route("$connect", "ConnectInteg"),
            "ConnectInteg": _integration("OnConnectFunction"),
            "DisconnectRoute": _route("$disconnect", "DisconnectInteg"),
            "DisconnectInteg": _integration("OnDisconnectFunction"),
            "SendRoute": _route("sendmessage", "SendInteg"),
            "SendInteg": _integration("SendMessageFunction"),
            "Deployment": {
                "Type": "AWS::ApiGatewayV2::Deployment",
                "DependsOn": ["ConnectRoute", "SendRoute", "DisconnectRoute"],
                "Properties": {"ApiId": {"Ref": "SimpleChatWebSocket"}},
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {
                    "StageName": "Prod",
                    "Description": "Prod Stage",
                    "DeploymentId": {"Ref": "Deployment"},
                    "ApiId": {"Ref": "SimpleChatWebSocket"},
                },
            },
            "ConnectionsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [
                        {"AttributeName": "connectionId", "AttributeType": "S"}
                    ],
                    "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
                    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                    "SSESpecification": {"SSEEnabled": True},
                    "TableName": {"Ref": "TableName"},
                },
            },
            "OnConnectFunction": _function(code["onconnect"]),
            "OnConnectPermission": _permission("OnConnectFunction"),
            "OnDisconnectFunction": _function(code["ondisconnect"]),
            "OnDisconnectPermission": _permission("OnDisconnectFunction"),
            "SendMessageFunction": _function(code["sendmessage"], [manage]),
            "SendMessagePermission": _permission("SendMessageFunction"),
        },
        "Outputs": {
            "ConnectionsTableArn": {"Value": {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}},
            "SendMessageFunctionArn": {"Value": {"Fn::GetAtt": ["SendMessageFunction", "Arn"]}},
            "WebSocketURI": {
                "Value": {
                    "Fn::Join": [
                        "",
                        [
                            "wss://",
                            {"Ref": "SimpleChatWebSocket"},
                            ".execute-api.",
                            {"Ref": "AWS::Region"},
                            ".amazonaws.com/",
                            {"Ref": "Stage"},
                        ],
                    ]
                }
            },
            # The URL clients use, here and on AWS (ApiEndpoint is wss://... there).
            "ClientURL": {"Value": {"Fn::Sub": "${SimpleChatWebSocket.ApiEndpoint}/${Stage}"}},
        },
    }


@pytest.fixture
def packaged(aws: Any, unique: str) -> dict[str, str]:
    """What ``sam package`` does: each function's folder zipped to S3, its ``s3://`` URI."""
    s3 = aws("s3")
    bucket = f"sam-artifacts-{unique}"
    s3.create_bucket(Bucket=bucket)
    code = {}
    for name, source in SOURCES.items():
        s3.put_object(Bucket=bucket, Key=f"{name}.zip", Body=zip_sources({"app.py": source}))
        code[name] = f"s3://{bucket}/{name}.zip"
    return code


def _table(unique: str) -> str:
    """A table name the template's AllowedPattern (letters and _) takes."""
    return "simplechat_" + unique.translate(str.maketrans("0123456789", "ghijklmnop"))


def _parameters(unique: str) -> list[dict[str, str]]:
    return [{"ParameterKey": "TableName", "ParameterValue": _table(unique)}]


def _chat(url: str, clients: int = 3) -> list[str]:
    """Connect ``clients`` clients; the first sends; what each one receives."""
    sockets = [websocket.create_connection(url, timeout=scaled(15)) for _ in range(clients)]
    try:
        sockets[0].send(json.dumps({"action": "sendmessage", "data": "hello, chat"}))
        return [str(socket.recv()) for socket in sockets]
    finally:
        for socket in sockets:
            socket.close()


def _upload(aws: Any, code: dict[str, str], template: dict[str, Any]) -> str:
    """The template on S3, addressed as ``sam deploy`` addresses it: path-style, on the S3
    client's endpoint (``AWS_ENDPOINT_URL`` here)."""
    s3 = aws("s3")
    bucket = code["onconnect"].split("/")[2]
    s3.put_object(Bucket=bucket, Key="template.yaml", Body=yaml.safe_dump(template))
    return f"{s3.meta.endpoint_url}/{bucket}/template.yaml"


@pytest.fixture
def deployed(aws: Any, unique: str, packaged: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The sample deployed as ``sam deploy`` does: template on S3, change set, execute."""
    cfn = aws("cloudformation")
    name = f"sam-chat-{unique}"
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName=f"samcli-deploy{unique}",
        ChangeSetType="CREATE",
        TemplateURL=_upload(aws, packaged, sam_template(packaged)),
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM"],
        Tags=[{"Key": "app", "Value": "chat"}],
    )
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"])
    yield name, created["Id"]
    cfn.delete_stack(StackName=name)


def test_the_change_set_lists_what_the_transform_makes(aws: Any, deployed: tuple[str, str]) -> None:
    """The change set is ready, its changes the processed template's resources."""
    name, change_set = deployed
    cfn = aws("cloudformation")
    described = cfn.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    added = {
        change["ResourceChange"]["LogicalResourceId"]: change["ResourceChange"]["ResourceType"]
        for change in described["Changes"]
    }
    assert added["OnConnectFunction"] == "AWS::Lambda::Function"
    assert added["OnConnectFunctionRole"] == "AWS::IAM::Role"
    assert {change["ResourceChange"]["Action"] for change in described["Changes"]} == {"Add"}
    assert status(cfn, name) == "REVIEW_IN_PROGRESS"


def test_the_sam_chat_deploys_chats_and_deletes(
    aws: Any, unique: str, deployed: tuple[str, str]
) -> None:
    """Executed, the stack completes; three clients chat through it; it deletes cleanly."""
    name, change_set = deployed
    cfn = aws("cloudformation")
    cfn.execute_change_set(ChangeSetName=change_set)
    cfn.get_waiter("stack_create_complete").wait(StackName=name)
    out = outputs(cfn, name)
    assert out["WebSocketURI"].startswith("wss://") and out["WebSocketURI"].endswith("/Prod")
    assert _chat(out["ClientURL"]) == ["hello, chat"] * 3
    lam = aws("lambda")
    function = lam.get_function(FunctionName=out["SendMessageFunctionArn"])["Configuration"]
    assert function["Runtime"] == "python3.12" and function["MemorySize"] == 256
    role = function["Role"].split("/")[-1]
    policies = aws("iam").list_role_policies(RoleName=role)["PolicyNames"]
    assert len(policies) == 2  # DynamoDBCrudPolicy and the ManageConnections statement
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=out["SendMessageFunctionArn"])
    dynamodb = aws("dynamodb")
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.describe_table(TableName=_table(unique))


def test_get_template_gives_the_original_and_the_processed_template(
    aws: Any, deployed: tuple[str, str]
) -> None:
    """Original: as uploaded, with its Transform; Processed: what CloudFormation ran."""
    name, change_set = deployed
    cfn = aws("cloudformation")
    cfn.execute_change_set(ChangeSetName=change_set)
    original = cfn.get_template(StackName=name)
    assert original["StagesAvailable"] == ["Original", "Processed"]
    body = original["TemplateBody"]
    parsed = body if isinstance(body, dict) else yaml.safe_load(body)
    assert parsed["Transform"] == "AWS::Serverless-2016-10-31"
    processed = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert "Transform" not in processed
    assert processed["Resources"]["OnConnectFunction"]["Type"] == "AWS::Lambda::Function"
    assert processed["Resources"]["OnConnectFunctionRole"]["Type"] == "AWS::IAM::Role"


def _one_function(code_uri: str) -> dict[str, Any]:
    template = sam_template({name: code_uri for name in SOURCES})
    resources = template["Resources"]
    template["Resources"] = {
        "Table": resources["ConnectionsTable"],
        "Function": resources["OnConnectFunction"],
    }
    template["Outputs"] = {"FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}}}
    return template


def test_create_stack_needs_capability_auto_expand(
    aws: Any, unique: str, packaged: dict[str, str]
) -> None:
    """CreateStack with a transform: refused without CAPABILITY_AUTO_EXPAND, as on AWS."""
    cfn = aws("cloudformation")
    body = json.dumps(_one_function(packaged["onconnect"]))
    name = f"sam-direct-{unique}"
    message = refused(
        cfn.create_stack,
        "InsufficientCapabilitiesException",
        StackName=name,
        TemplateBody=body,
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM"],
    )
    assert message == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    assert gone(cfn, name)
    cfn.create_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    assert status(cfn, name) == "CREATE_COMPLETE"
    assert outputs(cfn, name)["FunctionArn"].startswith("arn:aws:lambda:")
    cfn.delete_stack(StackName=name)
    assert gone(cfn, name)


def test_a_sam_function_s_implicit_role_needs_capability_iam(
    aws: Any, unique: str, packaged: dict[str, str]
) -> None:
    """The role SAM makes for a function is an IAM resource of the processed template: a
    direct CreateStack and a change set both need CAPABILITY_IAM for it, as on AWS."""
    cfn = aws("cloudformation")
    request = {
        "StackName": f"sam-iam-{unique}",
        "TemplateBody": json.dumps(_one_function(packaged["onconnect"])),
        "Parameters": _parameters(unique),
    }
    message = refused(
        cfn.create_stack,
        "InsufficientCapabilitiesException",
        Capabilities=["CAPABILITY_AUTO_EXPAND"],
        **request,
    )
    assert message == "Requires capabilities : [CAPABILITY_IAM]"
    message = refused(
        cfn.create_change_set,
        "InsufficientCapabilitiesException",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        **request,
    )
    assert message == "Requires capabilities : [CAPABILITY_IAM]"
    assert gone(cfn, request["StackName"])


def test_a_local_code_uri_says_to_package_first(aws: Any, unique: str) -> None:
    """CodeUri: a folder (not yet packaged): refused at CreateStack; a change set of it
    fails with the same reason, as sam deploy would show it."""
    cfn = aws("cloudformation")
    body = json.dumps(_one_function("onconnect/"))
    message = refused(
        cfn.create_stack,
        StackName=f"sam-local-{unique}",
        TemplateBody=body,
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    assert "Function/CodeUri is 'onconnect/', a local path" in message
    assert "Package the template first" in message
    created = cfn.create_change_set(
        StackName=f"sam-local-{unique}",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=body,
        Parameters=_parameters(unique),
    )
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert described["Status"] == "FAILED"
    assert "a local path" in described["StatusReason"]
    cfn.delete_stack(StackName=f"sam-local-{unique}")


def test_a_local_globals_code_uri_every_function_overrides_is_no_refusal(
    aws: Any, unique: str, packaged: dict[str, str]
) -> None:
    """What ``sam deploy`` sends: each function's CodeUri packaged to S3, Globals' CodeUri
    left as written (``./src``). No function uses the global one: the stack is created."""
    cfn = aws("cloudformation")
    template = _one_function(packaged["onconnect"])
    template["Globals"] = {"Function": {"CodeUri": "./src", "Timeout": 15}}
    name = f"sam-globals-{unique}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1})
    del template["Resources"]["Function"]["Properties"]["CodeUri"]  # now it uses ./src
    message = refused(
        cfn.create_stack,
        StackName=f"{name}-2",
        TemplateBody=json.dumps(template),
        Parameters=_parameters(unique),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    assert "Globals/Function/CodeUri is './src', a local path" in message
    cfn.delete_stack(StackName=name)


def test_an_invalid_sam_template_fails_with_the_translators_reason(
    aws: Any, unique: str, packaged: dict[str, str]
) -> None:
    """What SAM finds wrong is what CloudFormation says: the change set fails with it."""
    cfn = aws("cloudformation")
    template = _one_function(packaged["onconnect"])
    broken = copy.deepcopy(template)
    broken["Resources"]["Function"]["Properties"]["Events"] = {"Hook": {"Type": "Nonsense"}}
    created = cfn.create_change_set(
        StackName=f"sam-bad-{unique}",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(broken),
        Parameters=_parameters(unique),
    )
    reason = cfn.describe_change_set(ChangeSetName=created["Id"])["StatusReason"]
    assert reason.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application "
        "Specification document."
    )
    assert "Function" in reason
    cfn.delete_stack(StackName=f"sam-bad-{unique}")


def test_redeploying_without_and_with_changes(
    aws: Any, unique: str, packaged: dict[str, str], deployed: tuple[str, str]
) -> None:
    """As sam deploy does it again: the same template and parameters (UsePreviousValue)
    give a change set with nothing to do; a changed MemorySize updates the functions only."""
    name, change_set = deployed
    cfn = aws("cloudformation")
    cfn.execute_change_set(ChangeSetName=change_set)
    previous = [{"ParameterKey": "TableName", "UsePreviousValue": True}]

    def change_set_of(template: dict[str, Any], label: str) -> dict[str, Any]:
        created = cfn.create_change_set(
            StackName=name,
            ChangeSetName=label,
            ChangeSetType="UPDATE",
            TemplateURL=_upload(aws, packaged, template),
            Parameters=previous,
            Capabilities=["CAPABILITY_IAM"],
        )
        return dict(cfn.describe_change_set(ChangeSetName=created["Id"]))

    same = change_set_of(sam_template(packaged), "again")
    assert same["Status"] == "FAILED"
    assert "didn't contain changes" in same["StatusReason"]
    bigger = sam_template(packaged)
    for function in ("OnConnectFunction", "OnDisconnectFunction", "SendMessageFunction"):
        bigger["Resources"][function]["Properties"]["MemorySize"] = 512
    changed = change_set_of(bigger, "bigger")
    modified = {c["ResourceChange"]["LogicalResourceId"] for c in changed["Changes"]}
    assert modified == {"OnConnectFunction", "OnDisconnectFunction", "SendMessageFunction"}
    cfn.execute_change_set(ChangeSetName=changed["ChangeSetId"])
    cfn.get_waiter("stack_update_complete").wait(StackName=name)
    arn = outputs(cfn, name)["SendMessageFunctionArn"]
    assert aws("lambda").get_function(FunctionName=arn)["Configuration"]["MemorySize"] == 512
    assert _chat(outputs(cfn, name)["ClientURL"], clients=2) == ["hello, chat"] * 2
