"""Messages: frames and limits, the MESSAGE event, route responses, error frames.

Behaviour: docs/apigw-websocket.md §4, §5, §9."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.conformance.support import (
    ID,
    EventLog,
    ask,
    connect,
    connection_id_of,
    error_frame_pattern,
    expect_close,
    padded,
    poll,
    send_fragments,
    wire,
)
from tests.support import load_event
from wslab.aws import client
from wslab.deploy.wiring import WiredApi
from wslab.local.process import LocalAWSProcess

MESSAGE_CAPTURE = load_event("powertools-python__apiGatewayWebSocketApiMessage.json")
KB = 1024


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(
        aws,
        behave,
        ["$default", "echo", "oneway", "slow"],
        two_way=["$default", "echo", "slow"],
        timeout_ms={"slow": 300},
    )


@pytest.fixture
def ws(api: WiredApi) -> Any:
    socket = connect(api.url)
    yield socket
    socket.close()


def assert_nothing_sent(ws: Any, stack: LocalAWSProcess, connection_id: str, route: str) -> None:
    """The route's message was handled (its access-log line is out) and sent no frame."""
    handled = f'"MESSAGE {route} {connection_id}" 200 '
    poll(lambda: any(handled in line for line in stack.output()), what=handled)
    # Anything the route had sent would have come before the answer to this marker.
    assert ask(ws, {"action": "echo", "reply": "marker"}) == "marker"


def test_text_message_reaches_its_route(ws: Any) -> None:
    """A text frame is routed by its ``action`` and its text is the event's ``body``."""
    text = json.dumps({"action": "echo", "data": "hé ✓"})
    answer = json.loads(ask(ws, text))
    assert answer["route"] == "echo"
    assert answer["body"] == text


def test_fragmented_message_is_reassembled(ws: Any) -> None:
    """A message sent as a text frame and continuation frames arrives as one body."""
    text = json.dumps({"action": "echo", "data": "fragmented " * 20})
    send_fragments(ws, text, 16)
    answer = json.loads(ws.recv())
    assert answer["body"] == text


def test_frame_of_32768_bytes_is_accepted(ws: Any) -> None:
    """A single frame of exactly 32 KB is within the frame limit."""
    assert ask(ws, padded({"action": "echo", "size": 1}, 32 * KB)) == str(32 * KB)


def test_frame_over_32768_bytes_closes_with_1009(ws: Any) -> None:
    """A single frame one byte over 32 KB closes the connection with 1009."""
    ws.send(padded({"action": "echo", "size": 1}, 32 * KB + 1))
    assert expect_close(ws)[0] == 1009


def test_message_of_131072_bytes_in_fragments_is_accepted(ws: Any) -> None:
    """A 128 KB message in 32 KB fragments is reassembled and delivered whole."""
    send_fragments(ws, padded({"action": "echo", "size": 1}, 128 * KB), 32 * KB)
    assert ws.recv() == str(128 * KB)


def test_message_over_131072_bytes_closes_with_1009(ws: Any) -> None:
    """A message one byte over 128 KB, in fragments within the frame limit, closes with 1009."""
    send_fragments(ws, padded({"action": "echo", "size": 1}, 128 * KB + 1), 32 * KB)
    assert expect_close(ws)[0] == 1009


# The limits are in bytes of UTF-8: a character of Chinese text is 3 of them, an emoji 4.
MULTIBYTE = pytest.mark.parametrize("filler", ["中", "😀"])


def multibyte_padded(message: dict[str, Any], total_bytes: int, filler: str) -> str:
    """``message`` as JSON, padded with ``filler`` to exactly ``total_bytes`` of UTF-8 (far
    fewer characters)."""
    skeleton = json.dumps({**message, "pad": ""}, ensure_ascii=False)
    room = total_bytes - len(skeleton.encode())
    width = len(filler.encode())
    text = json.dumps(
        {**message, "pad": filler * (room // width) + "x" * (room % width)}, ensure_ascii=False
    )
    assert len(text.encode()) == total_bytes and len(text) < total_bytes
    return text


@MULTIBYTE
def test_multibyte_frame_of_32768_bytes_is_accepted(ws: Any, filler: str) -> None:
    assert ask(ws, multibyte_padded({"action": "echo", "size": 1}, 32 * KB, filler)) == str(32 * KB)


@MULTIBYTE
def test_multibyte_frame_over_32768_bytes_closes_with_1009(ws: Any, filler: str) -> None:
    """Fewer than 32768 characters, one byte over 32 KB: the frame limit counts bytes."""
    ws.send(multibyte_padded({"action": "echo", "size": 1}, 32 * KB + 1, filler))
    assert expect_close(ws)[0] == 1009


@MULTIBYTE
def test_multibyte_message_of_131072_bytes_in_fragments_is_accepted(ws: Any, filler: str) -> None:
    """Fragments cut at 32 KB split characters; the message is whole again when reassembled."""
    text = multibyte_padded({"action": "echo", "size": 1}, 128 * KB, filler)
    send_fragments(ws, text, 32 * KB)
    assert ws.recv() == str(128 * KB)


@MULTIBYTE
def test_multibyte_message_over_131072_bytes_closes_with_1009(ws: Any, filler: str) -> None:
    text = multibyte_padded({"action": "echo", "size": 1}, 128 * KB + 1, filler)
    send_fragments(ws, text, 32 * KB)
    assert expect_close(ws)[0] == 1009


def test_binary_frame_closes_with_1003(ws: Any) -> None:
    """A binary frame closes the connection with 1003."""
    ws.send_binary(b"\x00\x01binary")
    assert expect_close(ws)[0] == 1003


def test_unmasked_frame_closes_with_1002(ws: Any) -> None:
    """RFC 6455 §5.1: a client's frames are masked; the server closes on one that is not
    (UNCONFIRMED for AWS, which follows the RFC elsewhere)."""
    ws.sock.sendall(bytes((0x81, 2)) + b"hi")  # FIN + text, no mask bit, 2 bytes
    assert expect_close(ws) == (1002, "Protocol error")


def test_message_event_matches_the_aws_capture(api: WiredApi, ws: Any, event_log: EventLog) -> None:
    """The MESSAGE event: AWS's key set, a fresh messageId and requestId, no headers."""
    connection_id = connection_id_of(ws)
    text = json.dumps({"action": "echo", "n": 2})
    ask(ws, text)
    first, second = event_log.wait(connection_id, "MESSAGE", 2)
    event = second.event
    assert event.keys() == MESSAGE_CAPTURE.keys()
    assert event["body"] == text
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context.keys() == MESSAGE_CAPTURE["requestContext"].keys()
    assert context["routeKey"] == "echo" and context["eventType"] == "MESSAGE"
    assert context["messageDirection"] == "IN"
    assert context["identity"] == {"sourceIp": "127.0.0.1"}
    for key in ("messageId", "requestId", "connectionId"):
        assert ID.fullmatch(context[key])
    assert context["extendedRequestId"] == context["requestId"]
    earlier = first.event["requestContext"]
    assert context["messageId"] != earlier["messageId"]
    assert context["requestId"] != earlier["requestId"]
    assert context["connectedAt"] == earlier["connectedAt"]
    assert context["requestTimeEpoch"] >= earlier["requestTimeEpoch"] >= context["connectedAt"]
    # connectedAt is the same instant GetConnection reports, in milliseconds.
    described = client("apigatewaymanagementapi", api.management_url).get_connection(
        ConnectionId=connection_id
    )
    connected_at: datetime = described["ConnectedAt"]
    assert int(connected_at.timestamp() * 1000) == context["connectedAt"]


def test_two_way_route_sends_the_result_body(ws: Any) -> None:
    """A two-way route sends the ``body`` of the Lambda result as one text frame."""
    assert ask(ws, {"action": "echo", "reply": "hello, client"}) == "hello, client"


def test_two_way_body_is_sent_whatever_the_status_code(ws: Any) -> None:
    """A body returned with statusCode 500 is still delivered and the connection stays open."""
    assert ask(ws, {"action": "echo", "reply": "still here", "status": 500}) == "still here"
    assert ask(ws, {"action": "echo", "reply": "open"}) == "open"


def test_one_way_route_sends_nothing(ws: Any, local_stack: LocalAWSProcess) -> None:
    """A route without a route response sends nothing back, whatever the function returns."""
    connection_id = connection_id_of(ws)
    ws.send(json.dumps({"action": "oneway", "reply": "must not arrive"}))
    assert_nothing_sent(ws, local_stack, connection_id, "oneway")


def test_empty_body_sends_nothing(ws: Any, local_stack: LocalAWSProcess) -> None:
    """A two-way route whose result has an empty ``body`` sends no frame."""
    connection_id = connection_id_of(ws)
    ws.send(json.dumps({"action": "echo", "empty": True}))
    handled = f'"MESSAGE echo {connection_id}" 200 '
    poll(lambda: sum(handled in line for line in local_stack.output()) >= 2, what=handled)
    assert ask(ws, {"action": "echo", "reply": "marker"}) == "marker"


@pytest.mark.parametrize("route", ["echo", "oneway"])
def test_lambda_error_sends_internal_server_error_frame(ws: Any, route: str) -> None:
    """A function error sends the ``Internal server error`` frame, byte for byte, on any route."""
    connection_id = connection_id_of(ws)
    frame = error_frame_pattern("Internal server error", connection_id)
    first = ask(ws, {"action": route, "raise": True})
    second = ask(ws, {"action": route, "raise": True})
    assert frame.fullmatch(first) and frame.fullmatch(second)
    assert first != second  # a new requestId each time
    assert ask(ws, {"action": "echo", "reply": "open"}) == "open"


def test_integration_timeout_sends_timed_out_frame(ws: Any) -> None:
    """Past the integration's TimeoutInMillis the client gets ``Endpoint request timed out``."""
    connection_id = connection_id_of(ws)
    answer = ask(ws, {"action": "slow", "sleep": 1})
    assert error_frame_pattern("Endpoint request timed out", connection_id).fullmatch(answer)
    assert ask(ws, {"action": "echo", "reply": "open"}) == "open"


def test_missing_invoke_permission_sends_internal_server_error_frame(aws: Any, behave: str) -> None:
    """Without a lambda:InvokeFunction permission for API Gateway the invoke fails: error frame."""
    locked = wire(aws, behave, ["$default"], two_way=["$default"], grant_permission=False)
    ws = connect(locked.url)
    try:
        answer = ask(ws, "hello")
        # No handler ran, so the id can't come from one: take it from the frame itself.
        connection_id = json.loads(answer)["connectionId"]
        assert error_frame_pattern("Internal server error", connection_id).fullmatch(answer)
    finally:
        ws.close()
