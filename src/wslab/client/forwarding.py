"""Where a browser reaches the local AWS when the notebooks run on a server, not on the
learner's laptop: the chat page's address and the WebSocket address in its fragment.

Three places, told apart by the environment the notebook server runs in:

* **JupyterHub and mybinder.org** set ``JUPYTERHUB_SERVICE_PREFIX`` (``/user/<name>/``), and
  jupyter-server-proxy serves a loopback port at ``<prefix>proxy/<port>/``, WebSockets
  included, to the server's signed-in user (https://jupyter-server-proxy.readthedocs.io/en/latest/arbitrary-ports-hosts.html).
  The hub's public host is not in the environment, so the page's address is a path on the
  notebook's own origin, and so is the WebSocket address: the page resolves it against its
  own (``https:`` gives ``wss:``).
* **GitHub Codespaces** sets ``CODESPACE_NAME`` and ``GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN``
  (https://docs.github.com/en/codespaces/developing-in-a-codespace/default-environment-variables-for-your-codespace),
  and forwards port ``p`` at ``https://<name>-<p>.<domain>/``
  (https://docs.github.com/en/codespaces/developing-in-a-codespace/forwarding-ports-in-your-codespace).
  That WebSockets pass a private forwarded port as they pass a public one is [UNCONFIRMED].
* Anywhere else, the loopback address the stack prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from wslab.local.defaults import CHAT_PAGE_PATH

__all__ = ["BrowserAddress", "browser_address", "chat_page_url", "page_fragment"]

HUB_PREFIX_VARIABLE = "JUPYTERHUB_SERVICE_PREFIX"
CODESPACE_NAME_VARIABLE = "CODESPACE_NAME"
CODESPACE_DOMAIN_VARIABLE = "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN"


@dataclass(frozen=True)
class BrowserAddress:
    """The local AWS as a browser reaches it: ``http_base`` for pages, ``ws_base`` for
    WebSockets; both end without ``/``, and both are a bare path behind a Jupyter proxy."""

    http_base: str
    ws_base: str
    where: str
    """Which way the browser comes in: ``loopback``, ``jupyter proxy`` or ``codespaces``."""

    def page(self, path: str = CHAT_PAGE_PATH) -> str:
        return f"{self.http_base}{path}"


def browser_address(endpoint_url: str, environ: Mapping[str, str]) -> BrowserAddress:
    """Where a browser reaches the stack listening at ``endpoint_url``, given the environment
    of the process that prints the link (a notebook kernel, ``wslab local``)."""
    endpoint = urlsplit(endpoint_url)
    port = endpoint.port
    prefix = environ.get(HUB_PREFIX_VARIABLE, "").strip()
    if prefix and port is not None:
        base = f"/{prefix.strip('/')}/proxy/{port}" if prefix.strip("/") else f"/proxy/{port}"
        return BrowserAddress(base, base, "jupyter proxy")
    name = environ.get(CODESPACE_NAME_VARIABLE, "").strip()
    domain = environ.get(CODESPACE_DOMAIN_VARIABLE, "").strip()
    if name and domain and port is not None:
        host = f"{name}-{port}.{domain}"
        return BrowserAddress(f"https://{host}", f"wss://{host}", "codespaces")
    base = endpoint_url.rstrip("/")
    return BrowserAddress(base, "ws" + base.removeprefix("http"), "loopback")


def chat_page_url(
    endpoint_url: str,
    url: str,
    room: str,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The chat page of the stack at ``endpoint_url``, set to join ``room`` at the WebSocket
    ``url``, both as a browser reaches them from where this runs. A ``url`` elsewhere than
    the stack (an API on AWS) is kept as it is."""
    address = browser_address(endpoint_url, os.environ if environ is None else environ)
    target = urlsplit(url)
    if target.netloc == urlsplit(endpoint_url).netloc:
        url = address.ws_base + target.path + (f"?{target.query}" if target.query else "")
    return f"{address.page()}#{page_fragment(url, room, token)}"


def page_fragment(url: str, room: str, token: str | None = None) -> str:
    """What the page reads after ``#``: where to connect, the room, the token if any."""
    fields = {"url": url, "room": room, **({"token": token} if token else {})}
    return urlencode(fields, safe=":/")
