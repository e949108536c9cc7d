"""An app written for AWS: a REQUEST authorizer, a MOCK ``$connect`` and a non-proxy Lambda
(``IntegrationType: AWS``) with a request template, integration and route responses, all
from one CloudFormation template, served over a real socket.

Behaviour: docs/apigw-websocket.md §2.4, §5, §5.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conformance.support import ask, connect, new_tag, refused_status
from tests.local.cfn_helpers import failure_reasons, outputs, status
from tests.local.lambda_helpers import role_arn

AUTHORIZER = """
def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token", "")
    effect = "Allow" if token.startswith("user-") else "Deny"
    return {
        "principalId": token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"team": "blue"},
    }
"""

CHAT = """
def handler(event, context):
    return {"said": event["text"].upper(), "by": event["principal"], "team": event["team"]}
"""

REQUEST_TEMPLATE = (
    '{"text": $input.json(\'$.text\'), "principal": "$context.authorizer.principalId",'
    ' "team": "$context.authorizer.team", "connection": "$context.connectionId"}'
)


def _function(role: str, name: str, code: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": role,
            "Code": {"ZipFile": code},
        },
    }


def _permission(function: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": function},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"
            },
        },
    }


def _uri(function: str) -> dict[str, Any]:
    return {
        "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        f"${{{function}.Arn}}/invocations"
    }


def _template(role: str, tag: str) -> dict[str, Any]:
    api = {"Ref": "Api"}
    return {
        "Resources": {
            "AuthorizerFunction": _function(role, f"authorizer-{tag}", AUTHORIZER),
            "ChatFunction": _function(role, f"chat-{tag}", CHAT),
            "AuthorizerPermission": _permission("AuthorizerFunction"),
            "ChatPermission": _permission("ChatFunction"),
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": f"app-{tag}",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                },
            },
            "Authorizer": {
                "Type": "AWS::ApiGatewayV2::Authorizer",
                "Properties": {
                    "ApiId": api,
                    "Name": "tokens",
                    "AuthorizerType": "REQUEST",
                    "AuthorizerUri": _uri("AuthorizerFunction"),
                    "IdentitySource": ["route.request.querystring.token"],
                },
            },
            "ConnectIntegration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": api,
                    "IntegrationType": "MOCK",
                    "RequestTemplates": {"$default": '{"statusCode": 200}'},
                    "TemplateSelectionExpression": "\\$default",
                },
            },
            "ConnectIntegrationResponse": {
                "Type": "AWS::ApiGatewayV2::IntegrationResponse",
                "Properties": {
                    "ApiId": api,
                    "IntegrationId": {"Ref": "ConnectIntegration"},
                    "IntegrationResponseKey": "$default",
                },
            },
            "ConnectRoute": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "ApiId": api,
                    "RouteKey": "$connect",
                    "AuthorizationType": "CUSTOM",
                    "AuthorizerId": {"Ref": "Authorizer"},
                    "Target": {"Fn::Sub": "integrations/${ConnectIntegration}"},
                },
            },
            "ChatIntegration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": api,
                    "IntegrationType": "AWS",
                    "IntegrationMethod": "POST",
                    "IntegrationUri": _uri("ChatFunction"),
                    "RequestTemplates": {"say": REQUEST_TEMPLATE},
                    "TemplateSelectionExpression": "${request.body.action}",
                    "PassthroughBehavior": "NEVER",
                },
            },
            "ChatIntegrationResponse": {
                "Type": "AWS::ApiGatewayV2::IntegrationResponse",
                "Properties": {
                    "ApiId": api,
                    "IntegrationId": {"Ref": "ChatIntegration"},
                    "IntegrationResponseKey": "/2\\d\\d/",
                    "TemplateSelectionExpression": "\\$default",
                    "ResponseTemplates": {
                        "$default": "$input.path('$.by') says $input.path('$.said')"
                        " for team $input.path('$.team')"
                    },
                },
            },
            "SayRoute": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "ApiId": api,
                    "RouteKey": "say",
                    "RouteResponseSelectionExpression": "$default",
                    "Target": {"Fn::Sub": "integrations/${ChatIntegration}"},
                },
            },
            "SayRouteResponse": {
                "Type": "AWS::ApiGatewayV2::RouteResponse",
                "Properties": {
                    "ApiId": api,
                    "RouteId": {"Ref": "SayRoute"},
                    "RouteResponseKey": "$default",
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGatewayV2::Deployment",
                "DependsOn": [
                    "ConnectRoute",
                    "ConnectIntegrationResponse",
                    "SayRoute",
                    "SayRouteResponse",
                    "ChatIntegrationResponse",
                ],
                "Properties": {"ApiId": api},
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {
                    "ApiId": api,
                    "StageName": "live",
                    "DeploymentId": {"Ref": "Deployment"},
                },
            },
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "WebSocketURL": {"Value": {"Fn::Sub": "${Api.ApiEndpoint}/${Stage}"}},
            "ChatIntegrationId": {"Value": {"Ref": "ChatIntegration"}},
        },
    }


@pytest.fixture(scope="module")
def app(aws: Any) -> dict[str, str]:
    """The app's stack, created once; its outputs."""
    cfn = aws("cloudformation")
    name = f"integrations-app-{new_tag()}"
    template = _template(role_arn(aws("iam"), "wslab-test-lambda"), new_tag())
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    assert status(cfn, name) == "CREATE_COMPLETE", failure_reasons(cfn, name)
    return outputs(cfn, name)


def test_responses_are_created_with_their_properties(aws: Any, app: dict[str, str]) -> None:
    """``AWS::ApiGatewayV2::IntegrationResponse`` and ``RouteResponse`` exist, as written."""
    apigw = aws("apigatewayv2")
    [response] = apigw.get_integration_responses(
        ApiId=app["ApiId"], IntegrationId=app["ChatIntegrationId"]
    )["Items"]
    assert response["IntegrationResponseKey"] == "/2\\d\\d/"
    assert response["TemplateSelectionExpression"] == "\\$default"
    assert "$default" in response["ResponseTemplates"]
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=app["ApiId"])["Items"]}
    [route_response] = apigw.get_route_responses(
        ApiId=app["ApiId"], RouteId=routes["say"]["RouteId"]
    )["Items"]
    assert route_response["RouteResponseKey"] == "$default"
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_route_responses(ApiId=app["ApiId"], RouteId="nosuchroute")


def test_authorized_message_reaches_the_non_proxy_function(app: dict[str, str]) -> None:
    """The authorizer's principal and context reach the template; the function's result comes
    back shaped by the integration response."""
    ws = connect(f"{app['WebSocketURL']}?token=user-ada")
    try:
        assert ask(ws, {"action": "say", "text": "hello"}) == "user-ada says HELLO for team blue"
    finally:
        ws.close()


def test_denied_token_and_unmapped_function_error(app: dict[str, str]) -> None:
    """The authorizer's Deny refuses the connect with 403; a function error that no
    integration response matches (only ``/2\\d\\d/`` here) is an ``Internal server error``."""
    assert refused_status(f"{app['WebSocketURL']}?token=intruder") == 403
    ws = connect(f"{app['WebSocketURL']}?token=user-bob")
    try:
        # No "text": the function fails on None.upper().
        assert json.loads(ask(ws, {"action": "say"}))["message"] == "Internal server error"
        assert ask(ws, {"action": "say", "text": "ok"}) == "user-bob says OK for team blue"
    finally:
        ws.close()
