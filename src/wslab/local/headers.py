"""HTTP header facts shared by the front end and the data plane."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["HOP_BY_HOP", "SECURITY_TOKEN", "SigV4Credential", "sigv4_credential"]

SECURITY_TOKEN: Final = "X-Amz-Security-Token"
"""The header that carries temporary credentials' session token beside a SigV4 signature."""

_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/,]+)/(?P<service>[^/,]+)/aws4_request"
)


@dataclass(frozen=True)
class SigV4Credential:
    """The ``Credential=`` part of a SigV4 ``Authorization`` header: who signed, where, for
    which service (its signing name: ``dynamodb``, ``execute-api``, ...)."""

    access_key_id: str
    region: str
    service: str


def sigv4_credential(authorization: str | None) -> SigV4Credential | None:
    match = _CREDENTIAL.search(authorization or "")
    if match is None:
        return None
    return SigV4Credential(match.group("key"), match.group("region"), match.group("service"))


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
