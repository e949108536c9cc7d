"""The chat's ``history`` route, present or absent on a deployed stack, for the page's tests.

Where the template has the route, it is used as deployed. Where it has not (a stack from
before it), a stand-in function answers it exactly as specified, so the page's gap filling
is exercised through API Gateway and Lambda either way:

    {"action": "history", "roomId": R, "sinceSeq": N, "limit": L}     (N exclusive, L 1-100)
 -> {"type": "history", "room": R, "messages": [...], "latestSeq": S}

``without_history_route`` removes the route (and deploys again), for a page facing a chat
from before it.
"""

from __future__ import annotations

import json

from wslab.aws import LAMBDA_TRUST_POLICY
from wslab.deploy.packaging import zip_sources
from wslab.deploy.stack import ChatStack
from wslab.deploy.wiring import integration_uri

__all__ = ["ensure_history_route", "remove_stand_in", "without_history_route"]

ROUTE = "history"

STAND_IN = """
import json
import os

import boto3
from boto3.dynamodb.conditions import Key


def handler(event, context):
    request = json.loads(event["body"])
    room, since = request["roomId"], int(request.get("sinceSeq", 0))
    limit = max(1, min(100, int(request.get("limit", 50))))
    table = boto3.resource("dynamodb").Table(os.environ["HISTORY_TABLE"])
    items = table.query(
        KeyConditionExpression=Key("roomId").eq(room) & Key("seq").gt(since),
        Limit=limit,
        ConsistentRead=True,
    )["Items"]
    counter = table.get_item(Key={"roomId": room, "seq": 0}, ConsistentRead=True)
    answer = {
        "type": "history",
        "room": room,
        "messages": [
            {"type": "message", "room": room, "seq": int(item["seq"]), "sender": item["sender"],
             "text": item["text"], "sentAt": item["sentAt"]}
            for item in items
        ],
        "latestSeq": int(counter.get("Item", {}).get("lastSeq", 0)),
    }
    context_ = event["requestContext"]
    endpoint = f"https://{context_['domainName']}/{context_['stage']}"
    boto3.client("apigatewaymanagementapi", endpoint_url=endpoint).post_to_connection(
        ConnectionId=context_["connectionId"], Data=json.dumps(answer).encode()
    )
    return {"statusCode": 200}
"""


def _route_id(stack: ChatStack, api_id: str) -> str | None:
    routes = stack.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]
    return next((route["RouteId"] for route in routes if route["RouteKey"] == ROUTE), None)


def ensure_history_route(stack: ChatStack, outputs: dict[str, str]) -> str:
    """``"template"`` when the stack has the route, else ``"stand-in"`` once it has one."""
    api_id, stage = outputs["ApiId"], outputs["StageName"]
    if _route_id(stack, api_id) is not None:
        return "template"
    name = f"{stack.stack_name}-history-stand-in"
    table_arn = stack.client("dynamodb").describe_table(TableName=outputs["HistoryTableName"])[
        "Table"
    ]["TableArn"]
    region, account = stack.region, table_arn.split(":")[4]
    connections = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/POST/@connections/*"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:GetItem"],
             "Resource": table_arn},
            {"Effect": "Allow", "Action": "execute-api:ManageConnections",
             "Resource": connections},
        ],
    }  # fmt: skip
    iam = stack.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))
    iam.put_role_policy(RoleName=name, PolicyName="history", PolicyDocument=json.dumps(policy))
    lambda_ = stack.client("lambda")
    function_arn = lambda_.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="stand_in.handler",
        Code={"ZipFile": zip_sources({"stand_in.py": STAND_IN})},
        Environment={"Variables": {"HISTORY_TABLE": outputs["HistoryTableName"]}},
        Timeout=10,
    )["FunctionArn"]
    lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
    lambda_.add_permission(
        FunctionName=name,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*",
    )
    apigw = stack.client("apigatewayv2")
    uri = integration_uri(region, function_arn)
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri
    )
    apigw.create_route(
        ApiId=api_id, RouteKey=ROUTE, Target=f"integrations/{integration['IntegrationId']}"
    )
    apigw.create_deployment(ApiId=api_id, StageName=stage)
    return "stand-in"


def remove_stand_in(stack: ChatStack) -> None:
    """Delete what ``ensure_history_route`` made outside the stack (the API goes with it)."""
    name = f"{stack.stack_name}-history-stand-in"
    lambda_, iam = stack.client("lambda"), stack.client("iam")
    try:
        lambda_.delete_function(FunctionName=name)
    except lambda_.exceptions.ResourceNotFoundException:
        return
    iam.delete_role_policy(RoleName=name, PolicyName="history")
    iam.delete_role(RoleName=name)


def without_history_route(stack: ChatStack, outputs: dict[str, str]) -> None:
    """Remove the ``history`` route, if any, and deploy again: a chat from before it."""
    api_id = outputs["ApiId"]
    route_id = _route_id(stack, api_id)
    if route_id is not None:
        apigw = stack.client("apigatewayv2")
        apigw.delete_route(ApiId=api_id, RouteId=route_id)
        apigw.create_deployment(ApiId=api_id, StageName=outputs["StageName"])
