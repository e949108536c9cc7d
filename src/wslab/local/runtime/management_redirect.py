"""In a Python worker: management API calls to this stack's APIs reach the stack, not AWS.

AWS documents the management client as
``boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domainName}/{stage}")``,
with ``domainName`` the event's ``<apiId>.execute-api.<region>.amazonaws.com``. From a local
worker that call would go to the internet, and no endpoint variable could change that: an
explicit ``endpoint_url`` wins over ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` (which
Lambda does not set, and neither do the stack's workers). This redirect is how a Python
worker's management calls reach the stack. botocore emits ``before-send`` for every request
it is about to send, with the request's final URL; a handler registered there for the
management API changes ``https://<host>/<path>`` into ``http://127.0.0.1:<port>/<apiId>/<path>``
when the stack says it serves ``<host>`` (:mod:`wslab.local.api_hosts`), and leaves every
other request as it is: other hosts, other schemes (``wss://`` fails in botocore as on AWS),
other ports.

The handler goes into ``botocore.handlers.BUILTIN_HANDLERS``, the list every botocore session
registers when it is created, right after botocore loads it: a worker whose function never
imports boto3 never pays for importing it (about 140 ms).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wslab.local.api_hosts import parse_host

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

# This module loads in every Python worker before its handler: what it needs only when a
# management request is sent (http.client: 15 ms) is imported then.

__all__ = ["LocalHosts", "after_import", "redirect_management_api"]

_BOTOCORE_HANDLERS = "botocore.handlers"
_EVENT = "before-send.apigatewaymanagementapi"
# A liveness deadline, not an expectation: without an answer the request goes where the
# handler sent it, the internet, which is always wrong for an API of this stack. A stack
# busy with other work (a CloudFormation deployment, many cold starts) can take seconds to
# answer; 5 s was seen to run out on a loaded 2-core machine.
_LOOKUP_TIMEOUT_S = 30.0


class LocalHosts:
    """Which AWS hosts the stack serves, asked once per host (the answer never changes for
    a live API: its id is never reused)."""

    def __init__(self, lookup_url: str) -> None:
        parts = urlsplit(lookup_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._path = parts.path
        self._known: dict[str, str | None] = {}

    def endpoint(self, host: str) -> str | None:
        """The local base URL of the API at ``host``, or None if the stack doesn't serve it."""
        if host in self._known:
            return self._known[host]
        if parse_host(host) is None:
            return None
        import http.client  # loaded by botocore already, which is asking

        connection = http.client.HTTPConnection(*self._address, timeout=_LOOKUP_TIMEOUT_S)
        try:
            connection.request("GET", self._path + host)
            response = connection.getresponse()
            body = response.read()
        except OSError:
            return None  # the stack is stopping: left alone, and asked again next time
        finally:
            connection.close()
        found = str(json.loads(body)["endpoint"]) if response.status == 200 else None
        self._known[host] = found
        return found

    def redirect(self, request: Any, **_: Any) -> None:
        """botocore's ``before-send``: point a request for a local API at the stack."""
        url = urlsplit(request.url)
        if url.scheme != "https" or url.port not in (None, 443) or not url.hostname:
            return
        base = self.endpoint(url.hostname)
        if base is not None:
            request.url = base + url.path + (f"?{url.query}" if url.query else "")


class _AfterImport:
    """A finder for ``sys.meta_path``: finds ``name`` with the other finders and runs
    ``then`` once it has loaded."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._then = then

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        spec = next(
            (
                found
                for finder in sys.meta_path
                if (found := finder.find_spec(fullname, path, target)) is not None
            ),
            None,
        )
        loader = spec.loader if spec is not None else None
        if loader is not None:
            # This module's own loader (one per module): everything else about it stays.
            load = loader.exec_module

            def load_then_run(module: ModuleType) -> None:
                load(module)
                self._then(module)

            loader.exec_module = load_then_run  # type: ignore[method-assign]
        return spec


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """Run ``then(module)`` when module ``name`` is first imported (now, if it already is).

    (wrapt's post-import hooks do this too, but importing wrapt costs every cold start
    about 50 ms.)"""
    if name in sys.modules:
        then(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, then))


def redirect_management_api(lookup_url: str) -> None:
    """Every botocore session made in this process redirects management API calls for
    the stack's APIs to the stack at ``lookup_url``'s host."""
    hosts = LocalHosts(lookup_url)
    after_import(
        _BOTOCORE_HANDLERS,
        lambda handlers: handlers.BUILTIN_HANDLERS.append((_EVENT, hosts.redirect)),
    )
