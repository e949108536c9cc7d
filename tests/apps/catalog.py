"""The apps of the gate: where each is vendored (``apps/<name>/``, with its LICENSE and
ORIGIN), the commands its README gives to install, deploy and delete it, and its probe.

A command is a tuple of words; ``{sam}`` and ``{cdk}`` name the deploy tools the Makefile
installs (``{sam}`` for ``sam``, as a user with SAM CLI installed types it),
``{venv}`` the ``bin`` folder of the app's own virtual environment (made as its README
says), ``{host_python}`` the interpreter that runs the gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.apps import probes

Command = tuple[str, ...]
LOCAL_ACCOUNT = "123456789012"

SAM_DEPLOY: Command = (
    # `sam deploy --guided`'s answers, given as flags (the guided mode asks on a terminal).
    "{sam}",
    "deploy",
    "--stack-name",
    "{name}",
    "--resolve-s3",
    "--capabilities",
    "CAPABILITY_IAM",
    "--no-confirm-changeset",
    "--no-progressbar",
)
SAM_DELETE: Command = ("{sam}", "delete", "--stack-name", "{name}", "--no-prompts")
PYTHON_REQUIREMENTS: tuple[Command, ...] = (
    ("{host_python}", "-m", "venv", ".venv"),
    ("{venv}/python", "-m", "pip", "install", "--quiet", "-r", "requirements.txt"),
)
# The Chalice tutorial's "fresh environment" (its `pip install -U chalice`, pinned here).
CHALICE = "chalice==1.34.0"


@dataclass(frozen=True)
class Step:
    command: Command
    cwd: str = "."


def steps(*commands: Command, cwd: str = ".") -> tuple[Step, ...]:
    return tuple(Step(command, cwd) for command in commands)


@dataclass(frozen=True)
class App:
    name: str
    tool: str
    language: str
    probe: probes.Probe
    deploy: tuple[Step, ...]
    delete: tuple[Step, ...]
    # Commands before the deploy (dependencies, the tool's bootstrap), and edits the README
    # asks of its user (an account id in a config file), given the app's working copy.
    install: tuple[Step, ...] = ()
    edit: Callable[[Path], None] | None = None
    region: str = "us-east-1"
    # The stage clients connect to, where the API has more than one.
    stage: str | None = None
    # Short enough for the gate in CI (see tests/README.md).
    quick: bool = field(default=False)


def _set_account_id(work: Path) -> None:
    """cdk-typescript-websocket-chat's README: "Change `account_id` to your own aws account
    id in `config.json`"; its region is the one config.json names."""
    config_file = work / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["account_id"] = LOCAL_ACCOUNT
    config_file.write_text(json.dumps(config, indent=4), encoding="utf-8")


def _chalice_tutorial_files(work: Path) -> None:
    """The tutorial's ``app.py`` and ``requirements.txt`` replace those of the new project."""
    for name in ("app.py", "requirements.txt"):
        (work / "echo-server" / name).write_bytes((work / name).read_bytes())


def _sam(name: str, language: str, probe: probes.Probe, quick: bool = False) -> App:
    return App(name, "SAM CLI", language, probe, steps(SAM_DEPLOY), steps(SAM_DELETE), quick=quick)


APPS: tuple[App, ...] = (
    _sam("simple-websockets-chat-app", "Node.js", probes.broadcast("data"), quick=True),
    _sam(
        "apigw-websocket-api-lambda",
        "Node.js",
        probes.answer('{"action":"post", "data":"hello world"}', "hello world"),
    ),
    _sam(
        "apigw-websocket-ack-connect-route",
        "Python",
        probes.greeting("Hello XXX, we are now connected!! "),
        quick=True,
    ),
    _sam("apigw-websocket-api-connection-dynamodb", "Node.js", probes.echoed_event),
    _sam("apigw-websocket-api-sqs-lambda", "Node.js", probes.queued_answer),
    _sam("apigw-websocket-mapping-template-authorizer", "Node.js", probes.authorized_answer),
    App(
        "cdk-typescript-websocket-chat",
        "CDK (TypeScript)",
        "Node.js",
        probes.broadcast("data"),
        install=steps(("npm", "install", "--no-audit", "--no-fund"), ("{cdk}", "bootstrap")),
        edit=_set_account_id,
        deploy=steps(("{cdk}", "deploy", "--require-approval", "never")),
        delete=steps(("{cdk}", "destroy", "--force")),
        region="ap-southeast-2",
    ),
    App(
        "waf-cloudfront-websocket-apigw-cdk-python",
        "CDK (Python)",
        "Python",
        probes.api_key_on_connect,
        # Its README: a virtual environment, `pip install -r requirements.txt`, then
        # `cdk bootstrap` and `cdk deploy` in us-east-1 (WAF for CloudFront is global).
        install=(*steps(*PYTHON_REQUIREMENTS), *steps(("{cdk}", "bootstrap"))),
        deploy=steps(("{cdk}", "deploy", "--require-approval", "never")),
        delete=steps(("{cdk}", "destroy", "--force")),
    ),
    App(
        "python-websocket-chat-boto3",
        "boto3 script",
        "Python",
        probes.named_broadcast,
        install=steps(*PYTHON_REQUIREMENTS),
        deploy=steps(
            ("{venv}/python", "websocket_chat.py", "deploy"),
            ("{venv}/python", "websocket_chat.py", "demo"),
        ),
        delete=steps(("{venv}/python", "websocket_chat.py", "destroy")),
        quick=True,
    ),
    App(
        "chalice-echo-server",
        "Chalice",
        "Python",
        probes.answer("foo bar baz", "foo bar baz"),
        install=steps(
            ("{host_python}", "-m", "venv", ".venv"),
            ("{venv}/python", "-m", "pip", "install", "--quiet", CHALICE, "-r", "requirements.txt"),
            ("{venv}/chalice", "new-project", "echo-server"),
        ),
        edit=_chalice_tutorial_files,
        deploy=steps(("../.venv/bin/chalice", "deploy"), cwd="echo-server"),
        delete=steps(("../.venv/bin/chalice", "delete"), cwd="echo-server"),
        quick=True,
    ),
)
