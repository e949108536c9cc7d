"""Serves deployed WebSocket API stages: connections, routes, @connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from wslab.lambda_runtime.service import LambdaService

__all__ = ["Gateway", "GatewaySettings"]


@dataclass(frozen=True)
class GatewaySettings:
    idle_timeout_s: float = 600.0
    max_connection_duration_s: float = 7200.0


class Gateway:
    def __init__(
        self, lambdas: LambdaService, settings: GatewaySettings, log: Callable[[str], None]
    ) -> None:
        self._lambdas = lambdas
        self._settings = settings
        self._log = log

    def serves(self, request: web.Request) -> bool:
        return False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPNotFound()

    async def close(self) -> None:
        return None
