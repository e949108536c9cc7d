"""The local AWS: one loopback port for every AWS API the tutorial calls.

``LocalAWS`` is an async context manager. Inside it, ``endpoint_url`` is what boto3 takes
as ``endpoint_url`` (or ``AWS_ENDPOINT_URL``). The port answers:

- WebSocket upgrades and ``@connections`` calls for deployed WebSocket APIs (the data plane);
- everything else through moto, extended with API Gateway v2 deployments and a Lambda
  ``Invoke`` that runs the deployed code in local execution environments.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from aiohttp import web

from wslab import __version__
from wslab.gateway.server import Gateway, GatewaySettings
from wslab.lambda_runtime.service import LambdaService

from . import apigatewayv2, lambda_backend
from .defaults import DEFAULT_PORT, HEALTH_PATH
from .moto_proxy import MotoProxy

__all__ = ["DEFAULT_PORT", "HEALTH_PATH", "LocalAWS"]


# The credential scope of SigV4-signed CloudFormation calls.
_CLOUDFORMATION_SCOPE = "/cloudformation/aws4_request"


def _install_cloudformation() -> None:
    from . import cloudformation

    cloudformation.install()


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


def _print(line: str) -> None:
    print(line, flush=True)


class LocalAWS:
    """Starts on ``async with`` (or ``await start()``), stops on exit, leaving no process."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        lambda_concurrency: int = 10,
        gateway_settings: GatewaySettings | None = None,
        log: Callable[[str], None] = _print,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._lambda_concurrency = lambda_concurrency
        self._gateway_settings = gateway_settings or GatewaySettings()
        self._log = log
        self._moto = MotoProxy()
        self._runner: web.AppRunner | None = None
        self._work_dir: Path | None = None
        self._port: int | None = None
        self._started_at = 0.0
        self._cloudformation_ready: asyncio.Future[None] | None = None
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
        # moto builds a service's URL map on its first request: extend it before that.
        apigatewayv2.install()
        lambda_backend.install()
        # moto's CloudFormation takes seconds to import (it loads every service it models):
        # it loads in the background, and only CloudFormation calls wait for it.
        self._cloudformation_ready = _in_daemon_thread(_install_cloudformation)
        self._started_at = time.monotonic()
        await self._moto.start()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(HEALTH_PATH, self._health)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        apigatewayv2.set_public_endpoint(f"{self._host}:{self._port}")
        self._work_dir = Path(tempfile.mkdtemp(prefix="wslab-local-"))
        self.lambdas = LambdaService(
            self._work_dir,
            endpoint_url=self.endpoint_url,
            management_endpoint_url=self.endpoint_url,
            default_concurrency=self._lambda_concurrency,
            echo=lambda function, line: self._log(f"[{function}] {line}"),
        )
        lambda_backend.attach_runtime(self.lambdas, asyncio.get_running_loop())
        self.gateway = Gateway(self.lambdas, self._gateway_settings, self._log)

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

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if self.gateway is not None and self.gateway.serves(request):
            return await self.gateway.handle(request)
        ready = self._cloudformation_ready
        if ready is not None and _CLOUDFORMATION_SCOPE in request.headers.get("Authorization", ""):
            await asyncio.shield(ready)
        return await self._moto.forward(request)

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()
            self.gateway = None
        lambda_backend.detach_runtime()
        if self.lambdas is not None:
            await self.lambdas.close()
            self.lambdas = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._moto.stop()
        apigatewayv2.set_public_endpoint(None)
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None

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
