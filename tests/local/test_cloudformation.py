"""CloudFormation creates, updates and deletes API Gateway v2 resources on the local stack."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import websocket

from tests.local.cfn_helpers import failure_reasons, gone, outputs, refused, status
from tests.local.lambda_helpers import role_arn
from tests.support import scaled
from wslab.aws import LAMBDA_TRUST_POLICY

ECHO = (
    "import json\n"
    "def handler(event, context):\n"
    "    if event['requestContext']['eventType'] != 'MESSAGE':\n"
    "        return {'statusCode': 200}\n"
    "    return {'statusCode': 200, 'body': 'echo:' + event['requestContext']['routeKey']}\n"
)


def _template(role: str, function_name: str) -> dict[str, Any]:
    api = {"Ref": "Api"}
    uri = {
        "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${Function.Arn}/invocations"
    }

    def route(key: str, two_way: bool = False) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "ApiId": api,
            "RouteKey": key,
            "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]},
        }
        if two_way:
            properties["RouteResponseSelectionExpression"] = "$default"
        return {"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}

    return {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": function_name,
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role,
                    "Code": {"ZipFile": ECHO},
                },
            },
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": function_name,
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                },
            },
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": api,
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": uri,
                    "TimeoutInMillis": 5000,
                },
            },
            "IntegrationResponse": {
                "Type": "AWS::ApiGatewayV2::IntegrationResponse",
                "Properties": {
                    "ApiId": api,
                    "IntegrationId": {"Ref": "Integration"},
                    "IntegrationResponseKey": "$default",
                },
            },
            "ConnectRoute": route("$connect"),
            "DefaultRoute": route("$default", two_way=True),
            "DefaultRouteResponse": {
                "Type": "AWS::ApiGatewayV2::RouteResponse",
                "Properties": {
                    "ApiId": api,
                    "RouteId": {"Ref": "DefaultRoute"},
                    "RouteResponseKey": "$default",
                },
            },
            "Authorizer": {
                "Type": "AWS::ApiGatewayV2::Authorizer",
                "Properties": {
                    "ApiId": api,
                    "Name": "unused",
                    "AuthorizerType": "REQUEST",
                    "AuthorizerUri": uri,
                    "IdentitySource": ["route.request.querystring.token"],
                },
            },
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {
                        "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"
                    },
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGatewayV2::Deployment",
                "DependsOn": ["ConnectRoute", "DefaultRoute", "DefaultRouteResponse"],
                "Properties": {"ApiId": api, "Description": "v1"},
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {
                    "ApiId": api,
                    "StageName": "prod",
                    "DeploymentId": {"Ref": "Deployment"},
                    "DefaultRouteSettings": {
                        "ThrottlingBurstLimit": 100,
                        "ThrottlingRateLimit": 50,
                    },
                },
            },
        },
        "Outputs": {
            "ApiId": {"Value": {"Fn::GetAtt": ["Api", "ApiId"]}},
            "WebSocketURL": {"Value": {"Fn::Sub": "${Api.ApiEndpoint}/${Stage}"}},
            "RouteId": {"Value": {"Ref": "DefaultRoute"}},
            "RouteResponseId": {"Value": {"Ref": "DefaultRouteResponse"}},
            "IntegrationId": {"Value": {"Fn::GetAtt": ["Integration", "IntegrationId"]}},
            "IntegrationResponseId": {"Value": {"Ref": "IntegrationResponse"}},
            "AuthorizerId": {"Value": {"Fn::GetAtt": ["Authorizer", "AuthorizerId"]}},
            "DeploymentId": {"Value": {"Ref": "Deployment"}},
        },
    }


def _echo(url: str, body: str) -> str:
    client = websocket.create_connection(url, timeout=scaled(15))
    try:
        client.send(body)
        return str(client.recv())
    finally:
        client.close()


@pytest.fixture
def stack(aws: Any, unique: str) -> tuple[str, dict[str, Any]]:
    template = _template(role_arn(aws("iam"), "wslab-test-lambda"), f"cfn-echo-{unique}")
    name = f"ws-{unique}"
    aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name, template


def test_every_resource_is_created_with_ref_and_getatt(
    aws: Any, stack: tuple[str, dict[str, Any]], endpoint_url: str
) -> None:
    """The stack completes, each resource exists, and Ref/GetAtt give the real ids."""
    name, _ = stack
    cfn, apigw = aws("cloudformation"), aws("apigatewayv2")
    assert status(cfn, name) == "CREATE_COMPLETE"
    out = outputs(cfn, name)
    api_id = out["ApiId"]
    assert out["WebSocketURL"] == f"ws://{endpoint_url.removeprefix('http://')}/{api_id}/prod"
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"$connect", "$default"}
    assert routes["$default"]["RouteId"] == out["RouteId"]
    assert routes["$default"]["Target"] == f"integrations/{out['IntegrationId']}"
    assert (
        apigw.get_integration(ApiId=api_id, IntegrationId=out["IntegrationId"])["TimeoutInMillis"]
        == 5000
    )
    response = apigw.get_route_response(
        ApiId=api_id, RouteId=out["RouteId"], RouteResponseId=out["RouteResponseId"]
    )
    assert response["RouteResponseKey"] == "$default"
    assert (
        apigw.get_integration_response(
            ApiId=api_id,
            IntegrationId=out["IntegrationId"],
            IntegrationResponseId=out["IntegrationResponseId"],
        )["IntegrationResponseKey"]
        == "$default"
    )
    authorizer = apigw.get_authorizer(ApiId=api_id, AuthorizerId=out["AuthorizerId"])
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    stage = apigw.get_stage(ApiId=api_id, StageName="prod")
    assert stage["DeploymentId"] == out["DeploymentId"]
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert physical["Api"] == api_id and physical["Stage"] == "prod"


def test_the_stack_output_url_serves_the_api(aws: Any, stack: tuple[str, dict[str, Any]]) -> None:
    """A client connects to the WebSocketURL output and the $default route answers."""
    name, _ = stack
    url = outputs(aws("cloudformation"), name)["WebSocketURL"]
    assert _echo(url, "hello") == "echo:$default"


def test_update_adds_a_route_live_after_a_new_deployment(
    aws: Any, stack: tuple[str, dict[str, Any]]
) -> None:
    """Updating the stack with a new route and a new Deployment makes the route live."""
    name, template = stack
    cfn = aws("cloudformation")
    url = outputs(cfn, name)["WebSocketURL"]
    updated = copy.deepcopy(template)
    resources = updated["Resources"]
    resources["PingRoute"] = copy.deepcopy(resources["DefaultRoute"])
    resources["PingRoute"]["Properties"]["RouteKey"] = "ping"
    # Two-way as on AWS: the route response too (docs/apigw-websocket.md §5).
    resources["PingRouteResponse"] = copy.deepcopy(resources["DefaultRouteResponse"])
    resources["PingRouteResponse"]["Properties"]["RouteId"] = {"Ref": "PingRoute"}
    resources["DeploymentV2"] = copy.deepcopy(resources.pop("Deployment"))
    resources["DeploymentV2"]["DependsOn"] += ["PingRoute", "PingRouteResponse"]
    resources["Stage"]["Properties"]["DeploymentId"] = {"Ref": "DeploymentV2"}
    updated["Outputs"]["DeploymentId"] = {"Value": {"Ref": "DeploymentV2"}}
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(updated))
    assert status(cfn, name) == "UPDATE_COMPLETE"
    assert _echo(url, json.dumps({"action": "ping"})) == "echo:ping"


def test_update_without_a_new_deployment_is_not_live(
    aws: Any, stack: tuple[str, dict[str, Any]]
) -> None:
    """A route changed by an update is not served until a deployment takes it, as on AWS."""
    name, template = stack
    cfn = aws("cloudformation")
    url = outputs(cfn, name)["WebSocketURL"]
    updated = copy.deepcopy(template)
    updated["Resources"]["DefaultRoute"]["Properties"]["RouteKey"] = "renamed"
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(updated))
    api_id = outputs(cfn, name)["ApiId"]
    keys = {r["RouteKey"] for r in aws("apigatewayv2").get_routes(ApiId=api_id)["Items"]}
    assert keys == {"$connect", "renamed"}
    assert _echo(url, json.dumps({"action": "renamed"})) == "echo:$default"


def test_delete_removes_everything(aws: Any, stack: tuple[str, dict[str, Any]]) -> None:
    """Deleting the stack deletes the API and the function."""
    name, template = stack
    cfn, apigw = aws("cloudformation"), aws("apigatewayv2")
    api_id = outputs(cfn, name)["ApiId"]
    cfn.delete_stack(StackName=name)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_api(ApiId=api_id)
    function = template["Resources"]["Function"]["Properties"]["FunctionName"]
    lam = aws("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=function)


def test_unsupported_property_fails_the_stack(aws: Any, unique: str) -> None:
    """A property the local stack doesn't handle rolls the stack back, naming it."""
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": "x",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                    "BodyS3Location": {"Bucket": "b", "Key": "k"},
                },
            }
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=f"bad-{unique}", TemplateBody=json.dumps(template))
    assert status(cfn, f"bad-{unique}") == "ROLLBACK_COMPLETE"
    assert "BodyS3Location is not supported by wslab local" in failure_reasons(cfn, f"bad-{unique}")


def test_unknown_resource_type_fails_the_stack(aws: Any, unique: str) -> None:
    """A resource type moto doesn't know fails the stack instead of being skipped."""
    template = {
        "Resources": {
            "Mapping": {
                "Type": "AWS::ApiGatewayV2::ApiMapping",
                "Properties": {"ApiId": "x", "DomainName": "d", "Stage": "s"},
            }
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=f"unknown-{unique}", TemplateBody=json.dumps(template))
    assert status(cfn, f"unknown-{unique}") == "ROLLBACK_COMPLETE"
    reasons = failure_reasons(cfn, f"unknown-{unique}")
    assert "AWS::ApiGatewayV2::ApiMapping is not supported" in reasons


def test_deployment_without_routes_fails_the_stack(aws: Any, unique: str) -> None:
    """A Deployment created before any route fails, with API Gateway's own message."""
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {"Name": "x", "ProtocolType": "WEBSOCKET"},
            },
            "Deployment": {
                "Type": "AWS::ApiGatewayV2::Deployment",
                "Properties": {"ApiId": {"Ref": "Api"}},
            },
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=f"early-{unique}", TemplateBody=json.dumps(template))
    assert status(cfn, f"early-{unique}") == "ROLLBACK_COMPLETE"
    reasons = failure_reasons(cfn, f"early-{unique}")
    assert "At least one route is required" in reasons
    assert not [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == "x"]


def test_validate_template_lists_parameters_and_capabilities(aws: Any) -> None:
    """ValidateTemplate answers as on AWS: the parameters, and CAPABILITY_IAM for roles."""
    body = (Path(__file__).resolve().parents[2] / "cloudformation" / "template.yaml").read_text()
    validated = aws("cloudformation").validate_template(TemplateBody=body)
    parameters = {p["ParameterKey"]: p for p in validated["Parameters"]}
    assert {"CodeBucket", "CodeKey", "StageName", "TokenSecretArn"} <= set(parameters)
    assert parameters["StageName"]["DefaultValue"] == "prod"
    assert "DefaultValue" not in parameters["CodeBucket"]
    assert parameters["CodeBucket"]["NoEcho"] is False
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
    assert "AWS::IAM::Role" in validated["CapabilitiesReason"]


def test_validate_template_names_iam_resources_with_names(aws: Any) -> None:
    """A role with a RoleName of its own needs CAPABILITY_NAMED_IAM; no IAM needs none."""
    cloudformation = aws("cloudformation")
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": "named", "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY},
    }
    named = cloudformation.validate_template(TemplateBody=json.dumps({"Resources": {"R": role}}))
    assert named["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    queue = {"Type": "AWS::SQS::Queue"}
    plain = cloudformation.validate_template(TemplateBody=json.dumps({"Resources": {"Q": queue}}))
    assert plain["Capabilities"] == [] and plain["Parameters"] == []


def test_validate_template_checks_structure_not_property_values(aws: Any) -> None:
    """A deprecated runtime is no ValidateTemplate error (AWS doesn't lint values); a SAM
    template lists its transform and CAPABILITY_AUTO_EXPAND; a broken one is refused with
    CloudFormation's message, not "Stack with id ... does not exist"."""
    cloudformation = aws("cloudformation")
    old_runtime = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "nodejs8.10",
            "Handler": "index.handler",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Code": {"ZipFile": "exports.handler = async () => 1;"},
        },
    }
    body = json.dumps({"Resources": {"F": old_runtime}})
    assert cloudformation.validate_template(TemplateBody=body)["Capabilities"] == []
    sam = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {}}},
    }
    validated = cloudformation.validate_template(TemplateBody=json.dumps(sam))
    assert validated["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]
    assert "CAPABILITY_AUTO_EXPAND" in validated["Capabilities"]
    broken = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "DependsOn": "Nope"}}})
    with pytest.raises(cloudformation.exceptions.ClientError) as raised:
        cloudformation.validate_template(TemplateBody=broken)
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("Template format error: Unresolved resource dependencies [Nope]")


def _role(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY, **properties},
    }


def test_iam_resources_need_their_capability_at_create_update_and_change_set(
    aws: Any, unique: str
) -> None:
    """A template with an IAM role is refused without CAPABILITY_IAM (CreateStack,
    UpdateStack, CreateChangeSet), and nothing is created; a role with a name of its own
    needs CAPABILITY_NAMED_IAM, which also covers an unnamed one."""
    cfn = aws("cloudformation")
    name = f"iam-cap-{unique}"
    with_role = json.dumps({"Resources": {"Role": _role()}})
    for call, request in (
        (cfn.create_stack, {}),
        (cfn.create_change_set, {"ChangeSetName": "first", "ChangeSetType": "CREATE"}),
    ):
        message = refused(
            call,
            "InsufficientCapabilitiesException",
            StackName=name,
            TemplateBody=with_role,
            **request,
        )
        assert message == "Requires capabilities : [CAPABILITY_IAM]"
        assert gone(cfn, name)
    roles_before = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    named = json.dumps({"Resources": {"Role": _role(RoleName=f"named-{unique}")}})
    message = refused(
        cfn.create_stack,
        "InsufficientCapabilitiesException",
        StackName=name,
        TemplateBody=named,
        Capabilities=["CAPABILITY_IAM"],
    )
    assert message == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    assert {r["RoleName"] for r in aws("iam").list_roles()["Roles"]} == roles_before

    cfn.create_stack(StackName=name, TemplateBody=with_role, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert status(cfn, name) == "CREATE_COMPLETE"
    two_roles = json.dumps({"Resources": {"Role": _role(), "Other": _role()}})
    message = refused(
        cfn.update_stack,
        "InsufficientCapabilitiesException",
        StackName=name,
        TemplateBody=two_roles,
    )
    assert message == "Requires capabilities : [CAPABILITY_IAM]"
    assert [
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    ] == ["Role"]
    cfn.delete_stack(StackName=name)
    assert gone(cfn, name)


def test_a_template_without_iam_resources_needs_no_capability(aws: Any, unique: str) -> None:
    cfn = aws("cloudformation")
    name = f"no-iam-{unique}"
    queue = {"Type": "AWS::SQS::Queue"}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {"Queue": queue}}))
    assert status(cfn, name) == "CREATE_COMPLETE"
    cfn.delete_stack(StackName=name)
