"""The @connections management API: POST, GET, DELETE and their errors.

Behaviour: docs/apigw-websocket.md §6, §9."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlparse

import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websocket import ABNF

from tests.conformance.support import (
    WAIT,
    ask,
    connect,
    connection_id_of,
    expect_close,
    new_tag,
    poll,
    wire,
)
from tests.support import scaled
from wslab.aws import LOCAL_CREDENTIALS, client
from wslab.deploy.wiring import WiredApi
from wslab.local.gateway.ids import new_id

LOCAL_KEYS = {
    "access_key": LOCAL_CREDENTIALS["aws_access_key_id"],
    "secret_key": LOCAL_CREDENTIALS["aws_secret_access_key"],
}
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
KB = 1024


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(aws, behave, ["$default", "echo", "oneway"], two_way=["$default", "echo"])


@pytest.fixture(scope="module")
def management(api: WiredApi) -> Any:
    """apigatewaymanagementapi on the http:// form of ApiEndpoint + stage, as from outside."""
    return client("apigatewaymanagementapi", api.management_url)


@pytest.fixture
def ws(api: WiredApi) -> Any:
    socket = connect(api.url, header=["User-Agent: conformance/1.0"])
    yield socket
    socket.close()


def signed_by_the_administrator(method: str, url: str, data: bytes | None) -> dict[str, str]:
    """SigV4 headers of the local default keys (the stack checks the form and the date of
    such a signature, not its secret: docs/apigw-websocket.md §6.2)."""
    request = AWSRequest(method=method, url=url, data=data)
    SigV4Auth(Credentials(**LOCAL_KEYS), "execute-api", "us-east-1").add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def raw(
    api: WiredApi, method: str, connection_id: str, data: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP call on ``/@connections/{id}``, signed: status, headers, body."""
    url = f"{api.management_url}/@connections/{quote(connection_id, safe='')}"
    headers = signed_by_the_administrator(method, url, data)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=scaled(WAIT)) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_post_answers_200_empty_and_delivers_exactly_the_data(api: WiredApi, ws: Any) -> None:
    """POST answers 200 with an empty body; the client gets exactly the bytes as one message."""
    connection_id = connection_id_of(ws)
    data = 'héllo {"x": 1} ✓'.encode()
    status, _, body = raw(api, "POST", connection_id, data)
    assert (status, body) == (200, b"")
    assert ws.recv() == data.decode()


def test_post_through_boto3(management: Any, ws: Any) -> None:
    """boto3's PostToConnection on the stage URL reaches the client."""
    connection_id = connection_id_of(ws)
    response = management.post_to_connection(ConnectionId=connection_id, Data=b"from boto3")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ws.recv() == "from boto3"


def test_post_over_32kb_arrives_in_frames_of_at_most_32kb(management: Any, ws: Any) -> None:
    """A 100 KB post is one message, sent as frames of at most 32 KB."""
    connection_id = connection_id_of(ws)
    data = ("0123456789abcdef" * (100 * KB // 16)).encode()
    management.post_to_connection(ConnectionId=connection_id, Data=data)
    frames = [ws.recv_frame()]
    while not frames[-1].fin:
        frames.append(ws.recv_frame())
    assert frames[0].opcode == ABNF.OPCODE_TEXT
    assert all(frame.opcode == ABNF.OPCODE_CONT for frame in frames[1:])
    assert all(len(frame.data) <= 32 * KB for frame in frames)
    assert b"".join(frame.data for frame in frames) == data


def test_post_of_131072_bytes_is_delivered(management: Any, ws: Any) -> None:
    """Exactly 128 KB is within the PostToConnection limit."""
    connection_id = connection_id_of(ws)
    data = b"y" * (128 * KB)
    management.post_to_connection(ConnectionId=connection_id, Data=data)
    assert ws.recv() == data.decode()


def test_post_over_131072_bytes_is_413(management: Any, ws: Any) -> None:
    """One byte over 128 KB: 413 PayloadTooLargeException, nothing delivered, still connected."""
    connection_id = connection_id_of(ws)
    with pytest.raises(management.exceptions.PayloadTooLargeException) as raised:
        management.post_to_connection(ConnectionId=connection_id, Data=b"z" * (128 * KB + 1))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"


@pytest.mark.parametrize("character", ["中", "😀"])
def test_multibyte_post_limits_count_bytes(management: Any, ws: Any, character: str) -> None:
    """128 KB of UTF-8 (a third or a quarter as many characters) is delivered as one text
    message in frames of at most 32 KB; one byte more is 413."""
    connection_id = connection_id_of(ws)
    width = len(character.encode())
    text = character * (128 * KB // width) + "x" * (128 * KB % width)
    management.post_to_connection(ConnectionId=connection_id, Data=text.encode())
    frames = [ws.recv_frame()]
    while not frames[-1].fin:
        frames.append(ws.recv_frame())
    assert frames[0].opcode == ABNF.OPCODE_TEXT
    assert all(len(frame.data) <= 32 * KB for frame in frames)
    assert b"".join(frame.data for frame in frames).decode() == text
    with pytest.raises(management.exceptions.PayloadTooLargeException):
        management.post_to_connection(ConnectionId=connection_id, Data=(text + "x").encode())


def test_get_connection_describes_it(api: WiredApi, management: Any, ws: Any) -> None:
    """GET answers connectedAt, identity and lastActiveAt, timestamps ISO-8601 with ms."""
    connection_id = connection_id_of(ws)
    status, _, body = raw(api, "GET", connection_id)
    assert status == 200
    described = json.loads(body)
    assert described.keys() == {"connectedAt", "identity", "lastActiveAt"}
    assert described["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "conformance/1.0"}
    assert ISO_MS.fullmatch(described["connectedAt"])
    assert ISO_MS.fullmatch(described["lastActiveAt"])
    connected = datetime.fromisoformat(described["connectedAt"])
    last_active = datetime.fromisoformat(described["lastActiveAt"])
    assert connected <= last_active
    # boto3 parses the same answer.
    parsed = management.get_connection(ConnectionId=connection_id)
    assert parsed["ConnectedAt"] == connected
    assert parsed["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "conformance/1.0"}


def test_last_active_at_follows_client_traffic(management: Any, ws: Any) -> None:
    """A message from the client moves lastActiveAt forward."""
    connection_id = connection_id_of(ws)
    before = management.get_connection(ConnectionId=connection_id)["LastActiveAt"]
    ask(ws, {"action": "echo"})
    after = management.get_connection(ConnectionId=connection_id)["LastActiveAt"]
    assert after > before


def test_delete_answers_204_and_closes_with_1000(api: WiredApi, ws: Any) -> None:
    """DELETE answers 204 and the client sees close code 1000."""
    connection_id = connection_id_of(ws)
    status, _, body = raw(api, "DELETE", connection_id)
    assert (status, body) == (204, b"")
    assert expect_close(ws)[0] == 1000


def test_unknown_id_is_gone(api: WiredApi, management: Any) -> None:
    """A well-formed id that names no connection: 410 with ``x-amzn-ErrorType: GoneException``."""
    unknown = new_id()
    for method in ("POST", "GET", "DELETE"):
        status, headers, _ = raw(api, method, unknown, b"x" if method == "POST" else None)
        assert status == 410
        assert {k.lower(): v for k, v in headers.items()}["x-amzn-errortype"] == "GoneException"
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=unknown, Data=b"x")
    with pytest.raises(management.exceptions.GoneException):
        management.get_connection(ConnectionId=unknown)
    with pytest.raises(management.exceptions.GoneException):
        management.delete_connection(ConnectionId=unknown)


def test_closed_id_is_gone(api: WiredApi, management: Any) -> None:
    """Once the client has closed, its id answers GoneException."""
    ws = connect(api.url)
    connection_id = connection_id_of(ws)
    ws.close()

    def gone() -> bool:
        try:
            management.post_to_connection(ConnectionId=connection_id, Data=b"late")
        except management.exceptions.GoneException:
            return True
        return False

    poll(gone, what="GoneException for a closed connection")
    with pytest.raises(management.exceptions.GoneException):
        management.get_connection(ConnectionId=connection_id)


def test_invalid_id_is_bad_request(management: Any) -> None:
    """An id that is not in API Gateway's format is a BadRequestException (400)."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        management.post_to_connection(ConnectionId="not-a-connection-id", Data=b"x")
    error = raised.value.response
    assert error["Error"]["Code"] == "BadRequestException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_handler_reaches_connections_through_the_sdk_endpoint_variable(ws: Any) -> None:
    """A handler's plain ``boto3.client("apigatewaymanagementapi")`` posts to the client."""
    ws.send(json.dumps({"action": "oneway", "post": "from the handler"}))
    assert ws.recv() == "from the handler"


def _post_raw(api: WiredApi, connection_id: str, head: dict[str, str], body: bytes) -> str:
    """Send a POST's head and the start of its body on a socket; the status line answered.

    The body sent is all that is ever sent: a stack that read the whole declared body
    before answering would never answer."""
    url = urlparse(api.management_url)
    path = f"{url.path}/@connections/{quote(connection_id, safe='')}"
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}"]
    signed = signed_by_the_administrator("POST", f"{url.scheme}://{url.netloc}{path}", None)
    lines += [f"{name}: {value}" for name, value in {**signed, **head}.items()]
    with socket.create_connection((url.hostname, url.port), timeout=scaled(WAIT)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = sock.recv(4096)
    return answer.split(b"\r\n", 1)[0].decode()


def test_oversized_content_length_is_413_before_the_body_is_read(api: WiredApi, ws: Any) -> None:
    """Refused from Content-Length alone: the client has sent 10 bytes of 64 MiB."""
    connection_id = connection_id_of(ws)
    status = _post_raw(api, connection_id, {"Content-Length": str(64 * 1024 * KB)}, b"x" * 10)
    assert status.split()[1] == "413"


def test_a_chunked_body_is_413_as_soon_as_it_streams_past_128kb(api: WiredApi, ws: Any) -> None:
    """No length declared: the answer comes once 128 KB + 1 have arrived, body unfinished."""
    connection_id = connection_id_of(ws)
    chunk = b"y" * (128 * KB + 1)
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"  # no terminating 0-chunk
    status = _post_raw(api, connection_id, {"Transfer-Encoding": "chunked"}, body)
    assert status.split()[1] == "413"
    assert ask(ws, {"action": "echo"})  # still connected, nothing delivered before


def test_data_that_is_not_utf8_arrives_as_one_binary_frame_unchanged(
    management: Any, ws: Any
) -> None:
    """UNCONFIRMED for AWS; RFC 6455 forbids invalid UTF-8 in a text frame."""
    connection_id = connection_id_of(ws)
    data = b"\xff\xfe not utf-8 \xc3\x28"
    management.post_to_connection(ConnectionId=connection_id, Data=data)
    opcode, payload = ws.recv_data()
    assert (opcode, payload) == (ABNF.OPCODE_BINARY, data)
    management.post_to_connection(ConnectionId=connection_id, Data="utf-8 ✓".encode())
    assert ws.recv_data() == (ABNF.OPCODE_TEXT, "utf-8 ✓".encode())


@pytest.fixture(scope="module")
def watched(aws: Any, behave: str) -> WiredApi:
    """An API whose $connect and $disconnect are recorded in the event log."""
    return wire(aws, behave, ["$connect", "$disconnect", "$default"])


def test_a_client_that_stops_reading_never_stalls_a_poster(
    watched: WiredApi, event_log: Any
) -> None:
    """A frozen client (it never reads again): each post answers within the bounded wait;
    once its buffer stays full the post answers LimitExceededException (429), the
    connection is dropped, later posts are GoneException, and $disconnect gets 1008."""
    tag = new_tag()
    url = urlparse(watched.url)
    frozen = socket.socket()
    frozen.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    frozen.connect((url.hostname, url.port))
    key = base64.b64encode(os.urandom(16)).decode()
    frozen.sendall(
        (
            f"GET {url.path}?tag={tag} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert frozen.recv(4096).startswith(b"HTTP/1.1 101")  # and never read again
    (connected,) = poll(lambda: event_log.tagged(tag, "CONNECT"), what="$connect")
    connection_id = connected.event["requestContext"]["connectionId"]
    # The SDK's own retries off, as the handlers have them: each answer is seen as it is.
    poster = client(
        "apigatewaymanagementapi",
        watched.management_url,
        read_timeout=scaled(30),
        retries={"total_max_attempts": 1},
    )
    outcomes: list[str] = []
    try:
        while len(outcomes) < 500 and "GoneException" not in outcomes:
            started = time.monotonic()
            try:
                poster.post_to_connection(ConnectionId=connection_id, Data=b"p" * (100 * KB))
                outcomes.append("200")
            except botocore.exceptions.ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
            assert time.monotonic() - started < scaled(5), f"post {len(outcomes)} stalled"
        assert outcomes[-2:] == ["LimitExceededException", "GoneException"], outcomes[-5:]
        assert set(outcomes[:-2]) == {"200"}
        (gone,) = event_log.wait(connection_id, "DISCONNECT")
        context = gone.event["requestContext"]
        assert context["disconnectStatusCode"] == 1008
        assert "Slow consumer" in context["disconnectReason"]
    finally:
        frozen.close()
