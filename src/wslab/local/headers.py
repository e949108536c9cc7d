"""HTTP header facts shared by the front end and the data plane."""

from __future__ import annotations

from typing import Final

__all__ = ["HOP_BY_HOP"]

HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers that belong to one connection, not to the message (RFC 7230 §6.1, plus the
``Proxy-Connection`` and ``Trailers`` spellings seen in the wild): a proxy never passes
them on, and neither does API Gateway into a ``$connect`` event."""
