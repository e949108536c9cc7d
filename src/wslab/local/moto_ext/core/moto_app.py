"""moto's server application, called in-process: every AWS call the data plane does not serve.

moto's own server (werkzeug) answers each call on a connection of its own and closes it
(``Connection: close``), so forwarding to it cost a new TCP connection, a second HTTP
parse and a thread hand-off per call. Here the stack's front end builds the WSGI environ
werkzeug would have built (see :func:`wsgi_environ`) and calls moto's dispatcher,
``DomainDispatcherApplication``, directly on a thread pool: moto sees the same request,
boto3 keeps its one keep-alive connection to the stack.

The same place makes moto safe to share: each call holds its service's lock (moto's
backends are plain objects; DynamoDB's ``UpdateItem`` must be atomic as it is on AWS), and
each call that changes a service bumps its change counter and, once it has released the
service's lock, rebuilds the control plane's snapshots of that service (``snapshots.py``),
which the event loop reads without a lock. The calls of one service run one after another
on a thread of their own (its lane): they would wait for the lock anyway, and dozens of
threads queueing on one lock cost the interpreter more than the calls themselves. Lambda
``Invoke`` takes no lane and no lock: it waits for the function, which may call any
service, Lambda included.
It is also where IAM looks first: a call signed with a role's temporary credentials that
the role may not make is refused before moto runs it (``iam.enforcement``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, unquote

from aiohttp import web
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from multidict import CIMultiDict

from wslab.local.headers import HOP_BY_HOP, sigv4_credential
from wslab.local.moto_ext.core.control_plane import EVERY_SERVICE, MotoControlPlane
from wslab.local.moto_ext.core.host import HOST, MotoHost
from wslab.local.moto_ext.iam.enforcement import IamEnforcement

__all__ = ["MotoApp", "service_of", "wsgi_environ"]

_LAMBDA_INVOCATION = re.compile(r"^/[^/]+/functions/[^/]+/invocations")
_READ_ONLY_ACTIONS = ("Describe", "List", "Get", "Validate", "Estimate")
# Calls whose effects reach other services' state (a stack creates tables, functions,
# APIs), or that reset everything.
_CHANGES_EVERYTHING = {"cloudformation", "moto-api"}
# Services whose calls see the log lines of invocations that ended before them: a read of
# the logs, and CloudFormation, whose stacks delete their log groups (lines stored after
# that would make the group again).
_STORES_LOGS_FIRST = {"logs", "cloudformation"}
# Lambda Invoke can run for up to 15 minutes, holding a thread: leave room for many.
_INVOCATION_THREADS = 256


def service_of(headers: Any, path: str) -> str:
    """The AWS service a request is for: the SigV4 credential scope names it."""
    if path.startswith("/moto-api"):
        return "moto-api"
    credential = sigv4_credential(headers.get("Authorization"))
    return credential.service if credential else "unsigned"


def _latin1(text: str) -> str:
    # PEP 3333: environ strings carry bytes as latin-1, as werkzeug's server writes them.
    return text.encode("utf-8").decode("latin-1")


def wsgi_environ(
    method: str,
    raw_path: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    remote: str,
    server: tuple[str, int],
) -> dict[str, Any]:
    """The environ moto's own server (werkzeug's ``make_environ`` under moto's
    ``MotoRequestHandler``) builds for this request."""
    import io
    import sys

    path, _, query = raw_path.partition("?")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(path)),
        "QUERY_STRING": _latin1(query),
        "REQUEST_URI": _latin1(raw_path),
        "RAW_URI": _latin1(raw_path),
        "REMOTE_ADDR": remote,
        "REMOTE_PORT": 0,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
    }
    headers = list(headers)
    dashed = {environ_key_for_header(name) for name, _ in headers if "_" not in name}
    preserved: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered in ("content-length", "expect"):
            continue  # the body is whole and its length known: framing is done
        key = environ_key_for_header(name)
        if "_" in name:
            # werkzeug drops these (X_Foo would pass for X-Foo); moto restores S3 metadata.
            if not should_preserve_original_header_name(name) or key in dashed:
                continue
            preserved.setdefault(key, name)
        value = value.replace("\r\n", "")
        if key in environ and key.startswith("HTTP_"):
            value = f"{environ[key]},{value}"
        environ[key] = value
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return environ


def _changes_state(service: str, method: str, path: str, environ: dict[str, Any]) -> bool:
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    if service == "lambda" and _LAMBDA_INVOCATION.match(path):
        return False
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        # Query-protocol services (CloudFormation, IAM, STS): the Action says.
        body = environ["wsgi.input"].getvalue().decode("utf-8", "replace")
        action = (parse_qs(body).get("Action") or [""])[0]
        return not action.startswith(_READ_ONLY_ACTIONS)
    return True


class MotoApp:
    """moto's dispatcher behind the stack's one port."""

    def __init__(self, control_plane: MotoControlPlane, host: MotoHost = HOST) -> None:
        self._host = host
        self._control_plane = control_plane
        self._iam = IamEnforcement(control_plane.iam)
        self._app = DomainDispatcherApplication(create_backend_app)
        self._invocations = ThreadPoolExecutor(_INVOCATION_THREADS, thread_name_prefix="invoke")
        self._lanes: dict[str, ThreadPoolExecutor] = {}

    def _executor_for(self, service: str, path: str) -> ThreadPoolExecutor:
        if service == "lambda" and _LAMBDA_INVOCATION.match(path):
            return self._invocations
        lane = self._lanes.get(service)
        if lane is None:
            lane = self._lanes[service] = ThreadPoolExecutor(1, thread_name_prefix=service)
        return lane

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        server = (str(sockname[0]), int(sockname[1])) if sockname else ("127.0.0.1", 0)
        status, headers, payload = await self.call(
            request.method,
            request.raw_path,
            request.headers,
            body,
            request.remote or "127.0.0.1",
            server,
        )
        return web.Response(status=status, body=payload, headers=headers)

    async def call(
        self,
        method: str,
        raw_path: str,
        headers: Any,
        body: bytes,
        remote: str = "127.0.0.1",
        server: tuple[str, int] = ("127.0.0.1", 0),
    ) -> tuple[int, CIMultiDict[str], bytes]:
        """One signed AWS call, as if it had come in on the stack's port (API Gateway's
        service integrations make theirs here)."""
        environ = wsgi_environ(method, raw_path, headers.items(), body, remote, server)
        service = service_of(headers, raw_path.partition("?")[0])
        loop = asyncio.get_running_loop()
        executor = self._executor_for(service, environ["PATH_INFO"])
        return await loop.run_in_executor(executor, self._call, environ, service)

    def _call(self, environ: dict[str, Any], service: str) -> tuple[int, CIMultiDict[str], bytes]:
        refused = self._iam.refusal(environ)
        if refused is not None:
            status, headers, payload = refused
            return status, CIMultiDict(headers), payload
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        changes = _changes_state(service, method, path, environ)
        if service in _STORES_LOGS_FIRST:
            self._control_plane.flush_logs()
        if service == "lambda" and _LAMBDA_INVOCATION.match(path):
            return self._run(environ)
        try:
            with self._host.locks.of(service):
                try:
                    return self._run(environ)
                finally:
                    if changes:
                        if service in _CHANGES_EVERYTHING:
                            self._host.changes.bump_all()
                        else:
                            self._host.changes.bump(service)
        finally:
            if changes:
                # Before the answer goes out: the caller's next request (a connect to the
                # stage it just deployed) already finds the change in the snapshots.
                self._control_plane.refresh_after(
                    EVERY_SERVICE if service in _CHANGES_EVERYTHING else service
                )

    def _run(self, environ: dict[str, Any]) -> tuple[int, CIMultiDict[str], bytes]:
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return lambda data: None

        chunks = self._app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, raw_headers = started
        headers = CIMultiDict(
            (name, value)
            for name, value in raw_headers
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length"
        )
        return int(status.split(" ", 1)[0]), headers, payload

    def close(self) -> None:
        for executor in (self._invocations, *self._lanes.values()):
            executor.shutdown(wait=False, cancel_futures=True)
