"""Wiring a WebSocket API to Lambda functions in one call, for tests, benchmarks and demos.

The tutorial's notebooks make each of these calls themselves, one step at a time; this is
the same sequence for code that needs a working API and isn't teaching how to build one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "WIRED_FUNCTION_POLICY",
    "WiredApi",
    "allow_api_gateway",
    "integration_uri",
    "wire_websocket_api",
]

WIRED_FUNCTION_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:*",
                "execute-api:ManageConnections",
                "lambda:InvokeFunction",
                "logs:*",
                "secretsmanager:GetSecretValue",
            ],
            "Resource": "*",
        }
    ],
}
"""The role policy of functions wired for tests and benchmarks, which exercise something
other than IAM: every action a handler there calls, on any resource. Never a production role's
(the local AWS enforces IAM for code in functions, as AWS does)."""


@dataclass(frozen=True)
class WiredApi:
    api_id: str
    api_endpoint: str
    stage: str

    @property
    def url(self) -> str:
        """Where WebSocket clients connect."""
        return f"{self.api_endpoint}/{self.stage}"

    @property
    def management_url(self) -> str:
        """The base of the @connections API (``endpoint_url`` of apigatewaymanagementapi)."""
        scheme, rest = self.api_endpoint.split("://", 1)
        return f"{'https' if scheme == 'wss' else 'http'}://{rest}/{self.stage}"


def integration_uri(region: str, function_arn: str) -> str:
    """The URI by which API Gateway invokes a function, in the function's own partition
    (``aws``, ``aws-cn``, ``aws-us-gov``: the second field of its ARN)."""
    partition = function_arn.split(":")[1]
    service = f"arn:{partition}:apigateway:{region}:lambda"
    return f"{service}:path/2015-03-31/functions/{function_arn}/invocations"


def allow_api_gateway(
    lambda_client: Any,
    function_arn: str,
    api_id: str,
    routes: str = "*",
    statement_id: str | None = None,
    **options: Any,
) -> None:
    """``AddPermission``: API Gateway may invoke the function for ``<api_id>/<routes>``
    (``*``, ``*/$connect``, ...), in the function's own partition, region and account."""
    _, partition, _, region, account, _, function_name = function_arn.split(":")[:7]
    lambda_client.add_permission(
        FunctionName=function_name,
        StatementId=statement_id or f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{routes}",
        **options,
    )


def wire_websocket_api(
    apigw: Any,
    lambda_client: Any,
    name: str,
    routes: Mapping[str, str],
    *,
    stage: str = "dev",
    two_way: Iterable[str] = (),
    route_selection_expression: str = "$request.body.action",
    authorizer_function: str | None = None,
    identity_source: Iterable[str] = ("route.request.querystring.token",),
    timeout_ms: Mapping[str, int] | None = None,
    grant_permission: bool = True,
) -> WiredApi:
    """Create an API whose routes invoke the named functions, grant invoke, deploy a stage."""
    region = apigw.meta.region_name
    api = apigw.create_api(
        Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression=route_selection_expression
    )
    api_id = api["ApiId"]
    two_way = set(two_way)
    authorizer_id = None
    names = {*routes.values(), *filter(None, [authorizer_function])}
    arns = {
        function: lambda_client.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        for function in names
    }
    if authorizer_function is not None:
        authorizer_id = apigw.create_authorizer(
            ApiId=api_id,
            Name=f"{name}-authorizer",
            AuthorizerType="REQUEST",
            AuthorizerUri=integration_uri(region, arns[authorizer_function]),
            IdentitySource=list(identity_source),
        )["AuthorizerId"]
    for route_key, function_name in routes.items():
        arn = arns[function_name]
        settings: dict[str, Any] = {}
        if timeout_ms and route_key in timeout_ms:
            settings["TimeoutInMillis"] = timeout_ms[route_key]
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=integration_uri(region, arn),
            **settings,
        )
        route: dict[str, Any] = {
            "ApiId": api_id,
            "RouteKey": route_key,
            "Target": f"integrations/{integration['IntegrationId']}",
        }
        if route_key in two_way:
            route["RouteResponseSelectionExpression"] = "$default"
        if route_key == "$connect" and authorizer_id is not None:
            route.update(AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)
        route_id = apigw.create_route(**route)["RouteId"]
        if route_key in two_way:
            apigw.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    if grant_permission:
        for arn in arns.values():
            allow_api_gateway(lambda_client, arn, api_id)
    apigw.create_stage(ApiId=api_id, StageName=stage)
    apigw.create_deployment(ApiId=api_id, StageName=stage)
    return WiredApi(api_id=api_id, api_endpoint=api["ApiEndpoint"], stage=stage)
