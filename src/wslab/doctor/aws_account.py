"""An AWS account for the tutorial: usable credentials, the IAM rights the notebooks need,
and API Gateway's CloudWatch Logs role (the template's stage writes access logs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from wslab.doctor.report import Outcome, failed, passed
from wslab.doctor.rights import RIGHTS, resources
from wslab.local.platform import set_variable_command

__all__ = ["AwsAccount"]

_SHOWN = 6  # denied actions named on the line; the rest are counted


def _refusal(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'an error')}: {details.get('Message', error)}"


class AwsAccount:
    """The checks of one account and region, in order: ``credentials`` first."""

    def __init__(self, client: Callable[[str], Any], region: str, prefix: str) -> None:
        self._client = client
        self.region = region
        self.prefix = prefix
        self.identity: dict[str, Any] | None = None

    def credentials(self) -> Outcome:
        try:
            self.identity = self._client("sts").get_caller_identity()
        except ClientError as error:
            return failed(f"AWS refused the credentials: {_refusal(error)}", _CONFIGURE)
        except BotoCoreError as error:  # NoCredentialsError, a profile that does not exist, ...
            return failed(str(error), _CONFIGURE)
        assert self.identity is not None
        return passed(
            f"{self.identity['Arn']} (account {self.identity['Account']}, region {self.region})"
        )

    def _principal(self) -> str | None:
        """The ARN IAM's simulator takes for the caller (a role's, for an assumed role)."""
        assert self.identity is not None
        arn = str(self.identity["Arn"])
        kind = arn.split(":", 5)[5].split("/")
        if arn.split(":")[2] == "sts" and kind[0] == "assumed-role":
            role: dict[str, Any] = self._client("iam").get_role(RoleName=kind[1])["Role"]
            return str(role["Arn"])  # with its path, which the session ARN leaves out
        if kind[0] in ("user", "role"):
            return arn
        return None

    def rights(self) -> Outcome:
        if self.identity is None:
            return failed("not checked: no usable credentials")
        arn = str(self.identity["Arn"])
        if arn.endswith(":root"):
            return passed(
                "the account's root user may do everything (a class is better run as an IAM "
                "user or role)"
            )
        try:
            principal = self._principal()
            if principal is None:
                return failed(f"IAM's policy simulator cannot check {arn}", _ASK)
            denied = self._denied(principal)
        except ClientError as error:
            return failed(f"could not check the rights: {_refusal(error)}", _ASK)
        total = sum(len(actions) for actions in RIGHTS.values())
        if denied:
            named = ", ".join(denied[:_SHOWN]) + (
                f" and {len(denied) - _SHOWN} more" if len(denied) > _SHOWN else ""
            )
            return failed(
                f"{len(denied)} of the {total} actions the tutorial calls are denied: {named}",
                f"allow them to {principal} on resources named {self.prefix}-* in {self.region}",
            )
        return passed(f"IAM's policy simulator allows all {total} actions the tutorial calls")

    def _denied(self, principal: str) -> list[str]:
        iam = self._client("iam")
        account = str(self.identity["Account"]) if self.identity else ""
        arns = resources(self.region, account, self.prefix)
        denied: list[str] = []
        for kind, actions in RIGHTS.items():
            pages = iam.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=principal, ActionNames=list(actions), ResourceArns=[arns[kind]]
            )
            denied += [
                result["EvalActionName"]
                for page in pages
                for result in page["EvaluationResults"]
                if result["EvalDecision"] != "allowed"
            ]
        return denied

    def cloudwatch_role(self) -> Outcome:
        try:
            account = self._client("apigateway").get_account()
        except ClientError as error:
            return failed(f"could not read API Gateway's settings: {_refusal(error)}", _ASK)
        role = account.get("cloudwatchRoleArn")
        if role:
            return passed(f"API Gateway writes logs in {self.region} as {role}")
        return failed(
            f"API Gateway has no CloudWatch Logs role in {self.region} (apigateway get-account: "
            "no cloudwatchRoleArn): the template's stage writes access logs, and creating it "
            'fails with "CloudWatch Logs role ARN must be set in account settings to enable '
            'logging"',
            "create a role API Gateway may assume, with the managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, then: aws apigateway update-account "
            "--patch-operations op=replace,path=/cloudwatchRoleArn,value=<its ARN>",
        )


_CONFIGURE = (
    "aws configure (or aws sso login), or "
    f"{set_variable_command('AWS_PROFILE', '<a profile that works>')}"
)
_ASK = "ask the account's administrator, or check by hand: see the rights in wslab/doctor/rights.py"
