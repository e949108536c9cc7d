"""What API Gateway sends down a WebSocket besides integration output: error frames,
close codes and the size and time limits that trigger them.

The three error frames are reproduced byte for byte from captures of real AWS traffic
(wscat and websocat output quoted in docs/apigw-websocket.md §1.2 and §5)::

    {"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="}

Note the irregular spacing: a space after ``"message":`` and after each comma, none after
the colons of ``connectionId`` and ``requestId``. Clients that compare strings depend on it,
so the frames are built by hand rather than with :func:`json.dumps` defaults.

Every frame leaves the connection open; closing is reserved for protocol violations
(:data:`CLOSE_MESSAGE_TOO_BIG`, :data:`CLOSE_UNSUPPORTED_DATA`), ``DeleteConnection``
(:data:`CLOSE_NORMAL`) and expiry (:data:`CLOSE_GOING_AWAY`).
"""

from __future__ import annotations

import json
from typing import Final

from wslab.local import control

__all__ = [
    "CLOSE_ABNORMAL",
    "CLOSE_GOING_AWAY",
    "CLOSE_MESSAGE_TOO_BIG",
    "CLOSE_NORMAL",
    "CLOSE_NO_STATUS",
    "CLOSE_POLICY_VIOLATION",
    "CLOSE_PROTOCOL_ERROR",
    "CLOSE_UNSUPPORTED_DATA",
    "DEFAULT_INTEGRATION_TIMEOUT_MS",
    "FORBIDDEN_MESSAGE",
    "IDLE_TIMEOUT_SECONDS",
    "INTERNAL_ERROR_MESSAGE",
    "MAX_CONNECTION_SECONDS",
    "MAX_FRAME_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_POST_TO_CONNECTION_BYTES",
    "REASON_ABNORMAL",
    "REASON_GOING_AWAY",
    "REASON_IDLE_TIMEOUT",
    "REASON_MAX_DURATION",
    "REASON_MESSAGE_TOO_BIG",
    "REASON_NORMAL",
    "REASON_NO_STATUS",
    "REASON_PROTOCOL_ERROR",
    "REASON_SLOW_CONSUMER",
    "REASON_UNSUPPORTED_DATA",
    "SEND_BUFFER_LIMIT_BYTES",
    "SEND_WAIT_SECONDS",
    "TIMEOUT_MESSAGE",
    "UNSUPPORTED_MEDIA_MESSAGE",
    "client_close_status",
    "error_frame",
    "forbidden_frame",
    "internal_error_frame",
    "timeout_frame",
    "unsupported_media_frame",
]

# --- limits (docs/apigw-websocket.md §7) -----------------------------------------------

MAX_FRAME_BYTES: Final = 32 * 1024
"""Largest frame payload accepted (32 KB); a bigger frame closes with 1009."""

MAX_MESSAGE_BYTES: Final = 128 * 1024
"""Largest reassembled message accepted (128 KB); a bigger message closes with 1009."""

MAX_POST_TO_CONNECTION_BYTES: Final = 131072
"""Largest ``PostToConnection`` ``Data``; above it the call fails with 413."""

IDLE_TIMEOUT_SECONDS: Final = 600
"""A connection with no message in either direction for 10 minutes is closed."""

MAX_CONNECTION_SECONDS: Final = 7200
"""A connection is closed 2 hours after it was opened, whatever its traffic."""

SEND_BUFFER_LIMIT_BYTES: Final = 1024 * 1024
"""Data queued for a client beyond what its socket took: past this, a send waits."""

SEND_WAIT_SECONDS: Final = 1.0
"""How long a send waits for a client to read before the gateway gives up on it: a client
that stopped reading never stalls a ``PostToConnection`` caller longer than this. Both
bounds are this stack's own: API Gateway documents only that ``PostToConnection`` answers
``LimitExceededException`` when "the WebSocket client side buffer is full"."""

DEFAULT_INTEGRATION_TIMEOUT_MS: Final = control.DEFAULT_INTEGRATION_TIMEOUT_MS
"""``TimeoutInMillis`` of an integration that does not set it."""

# --- close codes and reasons (docs/apigw-websocket.md §3, §7) --------------------------

CLOSE_NORMAL: Final = 1000
REASON_NORMAL: Final = "Connection Closed Normally"
"""Sent by ``DeleteConnection`` (which takes no code of its own) and reported to
``$disconnect`` as ``disconnectReason``; seen on AWS (boto3#3789)."""

CLOSE_GOING_AWAY: Final = 1001
REASON_GOING_AWAY: Final = "Going away"
"""The stack shutting down: RFC 6455's 1001 is for "a server going down"."""

REASON_IDLE_TIMEOUT: Final = "Going away: idle timeout"
REASON_MAX_DURATION: Final = "Going away: maximum connection duration"
"""The idle timeout and the 2-hour limit, both closed with 1001 and told apart by their
reasons (also in ``$disconnect``'s ``disconnectReason``). UNCONFIRMED: no capture of
either expiry exists; community reports name 1001 "Going away", which is also what
RFC 6455 reserves for a server going down or a browser leaving a page. The reason texts
are this stack's own."""

CLOSE_PROTOCOL_ERROR: Final = 1002
REASON_PROTOCOL_ERROR: Final = "Protocol error"
"""A frame from the client that is not masked (RFC 6455 §5.1 requires the server to close
with 1002). UNCONFIRMED for AWS: any server following the RFC does this; the reason text
follows the RFC 6455 name of the code."""

CLOSE_UNSUPPORTED_DATA: Final = 1003
REASON_UNSUPPORTED_DATA: Final = "Unsupported data"
"""A binary frame. The code is documented; the reason text is UNCONFIRMED and follows the
RFC 6455 name of the code."""

CLOSE_NO_STATUS: Final = 1005
REASON_NO_STATUS: Final = "Client-side close frame status not set"
"""Never sent on the wire (RFC 6455 forbids it): it is what ``$disconnect`` reports when the
client's close frame carried no status code, e.g. wscat on Ctrl-C."""

CLOSE_ABNORMAL: Final = 1006
REASON_ABNORMAL: Final = ""
"""Never sent on the wire: reported to ``$disconnect`` when the TCP connection dropped
without any close frame. UNCONFIRMED: no AWS capture; this is the RFC 6455 meaning."""

CLOSE_POLICY_VIOLATION: Final = 1008
REASON_SLOW_CONSUMER: Final = "Slow consumer: the client stopped reading"
"""A client that kept more than :data:`SEND_BUFFER_LIMIT_BYTES` unread for
:data:`SEND_WAIT_SECONDS`: the connection is dropped (its unread data with it) and
``$disconnect`` reports 1008 with this reason. UNCONFIRMED: API Gateway's behaviour with a
client that stops reading is not documented; 1008 ("policy violation") is RFC 6455's code
for a peer breaking the endpoint's rules, where 1001 would suggest the server is leaving."""

CLOSE_MESSAGE_TOO_BIG: Final = 1009
REASON_MESSAGE_TOO_BIG: Final = "Message too big"
"""A frame over 32 KB or a message over 128 KB. The code is documented; the reason text is
UNCONFIRMED and follows the RFC 6455 name of the code."""

# --- error frames (docs/apigw-websocket.md §1.2, §5) -----------------------------------

FORBIDDEN_MESSAGE: Final = "Forbidden"
INTERNAL_ERROR_MESSAGE: Final = "Internal server error"
TIMEOUT_MESSAGE: Final = "Endpoint request timed out"
UNSUPPORTED_MEDIA_MESSAGE: Final = "Unsupported Media Type"
"""A message ``PassthroughBehavior`` refuses: REST APIs answer 415 with this message; that a
WebSocket API sends it as an error frame is UNCONFIRMED (docs/apigw-websocket.md §5.1)."""


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """Return the text of an error frame in AWS's exact byte layout."""
    # json.dumps on each value only to escape it; the separators are spelled out below.
    return (
        f'{{"message": {json.dumps(message)}, '
        f'"connectionId":{json.dumps(connection_id)}, '
        f'"requestId":{json.dumps(request_id)}}}'
    )


def forbidden_frame(connection_id: str, request_id: str) -> str:
    """Frame sent when no route matches a message and the API has no ``$default`` route."""
    return error_frame(FORBIDDEN_MESSAGE, connection_id, request_id)


def internal_error_frame(connection_id: str, request_id: str) -> str:
    """Frame sent when the integration fails (function error, exception, failed invoke)."""
    return error_frame(INTERNAL_ERROR_MESSAGE, connection_id, request_id)


def timeout_frame(connection_id: str, request_id: str) -> str:
    """Frame sent when the integration exceeds its ``TimeoutInMillis``."""
    return error_frame(TIMEOUT_MESSAGE, connection_id, request_id)


def client_close_status(
    code: int | None, reason: str = "", *, frame_received: bool = True
) -> tuple[int, str]:
    """Return ``(disconnectStatusCode, disconnectReason)`` for a close the client started.

    ``code`` is the status in the client's close frame; ``None`` or ``0`` (how some
    libraries, aiohttp among them, report an empty close frame) mean it carried none.
    ``frame_received=False`` means the TCP connection dropped without any close frame.
    A status the client sent is passed through with its reason (UNCONFIRMED, but it is what
    the browser capture shows: a closed tab sends 1001 with no reason and ``$disconnect``
    got 1001 and ``""``).
    """
    if not frame_received:
        return CLOSE_ABNORMAL, REASON_ABNORMAL
    if not code:
        return CLOSE_NO_STATUS, REASON_NO_STATUS
    return code, reason


def unsupported_media_frame(connection_id: str, request_id: str) -> str:
    """Frame sent when no request template matches and passing the body through is refused."""
    return error_frame(UNSUPPORTED_MEDIA_MESSAGE, connection_id, request_id)
