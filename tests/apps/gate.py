"""``make apps``: public WebSocket apps written for AWS, deployed unchanged on ``wslab local``.

Each app under ``apps/`` (vendored with its LICENSE and ORIGIN) is installed, deployed and
deleted by the tool its README names (SAM CLI, the CDK CLI, Chalice, its own boto3 script),
with nothing set but the endpoint and dummy credentials; between the deploy and the delete,
real WebSocket clients hold the conversation its README documents (``probes.py``). After the
delete, the account must hold nothing more than before (``inventory.py``).

One fresh ``wslab local --port 0`` serves the whole run. The table printed at the end says,
per app, pass / expected-fail / FAIL / UNEXPECTED PASS (``verdicts.py``, against
``expectations.toml``); the gate exits 1 on any unexpected result.

    python -m tests.apps.gate                  # every app
    python -m tests.apps.gate --quick          # the CI subset
    python -m tests.apps.gate NAME [NAME...]   # some

Working copies, the apps' npm packages and virtual environments live in ``.cache/apps/``
(ignored by git), kept between runs so that a second run installs nothing new.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3

from tests.apps import inventory, verdicts
from tests.apps.catalog import APPS, App, Step
from tests.support import scaled
from wslab.local import platform
from wslab.local.process import LocalAWSProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENDORED = ROOT / "apps"
CACHE = ROOT / ".cache" / "apps"
EXPECTATIONS = HERE / "expectations.toml"
# Kept in a working copy between runs: what the install steps download.
KEPT = {"node_modules", ".venv"}
TOOLS = {
    "sam": ROOT / ".venv-sam" / "bin" / "sam",
    "cdk": ROOT / "node_modules" / ".bin" / "cdk",
}
STEP_TIMEOUT_S = 600.0
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TELLING = re.compile(r"error|exception|failed|refused|denied|invalid|not supported", re.IGNORECASE)


class StepFailed(Exception):
    def __init__(self, error: str, output: str) -> None:
        super().__init__(error)
        self.error = error
        self.output = output


def telling_line(output: str) -> str:
    """The line of a failed command's output that says what went wrong: the last one that
    speaks of an error, else the last line."""
    lines = [line.strip() for line in ANSI.sub("", output).splitlines() if line.strip()]
    if not lines:
        return "(no output)"
    return next((line for line in reversed(lines) if TELLING.search(line)), lines[-1])[:300]


def environment(endpoint_url: str, region: str, venv: Path | None = None) -> dict[str, str]:
    """The user's environment with the endpoint and dummy credentials, and nothing of the
    user's own AWS configuration (profiles, SSO, a real account's keys); with ``venv``
    activated, as the READMEs that make one have it (``python3`` is then the venv's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    if venv is not None:
        env.update(VIRTUAL_ENV=str(venv), PATH=os.pathsep.join([str(venv / "bin"), env["PATH"]]))
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_CONFIG_FILE=str(CACHE / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(CACHE / "aws-credentials"),
        SAM_CLI_TELEMETRY="0",
        CDK_DISABLE_VERSION_CHECK="1",
        CI="true",  # no prompts, no progress bars, no "notices"
    )
    return env


def working_copy(app: App) -> Path:
    """A fresh copy of the vendored app, keeping what earlier installs downloaded."""
    work = CACHE / app.name
    work.mkdir(parents=True, exist_ok=True)
    for entry in work.iterdir():
        if entry.name not in KEPT:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(VENDORED / app.name, work, dirs_exist_ok=True)
    return work


def run(step: Step, app: App, work: Path, endpoint_url: str) -> str:
    words = {name: str(path) for name, path in TOOLS.items()}
    words.update(name=app.name, venv=str(work / ".venv" / "bin"), host_python=sys.executable)
    argv = [word.format(**words) for word in step.command]
    venv = work / ".venv"
    env = environment(endpoint_url, app.region, venv if venv.is_dir() else None)
    try:
        # A group of its own: on a timeout, what the tool started (npx, a synth, pip) goes too.
        child: subprocess.Popen[str] = subprocess.Popen(
            argv,
            cwd=work / step.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **platform.own_group(),
        )
    except OSError as missing:
        raise StepFailed(f"{' '.join(step.command)}: {missing}", str(missing)) from missing
    try:
        output, _ = child.communicate(timeout=scaled(STEP_TIMEOUT_S))
    except BaseException as stopped:  # a timeout, or Ctrl-C: the tool's whole group goes
        platform.kill_group(child.pid)
        output, _ = child.communicate()
        if not isinstance(stopped, subprocess.TimeoutExpired):
            raise
        message = f"{' '.join(step.command)}: no end after {stopped.timeout:.0f} s"
        raise StepFailed(message, output) from stopped
    if child.returncode != 0:
        raise StepFailed(telling_line(output), output)
    return output


def websocket_url(client: inventory.Client, apis_before: set[str], stage: str | None) -> str:
    """The local URL of the WebSocket API the deploy made (on AWS: its ``wss://`` URL)."""
    apigatewayv2 = client("apigatewayv2")
    made = [
        api
        for api in apigatewayv2.get_apis()["Items"]
        if api["ProtocolType"] == "WEBSOCKET" and api["ApiId"] not in apis_before
    ]
    if len(made) != 1:
        raise AssertionError(f"the deploy made {len(made)} WebSocket APIs, not one")
    stages = [s["StageName"] for s in apigatewayv2.get_stages(ApiId=made[0]["ApiId"])["Items"]]
    chosen = stage or (stages[0] if len(stages) == 1 else None)
    if chosen not in stages:
        raise AssertionError(f"no stage to connect to among {stages}")
    return f"{made[0]['ApiEndpoint']}/{chosen}"


def attempt(app: App, endpoint_url: str) -> verdicts.Outcome:
    """Install, deploy, probe, delete; the first phase that fails ends the run (after a
    delete, so that a failed app does not stay in the account for the next)."""
    work = working_copy(app)
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=app.region
    )

    def client(service: str) -> object:
        return session.client(service, endpoint_url=endpoint_url)

    failure: verdicts.Outcome | None = None
    try:
        for step in app.install:
            run(step, app, work, endpoint_url)
        if app.edit is not None:
            app.edit(work)
    except StepFailed as failed:
        return verdicts.Outcome("install", failed.error, failed.output)
    before = inventory.snapshot(client)
    apis_before = {name.split(":", 1)[1] for name in before if name.startswith("api:")}
    try:
        for step in app.deploy:
            run(step, app, work, endpoint_url)
        try:
            app.probe(websocket_url(client, apis_before, app.stage), client)
        except AssertionError as unheard:
            failure = verdicts.Outcome("probe", str(unheard), str(unheard))
    except StepFailed as failed:
        # A stack's first failed resource says more than the tool's "ROLLBACK_COMPLETE".
        reason = inventory.first_stack_failure(client, before)
        error = f"{failed.error} [{reason}]" if reason else failed.error
        failure = verdicts.Outcome("deploy", error, f"{failed.output}\n{reason}")
    try:
        for step in app.delete:
            run(step, app, work, endpoint_url)
    except StepFailed as failed:
        return failure or verdicts.Outcome("delete", failed.error, failed.output)
    left = sorted(inventory.snapshot(client) - before)
    if failure is None and left:
        failure = verdicts.Outcome(
            "leftovers", f"left after delete: {', '.join(left)}", "\n".join(left)
        )
    return failure or verdicts.Outcome(None)


def missing_tools() -> list[str]:
    return [f"{name} ({path})" for name, path in TOOLS.items() if not path.exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="apps to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="only the apps marked quick (CI)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - {app.name for app in APPS}
    if unknown:
        parser.error(f"no such app: {', '.join(sorted(unknown))}")
    chosen = [
        app
        for app in APPS
        if (not args.names or app.name in args.names) and (app.quick or not args.quick)
    ]
    if missing_tools():
        print(f"apps gate: missing {', '.join(missing_tools())}: run `make apps`", file=sys.stderr)
        return 2
    expected = verdicts.load(EXPECTATIONS)
    CACHE.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[App, verdicts.Verdict, float]] = []
    with LocalAWSProcess(port=0, log_file=CACHE / "wslab-local.log") as stack:
        print(f"apps gate: wslab local on {stack.endpoint_url}", flush=True)
        for app in chosen:
            print(f"apps gate: {app.name} ({app.tool})...", flush=True)
            started = time.monotonic()
            outcome = attempt(app, stack.endpoint_url)
            rows.append(
                (app, verdicts.judge(outcome, expected.get(app.name)), time.monotonic() - started)
            )
    print(table(rows))
    unexpected = [app.name for app, verdict, _ in rows if verdict.unexpected]
    if unexpected:
        print(f"apps gate: unexpected result for {', '.join(unexpected)}", file=sys.stderr)
        return 1
    print(f"apps gate: {len(rows)} apps as expected")
    return 0


def table(rows: list[tuple[App, verdicts.Verdict, float]]) -> str:
    header = ("app", "deploy tool", "language", "result", "time", "why")
    lines = [
        (app.name, app.tool, app.language, verdict.label, f"{seconds:.0f} s", verdict.detail)
        for app, verdict, seconds in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header) - 1)]
    return "\n".join(
        " | ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]
        )
        for row in [header, *lines]
    )


if __name__ == "__main__":
    sys.exit(main())
