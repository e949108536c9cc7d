"""``wslab local``: the local AWS in the foreground, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from wslab import __version__
from wslab.cli.arguments import Subcommands, positive
from wslab.local.platform import on_stop_signals

__all__ = ["add_parser"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from wslab.local.defaults import DEFAULT_LAMBDA_CONCURRENCY, DEFAULT_PORT
    from wslab.local.gateway.frames import IDLE_TIMEOUT_SECONDS, MAX_CONNECTION_SECONDS

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
        type=positive,
        default=float(IDLE_TIMEOUT_SECONDS),
        help=(
            "seconds without traffic before a WebSocket connection is closed "
            f"(AWS: {IDLE_TIMEOUT_SECONDS})"
        ),
    )
    local.add_argument(
        "--max-connection-duration",
        type=positive,
        default=float(MAX_CONNECTION_SECONDS),
        help=f"seconds a WebSocket connection may last (AWS: {MAX_CONNECTION_SECONDS})",
    )
    local.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help=(
            "keep what is created (tables and items, functions, APIs, stacks, IAM, secrets, "
            "S3, logs) in DIR: saved within a second of each change and on stop, loaded on "
            "the next start (default: in memory only)"
        ),
    )
    local.add_argument(
        "--reset",
        action="store_true",
        help="with --state-dir: forget the saved state and start empty",
    )
    local.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    _skip_slow_optional_imports()
    _run_fast(_serve_local(args))


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
    from wslab.local.stack import LocalAWS, StateError

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
        state_dir=args.state_dir,
        reset_state=args.reset,
    )
    if args.reset and args.state_dir is None:
        raise SystemExit("wslab local: --reset needs --state-dir DIR (the folder to empty)")
    stop = asyncio.Event()
    on_stop_signals(asyncio.get_running_loop(), stop.set)
    try:
        await stack.start()
    except StateError as error:
        await stack.stop()
        raise SystemExit(f"wslab local: {error}") from None
    except OSError as error:
        await stack.stop()
        raise SystemExit(f"wslab local: cannot listen on 127.0.0.1:{args.port}: {error}") from None
    print(f"AWS_ENDPOINT_URL={stack.endpoint_url}", flush=True)
    print(
        f"wslab local {__version__}: ready on {stack.endpoint_url} (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    print(_persistence_banner(args.state_dir, stack.restored), file=sys.stderr, flush=True)
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


def _persistence_banner(state_dir: Path | None, restored: bool) -> str:
    if state_dir is None:
        return (
            "wslab local: what you create here (tables, functions, APIs, stacks, connections) "
            "lives in this process's memory only: it is gone when it stops, and a new start "
            "begins empty."
        )
    where = "restored from" if restored else "saved in"
    return (
        f"wslab local: what you create here is {where} {state_dir} (saved within a second of "
        "each change and on stop); open WebSocket connections do not survive a restart. "
        "--reset starts empty."
    )


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed (Linux, macOS): the stack's every hop is an
    event-loop turn, and uvloop's are cheaper. The standard loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)
