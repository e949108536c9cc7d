"""``wslab dev``: the chat deployed on the local AWS with its code as a folder, then watched.

The stack is deployed as ``wslab deploy --hot`` does it (the functions' code is
``lambda_src/`` itself, through the ``hot-reload`` bucket): the local AWS renews a
function's execution environments when a file of its folder changes, so the next message
runs the edited code. This command keeps watching the folder too, to say so: one line per
change, naming the files and the functions that run them from their next invocation.
Ctrl-C stops the watching; the local AWS and the stack stay, as after ``wslab deploy``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from wslab.cli.arguments import Subcommands

if TYPE_CHECKING:
    from wslab.deploy.stack import ChatStack

__all__ = ["add_parser", "reload_line"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from wslab.deploy.stack import DEFAULT_STACK_NAME

    dev = commands.add_parser(
        "dev",
        help="deploy the chat to the local AWS with hot reload of lambda_src/, and watch it",
        description=(
            "Deploy cloudformation/template.yaml to the local AWS with the functions' code "
            "as the folder lambda_src/ itself (hot reload): a saved edit reaches the next "
            "invocation, without a deploy. Prints one line per change; Ctrl-C stops watching."
        ),
    )
    dev.add_argument("--endpoint-url", help="the local AWS (default: as wslab deploy finds it)")
    dev.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    dev.add_argument("--stage", default="prod")
    dev.add_argument(
        "--code-dir", help="the folder the functions run (default: the project's lambda_src/)"
    )
    dev.set_defaults(run=_run)


def reload_line(folder_files: list[str], functions: list[str]) -> str:
    """The line printed for one change: which files, which functions run them next."""
    shown = ", ".join(folder_files[:3]) + (
        f" and {len(folder_files) - 3} more" if len(folder_files) > 3 else ""
    )
    return f"reload: {shown} -> {', '.join(functions)}"


def _run(args: argparse.Namespace) -> None:
    import os

    from botocore.exceptions import EndpointConnectionError

    from wslab.aws import LOCAL_REGION, Target
    from wslab.deploy import project
    from wslab.deploy.stack import ChatStack, DeployError, deploy
    from wslab.local.process import ensure_running

    folder = Path(args.code_dir).resolve() if args.code_dir else project.lambda_src().resolve()
    if not folder.is_dir():
        raise SystemExit(f"wslab dev: {folder} is not a folder")
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or ensure_running()
    target = Target.local(endpoint, LOCAL_REGION)
    print(f"target: {endpoint}", flush=True)
    stack = ChatStack(target, args.stack_name)
    try:
        deploy(stack, stage=args.stage, code_dir=folder, hot_reload=True)
        functions = _functions_of(stack)
    except DeployError as error:
        raise SystemExit(f"wslab dev: {error}") from None
    except EndpointConnectionError as error:
        raise SystemExit(f"wslab dev: {error}; is wslab local running there?") from None
    print(f"watching {folder}{os.sep} (Ctrl-C to stop)", flush=True)
    _watch(folder, functions)
    print("stopped watching; the stack keeps running the folder's code", flush=True)


def _functions_of(stack: ChatStack) -> list[str]:
    pages = stack.client("cloudformation").get_paginator("list_stack_resources")
    return sorted(
        str(resource["PhysicalResourceId"])
        for page in pages.paginate(StackName=stack.stack_name)
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::Lambda::Function"
    )


def _watch(folder: Path, functions: list[str]) -> None:
    """Print a line per change until a stop signal (Ctrl-C, or a terminate)."""
    import signal

    from watchfiles import DefaultFilter, watch

    from wslab.local.platform import stop_signals

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    for signum in stop_signals():
        signal.signal(signum, stop)
    # Steps as the local AWS's own watch takes them: a save's several writes are one change.
    changes_seen = watch(folder, watch_filter=DefaultFilter(), debounce=300, step=30)
    try:
        for changes in changes_seen:
            files = sorted({Path(path).relative_to(folder).as_posix() for _, path in changes})
            print(reload_line(files, functions), flush=True)
    except KeyboardInterrupt:
        pass
