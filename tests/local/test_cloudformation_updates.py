"""Updates of the chat's stack (``cloudformation/template.yaml``), as ``wslab deploy`` makes
them: across the template's conditions and parameters, with a client connected throughout.

One stack for the module, created with every option off, then updated from one combination
of (authorizer, access logging, origins) to the next along a Gray code: each update flips
one option, every combination is reached, every option is turned on and off, and the code
changes on the way (alone, and with a parameter). Each test brings the stack to its
starting combination first (nothing to do when the test before left it there), so a test
run alone still means what it says.

Every update in the matrix changes resources in place (Lambda code and configuration,
route, integration, stage: "Update requires: No interruption" on their reference pages) or
adds and removes conditional ones: a connected client is not disconnected, and no
resource that stays gets a new physical id.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import websocket

from tests.local.cfn_helpers import outputs, refused, status
from tests.local.iam_helpers import API_GATEWAY_TRUST
from tests.support import scaled
from wslab.aws import Target
from wslab.deploy import project
from wslab.deploy.stack import ChatStack, DeployError, delete, deploy, ensure_token_secret

LAMBDA_SRC = project.lambda_src()
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

from chat.tokens import mint_token  # noqa: E402

ORIGIN = "https://chat.example.com"
# The default route's answer to an action no route has, and the same line edited.
ORIGINAL_LINE = 'raise BadRequest("unknown_action", f"Unknown action {shown}.")'
EDITED_LINE = 'raise BadRequest("unknown_action", f"No route takes {shown}.")'


@dataclass(frozen=True)
class Options:
    """What ``wslab deploy`` is given: the template's conditions, and the code."""

    authorizer: bool = False
    access_logging: bool = False
    origins: bool = False
    edited_code: bool = False

    def __str__(self) -> str:
        names = ("authorizer", "access_logging", "origins", "edited_code")
        return "+".join(name for name in names if getattr(self, name)) or "defaults"


def _gray_code() -> list[tuple[Options, Options]]:
    """Every combination of the three options, each one flip from the last, and back to
    the first; the code edited alone first, then changed again with a parameter."""
    combinations = [
        (0, 0, 0), (0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0),
        (1, 1, 0), (1, 1, 1), (1, 0, 1), (1, 0, 0), (0, 0, 0),
    ]  # fmt: skip
    edited = [0, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    path = [
        Options(bool(authorizer), bool(access_logging), bool(origins), bool(code))
        for (authorizer, access_logging, origins), code in zip(combinations, edited, strict=True)
    ]
    return list(itertools.pairwise(path))


TRANSITIONS = _gray_code()


class Client:
    """A WebSocket client of the stage, answered by the default route."""

    def __init__(self, url: str, token: str, origin: str) -> None:
        self.ws = websocket.create_connection(
            f"{url}?token={token}", timeout=scaled(20), origin=origin
        )

    def unknown_action_answer(self) -> str:
        """Ask for an action no route has; the default route's message."""
        self.ws.send(json.dumps({"action": "nope"}))
        while True:
            frame = json.loads(self.ws.recv())
            if frame.get("type") == "error":
                return str(frame["message"])

    def close(self) -> None:
        self.ws.close()


@dataclass
class UpdatedChat:
    """The module's stack, and the two versions of the code it is deployed with."""

    stack: ChatStack
    code: dict[bool, Path]

    def deploy(self, options: Options, template: Path | None = None) -> dict[str, str]:
        return deploy(  # type: ignore[no-any-return]
            self.stack,
            template=template,
            code_dir=self.code[options.edited_code],
            with_authorizer=options.authorizer,
            access_logging=options.access_logging,
            allowed_origins=ORIGIN if options.origins else "",
        )

    def client(self, service: str) -> Any:
        return self.stack.client(service)

    def connect(self, url: str) -> Client:
        # A token and an Origin whether asked for or not: both are ignored when they are.
        secret_arn = ensure_token_secret(self.stack)
        secret = self.client("secretsmanager").get_secret_value(SecretId=secret_arn)
        return Client(url, mint_token(secret["SecretString"], "alice"), ORIGIN)

    def physical_ids(self) -> dict[str, str]:
        summaries = self.client("cloudformation").list_stack_resources(
            StackName=self.stack.stack_name
        )["StackResourceSummaries"]
        return {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in summaries}

    def functions(self) -> dict[str, dict[str, Any]]:
        """Each function's code and configuration, as Lambda describes them."""
        lambda_ = self.client("lambda")
        found = {}
        for logical_id, name in self.physical_ids().items():
            if logical_id.endswith("Function"):
                config = lambda_.get_function_configuration(FunctionName=name)
                found[logical_id] = {
                    key: config.get(key) for key in ("CodeSha256", "Environment", "FunctionArn")
                }
        return found

    def stage(self, outputs: dict[str, str]) -> dict[str, Any]:
        return dict(
            self.client("apigatewayv2").get_stage(
                ApiId=outputs["ApiId"], StageName=outputs["StageName"]
            )
        )


def _unknown_action_message(options: Options) -> str:
    return 'No route takes "nope".' if options.edited_code else 'Unknown action "nope".'


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """lambda_src/ as it is, and a copy with one line of the default route edited."""
    original = tmp_path_factory.mktemp("original") / "lambda_src"
    shutil.copytree(LAMBDA_SRC, original, ignore=shutil.ignore_patterns("__pycache__"))
    edited = tmp_path_factory.mktemp("edited") / "lambda_src"
    shutil.copytree(original, edited)
    handlers = edited / "chat" / "handlers.py"
    source = handlers.read_text()
    assert ORIGINAL_LINE in source
    handlers.write_text(source.replace(ORIGINAL_LINE, EDITED_LINE))
    return {False: original, True: edited}


@pytest.fixture(scope="module")
def chat(endpoint_url: str, aws: Any, code: dict[bool, Path]) -> Iterator[UpdatedChat]:
    """The chat with every option off. The account's API Gateway logging role is set, so
    that AccessLogging=true can deploy (an account-wide setting, as apigateway-account.yaml
    makes it on AWS)."""
    role = aws("iam").create_role(
        RoleName=f"apigateway-logs-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps(API_GATEWAY_TRUST),
    )["Role"]["Arn"]
    aws("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )
    stack = ChatStack(Target.local(endpoint_url), f"upd-{uuid.uuid4().hex[:8]}", say=lambda _: None)
    updated = UpdatedChat(stack, code)
    try:
        updated.deploy(Options())
        yield updated
    finally:
        delete(stack)


@pytest.mark.parametrize(
    ("before", "after"), TRANSITIONS, ids=[f"{a}->{b}" for a, b in TRANSITIONS]
)
def test_an_update_keeps_the_connected_client_answered(
    chat: UpdatedChat, before: Options, after: Options
) -> None:
    """The update completes; the client connected before it is answered after it, by the
    new code if the code changed; the conditional resources are those the new options
    ask for; what stays keeps its physical id; a new client connects and is answered."""
    url = chat.deploy(before)["WebSocketURL"]
    client = chat.connect(url)
    assert client.unknown_action_answer() == _unknown_action_message(before)
    ids_before = chat.physical_ids()

    updated = chat.deploy(after)

    name = chat.stack.stack_name
    assert status(chat.client("cloudformation"), name) == "UPDATE_COMPLETE"
    assert updated["WebSocketURL"] == url
    assert client.unknown_action_answer() == _unknown_action_message(after)
    client.close()
    ids_after = chat.physical_ids()
    conditional = {"AuthorizerRole", "AuthorizerFunction", "Authorizer", "AuthorizerLogGroup"}
    assert (conditional <= set(ids_after)) == after.authorizer
    assert not (conditional & set(ids_after)) or after.authorizer
    kept = set(ids_before) & set(ids_after)
    assert {key: ids_before[key] for key in kept} == {key: ids_after[key] for key in kept}
    assert ("AccessLogSettings" in chat.stage(updated)) == after.access_logging
    for function, config in chat.functions().items():
        variables = (config["Environment"] or {}).get("Variables", {})
        if function != "AuthorizerFunction":
            assert variables["ALLOWED_ORIGINS"] == (ORIGIN if after.origins else "")
    fresh = chat.connect(url)
    assert fresh.unknown_action_answer() == _unknown_action_message(after)
    fresh.close()
    # The stage serves $connect as the update left it: behind the authorizer or not.
    assert _refused_without_a_token(url) == after.authorizer


def _refused_without_a_token(url: str) -> bool:
    """Whether a connection without a token is refused (401, the authorizer's answer)."""
    try:
        websocket.create_connection(url, timeout=scaled(10), origin=ORIGIN).close()
    except websocket.WebSocketBadStatusException as refused:
        assert refused.status_code == 401
        return True
    return False


def test_an_update_that_changes_nothing_is_refused(chat: UpdatedChat) -> None:
    """The same template and parameters again: ``ValidationError``, "No updates are to be
    performed." (boto/boto3#1609), no event; ``wslab deploy`` takes it as done."""
    cfn = chat.client("cloudformation")
    name = chat.stack.stack_name
    chat.deploy(Options())
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    message = refused(
        cfn.update_stack,
        StackName=name,
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": item["ParameterKey"], "UsePreviousValue": True}
            for item in described["Parameters"]
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert message == "No updates are to be performed."
    assert cfn.describe_stack_events(StackName=name)["StackEvents"] == events
    assert chat.deploy(Options()) == outputs(cfn, name)
    assert cfn.describe_stack_events(StackName=name)["StackEvents"] == events


def _with_a_bad_stage(tmp_path: Path) -> Path:
    """The template with a property no stage has: the stage, among the last resources
    updated, fails."""
    source = project.template().read_text()
    stage = (
        "      StageName: !Ref StageName\n"
        "      DeploymentId: !If [UseAuthorizer, !Ref Deployment2WithAuthorizer, "
        "!Ref Deployment2]\n"
    )
    assert source.count(stage) == 1
    broken = tmp_path / "template.yaml"
    broken.write_text(source.replace(stage, stage + "      NoSuchProperty: true\n"))
    return broken


def test_a_failed_update_rolls_back_exactly(chat: UpdatedChat, tmp_path: Path) -> None:
    """An update that changes the code and the origins, adds the authorizer's resources,
    then fails on the stage: ``UPDATE_ROLLBACK_COMPLETE`` with the resources, their
    physical ids, the functions' code and configuration and the outputs of before; the
    connected client is answered by the old code; deploying what runs is no change; the
    next update works."""
    cfn = chat.client("cloudformation")
    name = chat.stack.stack_name
    before_outputs = chat.deploy(Options())
    url = before_outputs["WebSocketURL"]
    client = chat.connect(url)
    ids, functions = chat.physical_ids(), chat.functions()
    parameters = cfn.describe_stacks(StackName=name)["Stacks"][0]["Parameters"]
    failing = Options(authorizer=True, origins=True, edited_code=True)

    with pytest.raises(DeployError, match="UPDATE_ROLLBACK_COMPLETE"):
        chat.deploy(failing, template=_with_a_bad_stage(tmp_path))

    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert described["Parameters"] == parameters
    assert outputs(cfn, name) == before_outputs
    assert chat.physical_ids() == ids
    assert chat.functions() == functions
    assert not [
        f
        for f in chat.client("lambda").list_functions()["Functions"]
        if f["FunctionName"] == f"{name}-authorizer"
    ]
    assert client.unknown_action_answer() == _unknown_action_message(Options())
    client.close()
    # What the stack runs again: nothing to update, which wslab deploy takes as done,
    # though the stack's status is UPDATE_ROLLBACK_COMPLETE.
    assert chat.deploy(Options()) == before_outputs
    assert status(cfn, name) == "UPDATE_ROLLBACK_COMPLETE"
    updated = chat.deploy(replace(failing, authorizer=False))
    assert status(cfn, name) == "UPDATE_COMPLETE"
    assert updated == before_outputs
