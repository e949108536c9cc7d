"""The ``wslab`` command."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from wslab import __version__
from wslab.local.process import loopback_without_proxy

__all__ = ["main"]


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def _port_number(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number, 1 to 65535, got {value}")
    return number


def _parser() -> argparse.ArgumentParser:
    from wslab.local.defaults import DEFAULT_LAMBDA_CONCURRENCY, DEFAULT_PORT
    from wslab.local.gateway.frames import IDLE_TIMEOUT_SECONDS, MAX_CONNECTION_SECONDS

    parser = argparse.ArgumentParser(prog="wslab", description=__doc__)
    parser.add_argument("--version", action="version", version=f"wslab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser(
        "local",
        help="run the local AWS (moto + WebSocket data plane + Lambda runtime) in the foreground",
        description=(
            "Run the local AWS on 127.0.0.1 until Ctrl-C. The first line printed is "
            "AWS_ENDPOINT_URL=http://127.0.0.1:<port>; point boto3 there."
        ),
    )
    local.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    local.add_argument(
        "--lambda-concurrency",
        type=int,
        default=DEFAULT_LAMBDA_CONCURRENCY,
        help=(
            "execution environments per function without reserved concurrency "
            f"(default {DEFAULT_LAMBDA_CONCURRENCY})"
        ),
    )
    local.add_argument(
        "--idle-timeout",
        type=_positive,
        default=float(IDLE_TIMEOUT_SECONDS),
        help=(
            "seconds without traffic before a WebSocket connection is closed "
            f"(AWS: {IDLE_TIMEOUT_SECONDS})"
        ),
    )
    local.add_argument(
        "--max-connection-duration",
        type=_positive,
        default=float(MAX_CONNECTION_SECONDS),
        help=f"seconds a WebSocket connection may last (AWS: {MAX_CONNECTION_SECONDS})",
    )
    _add_deploy_parser(commands)
    demo = commands.add_parser(
        "demo",
        help="run the whole chat offline: local AWS, template deployed, a conversation",
        description=(
            "Start the local AWS (or use the one on --port), deploy the chat from "
            "cloudformation/template.yaml, play a conversation between three people in two "
            "rooms, then keep the chat up for you to join until Ctrl-C, and clean up."
        ),
    )
    demo.add_argument("--port", type=int, default=DEFAULT_PORT)
    demo.add_argument("--once", action="store_true", help="stop after the conversation")
    doctor = commands.add_parser(
        "doctor",
        help="check that this machine (or, with WSLAB_TARGET=aws, this AWS account) is ready",
        description=(
            "A pre-class check, one PASS or FAIL line each, within 60 s: Python, the install, "
            "the tutorial's files, a free port, the local AWS, one WebSocket round trip; with "
            "WSLAB_TARGET=aws: the credentials, the IAM rights the notebooks need, and API "
            "Gateway's CloudWatch Logs role. Exits 1 if any check fails."
        ),
    )
    doctor.add_argument(
        "--port",
        type=_port_number,
        default=DEFAULT_PORT,
        help=f"the port the notebooks use (default {DEFAULT_PORT})",
    )
    chat = commands.add_parser(
        "chat",
        help="a terminal chat client for the deployed chat",
        description="Chat from the terminal: type a message and Enter; /join ROOM; /quit.",
    )
    chat.add_argument("url", help="the WebSocketURL output of the stack")
    chat.add_argument("--room", help="room to join (default: the stack's default room)")
    chat.add_argument("--token", help="a token, when the stack has the authorizer")
    return parser


def _add_deploy_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from wslab.deploy.stack import DEFAULT_STACK_NAME

    deploy = commands.add_parser(
        "deploy",
        help="package lambda_src/, upload it and create or update the CloudFormation stack",
        description=(
            "Deploy cloudformation/template.yaml with the handlers of lambda_src/. By default "
            "to the local AWS (AWS_ENDPOINT_URL, or the stack on the default port, started in "
            "the background if none answers); with --aws to the account and region of your "
            "usual AWS configuration (this creates billable resources)."
        ),
    )
    where = deploy.add_mutually_exclusive_group()
    where.add_argument("--aws", action="store_true", help="deploy to AWS itself")
    where.add_argument("--endpoint-url", help="the local AWS to deploy to")
    deploy.add_argument("--region", help="region (default: us-east-1 locally, else your config)")
    deploy.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    deploy.add_argument("--stage", default="prod")
    deploy.add_argument(
        "--with-authorizer",
        action="store_true",
        help="require a signed token on $connect (creates the signing key in Secrets Manager)",
    )
    deploy.add_argument("--allowed-origins", default="", help="comma-separated Origin allowlist")
    deploy.add_argument(
        "--access-logging",
        action="store_true",
        help=(
            "write the stage's access logs (needs the account's API Gateway CloudWatch Logs "
            "role: cloudformation/apigateway-account.yaml)"
        ),
    )
    deploy.add_argument(
        "--delete",
        action="store_true",
        help="delete the stack, its artifact bucket and its token secret instead",
    )


def _deploy(args: argparse.Namespace) -> None:
    import os

    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    from wslab.aws import LOCAL_REGION, Target, TargetError
    from wslab.deploy.stack import ChatStack, DeployError, delete, deploy
    from wslab.local.process import ensure_running

    if args.aws:
        try:
            target = Target.aws(args.region)
        except TargetError as error:
            raise SystemExit(f"wslab deploy --aws: {error}; or pass --region") from None
    else:
        endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or ensure_running()
        target = Target.local(endpoint, args.region or LOCAL_REGION)
    where = target.endpoint_url or f"AWS ({target.region})"
    print(f"target: {where}", flush=True)
    stack = ChatStack(target, args.stack_name)
    try:
        if args.delete:
            delete(stack)
        else:
            deploy(
                stack,
                stage=args.stage,
                with_authorizer=args.with_authorizer,
                allowed_origins=args.allowed_origins,
                access_logging=args.access_logging,
            )
    except DeployError as error:
        raise SystemExit(f"wslab deploy: {error}") from None
    except EndpointConnectionError as error:
        hint = "is wslab local running there?" if target.is_local else "check your network"
        raise SystemExit(f"wslab deploy: {error}; {hint}") from None
    except NoCredentialsError:
        raise SystemExit(
            "wslab deploy --aws: no AWS credentials found (aws configure, or AWS_PROFILE)"
        ) from None


def _skip_slow_optional_imports() -> None:
    """moto's CloudFormation imports jsonschema, whose format checkers import rfc3987-syntax
    when it is installed (JupyterLab brings it): that compiles a grammar for seconds at
    start-up, for IRI formats that nothing in the local stack checks. Without it, jsonschema
    simply doesn't check those formats."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


async def _serve_local(args: argparse.Namespace) -> None:
    from wslab.client.page import CHAT_PAGE
    from wslab.local.defaults import CHAT_PAGE_PATH
    from wslab.local.gateway.server import GatewaySettings
    from wslab.local.stack import LocalAWS

    # moto's request threads share the interpreter with the event loop that carries every
    # WebSocket frame: hand it back sooner than the default 5 ms.
    sys.setswitchinterval(0.0005)
    stack = LocalAWS(
        port=args.port,
        lambda_concurrency=args.lambda_concurrency,
        gateway_settings=GatewaySettings(
            idle_timeout_s=args.idle_timeout,
            max_connection_duration_s=args.max_connection_duration,
        ),
        pages={CHAT_PAGE_PATH: CHAT_PAGE},
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stack.start()
    except OSError as error:
        await stack.stop()
        raise SystemExit(f"wslab local: cannot listen on 127.0.0.1:{args.port}: {error}") from None
    print(f"AWS_ENDPOINT_URL={stack.endpoint_url}", flush=True)
    print(
        f"wslab local {__version__}: ready on {stack.endpoint_url} (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    print(
        "wslab local: what you create here (tables, functions, APIs, stacks, connections) "
        "lives in this process's memory only: it is gone when it stops, and a new start "
        "begins empty.",
        file=sys.stderr,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await stack.stop()
        print("wslab local: stopped", file=sys.stderr, flush=True)
        # Everything is stopped; the process only has to end. Its last garbage collection
        # would walk every object moto and thousands of closed connections left (over a
        # second with 10,000): none of them needs collecting now.
        gc.disable()
        gc.freeze()


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed (Linux, macOS): the stack's every hop is an
    event-loop turn, and uvloop's are cheaper. The standard loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    loopback_without_proxy()  # the local AWS, its workers and clients are never behind a proxy
    if args.command == "local":
        _skip_slow_optional_imports()
        _run_fast(_serve_local(args))
    elif args.command == "deploy":
        _deploy(args)
    elif args.command == "demo":
        from wslab.cli.demo import run_demo

        run_demo(args.port, args.once, say=lambda line: print(line, flush=True))
    elif args.command == "doctor":
        from wslab.doctor import run_doctor

        try:
            status = run_doctor(args.port, say=lambda line: print(line, flush=True))
        except KeyboardInterrupt:  # what it started is stopped on the way out
            status = 130
        raise SystemExit(status)
    elif args.command == "chat":
        from wslab.client.chat import run_terminal
        from wslab.client.errors import ChatUnavailable

        try:
            run_terminal(args.url, room=args.room, token=args.token)
        except ChatUnavailable as error:
            raise SystemExit(f"wslab chat: {error}") from None
        except KeyboardInterrupt:
            raise SystemExit(130) from None
