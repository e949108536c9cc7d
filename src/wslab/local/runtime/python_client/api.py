"""The Runtime API over one keep-alive HTTP connection, as the runtime client's side of it.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html: ``GET /invocation/next``,
``POST /invocation/{id}/response`` or ``/error``, ``POST /init/error``; an error names its
type in ``Lambda-Runtime-Function-Error-Type``.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Final, NamedTuple

__all__ = ["ERROR_TYPE_HEADER", "NextInvocation", "RuntimeApi", "RuntimeApiError"]

_BASE: Final = "/2018-06-01/runtime"
ERROR_TYPE_HEADER: Final = "Lambda-Runtime-Function-Error-Type"
# aws-lambda-cpp's header for the X-Ray view of an error (what awslambdaric sends with it).
_XRAY_CAUSE_HEADER: Final = "Lambda-Runtime-Function-XRay-Error-Cause"
_XRAY_CAUSE_LIMIT: Final = 1024 * 1024  # awslambdaric drops a larger cause


class RuntimeApiError(Exception):
    """The Runtime API refused a request (awslambdaric's message for it)."""

    def __init__(self, endpoint: str, status: int, body: bytes) -> None:
        super().__init__(
            f"Request to Lambda Runtime '{endpoint}' endpoint failed. "
            f"Reason: '{status}'. Response body: '{body!r}'"
        )


class NextInvocation(NamedTuple):
    """One invocation as ``/next`` gives it: its event and the headers that describe it
    (names in lower case)."""

    body: bytes
    headers: Mapping[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class RuntimeApi:
    """HTTP/1.1 on one kept-alive socket, written by hand: http.client would import the
    email package and ssl, a sizeable part of a cold start's Init for nothing."""

    def __init__(self, address: str) -> None:
        """``address``: ``host:port``, as ``AWS_LAMBDA_RUNTIME_API`` gives it."""
        host, _, port = address.rpartition(":")
        self._host = address
        self._socket = socket.create_connection((host, int(port)))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._socket.makefile("rb")

    def _call(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> tuple[int, bytes, dict[str, str]]:
        head = [f"{method} {_BASE}{path} HTTP/1.1", f"Host: {self._host}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if method != "GET":
            head.append(f"Content-Length: {len(body)}")
        self._socket.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        status_line = self._reader.readline()
        if not status_line:
            raise ConnectionError("the Runtime API closed the connection")
        status = int(status_line.split()[1])
        received: dict[str, str] = {}
        while (line := self._reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            received[name.strip().lower()] = value.strip()
        content = self._reader.read(int(received.get("content-length", "0")))
        return status, content, received

    def _post(self, path: str, body: bytes, headers: Mapping[str, str]) -> None:
        status, content, _ = self._call("POST", path, body, headers)
        if status != 202:
            raise RuntimeApiError(path, status, content)

    def next(self) -> NextInvocation:
        status, body, headers = self._call("GET", "/invocation/next")
        if status != 200:
            raise RuntimeApiError("/invocation/next", status, body)
        return NextInvocation(body, headers)

    def post_response(self, request_id: str, body: bytes, content_type: str) -> None:
        self._post(f"/invocation/{request_id}/response", body, {"Content-Type": content_type})

    def post_error(self, request_id: str, error: bytes, error_type: str, xray_cause: str) -> None:
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error_type}
        if len(xray_cause.encode()) < _XRAY_CAUSE_LIMIT:
            headers[_XRAY_CAUSE_HEADER] = xray_cause
        self._post(f"/invocation/{request_id}/error", error, headers)

    def post_init_error(self, error: bytes, error_type: str) -> None:
        self._post("/init/error", error, {ERROR_TYPE_HEADER: error_type})
