"""Identifiers in the format API Gateway WebSocket APIs use.

Connection ids, request ids (``requestId`` / ``extendedRequestId``) and message ids seen on
AWS are all 16 characters ending in ``=``, drawn from the URL-safe base64 alphabet
(``eHrdFcnvvHcCE-w=``, ``HXT_RfBnPHcCIIg=``): 11 bytes encoded as base64url with padding.
AWS ids from one connection share a suffix; clients must treat ids as opaque, so random
bytes are enough here.
"""

from __future__ import annotations

import base64
import binascii
import secrets

__all__ = ["ID_BYTES", "ID_LENGTH", "is_valid_connection_id", "new_id"]

ID_BYTES = 11
"""Random bytes behind one id."""

ID_LENGTH = 16
"""Characters in one id: ``ceil(11 / 3) * 4``, the last being the ``=`` padding."""


def new_id() -> str:
    """Return a fresh id such as ``R1kmxc2VNjMCFIA=`` (connection, request or message)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(ID_BYTES)).decode("ascii")


def is_valid_connection_id(s: str) -> bool:
    """Tell whether ``s`` has the shape of an id that :func:`new_id` could have produced.

    The @connections API answers an id of the wrong shape with ``BadRequestException
    "Invalid connectionId"`` and a well-formed but unknown one with 410, so the shape test
    is kept apart from the lookup. The check is canonical: 15 alphabet characters, then
    ``=``, decoding to exactly 11 bytes that encode back to the same text (which rules out
    a last character carrying bits that 11 bytes cannot set).
    """
    if len(s) != ID_LENGTH or not s.endswith("=") or not s.isascii():
        return False
    try:
        raw = base64.b64decode(s, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == ID_BYTES and base64.urlsafe_b64encode(raw).decode("ascii") == s
