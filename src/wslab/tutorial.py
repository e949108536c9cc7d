"""What the notebooks in ``notebooks/`` share but do not teach.

Every notebook opens with::

    from wslab import tutorial
    aws = tutorial.start()

and then makes its boto3 calls on ``aws.client("dynamodb")`` and friends, exactly the calls a
learner would type against AWS. This module only decides *where* they go and helps with
what is not the lesson:

- **where**: the local AWS by default (found, or started in the background so that it
  outlives the kernel and the next notebook sees the same tables), or a real account with
  ``WSLAB_TARGET=aws`` (region and credentials from the usual AWS configuration);
  ``WSLAB_ENDPOINT_URL`` points the notebooks at a local stack that is already running
  elsewhere (the notebook tests start one on a free port and set it);
- **names**: everything the tutorial creates is named ``<prefix>-...`` (and tagged
  ``project=<prefix>`` where a notebook creates it directly), so ``leftovers`` can list what
  is still there; the prefix is ``wslab-tutorial`` unless ``WSLAB_PREFIX`` sets another, so
  that attendees sharing one AWS account never touch each other's resources;
- **waiting**: for frames on a WebSocket, for log lines, for an IAM role to become usable;
- **order**: ``require("01", "02", "03")`` runs the earlier notebooks whose resources are
  missing, so any notebook can be opened on its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from wslab import project
from wslab.aws import LAMBDA_TRUST_POLICY, LOCAL_REGION, Target, TargetError
from wslab.wiring import WiredApi

__all__ = [
    "API_NAME",
    "CHAT_FUNCTIONS",
    "CONNECTIONS_TABLE",
    "DEFAULT_PREFIX",
    "ENDPOINT_VARIABLE",
    "HISTORY_TABLE",
    "LAMBDA_SRC",
    "LAMBDA_TRUST_POLICY",
    "LOCAL_REGION",
    "NOTEBOOKS",
    "PREFIX",
    "PREFIX_VARIABLE",
    "SAMPLE_EVENTS",
    "STACK_NAME",
    "STAGE",
    "STEPS",
    "TAGS",
    "TARGET_VARIABLE",
    "TEMPLATE",
    "Step",
    "Target",
    "TutorialError",
    "create_or_update_function",
    "find_api",
    "lambda_role",
    "leftovers",
    "let_deployment_settle",
    "logs_statement",
    "management_url",
    "owns",
    "prefix_from_environment",
    "receive_json",
    "receive_text",
    "receive_until",
    "refresh_outputs",
    "require",
    "run_notebook",
    "start",
    "tag_list",
    "target_from_environment",
    "target_kind",
    "wait_for_log_lines",
    "wait_until",
    "when_role_is_ready",
]

TARGET_VARIABLE = "WSLAB_TARGET"
"""``local`` (the default) or ``aws``."""

ENDPOINT_VARIABLE = "WSLAB_ENDPOINT_URL"
"""A local stack already running elsewhere; without it the stack on port 4577 is used."""

PREFIX_VARIABLE = "WSLAB_PREFIX"
"""Each attendee's own prefix in a shared account (``wslab-alice``); ``wslab-tutorial`` if unset."""

DEFAULT_PREFIX = "wslab-tutorial"

# Exactly one hyphen: then no valid prefix is another one plus "-...", and a name tells
# whose it is ("wslab-alice-2-connections" could otherwise be wslab-alice's or
# wslab-alice-2's). 24 characters leave room for the longest names made from it (IAM roles
# and Lambda functions stop at 64, S3 buckets at 63).
_PREFIX_FORM = re.compile(r"[a-z][a-z0-9]*-[a-z0-9]+")
_PREFIX_MAX = 24

_T = TypeVar("_T")


class TutorialError(RuntimeError):
    """Something the notebooks need is missing or misconfigured; the message says what."""


def prefix_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``WSLAB_PREFIX``, checked, or ``wslab-tutorial``."""
    env = os.environ if environ is None else environ
    prefix = env.get(PREFIX_VARIABLE, "").strip() or DEFAULT_PREFIX
    if len(prefix) > _PREFIX_MAX or not _PREFIX_FORM.fullmatch(prefix):
        raise TutorialError(
            f"{PREFIX_VARIABLE}={prefix!r} is not a usable prefix: give two words of lowercase "
            f"letters and digits joined by one hyphen, {_PREFIX_MAX} characters at most "
            "(e.g. wslab-alice)"
        )
    return prefix


PREFIX = prefix_from_environment()
"""Every resource the tutorial creates has a name that starts with this and a hyphen."""

TAGS = {"project": PREFIX}
"""The tag the notebooks put on what they create directly (for the bill's cost allocation)."""

CONNECTIONS_TABLE = f"{PREFIX}-connections"
HISTORY_TABLE = f"{PREFIX}-history"
API_NAME = f"{PREFIX}-chat"
STAGE = "prod"
STACK_NAME = f"{PREFIX}-stack"

CHAT_FUNCTIONS: Mapping[str, str] = {
    "$connect": f"{PREFIX}-connect",
    "$disconnect": f"{PREFIX}-disconnect",
    "sendmessage": f"{PREFIX}-sendmessage",
    "joinroom": f"{PREFIX}-joinroom",
    "$default": f"{PREFIX}-default",
}
"""The chat's routes and the function notebook 02 creates for each."""

NOTEBOOKS = project.notebooks()
LAMBDA_SRC = project.lambda_src()
SAMPLE_EVENTS = project.sample_events()
TEMPLATE = project.template()


def tag_list(tags: Mapping[str, str] = TAGS) -> list[dict[str, str]]:
    """``TAGS`` in the ``[{"Key": ..., "Value": ...}]`` form of DynamoDB and IAM."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _timeout_scale() -> float:
    return float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))


def target_kind(environ: Mapping[str, str] | None = None) -> str:
    """``"local"`` or ``"aws"``, as ``WSLAB_TARGET`` says (local when unset)."""
    env = os.environ if environ is None else environ
    kind = env.get(TARGET_VARIABLE, "local").strip().lower() or "local"
    if kind not in ("local", "aws"):
        raise TutorialError(f"WSLAB_TARGET must be 'local' or 'aws', not {kind!r}.")
    return kind


def target_from_environment(
    environ: Mapping[str, str] | None = None,
    ensure_local: Callable[[], str] | None = None,
) -> Target:
    """The target ``WSLAB_TARGET`` names; the local stack is found or started."""
    env = os.environ if environ is None else environ
    if target_kind(env) == "aws":
        try:
            return Target.aws()
        except TargetError as error:
            raise TutorialError(f"WSLAB_TARGET=aws, but {error}.") from None
    from wslab.local.process import loopback_without_proxy

    loopback_without_proxy()  # the local AWS is never behind a proxy
    endpoint = env.get(ENDPOINT_VARIABLE)
    if not endpoint:
        if ensure_local is None:
            from wslab.local.process import ensure_running

            ensure_local = ensure_running
        endpoint = ensure_local()
    return Target.local(endpoint, LOCAL_REGION)


def _started_here(started: list[str]) -> Callable[[], str]:
    """``ensure_running``, noting in ``started`` when no stack answered and it started one."""

    def ensure_local() -> str:
        from wslab.local.process import ensure_running, health

        fresh = health() is None
        endpoint = ensure_running()
        if fresh:
            started.append(endpoint)
        return endpoint

    return ensure_local


def start() -> Target:
    """The first cell of every notebook: choose the target and say which it is."""
    started: list[str] = []
    target = target_from_environment(ensure_local=_started_here(started))
    if target.is_local:
        print(f"Working on {target.describe()}.")
        print("Nothing here costs money; set WSLAB_TARGET=aws to run the same cells on AWS.")
        if started:
            print(
                "This notebook started the local AWS: it keeps everything in memory, so what "
                "earlier notebooks made before it last stopped is gone; each notebook makes "
                "again what it needs first."
            )
        return target
    try:
        where = target.describe()
    except ClientError as error:
        raise TutorialError(f"WSLAB_TARGET=aws, but AWS refused: {error}") from None
    except Exception as error:  # NoCredentialsError and friends
        raise TutorialError(
            f"WSLAB_TARGET=aws, but no usable AWS credentials were found ({error})."
        ) from None
    print(f"Working on {where}.")
    print(
        "WARNING: these notebooks create real, billable resources in this account "
        "(a few cents for the whole tutorial if you clean up). Run 99_cleanup.ipynb when "
        "you are done."
    )
    return target


# --- what notebook 02 teaches, for the notebooks after it -------------------------------------


def logs_statement(target: Target, function_name: str) -> dict[str, Any]:
    """Allow a function (a name, or a pattern with ``*``) to write its own log group."""
    group = (
        f"arn:aws:logs:{target.region}:{target.account_id}:log-group:/aws/lambda/{function_name}"
    )
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }


def lambda_role(target: Target, role_name: str, statements: Iterable[Mapping[str, Any]]) -> str:
    """The ARN of a Lambda execution role allowed ``statements`` (an inline policy), created
    if absent: ``CreateRole`` and ``PutRolePolicy``, as notebook 02 does one by one."""
    iam = target.client("iam")
    try:
        role = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
            Tags=tag_list(),
        )["Role"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName=role_name)["Role"]
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(RoleName=role_name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    return str(role["Arn"])


def create_or_update_function(target: Target, package: bytes, **settings: Any) -> dict[str, Any]:
    """``CreateFunction`` with ``settings`` (``FunctionName``, ``Role``, ``Handler``, ...), or,
    when it exists, ``UpdateFunctionCode`` and ``UpdateFunctionConfiguration``, as notebook 02
    does; returns the function's configuration once it is active and updated."""
    lambda_ = target.client("lambda")
    name = settings["FunctionName"]
    try:
        when_role_is_ready(
            lambda_.create_function, Code={"ZipFile": package}, Tags=dict(TAGS), **settings
        )
    except lambda_.exceptions.ResourceConflictException:
        lambda_.update_function_code(FunctionName=name, ZipFile=package)
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        lambda_.update_function_configuration(**settings)
    lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    configuration: dict[str, Any] = lambda_.get_function_configuration(FunctionName=name)
    return configuration


# --- waiting ------------------------------------------------------------------------------


def wait_until(
    check: Callable[[], _T | None],
    timeout_s: float = 5.0,
    interval_s: float = 0.1,
    what: str = "the condition",
) -> _T:
    """Call ``check`` until it returns something other than None or False; return that."""
    deadline = time.monotonic() + timeout_s * _timeout_scale()
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


def when_role_is_ready(call: Callable[..., _T], /, timeout_s: float = 60.0, **kwargs: Any) -> _T:
    """``call(**kwargs)``, retried while a new IAM role is not yet usable by Lambda.

    On AWS a role can take about ten seconds after ``CreateRole`` before Lambda may assume
    it; ``CreateFunction`` fails with InvalidParameterValueException until then.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            message = str(error.response.get("Error", {}).get("Message", ""))
            propagating = code == "InvalidParameterValueException" and "assume" in message
            if not propagating or time.monotonic() > deadline:
                raise
        time.sleep(2)


def let_deployment_settle(target: Target, seconds: float = 5.0) -> None:
    """After ``CreateDeployment``: API Gateway takes a few seconds to roll a deployment out
    on AWS; the local AWS serves it at once."""
    if not target.is_local:
        time.sleep(seconds)


def _receive_text(ws: Any, seconds: float) -> str | None:
    from websocket import WebSocketTimeoutException

    ws.settimeout(max(seconds, 0.001))
    try:
        text: str = ws.recv()
    except WebSocketTimeoutException:
        return None
    return text


def _receive(ws: Any, seconds: float) -> dict[str, Any] | None:
    text = _receive_text(ws, seconds)
    if text is None:
        return None
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def receive_text(ws: Any, timeout_s: float = 5.0) -> str | None:
    """The next text frame on a websocket-client connection; None if none comes in time."""
    return _receive_text(ws, timeout_s * _timeout_scale())


def receive_json(ws: Any, timeout_s: float = 5.0) -> dict[str, Any] | None:
    """The next text frame on a websocket-client connection, parsed; None if none comes."""
    return _receive(ws, timeout_s * _timeout_scale())


def receive_until(ws: Any, kind: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """The next frame whose ``type`` is ``kind``, skipping others (e.g. a live message)."""
    deadline = time.monotonic() + timeout_s * _timeout_scale()
    while (left := deadline - time.monotonic()) > 0:
        frame = _receive(ws, left)
        if frame is not None and frame.get("type") == kind:
            return frame
    raise TimeoutError(f"no {kind!r} frame within {timeout_s:g} s")


def wait_for_log_lines(
    target: Target,
    function_name: str,
    since_ms: int,
    *,
    contains: str = "",
    count: int = 1,
    timeout_s: float | None = None,
) -> list[str]:
    """The log lines of ``function_name`` since ``since_ms`` (epoch ms) that contain
    ``contains``, once at least ``count`` of them are there (CloudWatch Logs lags on AWS)."""
    logs = target.client("logs")
    group = f"/aws/lambda/{function_name}"

    def lines() -> list[str] | None:
        found: list[str] = []
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=since_ms
            )
            for page in pages:
                found += [e["message"].rstrip("\n") for e in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            return None
        matching = [line for line in found if contains in line]
        return matching if len(matching) >= count else None

    return wait_until(
        lines,
        timeout_s if timeout_s is not None else target.default_wait_s,
        interval_s=0.2 if target.is_local else 2.0,
        what=f"{count} log line(s) of {function_name} containing {contains!r}",
    )


# --- finding what earlier notebooks made --------------------------------------------------


def _all_apis(target: Target) -> list[dict[str, Any]]:
    apigw = target.client("apigatewayv2")
    apis: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = apigw.get_apis(**({"NextToken": token} if token else {}))
        apis += page["Items"]
        token = page.get("NextToken")
        if not token:
            return apis


def find_api(target: Target, name: str = API_NAME) -> dict[str, Any] | None:
    """The API Gateway v2 API called ``name`` (the newest, if several), or None."""
    found = [api for api in _all_apis(target) if api["Name"] == name]
    return max(found, key=lambda api: api["CreatedDate"]) if found else None


def management_url(api: Mapping[str, Any], stage: str = STAGE) -> str:
    """The ``endpoint_url`` of the ``@connections`` API of an API's stage: ``https://`` (or
    locally ``http://``) where clients use ``wss://`` (``ws://``), plus the stage."""
    return WiredApi(api["ApiId"], api["ApiEndpoint"], stage).management_url


def _tables_exist(target: Target) -> bool:
    dynamodb = target.client("dynamodb")
    for table in (CONNECTIONS_TABLE, HISTORY_TABLE):
        try:
            described = dynamodb.describe_table(TableName=table)["Table"]
        except dynamodb.exceptions.ResourceNotFoundException:
            return False
        if table == CONNECTIONS_TABLE and not described.get("GlobalSecondaryIndexes"):
            return False
    return True


def _functions_exist(target: Target) -> bool:
    lambda_ = target.client("lambda")
    for name in CHAT_FUNCTIONS.values():
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
    return bool(stage.get("DeploymentId")) and set(CHAT_FUNCTIONS) <= routes


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
            run(NOTEBOOKS / step.notebook)
            if not step.done(target):
                raise TutorialError(f"{step.notebook} ran, but what it makes is still missing")
            ran.append(key)
    found = [key for key in steps if key not in ran]
    if found:
        print(f"Found what notebook{'s' if len(found) > 1 else ''} {_and(found)} made.")


def _and(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- cleanup ------------------------------------------------------------------------------


def _names(pages: Iterable[Mapping[str, Any]], key: str, name: str) -> list[str]:
    return sorted(item[name] for page in pages for item in page[key])


def owns(name: str, prefix: str = PREFIX) -> bool:
    """Whether ``name`` is one the tutorial makes with ``prefix``: ``<prefix>-...``, or the
    log group of such a function or API."""
    return any(
        name.startswith(f"{start}{prefix}-") for start in ("", "/aws/lambda/", "/aws/apigateway/")
    )


def leftovers(target: Target, prefix: str = PREFIX) -> dict[str, list[str]]:
    """Everything named with ``prefix`` (see ``owns``), by kind; empty kinds left out."""
    cloudformation = target.client("cloudformation")
    dynamodb = target.client("dynamodb")
    iam = target.client("iam")
    lambda_ = target.client("lambda")
    logs = target.client("logs")
    s3 = target.client("s3")
    secrets = target.client("secretsmanager")

    def pages(service: Any, operation: str, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        return list(service.get_paginator(operation).paginate(**kwargs))

    stacks = [
        stack["StackName"]
        for page in pages(cloudformation, "list_stacks")
        for stack in page["StackSummaries"]
        if stack["StackStatus"] != "DELETE_COMPLETE"
    ]
    found = {
        "cloudformation stacks": stacks,
        "apigatewayv2 apis": sorted(api["Name"] for api in _all_apis(target)),
        "lambda functions": _names(pages(lambda_, "list_functions"), "Functions", "FunctionName"),
        "iam roles": _names(pages(iam, "list_roles"), "Roles", "RoleName"),
        "dynamodb tables": sorted(
            name for page in pages(dynamodb, "list_tables") for name in page["TableNames"]
        ),
        "s3 buckets": sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]),
        "secretsmanager secrets": _names(pages(secrets, "list_secrets"), "SecretList", "Name"),
        "logs log groups": _names(pages(logs, "describe_log_groups"), "logGroups", "logGroupName"),
    }
    result: dict[str, list[str]] = {}
    for kind, names in found.items():
        ours = [name for name in names if owns(name, prefix)]
        if ours:
            result[kind] = ours
    return result


def refresh_outputs(paths: Iterable[Path] = ()) -> None:
    """Run the notebooks (all of them by default), in order, on a fresh local AWS of their
    own, and store their outputs as on the default port: what ``make notebook-outputs``
    does before a commit."""
    from wslab.local.process import LocalStackProcess
    from wslab.notebook_outputs import store_as_on_default_port

    notebooks = sorted(paths) or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    with LocalStackProcess(port=0) as stack:
        os.environ[ENDPOINT_VARIABLE] = stack.endpoint_url
        os.environ.pop(TARGET_VARIABLE, None)
        for path in notebooks:
            started = time.monotonic()
            run_notebook(path, save=True)
            store_as_on_default_port(path, stack.endpoint_url)
            print(f"{time.monotonic() - started:5.1f} s  {path.name}", flush=True)


if __name__ == "__main__":
    import sys

    refresh_outputs(Path(argument).resolve() for argument in sys.argv[1:])
