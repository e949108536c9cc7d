"""The local AWS: one loopback port for every AWS API the tutorial calls.

:class:`LocalAWS` is the composition root: it puts moto's extensions in place, and wires
the control plane (``moto_ext``) to the WebSocket data plane (``gateway``) and the Lambda
runtime (``runtime``). It is awaitable and an async context manager::

    async with LocalAWS(port=0) as stack:
        print(stack.endpoint_url)        # what boto3 takes as endpoint_url

The port answers WebSocket upgrades and ``@connections`` calls for deployed WebSocket APIs
itself, serves the static pages it is given (``wslab local``: the browser chat page at
``/_wslab/chat/``), and hands everything else to
moto, called in-process.

What a stack creates lives in memory, in moto's backends: it is gone when the stack stops,
unless the stack is given a ``state_dir``, where it is saved within a second of each change
and on stop, and from where the next stack on that folder starts (``moto_ext/core/state.py``).
moto's backends are process-wide, so one stack at a time may run in a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from wslab import __version__
from wslab.local import moto_ext
from wslab.local.api_hosts import LOOKUP_PATH, LOOKUP_VARIABLE, host_of
from wslab.local.defaults import DEFAULT_LAMBDA_CONCURRENCY, DEFAULT_PORT, HEALTH_PATH
from wslab.local.gateway.server import Gateway, GatewaySettings
from wslab.local.moto_ext.apigatewayv2.models import localise_endpoints
from wslab.local.moto_ext.apigatewayv2.service_integrations import ServiceIntegrations
from wslab.local.moto_ext.core.control_plane import MotoControlPlane
from wslab.local.moto_ext.core.host import HOST
from wslab.local.moto_ext.core.moto_app import MotoApp
from wslab.local.moto_ext.core.state import StateDir, StateError, StateSaver
from wslab.local.pages import StaticFolder, add_static_folder
from wslab.local.runtime.debugging import DebugTarget
from wslab.local.runtime.service import LambdaService
from wslab.local.workdir import WorkDir, remove_orphans

__all__ = ["DEFAULT_PORT", "HEALTH_PATH", "LocalAWS", "StateError"]


# The credential scope of SigV4-signed CloudFormation calls.
_CLOUDFORMATION_SCOPE = "/cloudformation/aws4_request"


def _in_daemon_thread(work: Callable[[], None]) -> asyncio.Future[None]:
    """Run ``work`` in a thread that never delays the process's exit (unlike an executor's,
    which ``asyncio.run`` waits for): stopping must not wait for an import to finish."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            work()
        except BaseException as failure:
            error = failure
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name="load-cloudformation", daemon=True).start()
    return done


class _BatchedLines:
    """Lines for standard output, written once per turn of the event loop: a burst of
    messages costs one write, and no line is written before the frame it describes."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def __call__(self, line: str) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            print(line, flush=True)
            return
        if not self._pending:
            loop.call_soon_threadsafe(self.flush)
        self._pending.append(line)

    def flush(self) -> None:
        lines, self._pending = self._pending, []
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _OneLine(logging.Handler):
    """aiohttp logs a request it cannot even parse (garbage instead of HTTP, a header with
    a control character) with a traceback: here it is one line, the error's gist."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self._warn = warn

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        gist = " ".join(str(error).split())[:200] if error is not None else ""
        self._warn(f"wslab local: {record.getMessage()}" + (f": {gist}" if gist else ""))


class LocalAWS:
    """Starts on ``async with`` (or ``await``), stops on exit, leaving no process behind."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        lambda_concurrency: int = DEFAULT_LAMBDA_CONCURRENCY,
        gateway_settings: GatewaySettings | None = None,
        log: Callable[[str], None] | None = None,
        warn: Callable[[str], None] | None = None,
        pages: Mapping[str, StaticFolder] | None = None,
        debug: DebugTarget | None = None,
        state_dir: Path | None = None,
        reset_state: bool = False,
    ) -> None:
        """``log``: where access-log and function lines go (standard output, batched);
        ``warn``: where warnings about the stack itself go (standard error); ``pages``:
        static folders to serve, by URL path (``wslab local`` serves the chat page);
        ``debug``: the function whose environment runs under a debugger, waited for
        without timeouts; ``state_dir``: where what is created is kept across a stop and a
        start (``reset_state``: forgetting what it held); a state that cannot be loaded stops
        the start with :class:`StateError`."""
        self._host = host
        self._requested_port = port
        self._lambda_concurrency = lambda_concurrency
        self._debug = debug
        self._gateway_settings = dataclasses.replace(
            gateway_settings or GatewaySettings(),
            debugged_function=debug.function if debug is not None else None,
        )
        self._pages = dict(pages or {})
        self._batched = _BatchedLines() if log is None else None
        self._log: Callable[[str], None] = log or self._batched or print
        self._warn: Callable[[str], None] = warn or _to_stderr
        self._runner: web.AppRunner | None = None
        self._work_dir: WorkDir | None = None
        self._port: int | None = None
        self._started_at = 0.0
        self._cloudformation_ready: asyncio.Future[None] | None = None
        self._state = StateDir(state_dir) if state_dir is not None else None
        self._reset_state = reset_state
        self._saver: StateSaver | None = None
        self.restored = False
        """Whether the stack started from a saved state."""
        self._aiohttp_log = _OneLine(self._warn)
        self._control: MotoControlPlane | None = None
        self._moto: MotoApp | None = None
        self.lambdas: LambdaService | None = None
        self.gateway: Gateway | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the local AWS is not started")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._batched is not None:
            self._batched.bind(loop)
        if self._state is not None:
            self._state.prepare(reset=self._reset_state)
        if self._state is not None and self._state.has_state():
            # A saved state holds CloudFormation's models (and the extensions' classes):
            # everything is installed before it is read, and it is read before any call.
            await asyncio.to_thread(moto_ext.install)
            self.restored = await asyncio.to_thread(self._state.load)
            self._cloudformation_ready = loop.create_future()
            self._cloudformation_ready.set_result(None)
        else:
            # moto builds a service's URL map on its first request: extend it before that.
            moto_ext.install(cloudformation=False)
            # moto's CloudFormation takes seconds to import (it loads every service it
            # models): it loads in the background, and only CloudFormation calls wait.
            self._cloudformation_ready = _in_daemon_thread(moto_ext.install_cloudformation)
        self._started_at = time.monotonic()
        aiohttp_logger = logging.getLogger("aiohttp")
        aiohttp_logger.addHandler(self._aiohttp_log)
        aiohttp_logger.propagate = False
        self._control = MotoControlPlane()
        self._moto = MotoApp(self._control)
        # Room for what Lambda refuses with its own error (a 50 MB zip is ~67 MB in base64).
        app = web.Application(client_max_size=128 * 1024 * 1024)
        app.router.add_get(HEALTH_PATH, self._health)
        for url_path, folder in self._pages.items():
            add_static_folder(app.router, url_path, folder)
        app.router.add_get(LOOKUP_PATH, self._execute_api_hosts)
        app.router.add_get(LOOKUP_PATH + "{host}", self._execute_api_host)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        # Folders of stacks that were killed (their owner is gone) go first.
        remove_orphans()
        self._work_dir = WorkDir.create()
        self.lambdas = LambdaService(
            self._work_dir.path,
            code=self._control,
            logs=self._control,
            credentials=self._control,
            endpoint_environment={
                # What the SDK inside a function needs to reach this stack, not AWS.
                "AWS_ENDPOINT_URL": self.endpoint_url,
                # Management clients are built from the event's https://{domainName}/{stage},
                # as on AWS, which sets no AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI: the
                # worker's redirect (api_hosts.py) sends them here, the one mechanism.
                LOOKUP_VARIABLE: self.endpoint_url + LOOKUP_PATH,
            },
            default_concurrency=self._lambda_concurrency,
            echo=lambda function, line: self._log(f"[{function}] {line}"),
            warn=self._warn,
            functions=self._control,
            debug=self._debug,
        )
        self._control.on_functions_changed(self.lambdas.functions_changed)
        HOST.attach(self, f"{self._host}:{self._port}", self.lambdas.invoke, loop)
        await self._control.ready()  # snapshots built off the loop, before the gateway reads
        localise_endpoints()
        self.gateway = Gateway(
            self.lambdas.invoke,
            self._control,
            self._gateway_settings,
            self._log,
            services=ServiceIntegrations(self._moto, self._control),
        )
        if self._state is not None:
            self._saver = StateSaver(self._state, self._warn)

    def _save_last(self) -> None:
        """The last save: with the functions' last log lines, which the state keeps."""
        assert self._saver is not None
        if self._control is not None:
            self._control.flush_logs()
        self._saver.stop()
        self._saver = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "service": "wslab-local",
                "pid": os.getpid(),
                "version": __version__,
                "endpoint_url": self.endpoint_url,
                "uptime_s": round(time.monotonic() - self._started_at, 3),
            }
        )

    def _api_hosts(self) -> dict[str, str]:
        """Each WebSocket API's AWS host -> where a worker sends its requests instead."""
        assert self._control is not None, "started"
        regions = self._control.websocket_api_regions()
        return {
            host_of(api, region): f"{self.endpoint_url}/{api}" for api, region in regions.items()
        }

    async def _execute_api_hosts(self, request: web.Request) -> web.Response:
        return web.json_response({"hosts": self._api_hosts()})

    async def _execute_api_host(self, request: web.Request) -> web.Response:
        endpoint = self._api_hosts().get(request.match_info["host"].lower().rstrip("."))
        if endpoint is None:
            return web.json_response({"message": "Not an API of this stack"}, status=404)
        return web.json_response({"endpoint": endpoint})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if self.gateway is not None and self.gateway.serves(request):
            return await self.gateway.handle(request)
        ready = self._cloudformation_ready
        if ready is not None and _CLOUDFORMATION_SCOPE in request.headers.get("Authorization", ""):
            await asyncio.shield(ready)
        assert self._moto is not None, "started"
        return await self._moto.handle(request)

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()
            self.gateway = None
        HOST.detach(self)
        if self.lambdas is not None:
            await self.lambdas.close()
            self.lambdas = None
        if self._saver is not None:
            # Before the port closes: whoever waits for it to close (stop_background, a
            # restart on the same port) then finds every change saved.
            await asyncio.to_thread(self._save_last)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._moto is not None:
            self._moto.close()
            self._moto = None
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._state is not None:
            self._state.release()
        if self._work_dir is not None:
            self._work_dir.remove()
            self._work_dir = None
        if self._batched is not None:
            self._batched.flush()
        aiohttp_logger = logging.getLogger("aiohttp")
        aiohttp_logger.removeHandler(self._aiohttp_log)
        aiohttp_logger.propagate = True

    def __await__(self) -> Generator[Any, None, LocalAWS]:
        """``stack = await LocalAWS(port=0)``: started; ``await stack.stop()`` ends it."""

        async def started() -> LocalAWS:
            await self.start()
            return self

        return started().__await__()

    async def __aenter__(self) -> LocalAWS:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
