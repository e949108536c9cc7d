"""Forwards AWS API calls to moto's server, unchanged.

moto's own threaded server answers every control-plane call on a private loopback port;
the local stack's single public port forwards to it whatever the WebSocket data plane does
not serve itself, so boto3 needs one endpoint for everything.
"""

from __future__ import annotations

import logging

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from moto.server import ThreadedMotoServer
from multidict import CIMultiDict
from yarl import URL

__all__ = ["MotoProxy"]

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
_NOT_ADDED = ("Content-Type", "User-Agent", "Accept-Encoding", "Accept")


class MotoProxy:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._session: ClientSession | None = None
        self._base = ""

    async def start(self) -> None:
        # The stack prints its own access log; werkzeug's would repeat every AWS call.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # aiohttp warns when a client asks for a subprotocol $connect did not choose; the
        # refusal is API Gateway's behaviour, not a fault of the stack.
        logging.getLogger("aiohttp.websocket").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._base = f"http://{host}:{port}"
        self._session = ClientSession(
            connector=TCPConnector(limit=0),
            auto_decompress=False,
            # Lambda Invoke holds the call open for as long as the function runs.
            timeout=ClientTimeout(total=None, sock_connect=10),
        )

    async def forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None, "start() first"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        async with self._session.request(
            request.method,
            URL(self._base + request.raw_path, encoded=True),
            headers=headers,
            data=body if body else None,
            skip_auto_headers=_NOT_ADDED,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            passed = CIMultiDict(
                (name, value)
                for name, value in upstream.headers.items()
                if name.lower() not in _HOP_BY_HOP
            )
            return web.Response(status=upstream.status, body=payload, headers=passed)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._server.stop()
