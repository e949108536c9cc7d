"""Steps the notebooks take that an earlier notebook taught, and the order between notebooks.

``require("01", "02", "03")`` runs the earlier notebooks whose resources are missing, so any
notebook can be opened on its own.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wslab.aws import LAMBDA_TRUST_POLICY, Target
from wslab.deploy import project
from wslab.deploy.wiring import WiredApi
from wslab.notebook.names import (
    STAGE,
    TutorialError,
    names,
    permissions_boundary_from_environment,
    tag_list,
)
from wslab.notebook.target import partition
from wslab.notebook.waits import when_role_is_ready

__all__ = [
    "STEPS",
    "Step",
    "all_apis",
    "create_or_update_function",
    "find_api",
    "lambda_role",
    "logs_statement",
    "management_url",
    "require",
    "role_boundary",
    "run_notebook",
]

# --- what notebook 02 teaches, for the notebooks after it -------------------------------------


def logs_statement(target: Target, function_name: str) -> dict[str, Any]:
    """Allow a function (a name, or a pattern with ``*``) to write its own log group."""
    arn_prefix = f"arn:{partition(target)}:logs:{target.region}:{target.account_id}"
    group = f"{arn_prefix}:log-group:/aws/lambda/{function_name}"
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }


def role_boundary() -> dict[str, str]:
    """``CreateRole``'s ``PermissionsBoundary`` argument when ``WSLAB_PERMISSIONS_BOUNDARY`` is
    set, else nothing: ``iam.create_role(..., **role_boundary())``."""
    boundary = permissions_boundary_from_environment()
    return {"PermissionsBoundary": boundary} if boundary else {}


def lambda_role(target: Target, role_name: str, statements: Iterable[Mapping[str, Any]]) -> str:
    """The ARN of a Lambda execution role allowed ``statements`` (an inline policy), created
    if absent: ``CreateRole`` and ``PutRolePolicy``, as notebook 02 does one by one. With
    ``WSLAB_PERMISSIONS_BOUNDARY`` set (a shared account's), the role carries that boundary."""
    iam = target.client("iam")
    try:
        role = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
            Tags=tag_list(),
            **role_boundary(),
        )["Role"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName=role_name)["Role"]
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(RoleName=role_name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    return str(role["Arn"])


def create_or_update_function(
    target: Target, package: bytes | Mapping[str, Any], **settings: Any
) -> dict[str, Any]:
    """``CreateFunction`` with ``settings`` (``FunctionName``, ``Role``, ``Handler``, ...), or,
    when it exists, ``UpdateFunctionCode`` and ``UpdateFunctionConfiguration``, as notebook 02
    does; returns the function's configuration once it is active and updated. ``package``: a
    zip, or a ``Code`` mapping (``own_code.function_code``'s folder)."""
    lambda_ = target.client("lambda")
    name = settings["FunctionName"]
    code = {"ZipFile": package} if isinstance(package, bytes) else dict(package)
    try:
        when_role_is_ready(
            lambda_.create_function,
            Code=code,
            Tags=dict(names().tags),
            **settings,
        )
    except lambda_.exceptions.ResourceConflictException:
        lambda_.update_function_code(FunctionName=name, **code)
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        lambda_.update_function_configuration(**settings)
    lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    configuration: dict[str, Any] = lambda_.get_function_configuration(FunctionName=name)
    return configuration


def all_apis(target: Target) -> list[dict[str, Any]]:
    """Every API Gateway v2 API of the target, all pages."""
    apigw = target.client("apigatewayv2")
    apis: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = apigw.get_apis(**({"NextToken": token} if token else {}))
        apis += page["Items"]
        token = page.get("NextToken")
        if not token:
            return apis


def find_api(target: Target, name: str | None = None) -> dict[str, Any] | None:
    """The API Gateway v2 API called ``name`` (the tutorial's by default; the newest, if
    several), or None."""
    wanted = names().api_name if name is None else name
    found = [api for api in all_apis(target) if api["Name"] == wanted]
    return max(found, key=lambda api: api["CreatedDate"]) if found else None


def management_url(api: Mapping[str, Any], stage: str = STAGE) -> str:
    """The ``endpoint_url`` of the ``@connections`` API of an API's stage: ``https://`` (or
    locally ``http://``) where clients use ``wss://`` (``ws://``), plus the stage."""
    return WiredApi(api["ApiId"], api["ApiEndpoint"], stage).management_url


def _tables_exist(target: Target) -> bool:
    dynamodb = target.client("dynamodb")
    made = names()
    for table in (made.connections_table, made.history_table):
        try:
            described = dynamodb.describe_table(TableName=table)["Table"]
        except dynamodb.exceptions.ResourceNotFoundException:
            return False
        if table == made.connections_table and not described.get("GlobalSecondaryIndexes"):
            return False
    return True


def _functions_exist(target: Target) -> bool:
    lambda_ = target.client("lambda")
    for name in names().chat_functions.values():
        try:
            lambda_.get_function(FunctionName=name)
        except lambda_.exceptions.ResourceNotFoundException:
            return False
    return True


def _api_deployed(target: Target) -> bool:
    api = find_api(target)
    if api is None:
        return False
    apigw = target.client("apigatewayv2")
    try:
        stage = apigw.get_stage(ApiId=api["ApiId"], StageName=STAGE)
    except apigw.exceptions.NotFoundException:
        return False
    routes = {route["RouteKey"] for route in apigw.get_routes(ApiId=api["ApiId"])["Items"]}
    return bool(stage.get("DeploymentId")) and set(names().chat_functions) <= routes


@dataclass(frozen=True)
class Step:
    """A notebook that makes something later notebooks need, and how to tell it ran."""

    notebook: str
    done: Callable[[Target], bool]


STEPS: Mapping[str, Step] = {
    "01": Step("01_connections_table.ipynb", _tables_exist),
    "02": Step("02_lambda_functions.ipynb", _functions_exist),
    "03": Step("03_websocket_api.ipynb", _api_deployed),
}


def run_notebook(path: Path, timeout_s: float = 600.0, *, save: bool = False) -> None:
    """Execute a notebook top to bottom in a new kernel; with ``save``, store its outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook,
        timeout=int(timeout_s),
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute(
        # The kernel's own start-up chatter would land in the calling notebook's output; a
        # failing cell still raises, with its error, through nbclient.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if save:
        nbformat.write(notebook, path)  # type: ignore[no-untyped-call]


def require(
    target: Target,
    *steps: str,
    run: Callable[[Path], None] = run_notebook,
) -> None:
    """Make sure the notebooks ``steps`` (``"01"``, ...) have run: run the ones whose
    resources are missing, in order, so that a notebook can be opened on its own."""
    ran: list[str] = []
    for key in steps:
        step = STEPS[key]
        if not step.done(target):
            print(f"Running {step.notebook} first: what it makes is not there yet ...")
            run(project.notebooks() / step.notebook)
            if not step.done(target):
                raise TutorialError(f"{step.notebook} ran, but what it makes is still missing")
            ran.append(key)
    found = [key for key in steps if key not in ran]
    if found:
        print(f"Found what notebook{'s' if len(found) > 1 else ''} {_and(found)} made.")


def _and(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
