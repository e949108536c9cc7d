"""Tests for :mod:`wslab.local.gateway.frames`."""

from __future__ import annotations

import json

from wslab.local.gateway import frames
from wslab.local.gateway.frames import (
    client_close_status,
    forbidden_frame,
    internal_error_frame,
    timeout_frame,
)


def test_forbidden_frame_is_byte_exact() -> None:
    """Matches the wscat capture of a message no route accepts (docs/apigw-websocket.md §1.2)."""
    assert forbidden_frame("XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ=") == (
        '{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", '
        '"requestId":"XDmGEE2RoE0FRdQ="}'
    )


def test_internal_error_frame_is_byte_exact() -> None:
    """Matches the capture of a Lambda that raised (docs/apigw-websocket.md §5)."""
    assert internal_error_frame("Qyi07eCbtjMCJKw=", "Qyi3UG41tjMFlUg=") == (
        '{"message": "Internal server error", "connectionId":"Qyi07eCbtjMCJKw=", '
        '"requestId":"Qyi3UG41tjMFlUg="}'
    )


def test_timeout_frame_is_byte_exact() -> None:
    """Matches the capture of an integration timeout (docs/apigw-websocket.md §5)."""
    assert timeout_frame("Llf4ceE2NjMCF7w=", "Llf7PFSNNjMFZeA=") == (
        '{"message": "Endpoint request timed out", "connectionId":"Llf4ceE2NjMCF7w=", '
        '"requestId":"Llf7PFSNNjMFZeA="}'
    )


def test_frames_are_valid_json() -> None:
    """The odd spacing still parses, and odd characters in values are escaped."""
    text = forbidden_frame('a"b', "c\\d")
    assert json.loads(text) == {"message": "Forbidden", "connectionId": 'a"b', "requestId": "c\\d"}


def test_limits() -> None:
    """The documented limits, in bytes and seconds."""
    assert frames.MAX_FRAME_BYTES == 32768
    assert frames.MAX_MESSAGE_BYTES == 131072
    assert frames.MAX_POST_TO_CONNECTION_BYTES == 131072
    assert frames.IDLE_TIMEOUT_SECONDS == 600
    assert frames.MAX_CONNECTION_SECONDS == 7200
    assert frames.DEFAULT_INTEGRATION_TIMEOUT_MS == 29000


def test_close_codes_and_reasons() -> None:
    """Close codes and the reasons AWS reports with them."""
    assert (frames.CLOSE_NORMAL, frames.REASON_NORMAL) == (1000, "Connection Closed Normally")
    assert (frames.CLOSE_GOING_AWAY, frames.REASON_GOING_AWAY) == (1001, "Going away")
    assert frames.CLOSE_UNSUPPORTED_DATA == 1003
    assert (frames.CLOSE_NO_STATUS, frames.REASON_NO_STATUS) == (
        1005,
        "Client-side close frame status not set",
    )
    assert frames.CLOSE_ABNORMAL == 1006
    assert frames.CLOSE_MESSAGE_TOO_BIG == 1009


def test_client_close_without_status() -> None:
    """A close frame without a status is reported as 1005 with AWS's reason text."""
    expected = (1005, "Client-side close frame status not set")
    assert client_close_status(None) == expected
    assert client_close_status(0) == expected


def test_client_close_status_is_passed_through() -> None:
    """A browser closing its tab sends 1001 and no reason; $disconnect gets the same."""
    assert client_close_status(1001) == (1001, "")
    assert client_close_status(4000, "bye") == (4000, "bye")


def test_client_vanishing_without_close_frame() -> None:
    """A dropped TCP connection is reported as 1006."""
    assert client_close_status(None, frame_received=False) == (1006, "")
