"""handshake_refusal: RFC 6455's rules for the opening handshake, one answer each."""

from __future__ import annotations

from typing import Any

import pytest

from wslab.local.gateway.handshake import HandshakeRefusal, handshake_refusal

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's own example: 16 bytes
VALID = {
    "upgrade": ["websocket"],
    "connection": ["keep-alive, Upgrade"],
    "sec-websocket-key": [KEY],
    "sec-websocket-version": ["13"],
}


def refuse(
    method: str = "GET", version: tuple[int, int] = (1, 1), **changes: list[str]
) -> HandshakeRefusal | None:
    headers = dict(VALID)
    for name, values in changes.items():
        key = name.replace("_", "-")
        if values:
            headers[key] = values
        else:
            headers.pop(key)
    return handshake_refusal(method, version, headers)


def test_a_valid_handshake_passes() -> None:
    assert refuse() is None
    assert refuse(upgrade=["WebSocket"], connection=["upgrade"]) is None
    assert refuse(version=(2, 0)) is None


@pytest.mark.parametrize(
    ("arguments", "status", "words"),
    [
        ({"upgrade": []}, 426, "connect with a WebSocket client"),
        ({"upgrade": ["h2c"]}, 426, "connect with a WebSocket client"),
        ({"method": "POST"}, 400, "not POST"),
        ({"version": (1, 0)}, 400, "not HTTP/1.0"),
        ({"connection": ["keep-alive"]}, 400, "does not include upgrade"),
        ({"connection": []}, 400, "does not include upgrade"),
        ({"sec_websocket_key": []}, 400, "Sec-WebSocket-Key"),
        ({"sec_websocket_key": ["not base64!"]}, 400, "Sec-WebSocket-Key"),
        ({"sec_websocket_key": ["c2hvcnQ="]}, 400, "Sec-WebSocket-Key"),
        ({"sec_websocket_version": ["8"]}, 426, "Sec-WebSocket-Version 8"),
        ({"sec_websocket_version": []}, 426, "Sec-WebSocket-Version none"),
    ],
)
def test_each_malformation_has_its_answer(
    arguments: dict[str, Any], status: int, words: str
) -> None:
    refusal = refuse(**arguments)
    assert refusal is not None
    assert refusal.status == status
    assert words in refusal.message


def test_an_unsupported_version_names_the_one_supported() -> None:
    refusal = refuse(sec_websocket_version=["8"])
    assert refusal is not None
    assert refusal.headers == {"Sec-WebSocket-Version": "13"}
