"""AWS's host names of the WebSocket APIs a local stack serves, and how a worker asks about one.

On AWS a WebSocket API answers at ``{apiId}.execute-api.{region}.amazonaws.com``: clients
connect to ``wss://{host}/{stage}`` and handlers post to ``https://{host}/{stage}/@connections``
(the event's ``requestContext.domainName`` is that host). Inside a local Lambda worker that
host is the internet, so the worker asks the stack, at ``LOOKUP_PATH + host``, whether the
host is one of its APIs, and sends that API's requests to the stack instead
(``runtime/management_redirect.py`` for Python, ``runtime/nodejs/execute-api.cjs`` for Node.js).
The stack answers 200 ``{"endpoint": "http://127.0.0.1:<port>/<apiId>"}`` for a WebSocket API
it has in that region, else 404; at ``LOOKUP_PATH`` itself, ``{"hosts": {host: endpoint}}``
for all of them.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["LOOKUP_PATH", "LOOKUP_VARIABLE", "host_of", "parse_host"]

LOOKUP_PATH: Final = "/_wslab/execute-api/"
"""Where the stack answers whether a host is one of its APIs (``LOOKUP_PATH + host``)."""

LOOKUP_VARIABLE: Final = "_WSLAB_EXECUTE_API_LOOKUP"
"""The worker's variable holding ``http://127.0.0.1:<port>`` + ``LOOKUP_PATH``; the worker's
start-up code takes it out of the environment before the handler runs."""

# amazonaws.com.cn: the China regions' domain.
_HOST = re.compile(r"([a-z0-9]+)\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?")


def parse_host(host: str) -> tuple[str, str] | None:
    """``abc123defg.execute-api.us-east-1.amazonaws.com`` -> ``(api_id, region)``.

    Plain tuples and ``re`` only: a Python worker imports this at start-up."""
    found = _HOST.fullmatch(host.lower().rstrip("."))
    return (found.group(1), found.group(2)) if found else None


def host_of(api_id: str, region: str) -> str:
    """The AWS host of the API ``api_id`` in ``region``."""
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{api_id}.execute-api.{region}.{domain}"
