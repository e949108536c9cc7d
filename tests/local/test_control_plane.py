"""The control planes the tutorial calls, through boto3 on the local stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:any/invocations"
)


def _websocket_api(aws: Any, name: str) -> dict[str, Any]:
    api: dict[str, Any] = aws("apigatewayv2").create_api(
        Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    return api


def _route(aws: Any, api_id: str, key: str) -> None:
    apigw = aws("apigatewayv2")
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA_URI
    )
    apigw.create_route(
        ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
    )


def test_every_service_of_the_tutorial_answers(aws: Any, unique: str) -> None:
    """DynamoDB, IAM, STS, S3, Logs, Lambda, API Gateway v2 and CloudFormation all answer."""
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"
    aws("s3").create_bucket(Bucket=f"bucket-{unique}")
    assert f"bucket-{unique}" in [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    aws("logs").create_log_group(logGroupName=f"/test/{unique}")
    aws("iam").create_role(RoleName=f"role-{unique}", AssumeRolePolicyDocument="{}")
    assert "Functions" in aws("lambda").list_functions()
    assert "Items" in aws("apigatewayv2").get_apis()
    assert "StackSummaries" in aws("cloudformation").list_stacks()
    table = aws("dynamodb", region="eu-west-3").create_table(
        TableName=f"table-{unique}",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert ":eu-west-3:" in table["TableDescription"]["TableArn"]


def test_websocket_api_endpoint_is_served_locally(aws: Any, endpoint_url: str) -> None:
    """ApiEndpoint is a ws:// URL on the stack's own port, in create and get responses."""
    api = _websocket_api(aws, "endpoint")
    host_port = endpoint_url.removeprefix("http://")
    assert api["ApiEndpoint"] == f"ws://{host_port}/{api['ApiId']}"
    assert aws("apigatewayv2").get_api(ApiId=api["ApiId"])["ApiEndpoint"] == api["ApiEndpoint"]
    listed = aws("apigatewayv2").get_apis()["Items"]
    assert {"ApiId": api["ApiId"], "ApiEndpoint": api["ApiEndpoint"]}.items() <= next(
        item for item in listed if item["ApiId"] == api["ApiId"]
    ).items()


def test_deployment_lifecycle(aws: Any) -> None:
    """CreateDeployment binds the stage; Get, list and Delete answer as on AWS."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "deployments")["ApiId"]
    _route(aws, api_id, "$default")
    apigw.create_stage(ApiId=api_id, StageName="dev")
    assert "DeploymentId" not in apigw.get_stage(ApiId=api_id, StageName="dev")

    deployment = apigw.create_deployment(ApiId=api_id, StageName="dev", Description="first")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert deployment["AutoDeployed"] is False
    deployment_id = deployment["DeploymentId"]
    assert apigw.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"] == deployment_id
    fetched = apigw.get_deployment(ApiId=api_id, DeploymentId=deployment_id)
    assert fetched["Description"] == "first"
    updated = apigw.update_deployment(
        ApiId=api_id, DeploymentId=deployment_id, Description="renamed"
    )
    assert updated["Description"] == "renamed"
    assert apigw.get_deployment(ApiId=api_id, DeploymentId=deployment_id)["Description"] == (
        "renamed"
    )
    assert [d["DeploymentId"] for d in apigw.get_deployments(ApiId=api_id)["Items"]] == [
        deployment_id
    ]

    with pytest.raises(apigw.exceptions.BadRequestException, match="Active stages"):
        apigw.delete_deployment(ApiId=api_id, DeploymentId=deployment_id)
    second = apigw.create_deployment(ApiId=api_id)["DeploymentId"]
    assert apigw.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"] == deployment_id
    apigw.update_stage(ApiId=api_id, StageName="dev", DeploymentId=second)
    assert apigw.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"] == second
    apigw.delete_deployment(ApiId=api_id, DeploymentId=deployment_id)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_deployment(ApiId=api_id, DeploymentId=deployment_id)


def test_deployment_errors(aws: Any) -> None:
    """No routes yet, or an unknown stage or deployment: AWS's errors."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "empty")["ApiId"]
    with pytest.raises(apigw.exceptions.BadRequestException, match="At least one route"):
        apigw.create_deployment(ApiId=api_id)
    _route(aws, api_id, "$default")
    with pytest.raises(apigw.exceptions.NotFoundException, match="stage"):
        apigw.create_deployment(ApiId=api_id, StageName="nowhere")
    with pytest.raises(apigw.exceptions.BadRequestException, match="deployment"):
        apigw.create_stage(ApiId=api_id, StageName="dev", DeploymentId="nope42")


def test_create_stage_with_a_deployment(aws: Any) -> None:
    """CreateStage(DeploymentId=...) binds the new stage to that deployment."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "bound")["ApiId"]
    _route(aws, api_id, "$default")
    deployment_id = apigw.create_deployment(ApiId=api_id)["DeploymentId"]
    stage = apigw.create_stage(ApiId=api_id, StageName="prod", DeploymentId=deployment_id)
    assert stage["DeploymentId"] == deployment_id
    listed = apigw.get_stages(ApiId=api_id)["Items"]
    assert [(s["StageName"], s.get("DeploymentId")) for s in listed] == [("prod", deployment_id)]


def test_get_authorizers_lists_the_api_authorizers(aws: Any) -> None:
    """GetAuthorizers, which moto lacks, lists what CreateAuthorizer made."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "authorizers")["ApiId"]
    assert apigw.get_authorizers(ApiId=api_id)["Items"] == []
    created = apigw.create_authorizer(
        ApiId=api_id,
        Name="token",
        AuthorizerType="REQUEST",
        AuthorizerUri=LAMBDA_URI,
        IdentitySource=["route.request.querystring.token"],
    )
    (listed,) = apigw.get_authorizers(ApiId=api_id)["Items"]
    assert listed["AuthorizerId"] == created["AuthorizerId"]
    assert (listed["Name"], listed["IdentitySource"]) == (
        "token",
        ["route.request.querystring.token"],
    )


def test_auto_deploy_follows_every_change(aws: Any) -> None:
    """With AutoDeploy, a change to the routes shows up as a new automatic deployment."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "auto")["ApiId"]
    _route(aws, api_id, "$default")
    stage = apigw.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    assert stage["AutoDeploy"] is True
    first = stage["DeploymentId"]
    assert apigw.get_stage(ApiId=api_id, StageName="live")["DeploymentId"] == first
    _route(aws, api_id, "sendmessage")
    second = apigw.get_stage(ApiId=api_id, StageName="live")["DeploymentId"]
    assert second != first
    items = apigw.get_deployments(ApiId=api_id)["Items"]
    assert {d["DeploymentId"]: d["AutoDeployed"] for d in items} == {first: True, second: True}


def test_auto_deploy_happens_at_the_change_not_at_a_read(aws: Any) -> None:
    """The deployment is made by the change itself: GetDeployments (which never deploys)
    lists it; an integration that no route uses changes nothing served, and deploys nothing."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "auto-at-change")["ApiId"]
    _route(aws, api_id, "$default")
    first = apigw.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)["DeploymentId"]
    apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA_URI)
    listed = apigw.get_deployments(ApiId=api_id)["Items"]
    assert [d["DeploymentId"] for d in listed] == [first]
    _route(aws, api_id, "sendmessage")
    listed = apigw.get_deployments(ApiId=api_id)["Items"]
    assert len(listed) == 2 and all(d["AutoDeployed"] for d in listed)
    second = next(d["DeploymentId"] for d in listed if d["DeploymentId"] != first)
    assert apigw.get_stage(ApiId=api_id, StageName="live")["DeploymentId"] == second


def test_update_stage_settings(aws: Any) -> None:
    """UpdateStage changes variables and route settings, keeping what it wasn't given."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "settings")["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="dev")
    updated = apigw.update_stage(
        ApiId=api_id,
        StageName="dev",
        StageVariables={"color": "blue"},
        DefaultRouteSettings={"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 100.0},
    )
    assert updated["StageVariables"] == {"color": "blue"}
    assert updated["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 50
    assert updated["DefaultRouteSettings"]["LoggingLevel"] == "OFF"


def test_delete_stage(aws: Any) -> None:
    """DeleteStage removes it; getting it afterwards is NotFound."""
    apigw = aws("apigatewayv2")
    api_id = _websocket_api(aws, "gone")["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="dev")
    apigw.delete_stage(ApiId=api_id, StageName="dev")
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_stage(ApiId=api_id, StageName="dev")


def test_cloudformation_creates_a_table(aws: Any, unique: str) -> None:
    """moto's CloudFormation works through the same endpoint (a DynamoDB table here)."""
    template = {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": f"cfn-table-{unique}",
                    "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                },
            }
        }
    }
    aws("cloudformation").create_stack(
        StackName=f"table-{unique}", TemplateBody=json.dumps(template)
    )
    assert f"cfn-table-{unique}" in aws("dynamodb").list_tables()["TableNames"]
