"""The opening handshake, checked before the authorizer or ``$connect`` runs for it.

How API Gateway answers a malformed WebSocket handshake is not documented
(docs/apigw-websocket.md §8 has nothing on it), so RFC 6455 decides, and each
answer says which rule it follows:

- no ``Upgrade: websocket`` at all (a browser or curl opening the URL): 426 Upgrade
  Required, what the stack answered before (UNCONFIRMED for AWS; serverless-offline
  answers the same, docs/apigw-websocket.md §8);
- a method other than GET, an HTTP version below 1.1, no ``upgrade`` token in
  ``Connection``, or a ``Sec-WebSocket-Key`` that is not 16 bytes in base64: 400 Bad
  Request (RFC 6455 §4.2.1: "an HTTP/1.1 or higher GET request", with these headers;
  anything else is answered "with an appropriate error code (such as 400 Bad Request)");
- a ``Sec-WebSocket-Version`` other than 13: 426 Upgrade Required with
  ``Sec-WebSocket-Version: 13`` (RFC 6455 §4.2.2 item 4 and §4.4).

No connection id is allocated and nothing is invoked for a refused handshake; the gateway
writes one access-log line for it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["SUPPORTED_VERSION", "HandshakeRefusal", "handshake_refusal"]

SUPPORTED_VERSION = "13"
_KEY_BYTES = 16


@dataclass(frozen=True)
class HandshakeRefusal:
    status: int
    message: str  # the answer's body and the log line's error
    headers: Mapping[str, str]


def _tokens(values: Sequence[str]) -> set[str]:
    return {token.strip().lower() for value in values for token in value.split(",")}


def _valid_key(key: str | None) -> bool:
    if not key:
        return False
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == _KEY_BYTES
    except (binascii.Error, ValueError):
        return False


def handshake_refusal(
    method: str,
    http_version: tuple[int, int],
    header: Mapping[str, Sequence[str]],
) -> HandshakeRefusal | None:
    """Why this upgrade request is refused, or None when it is a valid handshake.

    ``header`` maps a lower-case header name to every value the request has for it.
    """

    def first(name: str) -> str | None:
        values = header.get(name)
        return values[0] if values else None

    if "websocket" not in _tokens(header.get("upgrade", ())):
        return HandshakeRefusal(426, "Upgrade Required: connect with a WebSocket client", {})
    problem = None
    if method != "GET":
        problem = f"a WebSocket handshake is a GET request, not {method}"
    elif http_version < (1, 1):
        major, minor = http_version
        problem = f"a WebSocket handshake needs HTTP/1.1 or later, not HTTP/{major}.{minor}"
    elif "upgrade" not in _tokens(header.get("connection", ())):
        problem = "the Connection header does not include upgrade"
    elif not _valid_key(first("sec-websocket-key")):
        problem = "Sec-WebSocket-Key is missing or not 16 bytes in base64"
    if problem is not None:
        return HandshakeRefusal(400, f"Bad Request: {problem}", {})
    version = (first("sec-websocket-version") or "").strip()
    if version != SUPPORTED_VERSION:
        shown = version or "none"
        return HandshakeRefusal(
            426,
            f"Upgrade Required: Sec-WebSocket-Version {shown} is not supported, only 13",
            {"Sec-WebSocket-Version": SUPPORTED_VERSION},
        )
    return None
