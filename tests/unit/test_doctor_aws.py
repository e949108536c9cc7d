"""``wslab doctor`` with ``WSLAB_TARGET=aws``: the AWS lines, against botocore's Stubber.

No AWS account here: each client is a real boto3 client whose answers are queued with the
shapes of AWS's own (Stubber checks every request and answer against the service model).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from wslab.deploy import project
from wslab.doctor import run_doctor
from wslab.doctor.aws_account import AwsAccount
from wslab.doctor.rights import RIGHTS, boundary_context, resources, simulation_context

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PREFIX = "wslab-alice"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/classroom-boundary"


class Account:
    """Stubbed clients for one account; ``client(service)`` is what the doctor calls."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}

    def client(self, service: str) -> Any:
        if service not in self.clients:
            made = boto3.client(
                service, region_name=REGION, aws_access_key_id="AKIA", aws_secret_access_key="x"
            )
            self.clients[service] = made
            self.stubs[service] = Stubber(made)
            self.stubs[service].activate()
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]

    def identity(self, arn: str = USER) -> None:
        self.stub("sts").add_response(
            "get_caller_identity", {"UserId": "AIDA", "Account": ACCOUNT, "Arn": arn}
        )

    def simulations(
        self, principal: str = USER, denied: tuple[str, ...] = (), boundary: str | None = None
    ) -> None:
        """One simulation per resource kind, in order; ``denied`` actions implicitly denied;
        with ``boundary``, each simulation is asked with it as ``iam:PermissionsBoundary``."""
        arns = resources(REGION, ACCOUNT, PREFIX)
        context = simulation_context(boundary)
        for kind, actions in RIGHTS.items():
            results = [
                {"EvalActionName": action,
                 "EvalDecision": "implicitDeny" if action in denied else "allowed"}
                for action in actions
            ]  # fmt: skip
            self.stub("iam").add_response(
                "simulate_principal_policy",
                {"EvaluationResults": results, "IsTruncated": False},
                {"PolicySourceArn": principal, "ActionNames": list(actions),
                 "ResourceArns": [arns[kind]], **context},
            )  # fmt: skip

    def role_creation(self, allowed: bool, boundary: str | None = None) -> None:
        """The simulation of CreateRole on the prefix's roles, with ``boundary`` or none."""
        result = {
            "EvalActionName": "iam:CreateRole",
            "EvalDecision": "allowed" if allowed else "implicitDeny",
        }
        self.stub("iam").add_response(
            "simulate_principal_policy",
            {"EvaluationResults": [result], "IsTruncated": False},
            {"PolicySourceArn": USER, "ActionNames": ["iam:CreateRole"],
             "ResourceArns": [resources(REGION, ACCOUNT, PREFIX)["role"]],
             **(boundary_context(boundary) if boundary else {})},
        )  # fmt: skip

    def logs_role(self, arn: str | None) -> None:
        answer = {"cloudwatchRoleArn": arn} if arn else {}
        self.stub("apigateway").add_response("get_account", answer)

    def check(self, boundary: str | None = None) -> AwsAccount:
        return AwsAccount(self.client, REGION, PREFIX, boundary)


@pytest.fixture
def account() -> Iterator[Account]:
    made = Account()
    yield made
    for stub in made.stubs.values():
        stub.assert_no_pending_responses()


def test_a_ready_account_passes(account: Account) -> None:
    account.identity()
    account.simulations()
    account.logs_role(f"arn:aws:iam::{ACCOUNT}:role/apigateway-logs")
    checks = account.check()
    credentials, rights, role = checks.credentials(), checks.rights(), checks.cloudwatch_role()
    assert (
        credentials.passed and credentials.detail == f"{USER} (account {ACCOUNT}, region {REGION})"
    )
    total = sum(len(actions) for actions in RIGHTS.values())
    assert rights.passed and rights.detail == (
        f"IAM's policy simulator allows all {total} actions the tutorial calls"
    )
    assert role.passed and role.detail == (
        f"API Gateway writes logs in {REGION} as arn:aws:iam::{ACCOUNT}:role/apigateway-logs"
    )


def test_an_assumed_role_is_simulated_as_its_role_with_its_path(account: Account) -> None:
    """A session's ARN leaves the role's path out; the simulator needs the role's own ARN."""
    role = f"arn:aws:iam::{ACCOUNT}:role/classroom/attendee"
    account.identity(f"arn:aws:sts::{ACCOUNT}:assumed-role/attendee/alice@example.com")
    account.stub("iam").add_response(
        "get_role",
        {"Role": {"Path": "/classroom/", "RoleName": "attendee", "RoleId": "AROAEXAMPLEID123",
                  "Arn": role, "CreateDate": "2025-01-01T00:00:00Z"}},
        {"RoleName": "attendee"},
    )  # fmt: skip
    account.simulations(principal=role)
    checks = account.check()
    assert checks.credentials().passed
    assert checks.rights().passed


def test_denied_actions_are_named(account: Account) -> None:
    account.identity()
    denied = ("iam:PassRole", "lambda:CreateFunction", "apigateway:DELETE")
    account.simulations(denied=denied)
    checks = account.check()
    checks.credentials()
    rights = checks.rights()
    assert not rights.passed
    assert rights.detail.startswith("3 of the ")
    assert rights.detail.endswith(
        "actions the tutorial calls are denied: iam:PassRole, lambda:CreateFunction, "
        "apigateway:DELETE"
    )
    assert rights.fix == f"allow them to {USER} on resources named {PREFIX}-* in {REGION}"


def test_rights_on_the_prefix_alone_are_enough(account: Account) -> None:
    """The simulated resources are named from the prefix (not "*"), so a policy that
    grants wslab-alice-* only is judged on what the tutorial really touches."""
    arns = resources(REGION, ACCOUNT, PREFIX)
    unnamed = ("*", "apis", "api", "account", "connections")
    named = [arn for kind, arn in arns.items() if kind not in unnamed]
    assert all(f"{PREFIX}-" in arn for arn in named), named
    assert set(arns) == set(RIGHTS)


def test_expired_credentials_are_refused(account: Account) -> None:
    account.stub("sts").add_client_error(
        "get_caller_identity",
        service_error_code="ExpiredToken",
        service_message="The security token included in the request is expired",
        http_status_code=403,
    )
    checks = account.check()
    credentials = checks.credentials()
    assert not credentials.passed
    assert credentials.detail == (
        "AWS refused the credentials: ExpiredToken: The security token included in the "
        "request is expired"
    )
    assert checks.rights().detail == "not checked: no usable credentials"


def test_no_credentials_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real client with nothing to sign with: botocore stops before sending anything."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "AWS_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A session of its own: boto3's default one keeps the credentials it found first.
    session = boto3.session.Session(region_name=REGION)
    credentials = AwsAccount(session.client, REGION, PREFIX).credentials()
    assert not credentials.passed
    assert credentials.detail == "Unable to locate credentials"
    assert credentials.fix.startswith("aws configure")


def test_when_the_simulator_is_not_allowed_it_says_it_cannot_tell(account: Account) -> None:
    account.identity()
    account.stub("iam").add_client_error(
        "simulate_principal_policy",
        service_error_code="AccessDenied",
        service_message=f"User: {USER} is not authorized to perform: iam:SimulatePrincipalPolicy",
        http_status_code=403,
    )
    checks = account.check()
    checks.credentials()
    rights = checks.rights()
    assert not rights.passed
    assert rights.detail.startswith("could not check the rights: AccessDenied: User: ")


def test_the_root_user_may_do_everything(account: Account) -> None:
    account.identity(f"arn:aws:iam::{ACCOUNT}:root")
    checks = account.check()
    checks.credentials()
    assert checks.rights().passed


def test_no_cloudwatch_role_fails_with_the_fix(account: Account) -> None:
    account.logs_role(None)
    role = account.check().cloudwatch_role()
    assert not role.passed
    assert "API Gateway has no CloudWatch Logs role in eu-west-1" in role.detail
    assert "update-account --patch-operations op=replace,path=/cloudwatchRoleArn" in role.fix


def test_the_doctor_runs_the_aws_lines_with_wslab_target_aws(account: Account) -> None:
    account.identity()
    account.simulations(denied=("dynamodb:CreateTable",))
    account.role_creation(allowed=True)
    account.logs_role(None)
    lines: list[str] = []
    status = run_doctor(
        4577,
        say=lines.append,
        environ={"WSLAB_TARGET": "aws", "WSLAB_PREFIX": PREFIX},
        aws_client=account.client,
    )
    assert status == 1
    verdicts = [line[:16].split() for line in lines if line.startswith(("PASS", "FAIL", "NOTE"))]
    assert verdicts[-4:] == [["PASS", "AWS"], ["FAIL", "IAM"], ["NOTE", "boundary"],
                             ["FAIL", "logs", "role"]]  # fmt: skip
    assert any("names start with wslab-alice-; target: AWS" in line for line in lines)
    assert lines[-1].startswith(f"2 of {len(verdicts)} checks failed")


def test_the_doctor_checks_the_boundary_it_is_given(account: Account) -> None:
    account.identity()
    account.simulations(boundary=BOUNDARY)
    account.role_creation(allowed=False)
    account.role_creation(allowed=True, boundary=BOUNDARY)
    account.logs_role(f"arn:aws:iam::{ACCOUNT}:role/apigateway-logs")
    lines: list[str] = []
    environ = {"WSLAB_TARGET": "aws", "WSLAB_PREFIX": PREFIX,
               "WSLAB_PERMISSIONS_BOUNDARY": BOUNDARY}  # fmt: skip
    run_doctor(4577, say=lines.append, environ=environ, aws_client=account.client)
    line = next(line for line in lines if line[6:].startswith("boundary"))
    assert line.startswith("PASS")
    assert (
        f"CreateRole on {PREFIX}-* roles is allowed with the boundary {BOUNDARY} and denied "
        "without it" in line
    )


def test_a_malformed_boundary_fails_the_tutorial_line() -> None:
    lines: list[str] = []
    environ = {"WSLAB_TARGET": "aws", "WSLAB_PREFIX": PREFIX,
               "WSLAB_PERMISSIONS_BOUNDARY": "classroom-boundary"}  # fmt: skip
    run_doctor(4577, say=lines.append, environ=environ, aws_client=Account().client)
    line = next(line for line in lines if line[6:].startswith("tutorial"))
    assert line.startswith("FAIL")
    assert "WSLAB_PERMISSIONS_BOUNDARY='classroom-boundary' is not a managed policy's ARN" in line


def test_unbounded_role_creation_is_noted_with_the_fix(account: Account) -> None:
    account.identity()
    account.role_creation(allowed=True)
    checks = account.check()
    checks.credentials()
    outcome = checks.role_boundary()
    assert outcome.passed and outcome.note
    assert outcome.detail.startswith(
        f"CreateRole is allowed without a permissions boundary on {PREFIX}-* roles"
    )
    assert "cloudformation/attendees.yaml" in outcome.fix
    assert "WSLAB_PERMISSIONS_BOUNDARY" in outcome.fix


def test_denied_unbounded_role_creation_passes(account: Account) -> None:
    account.identity()
    account.role_creation(allowed=False)
    checks = account.check()
    checks.credentials()
    outcome = checks.role_boundary()
    assert outcome.passed and not outcome.note


def test_a_boundary_that_holds_nobody_back_fails(account: Account) -> None:
    account.identity()
    account.role_creation(allowed=True)
    account.role_creation(allowed=True, boundary=BOUNDARY)
    checks = account.check(BOUNDARY)
    checks.credentials()
    outcome = checks.role_boundary()
    assert not outcome.passed
    assert outcome.detail == (
        f"CreateRole without the boundary is allowed on {PREFIX}-* roles: the boundary holds "
        "nobody back"
    )


def test_a_boundary_the_account_does_not_require_fails(account: Account) -> None:
    account.identity()
    account.role_creation(allowed=False)
    account.role_creation(allowed=False, boundary=BOUNDARY)
    checks = account.check(BOUNDARY)
    checks.credentials()
    outcome = checks.role_boundary()
    assert not outcome.passed
    assert (
        outcome.detail == f"CreateRole with the boundary {BOUNDARY} is denied on {PREFIX}-* roles"
    )
    assert "PermissionsBoundaryArn output" in outcome.fix


def test_the_rights_are_simulated_with_the_boundary(account: Account) -> None:
    """With a boundary, CreateRole and PutRolePolicy are asked as the notebooks make them."""
    account.identity()
    account.simulations(boundary=BOUNDARY)
    checks = account.check(BOUNDARY)
    checks.credentials()
    assert checks.rights().passed


# How IAM names the services whose clients the notebooks make.
IAM_PREFIX = {"apigatewayv2": "apigateway", "apigatewaymanagementapi": "execute-api"}


def test_the_rights_cover_every_service_the_notebooks_call() -> None:
    """A notebook that starts calling a new service fails this until its rights are added."""
    called: set[str] = set()
    for path in project.notebooks().glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            called |= set(re.findall(r'\.(?:client|client_at|resource)\("([a-z0-9]+)"', source))
    assert {"dynamodb", "lambda", "apigatewayv2"} <= called  # the scan sees the notebooks
    prefixes = {action.split(":")[0] for actions in RIGHTS.values() for action in actions}
    assert {IAM_PREFIX.get(service, service) for service in called} <= prefixes
