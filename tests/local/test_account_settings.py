"""API Gateway's account settings: stage logging waits for the account's CloudWatch Logs
role, through boto3 and through CloudFormation, and the template deploys on a new account.

Each test runs in an account of its own (moto's ``x-moto-account-id``), fresh: the setting
is account-wide, and other tests' accounts must not leak into these.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.iam_helpers import API_GATEWAY_TRUST
from tests.support import scaled
from wslab.aws import Target, client
from wslab.deploy import project
from wslab.deploy.stack import ChatStack, DeployError, deploy

LOGGING_ROLE_MISSING = "CloudWatch Logs role ARN must be set in account settings to enable logging"


class Account:
    """boto3 clients acting in one new account of the local AWS."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self.account_id = str(random.randrange(10**11, 10**12))
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            made = client(service, self.endpoint_url, retries={"max_attempts": 1})
            made.meta.events.register("before-sign.*.*", self._mark)
            self._clients[service] = made
        return self._clients[service]

    def _mark(self, request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = self.account_id

    def cloudwatch_role(self, name: str = "apigateway-logs") -> str:
        created = self("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(API_GATEWAY_TRUST)
        )
        return str(created["Role"]["Arn"])

    def set_logging_role(self, role_arn: str) -> dict[str, Any]:
        operation = {"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}
        return dict(self("apigateway").update_account(patchOperations=[operation]))


@pytest.fixture
def account(endpoint_url: str) -> Account:
    return Account(endpoint_url)


def _websocket_api(account: Account) -> str:
    created = account("apigatewayv2").create_api(
        Name="logs", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    return str(created["ApiId"])


def _access_logs(account: Account) -> dict[str, str]:
    group = f"arn:aws:logs:us-east-1:{account.account_id}:log-group:access"
    return {"DestinationArn": group, "Format": '{"requestId":"$context.requestId"}'}


def test_a_new_account_has_no_logging_role(account: Account) -> None:
    assert "cloudwatchRoleArn" not in account("apigateway").get_account()


def test_a_logging_stage_fails_until_update_account_sets_the_role(account: Account) -> None:
    """Access logs, execution logs and data trace each need the role; a stage without
    logging does not; once ``update_account`` sets it, the same stage is accepted."""
    apigw, api_id = account("apigatewayv2"), _websocket_api(account)
    attempts: list[dict[str, Any]] = [
        {"AccessLogSettings": _access_logs(account)},
        {"DefaultRouteSettings": {"LoggingLevel": "INFO"}},
        {"RouteSettings": {"$default": {"DataTraceEnabled": True}}},
    ]
    for settings in attempts:
        with pytest.raises(apigw.exceptions.BadRequestException) as refused:
            apigw.create_stage(ApiId=api_id, StageName="logged", **settings)
        assert refused.value.response["Error"]["Message"] == LOGGING_ROLE_MISSING
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    apigw.create_stage(ApiId=api_id, StageName="quiet")
    with pytest.raises(apigw.exceptions.BadRequestException, match="CloudWatch Logs role ARN"):
        apigw.update_stage(ApiId=api_id, StageName="quiet", AccessLogSettings=_access_logs(account))

    role = account.cloudwatch_role()
    assert account.set_logging_role(role)["cloudwatchRoleArn"] == role
    assert account("apigateway").get_account()["cloudwatchRoleArn"] == role
    stage = apigw.create_stage(
        ApiId=api_id, StageName="logged", AccessLogSettings=_access_logs(account)
    )
    assert stage["AccessLogSettings"]["DestinationArn"].endswith(":log-group:access")
    apigw.update_stage(
        ApiId=api_id, StageName="quiet", DefaultRouteSettings={"LoggingLevel": "ERROR"}
    )


def test_http_api_access_logs_need_no_account_role(account: Account) -> None:
    apigw = account("apigatewayv2")
    api_id = apigw.create_api(Name="http", ProtocolType="HTTP")["ApiId"]
    stage = apigw.create_stage(
        ApiId=api_id, StageName="logged", AccessLogSettings=_access_logs(account)
    )
    assert stage["StageName"] == "logged"


def test_update_account_takes_only_a_role_api_gateway_may_assume(account: Account) -> None:
    lambda_only = account("iam").create_role(
        RoleName="lambda-only",
        AssumeRolePolicyDocument=json.dumps(
            {
                **API_GATEWAY_TRUST,
                "Statement": [
                    {
                        **API_GATEWAY_TRUST["Statement"][0],
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    missing = f"arn:aws:iam::{account.account_id}:role/nobody"
    for role in (lambda_only, missing):
        with pytest.raises(ClientError) as refused:
            account.set_logging_role(role)
        assert refused.value.response["Error"] == {
            "Code": "BadRequestException",
            "Message": "The role ARN does not have required permissions configured. Please grant "
            "trust permission for API Gateway and add the required role policy.",
        }
    assert "cloudwatchRoleArn" not in account("apigateway").get_account()


@dataclass
class AccountStack(ChatStack):
    """The chat stack, deployed in ``account``."""

    account: Account = field(default=None)  # type: ignore[assignment]

    def client(self, service: str) -> Any:
        return self.account(service)


def _wait_for(account: Account, stack: str) -> dict[str, Any]:
    deadline = time.monotonic() + scaled(120)
    while time.monotonic() < deadline:
        described = account("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        if not described["StackStatus"].endswith("IN_PROGRESS"):
            return dict(described)
        time.sleep(0.2)
    raise TimeoutError(stack)


def _chat(account: Account, name: str) -> AccountStack:
    return AccountStack(
        target=Target.local(account.endpoint_url),
        stack_name=name,
        say=lambda line: None,
        account=account,
    )


def test_the_template_deploys_on_a_new_account(account: Account) -> None:
    """Nothing set beforehand: the template deploys (access logging off by default); with
    ``AccessLogging=true`` the stage is refused, and the stack rolls back, saying why."""
    outputs = deploy(_chat(account, "fresh"))
    stage = account("apigatewayv2").get_stage(ApiId=outputs["ApiId"], StageName="prod")
    assert "AccessLogSettings" not in stage
    with pytest.raises(DeployError, match="ROLLBACK_COMPLETE"):
        deploy(_chat(account, "logged"), access_logging=True)
    events = account("cloudformation").describe_stack_events(StackName="logged")["StackEvents"]
    reasons = [event.get("ResourceStatusReason", "") for event in events]
    assert any(LOGGING_ROLE_MISSING in reason for reason in reasons), reasons


def test_the_account_template_sets_the_role_for_the_whole_account(account: Account) -> None:
    """``apigateway-account.yaml`` (AWS::ApiGateway::Account) sets the role; the chat with
    access logs then deploys; deleting the account stack leaves the role and the setting."""
    cloudformation = account("cloudformation")
    template = (project.template().parent / "apigateway-account.yaml").read_text()
    cloudformation.create_stack(
        StackName="apigateway-account", TemplateBody=template, Capabilities=["CAPABILITY_IAM"]
    )
    described = _wait_for(account, "apigateway-account")
    assert described["StackStatus"] == "CREATE_COMPLETE"
    (output,) = described["Outputs"]
    role = output["OutputValue"]
    assert account("apigateway").get_account()["cloudwatchRoleArn"] == role

    outputs = deploy(_chat(account, "logged"), access_logging=True)
    stage = account("apigatewayv2").get_stage(ApiId=outputs["ApiId"], StageName="prod")
    assert (
        ":log-group:/aws/apigateway/logged-access" in stage["AccessLogSettings"]["DestinationArn"]
    )

    cloudformation.delete_stack(StackName="apigateway-account")  # done when it answers, locally
    assert account("apigateway").get_account()["cloudwatchRoleArn"] == role
    assert account("iam").get_role(RoleName=role.rsplit("/", 1)[-1])["Role"]["Arn"] == role
