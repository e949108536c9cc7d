"""An AWS account for the tutorial: usable credentials, the IAM rights the notebooks need,
whether the roles they create are held by a permissions boundary, and API Gateway's
CloudWatch Logs role (the template's stage writes access logs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from wslab.doctor.report import Outcome, failed, noted, passed
from wslab.doctor.rights import RIGHTS, boundary_context, resources, simulation_context
from wslab.local.platform import set_variable_command

__all__ = ["AwsAccount"]

_SHOWN = 6  # denied actions named on the line; the rest are counted


def _refusal(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'an error')}: {details.get('Message', error)}"


class AwsAccount:
    """The checks of one account and region, in order: ``credentials`` first."""

    def __init__(
        self, client: Callable[[str], Any], region: str, prefix: str, boundary: str | None = None
    ) -> None:
        self._client = client
        self.region = region
        self.prefix = prefix
        self.boundary = boundary
        """The permissions boundary the notebooks put on the roles they create, if any."""
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
        # The calls are simulated as the notebooks make them: roles passed to Lambda, and
        # created with the boundary when there is one.
        context = simulation_context(self.boundary)
        for kind, actions in RIGHTS.items():
            pages = iam.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=principal,
                ActionNames=list(actions),
                ResourceArns=[arns[kind]],
                **context,
            )
            denied += [
                result["EvalActionName"]
                for page in pages
                for result in page["EvaluationResults"]
                if result["EvalDecision"] != "allowed"
            ]
        return denied

    def role_boundary(self) -> Outcome:
        """Can the caller create a role without a permissions boundary? In a shared account
        that lets an attendee create an administrator's role and run a function with it."""
        if self.identity is None:
            return failed("not checked: no usable credentials")
        if str(self.identity["Arn"]).endswith(":root"):
            return noted(
                "the root user may create any role: in a shared account, attendees should not",
                _ATTENDEES,
            )
        try:
            principal = self._principal()
            if principal is None:
                return failed(f"IAM's policy simulator cannot check {self.identity['Arn']}", _ASK)
            unbounded = self._may_create_role(principal, None)
            bounded = self._may_create_role(principal, self.boundary) if self.boundary else None
        except ClientError as error:
            return failed(f"could not check the boundary: {_refusal(error)}", _ASK)
        role = f"{self.prefix}-* roles"
        if self.boundary is None:
            if unbounded:
                return noted(
                    f"CreateRole is allowed without a permissions boundary on {role}: in a "
                    "shared account, anyone with these rights can create an administrator's "
                    "role and run a function with it",
                    _ATTENDEES,
                )
            return passed(f"CreateRole without a permissions boundary is denied on {role}")
        if unbounded:
            return failed(
                f"CreateRole without the boundary is allowed on {role}: the boundary holds "
                "nobody back",
                _ATTENDEES,
            )
        if not bounded:
            return failed(
                f"CreateRole with the boundary {self.boundary} is denied on {role}",
                "set WSLAB_PERMISSIONS_BOUNDARY to the PermissionsBoundaryArn output of the "
                "stack of cloudformation/attendees.yaml",
            )
        return passed(
            f"CreateRole on {role} is allowed with the boundary {self.boundary} and denied "
            "without it"
        )

    def _may_create_role(self, principal: str, boundary: str | None) -> bool:
        account = str(self.identity["Account"]) if self.identity else ""
        role = resources(self.region, account, self.prefix)["role"]
        answer = self._client("iam").simulate_principal_policy(
            PolicySourceArn=principal,
            ActionNames=["iam:CreateRole"],
            ResourceArns=[role],
            **(boundary_context(boundary) if boundary else {}),
        )
        return all(result["EvalDecision"] == "allowed" for result in answer["EvaluationResults"])

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
_ATTENDEES = (
    "give attendees the policy of cloudformation/attendees.yaml (roles only with its "
    "boundary), and set WSLAB_PERMISSIONS_BOUNDARY to its PermissionsBoundaryArn output: see "
    "docs/workshop.md"
)
_ASK = "ask the account's administrator, or check by hand: see the rights in wslab/doctor/rights.py"
