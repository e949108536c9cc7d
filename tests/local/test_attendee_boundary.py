"""A classroom in one account: cloudformation/attendees.yaml deployed on the local stack, an
attendee as an IAM user with its policy and an access key, and what IAM lets that user do:
roles only with the workshop's permissions boundary, and functions whose roles can do no more
than the boundary allows, whatever their own policies say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.local.iam_helpers import (
    ACCOUNT,
    REGION,
    allow,
    call_from,
    create_caller,
    denied,
    document,
)
from tests.support import deployed, scaled
from wslab.aws import LAMBDA_TRUST_POLICY, Target
from wslab.deploy.stack import ChatStack
from wslab.doctor.rights import RIGHTS, resources, simulation_context
from wslab.local.moto_ext.iam.policy import evaluate
from wslab.local.policy import ContextValue, Request
from wslab.notebook.names import BOUNDARY_VARIABLE
from wslab.notebook.steps import lambda_role

TEMPLATE = Path(__file__).parents[2] / "cloudformation" / "attendees.yaml"
STACK = "classroom-test"
USER = f"arn:aws:iam::{ACCOUNT}:user/carol"
TRUST = json.dumps(LAMBDA_TRUST_POLICY)


@pytest.fixture(scope="module")
def outputs(aws: Callable[..., Any]) -> dict[str, str]:
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(
        StackName=STACK, TemplateBody=TEMPLATE.read_text(), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


@pytest.fixture(scope="module")
def carol(aws: Callable[..., Any], endpoint_url: str, outputs: dict[str, str]) -> Any:
    """A boto3 session of the attendee carol: the attendee policy, her own access key."""
    iam = aws("iam")
    iam.create_user(UserName="carol")
    iam.attach_user_policy(UserName="carol", PolicyArn=outputs["AttendeePolicyArn"])
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=REGION,
    )
    return lambda service: session.client(service, endpoint_url=endpoint_url)


class _Stack:
    def __init__(self, stack: ChatStack, outputs: dict[str, str]) -> None:
        self.stack, self.outputs = stack, outputs


def _refusal(call: Callable[..., Any], **args: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as refused:
        call(**args)
    return {
        "code": refused.value.response["Error"]["Code"],
        "message": refused.value.response["Error"]["Message"],
        "status": refused.value.response["ResponseMetadata"]["HTTPStatusCode"],
    }


def test_the_attendee_is_herself_to_sts(carol: Any) -> None:
    assert carol("sts").get_caller_identity()["Arn"] == USER


def test_a_role_without_the_boundary_is_refused_as_iam_refuses_it(carol: Any) -> None:
    refusal = _refusal(
        carol("iam").create_role, RoleName="wslab-att-free", AssumeRolePolicyDocument=TRUST
    )
    assert refusal == {
        "code": "AccessDenied",
        "message": denied(USER, "iam:CreateRole", "role wslab-att-free"),
        "status": 403,
    }


def test_a_role_with_another_boundary_is_refused(carol: Any, outputs: dict[str, str]) -> None:
    refusal = _refusal(
        carol("iam").create_role,
        RoleName="wslab-att-other",
        AssumeRolePolicyDocument=TRUST,
        PermissionsBoundary=outputs["AttendeePolicyArn"],
    )
    assert refusal["code"] == "AccessDenied"
    assert "iam:CreateRole" in refusal["message"]


def test_a_role_outside_the_workshop_is_refused_even_with_the_boundary(
    carol: Any, outputs: dict[str, str]
) -> None:
    refusal = _refusal(
        carol("iam").create_role,
        RoleName="admin-att",
        AssumeRolePolicyDocument=TRUST,
        PermissionsBoundary=outputs["PermissionsBoundaryArn"],
    )
    assert refusal["message"] == denied(USER, "iam:CreateRole", "role admin-att")


def test_a_role_with_the_boundary_is_created_and_keeps_it(
    carol: Any, outputs: dict[str, str]
) -> None:
    iam, boundary = carol("iam"), outputs["PermissionsBoundaryArn"]
    iam.create_role(
        RoleName="wslab-att-bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary
    )
    iam.put_role_policy(
        RoleName="wslab-att-bounded", PolicyName="all", PolicyDocument=document([allow("*", "*")])
    )
    role = iam.get_role(RoleName="wslab-att-bounded")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    refusal = _refusal(iam.delete_role_permissions_boundary, RoleName="wslab-att-bounded")
    assert refusal["message"] == (
        f"User: {USER} is not authorized to perform: iam:DeleteRolePermissionsBoundary on "
        "resource: role wslab-att-bounded with an explicit deny in an identity-based policy"
    )
    refusal = _refusal(
        iam.put_role_permissions_boundary,
        RoleName="wslab-att-bounded",
        PermissionsBoundary=outputs["AttendeePolicyArn"],
    )
    assert refusal["code"] == "AccessDenied"
    assert "with an explicit deny" in refusal["message"]


def test_an_unbounded_role_is_not_the_attendees_to_change(
    aws: Callable[..., Any], carol: Any
) -> None:
    # The default credentials stay an administrator's: no boundary needed.
    aws("iam").create_role(RoleName="wslab-att-admin", AssumeRolePolicyDocument=TRUST)
    refusal = _refusal(
        carol("iam").put_role_policy,
        RoleName="wslab-att-admin",
        PolicyName="all",
        PolicyDocument=document([allow("*", "*")]),
    )
    assert refusal["message"] == denied(USER, "iam:PutRolePolicy", "role wslab-att-admin")


def test_a_function_with_a_bounded_role_does_no_more_than_the_boundary(
    aws: Callable[..., Any], carol: Any, outputs: dict[str, str]
) -> None:
    iam = carol("iam")
    iam.create_role(
        RoleName="wslab-att-caller",
        AssumeRolePolicyDocument=TRUST,
        PermissionsBoundary=outputs["PermissionsBoundaryArn"],
    )
    iam.put_role_policy(
        RoleName="wslab-att-caller",
        PolicyName="everything",
        PolicyDocument=document([allow("dynamodb:*", "*")]),
    )
    role = iam.get_role(RoleName="wslab-att-caller")["Role"]["Arn"]
    for table in ("wslab-att-table", "payroll"):
        aws("dynamodb").create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    function = create_caller(aws, "wslab-att-caller", role)
    key = {"id": {"S": "1"}}
    inside = call_from(aws, function, "dynamodb", "get_item", TableName="wslab-att-table", Key=key)
    assert inside == {"ok": True}
    outside = call_from(aws, function, "dynamodb", "get_item", TableName="payroll", Key=key)
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/wslab-att-caller/{function}"
    assert outside["code"] == "AccessDeniedException"
    assert outside["message"] == (
        f"User: {session} is not authorized to perform: dynamodb:GetItem on resource: "
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payroll because no permissions boundary "
        "allows the dynamodb:GetItem action"
    )


def test_the_chats_stack_puts_the_boundary_on_each_of_its_roles(
    aws: Callable[..., Any], endpoint_url: str, outputs: dict[str, str]
) -> None:
    """``wslab deploy`` with ``WSLAB_PERMISSIONS_BOUNDARY``: the template's parameter."""
    boundary = outputs["PermissionsBoundaryArn"]
    for chat in deployed(endpoint_url, "wslab-att-stack", _Stack, permissions_boundary=boundary):
        roles = [
            resource["PhysicalResourceId"]
            for resource in aws("cloudformation").describe_stack_resources(
                StackName="wslab-att-stack"
            )["StackResources"]
            if resource["ResourceType"] == "AWS::IAM::Role"
        ]
        assert len(roles) >= 6, roles
        for role in roles:
            got = aws("iam").get_role(RoleName=role)["Role"]
            assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary, role
        assert chat.outputs["ApiId"]


def test_the_notebooks_roles_carry_the_boundary_when_it_is_set(
    endpoint_url: str, outputs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Target(endpoint_url, REGION)
    monkeypatch.delenv(BOUNDARY_VARIABLE, raising=False)
    free = lambda_role(target, "wslab-att-nb-free", [allow("dynamodb:GetItem", "*")])
    monkeypatch.setenv(BOUNDARY_VARIABLE, outputs["PermissionsBoundaryArn"])
    held = lambda_role(target, "wslab-att-nb-held", [allow("dynamodb:GetItem", "*")])
    iam = target.client("iam")
    assert "PermissionsBoundary" not in iam.get_role(RoleName=free.rsplit("/", 1)[1])["Role"]
    role = iam.get_role(RoleName=held.rsplit("/", 1)[1])["Role"]
    assert (
        role["PermissionsBoundary"]["PermissionsBoundaryArn"] == outputs["PermissionsBoundaryArn"]
    )


@pytest.mark.parametrize("ending", ["deactivated", "deleted"])
def test_a_key_no_longer_active_is_refused_not_taken_for_an_administrators(
    aws: Callable[..., Any], endpoint_url: str, ending: str
) -> None:
    iam = aws("iam")
    name = f"wslab-att-{ending}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if ending == "deactivated":
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    else:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=REGION,
    )
    refusal = _refusal(
        session.client("iam", endpoint_url=endpoint_url).create_role,
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=TRUST,
    )
    assert refusal == {
        "code": "InvalidClientTokenId",
        "message": "The security token included in the request is invalid.",
        "status": 403,
    }


def _wslab_deploy(
    endpoint_url: str, boundary: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslab", "deploy", "--endpoint-url", endpoint_url,
         "--stack-name", "wslab-att-cli", *extra],
        capture_output=True, text=True, timeout=scaled(300),
        env={**os.environ, BOUNDARY_VARIABLE: boundary},
    )  # fmt: skip


def test_wslab_deploy_reads_the_boundary_from_the_environment(
    aws: Callable[..., Any], endpoint_url: str, outputs: dict[str, str]
) -> None:
    boundary = outputs["PermissionsBoundaryArn"]
    deployed_ = _wslab_deploy(endpoint_url, boundary)
    try:
        assert deployed_.returncode == 0, deployed_.stdout + deployed_.stderr
        resources = aws("cloudformation").describe_stack_resources(StackName="wslab-att-cli")
        roles = [
            resource["PhysicalResourceId"]
            for resource in resources["StackResources"]
            if resource["ResourceType"] == "AWS::IAM::Role"
        ]
        assert roles
        for role in roles:
            got = aws("iam").get_role(RoleName=role)["Role"]
            assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary, role
    finally:
        _wslab_deploy(endpoint_url, boundary, "--delete")


def test_wslab_deploy_refuses_a_boundary_that_is_no_policy_arn(endpoint_url: str) -> None:
    refused = _wslab_deploy(endpoint_url, "classroom-boundary")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "wslab deploy: WSLAB_PERMISSIONS_BOUNDARY='classroom-boundary' is not a managed "
        "policy's ARN: give the PermissionsBoundaryArn output of the attendees stack "
        "(arn:<partition>:iam::<account>:policy/<name>)"
    ]


def test_the_attendee_policy_allows_what_the_doctor_checks(
    aws: Callable[..., Any], outputs: dict[str, str]
) -> None:
    """Every action of rights.py, on the resources the doctor simulates for an attendee's
    prefix, as the deployed policy document says (roles given the boundary, passed to Lambda)."""
    iam = aws("iam")
    arn = outputs["AttendeePolicyArn"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    # The condition keys the doctor's simulations give.
    entries = simulation_context(outputs["PermissionsBoundaryArn"])["ContextEntries"]
    context: dict[str, ContextValue] = {
        entry["ContextKeyName"]: entry["ContextKeyValues"][0] for entry in entries
    }
    arns = resources(REGION, ACCOUNT, "wslab-alice")
    refused = [
        action
        for kind, actions in RIGHTS.items()
        for action in actions
        if not evaluate(
            [document["Document"]], Request(action, arns[kind], context=context)
        ).allowed
    ]
    assert refused == []
