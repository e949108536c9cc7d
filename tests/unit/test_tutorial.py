"""wslab.notebook.tutorial: what the notebooks share (target, waiting, order, leftovers)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websocket import WebSocketTimeoutException

from tests.support import REGION, scaled
from wslab.deploy.packaging import zip_sources
from wslab.notebook import steps, tutorial, waits
from wslab.notebook import target as notebook_target
from wslab.notebook.tutorial import Step, Target, TutorialError


def test_local_by_default_and_started_when_absent() -> None:
    """No setting: the local stack, found or started by ensure_running."""
    target = tutorial.target_from_environment({}, ensure_local=lambda: "http://127.0.0.1:4577/")
    assert target == Target("http://127.0.0.1:4577", tutorial.LOCAL_REGION)
    assert target.is_local


def test_an_endpoint_given_bypasses_ensure_running() -> None:
    """WSLAB_ENDPOINT_URL names a stack running elsewhere (what the notebook tests set)."""

    def never() -> str:
        raise AssertionError("ensure_running must not be called")

    environ = {tutorial.ENDPOINT_VARIABLE: "http://127.0.0.1:5000"}
    assert tutorial.target_from_environment(environ, never).endpoint_url == "http://127.0.0.1:5000"


def test_aws_takes_the_region_of_the_usual_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """WSLAB_TARGET=aws: no endpoint, the region boto3 would use."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.delenv("AWS_REGION", raising=False)
    target = tutorial.target_from_environment({tutorial.TARGET_VARIABLE: "AWS"})
    assert target == Target(None, "eu-west-3")
    assert not target.is_local


def test_aws_takes_aws_region_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``AWS_REGION`` on its own is enough, as for the AWS CLI (boto3 alone ignores it)."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    target = tutorial.target_from_environment({tutorial.TARGET_VARIABLE: "aws"})
    assert target.region == "eu-west-1"


def test_aws_without_a_region_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    with pytest.raises(TutorialError, match="AWS_REGION"):
        tutorial.target_from_environment({tutorial.TARGET_VARIABLE: "aws"})


def test_an_unknown_target_is_refused() -> None:
    with pytest.raises(TutorialError, match="'local' or 'aws'"):
        tutorial.target_from_environment({tutorial.TARGET_VARIABLE: "azure"})


def test_start_says_where_the_notebook_runs(
    endpoint_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first cell's output: the local stack, and that nothing costs money."""
    monkeypatch.setenv(tutorial.ENDPOINT_VARIABLE, endpoint_url)
    monkeypatch.delenv(tutorial.TARGET_VARIABLE, raising=False)
    target = tutorial.start()
    assert target.endpoint_url == endpoint_url
    assert f"the local AWS at {endpoint_url}" in capsys.readouterr().out


@pytest.mark.parametrize("running", [True, False])
def test_start_says_when_it_started_a_stack_that_keeps_its_state(
    endpoint_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    running: bool,
) -> None:
    """Only a notebook that had to start the local AWS says where it keeps its state: the
    folder it starts it on (``WSLAB_STATE_DIR`` here)."""
    from wslab.local import process

    monkeypatch.delenv(tutorial.ENDPOINT_VARIABLE, raising=False)
    monkeypatch.delenv(tutorial.TARGET_VARIABLE, raising=False)
    monkeypatch.setenv(notebook_target.STATE_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setattr(
        process, "health", lambda *_: {"endpoint_url": endpoint_url} if running else None
    )
    started_on: list[Path | None] = []

    def ensure_running(state_dir: Path | None = None) -> str:
        started_on.append(state_dir)
        return endpoint_url

    monkeypatch.setattr(process, "ensure_running", ensure_running)
    path = os.environ["PATH"]
    tutorial.start()
    assert os.environ["PATH"] == path  # changed in a Jupyter kernel only, not in this run
    said = capsys.readouterr().out
    assert started_on == [tmp_path]
    assert (f"it keeps what you make in {tmp_path}" in said) is not running
    # ... and where its output goes, since no terminal shows it.
    assert (str(process.background_log_path()) in said) is not running
    assert ("`wslab logs <function>`" in said) is not running


def test_the_notebooks_state_folder_is_in_the_checkout_unless_set() -> None:
    """``.wslab-state`` in the project (git ignores it); ``WSLAB_STATE_DIR`` moves it."""
    from wslab.deploy.project import checkout_root

    root = checkout_root()
    assert root is not None
    assert notebook_target.state_dir({}) == root / ".wslab-state"
    assert ".wslab-state/" in (root / ".gitignore").read_text().splitlines()
    assert notebook_target.state_dir({notebook_target.STATE_DIR_VARIABLE: "/tmp/kept"}) == Path(
        "/tmp/kept"
    )


def test_names_and_tags_share_the_prefix() -> None:
    names = [
        tutorial.CONNECTIONS_TABLE,
        tutorial.HISTORY_TABLE,
        tutorial.API_NAME,
        tutorial.STACK_NAME,
        *tutorial.CHAT_FUNCTIONS.values(),
    ]
    assert all(name.startswith(f"{tutorial.PREFIX}-") for name in names)
    assert tutorial.tag_list() == [{"Key": "project", "Value": tutorial.PREFIX}]


def test_project_paths_exist() -> None:
    """The notebooks read the handlers, the sample events and the template from the checkout."""
    assert (tutorial.LAMBDA_SRC / "chat" / "handlers.py").is_file()
    assert (tutorial.SAMPLE_EVENTS / "wslab__connect.json").is_file()
    assert tutorial.TEMPLATE.is_file()
    assert tutorial.NOTEBOOKS.is_dir()
    assert all((tutorial.NOTEBOOKS / step.notebook).is_file() for step in tutorial.STEPS.values())


def test_wait_until_returns_the_first_answer_that_is_not_false() -> None:
    answers = iter([None, False, 0, "ready"])
    assert tutorial.wait_until(lambda: next(answers), timeout_s=1, interval_s=0) == 0


def test_wait_until_gives_up_with_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="the index"):
        tutorial.wait_until(lambda: None, timeout_s=0.05, interval_s=0.01, what="the index")


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateFunction")


def test_when_role_is_ready_retries_while_the_role_propagates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CreateFunction right after CreateRole fails on AWS for a few seconds; it is retried."""
    monkeypatch.setattr(waits.time, "sleep", lambda seconds: None)
    failures = [
        _client_error(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        )
    ] * 2
    calls: list[dict[str, Any]] = []

    def create_function(**kwargs: Any) -> str:
        calls.append(kwargs)
        if failures:
            raise failures.pop()
        return "created"

    assert tutorial.when_role_is_ready(create_function, FunctionName="f") == "created"
    assert calls == [{"FunctionName": "f"}] * 3


def test_when_role_is_ready_lets_other_errors_through() -> None:
    def create_function(**kwargs: Any) -> None:
        raise _client_error("ResourceConflictException", "Function already exist")

    with pytest.raises(ClientError, match="already exist"):
        tutorial.when_role_is_ready(create_function)


class FakeSocket:
    """The part of websocket-client's WebSocket the helpers use."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = frames
        self.timeouts: list[float] = []

    def settimeout(self, seconds: float) -> None:
        self.timeouts.append(seconds)

    def recv(self) -> str:
        if not self.frames:
            raise WebSocketTimeoutException("timed out")
        return self.frames.pop(0)


def test_receive_json_and_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # The timeout given is the one used (WSLAB_TEST_TIMEOUT_SCALE would stretch it).
    monkeypatch.delenv("WSLAB_TEST_TIMEOUT_SCALE", raising=False)
    ws = FakeSocket([json.dumps({"type": "joined"}), "plain text"])
    assert tutorial.receive_json(ws) == {"type": "joined"}
    assert tutorial.receive_text(ws) == "plain text"
    assert tutorial.receive_json(ws, timeout_s=0.2) is None
    assert ws.timeouts[-1] == pytest.approx(scaled(0.2), rel=0.5)


def test_receive_until_skips_other_frames() -> None:
    live = {"type": "message", "seq": 3}
    ws = FakeSocket([json.dumps(live), json.dumps({"type": "joined", "history": []})])
    assert tutorial.receive_until(ws, "joined") == {"type": "joined", "history": []}
    with pytest.raises(TimeoutError, match="'message'"):
        tutorial.receive_until(ws, "message", timeout_s=0.05)


def _steps(done: dict[str, bool]) -> dict[str, Step]:
    return {
        key: Step(f"{key}_step.ipynb", lambda target, key=key: done[key]) for key in ("01", "02")
    }


def test_require_runs_only_the_missing_notebooks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook opened on its own runs the earlier ones whose resources are missing."""
    done = {"01": True, "02": False}
    monkeypatch.setattr(steps, "STEPS", _steps(done))
    ran: list[str] = []

    def run(path: Path) -> None:
        ran.append(path.name)
        done[path.name[:2]] = True

    tutorial.require(Target("http://127.0.0.1:1", REGION), "01", "02", run=run)
    assert ran == ["02_step.ipynb"]
    out = capsys.readouterr().out
    assert "Running 02_step.ipynb first" in out
    assert "Found what notebook 01 made." in out


def test_require_says_when_a_notebook_did_not_make_what_it_should(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(steps, "STEPS", _steps({"01": False, "02": False}))
    with pytest.raises(TutorialError, match="still missing"):
        tutorial.require(Target("http://127.0.0.1:1", REGION), "01", run=lambda path: None)


def test_steps_are_not_done_on_a_stack_without_the_tutorial(endpoint_url: str) -> None:
    """The tests never make the tutorial's resources: every step reports itself missing."""
    target = Target(endpoint_url, REGION)
    assert [step.done(target) for step in tutorial.STEPS.values()] == [False, False, False]


def test_client_at_reaches_a_stage_url_on_the_local_stack(endpoint_url: str) -> None:
    """The @connections client of a stage: local credentials, the URL given."""
    client = Target(endpoint_url, REGION).client_at(
        "apigatewaymanagementapi", f"{endpoint_url}/abcdefghij/prod", max_pool_connections=4
    )
    assert client.meta.endpoint_url == f"{endpoint_url}/abcdefghij/prod"
    assert client.meta.config.max_pool_connections == 4


def test_deployments_settle_at_once_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only AWS needs a few seconds before a new deployment serves every message."""
    slept: list[float] = []
    monkeypatch.setattr(waits.time, "sleep", slept.append)
    tutorial.let_deployment_settle(Target("http://127.0.0.1:1", REGION))
    tutorial.let_deployment_settle(Target(None, REGION))
    assert slept == [5.0]


def test_lambda_role_and_function_are_created_then_updated(endpoint_url: str, unique: str) -> None:
    """The helpers of notebooks 05 and 08: running them twice updates, never fails."""
    target = Target(endpoint_url, REGION)
    name = f"{tutorial.PREFIX}-test-{unique}"
    statement = tutorial.logs_statement(target, name)
    assert statement["Resource"] == [
        f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{name}",
        f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{name}:*",
    ]
    role_arn = tutorial.lambda_role(target, f"{name}-role", [statement])
    assert tutorial.lambda_role(target, f"{name}-role", [statement]) == role_arn
    policy = target.client("iam").get_role_policy(RoleName=f"{name}-role", PolicyName="inline")
    assert policy["PolicyDocument"]["Statement"] == [statement]

    def package(answer: int) -> bytes:
        return zip_sources({"app.py": f"def handler(event, context):\n    return {answer}\n"})

    settings = {"FunctionName": name, "Runtime": "python3.12", "Role": role_arn}
    first = tutorial.create_or_update_function(
        target, package(1), Handler="app.handler", Timeout=3, **settings
    )
    assert (first["State"], first["Timeout"]) == ("Active", 3)
    again = tutorial.create_or_update_function(
        target, package(2), Handler="app.handler", Timeout=4, **settings
    )
    assert again["Timeout"] == 4
    answer = target.client("lambda").invoke(FunctionName=name)["Payload"].read()
    assert json.loads(answer) == 2
    tags = target.client("lambda").list_tags(Resource=first["FunctionArn"])["Tags"]
    assert tags == tutorial.TAGS


def test_management_url_is_the_https_form_of_the_stage_url() -> None:
    """wss:// becomes https:// (ws:// http:// locally), and the stage is appended."""
    aws_api = {
        "ApiId": "a1b2c3d4e5",
        "ApiEndpoint": "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
    }
    assert tutorial.management_url(aws_api) == (
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"
    )
    local_api = {"ApiId": "a1b2c3d4e5", "ApiEndpoint": "ws://127.0.0.1:4577/a1b2c3d4e5"}
    assert tutorial.management_url(local_api, "dev") == "http://127.0.0.1:4577/a1b2c3d4e5/dev"
