"""The order the local CloudFormation creates a template's resources in."""

from __future__ import annotations

from wslab.local.moto_ext.cloudformation.template import dependency_order


def test_a_resource_comes_after_what_it_refers_to_in_template_order_among_equals() -> None:
    resources = {
        "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}}},
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    }
    assert dependency_order(resources) == ["Api", "Table", "Route"]


def test_an_api_deployment_comes_last_among_what_is_ready_with_it() -> None:
    """serverless-patterns' apigw-websocket-api-connection-dynamodb: the deployment depends
    on the route only, and is written before the route response; it is created after it,
    so it snapshots the route response (the route answers, as its README shows on AWS)."""
    api = {"ApiId": {"Ref": "Api"}}
    resources = {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
        "Deployment": {
            "Type": "AWS::ApiGatewayV2::Deployment",
            "DependsOn": ["DefaultRoute"],
            "Properties": api,
        },
        "DefaultRoute": {"Type": "AWS::ApiGatewayV2::Route", "Properties": api},
        "DefaultRouteResponse": {
            "Type": "AWS::ApiGatewayV2::RouteResponse",
            "Properties": {**api, "RouteId": {"Ref": "DefaultRoute"}},
        },
    }
    order = dependency_order(resources)
    assert order == ["Api", "DefaultRoute", "DefaultRouteResponse", "Deployment"]
