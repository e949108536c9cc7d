"""The opening handshake: malformed ones refused before anything runs, one log line each.

API Gateway's answers to malformed handshakes are not documented; RFC 6455 decides
(``wslab/local/gateway/handshake.py`` says which rule gives each answer). Every request is
written byte by byte on a real socket, so nothing a client library fixes up is hidden.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conformance.support import EventLog, new_tag, poll, wire
from tests.support import scaled
from wslab.deploy.wiring import WiredApi
from wslab.local.process import LocalAWSProcess


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(aws, behave, ["$connect", "$disconnect", "$default"])


def _key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def _request(
    api: WiredApi, tag: str, *, method: str = "GET", http: str = "1.1", **headers: str
) -> bytes:
    url = urlparse(api.url)
    fields = {
        "Host": url.netloc,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": _key(),
        "Sec-WebSocket-Version": "13",
    }
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    lines = [f"{method} {url.path}?tag={tag} HTTP/{http}"]
    lines += [f"{name}: {value}" for name, value in fields.items() if value != "-"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(api: WiredApi, request: bytes) -> tuple[str, dict[str, str]]:
    """The status line and headers the stack answers ``request`` with."""
    url = urlparse(api.url)
    with socket.create_connection((url.hostname, url.port), timeout=scaled(10)) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return head[0], {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize(
    ("overrides", "status", "says"),
    [
        ({"Sec_WebSocket_Version": "8"}, "426", "Sec-WebSocket-Version 8 is not supported"),
        ({"Sec_WebSocket_Version": "-"}, "426", "Sec-WebSocket-Version none"),
        ({"method": "POST"}, "400", "a GET request, not POST"),
        ({"http": "1.0"}, "400", "HTTP/1.1 or later, not HTTP/1.0"),
        ({"Sec_WebSocket_Key": "-"}, "400", "Sec-WebSocket-Key is missing"),
        ({"Sec_WebSocket_Key": "c2hvcnQ="}, "400", "not 16 bytes in base64"),
        ({"Connection": "keep-alive"}, "400", "does not include upgrade"),
    ],
)
def test_malformed_handshakes_are_refused_before_anything_runs(
    api: WiredApi,
    event_log: EventLog,
    local_stack: LocalAWSProcess,
    overrides: dict[str, str],
    status: str,
    says: str,
) -> None:
    tag = new_tag()
    status_line, headers = _answer(api, _request(api, tag, **overrides))
    assert status_line.split()[1] == status
    if status == "426" and "Version" in says:
        assert headers["sec-websocket-version"] == "13"  # RFC 6455 §4.4
    prefix = "Upgrade Required" if status == "426" else "Bad Request"
    poll(
        lambda: any(
            f"handshake refused: {prefix}" in line and says in line for line in local_stack.output()
        ),
        what="the refusal's access-log line",
    )
    assert event_log.tagged(tag) == []  # no authorizer, no $connect


def test_a_valid_handshake_still_connects(api: WiredApi, event_log: EventLog) -> None:
    tag = new_tag()
    status_line, _ = _answer(api, _request(api, tag))
    assert status_line.split()[1] == "101"
    assert poll(lambda: event_log.tagged(tag, "CONNECT"), what="$connect")


def test_a_client_leaving_during_connect_is_one_line_and_a_disconnect(
    api: WiredApi, event_log: EventLog, local_stack: LocalAWSProcess
) -> None:
    """The upgrade can't be answered; $connect said yes, so $disconnect runs (1006); the
    stack writes one line for it, never a traceback."""
    tag = new_tag()
    url = urlparse(api.url)
    request = _request(api, tag).replace(b"?tag=", b"?sleep=1&tag=")
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(request)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset, while $connect sleeps
    (connected,) = poll(lambda: event_log.tagged(tag, "CONNECT"), what="$connect")
    connection_id = connected.event["requestContext"]["connectionId"]
    (gone,) = event_log.wait(connection_id, "DISCONNECT")
    assert gone.event["requestContext"]["disconnectStatusCode"] == 1006
    lines = poll(
        lambda: [line for line in local_stack.output() if connection_id in line and "left" in line],
        what="the access-log line",
    )
    assert len(lines) == 1
    # The stack's own lines (a function's own output starts with its name in brackets).
    stack_lines = [line for line in local_stack.output() if not line.startswith("[")]
    assert not [line for line in stack_lines if "Traceback" in line]


def test_an_unknown_api_is_forbidden_and_the_log_says_why(
    api: WiredApi, local_stack: LocalAWSProcess
) -> None:
    """An API made before a restart (or deleted) gets 403 as an undeployed stage does,
    not an answer from moto's S3; the log line says the local AWS keeps APIs in memory."""
    gone = api.api_id[::-1]  # an id of the right shape that this stack never made
    ghost = WiredApi(gone, api.api_endpoint.rsplit("/", 1)[0] + "/" + gone, api.stage)
    status_line, _ = _answer(ghost, _request(ghost, new_tag()))
    assert status_line.split()[1] == "403"
    poll(
        lambda: any(gone in line and "in memory" in line for line in local_stack.output()),
        what="the refusal's log line",
    )


def test_a_request_aiohttp_cannot_parse_is_one_line_not_a_traceback(
    api: WiredApi, local_stack: LocalAWSProcess
) -> None:
    request = _request(api, new_tag()).replace(b"Sec-WebSocket-Version: 13", b"X-Odd: \x7f")
    status_line, _ = _answer(api, request)
    assert status_line.split()[1] == "400"
    lines = poll(
        lambda: [line for line in local_stack.output() if "Invalid header value char" in line],
        what="the line",
    )
    assert lines[0].startswith("wslab local: Error handling request")
    stack_lines = [line for line in local_stack.output() if not line.startswith("[")]
    assert not [line for line in stack_lines if "Traceback" in line]
