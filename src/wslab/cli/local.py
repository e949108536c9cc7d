"""``wslab local``: the local AWS in the foreground, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wslab import __version__
from wslab.cli.arguments import Subcommands, positive
from wslab.local.platform import on_stop_signals

if TYPE_CHECKING:
    from wslab.local.runtime.debugging import DebugTarget

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
        "--debug",
        metavar="FUNCTION[:PORT]",
        help=(
            "run this function under a debugger: debugpy (Python, port 5678) or Node.js's "
            "inspector (port 9229) on 127.0.0.1, one environment, no timeouts while paused "
            "(also WSLAB_DEBUG=FUNCTION[:PORT])"
        ),
    )
    local.add_argument(
        "--debug-source",
        metavar="DIR",
        type=Path,
        help=(
            "the folder the debugged function was deployed from, where your editor sets "
            "breakpoints (default: found among ., ./lambda_src, ./src and the project's "
            "lambda_src)"
        ),
    )
    local.add_argument(
        "--background",
        action="store_true",
        help=(
            "start it in the background (or find the one already on --port), print its "
            "AWS_ENDPOINT_URL= line and the chat page's address, and return; it logs to "
            "wslab-local-<port>.log in the temporary folder and runs until stopped"
        ),
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


def _source_roots(given: Path | None) -> tuple[Path, ...]:
    if given is not None:
        if not given.is_dir():
            raise SystemExit(f"wslab local: --debug-source {given}: no such folder")
        return (given.resolve(),)
    from wslab.deploy.project import ProjectFileMissing, lambda_src

    here = Path.cwd()
    roots = [here, here / "lambda_src", here / "src"]
    with contextlib.suppress(ProjectFileMissing):
        roots.append(lambda_src())
    return tuple(roots)


def _debug_target(args: argparse.Namespace) -> DebugTarget | None:
    """``--debug``, else ``WSLAB_DEBUG``; one readable line when it is malformed."""
    from wslab.local.runtime.debugging import DEBUG_VARIABLE, BadDebugTarget, DebugTarget

    value = args.debug or os.environ.get(DEBUG_VARIABLE, "").strip()
    if not value:
        return None
    try:
        return DebugTarget.parse(value, _source_roots(args.debug_source))
    except BadDebugTarget as bad:
        raise SystemExit(f"wslab local: --debug: {bad}") from None


def _announce_debugging(target: DebugTarget) -> None:
    from wslab.local.runtime.debugging import DEFAULT_NODE_PORT, DEFAULT_PYTHON_PORT

    if target.port is None:
        where = (
            f"debugpy on 127.0.0.1:{DEFAULT_PYTHON_PORT} (Python) or Node.js's inspector "
            f"on 127.0.0.1:{DEFAULT_NODE_PORT}"
        )
    else:
        where = f"a debugger on 127.0.0.1:{target.port}"
    print(
        f"wslab local: debugging {target.function}: its environment starts with its first "
        f"invocation, one at a time, with {where}; attach with VS Code's "
        "'wslab: attach to a Python handler' (or '... Node.js handler'). While it is paused "
        "no timeout fires here (on AWS, API Gateway's 29 s and the function's own would).",
        file=sys.stderr,
        flush=True,
    )


def _run(args: argparse.Namespace) -> None:
    if args.background:
        _start_in_background(args)
        return
    _skip_slow_optional_imports()
    _run_fast(_serve_local(args))


def _start_in_background(args: argparse.Namespace) -> None:
    """For a container's start script: the stack outlives this command, and the notebooks
    find it on its port as if one of them had started it."""
    from wslab.local.process import LocalAWSStartError, ensure_running

    extra = [
        f"--lambda-concurrency={args.lambda_concurrency}",
        f"--idle-timeout={args.idle_timeout}",
        f"--max-connection-duration={args.max_connection_duration}",
        *(["--state-dir", str(args.state_dir)] if args.state_dir else []),
        *(["--reset"] if args.reset else []),
    ]
    try:
        endpoint_url = ensure_running(args.port, extra_args=extra)
    except LocalAWSStartError as error:
        raise SystemExit(f"wslab local: {error}") from None
    print(f"AWS_ENDPOINT_URL={endpoint_url}", flush=True)
    _print_chat_page(endpoint_url)


def _print_chat_page(endpoint_url: str) -> None:
    """Where a browser finds the chat page: behind a Jupyter server's proxy or in a
    codespace, not where the stack listens."""
    from wslab.client.forwarding import browser_address

    address = browser_address(endpoint_url, os.environ)
    on = " (a path on the Jupyter server's address)" if address.where == "jupyter proxy" else ""
    print(f"wslab local: the chat page: {address.page()}{on}", file=sys.stderr, flush=True)


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
    debug = _debug_target(args)
    stack = LocalAWS(
        port=args.port,
        lambda_concurrency=args.lambda_concurrency,
        gateway_settings=GatewaySettings(
            idle_timeout_s=args.idle_timeout,
            max_connection_duration_s=args.max_connection_duration,
        ),
        pages={CHAT_PAGE_PATH: CHAT_PAGE},
        debug=debug,
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
    _print_chat_page(stack.endpoint_url)
    print(_persistence_banner(args.state_dir, stack.restored), file=sys.stderr, flush=True)
    if debug is not None:
        _announce_debugging(debug)
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
