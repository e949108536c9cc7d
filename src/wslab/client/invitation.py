"""What ``wslab demo`` hands out for joining the chat: a ``wslab chat`` command for a
terminal and a link to the browser page, both carrying one token and saying until when
it lets people in.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from wslab.client.forwarding import chat_page_url
from wslab.local.platform import command_line, script_path

__all__ = ["Invitation", "page_link", "wslab_program"]


def wslab_program(cwd: Path | None = None) -> list[str]:
    """How to run this very ``wslab`` from ``cwd``: ``wslab`` when the shell finds it,
    else the script beside this interpreter (``.venv/bin/wslab`` from a checkout, or
    ``.venv\\Scripts\\wslab.exe``), else ``python -m wslab``."""
    script = script_path(Path(sys.executable).absolute().parent, "wslab")
    if not script.is_file():
        return [sys.executable, "-m", "wslab"]
    found = shutil.which("wslab")
    if found and os.path.samefile(found, script):
        return ["wslab"]
    try:
        return [str(script.relative_to((cwd or Path.cwd()).absolute()))]
    except ValueError:
        return [str(script)]


def page_link(endpoint_url: str, url: str, room: str, token: str | None = None) -> str:
    """The browser page served by the local AWS at ``endpoint_url``, set to join ``room``
    at the WebSocket ``url``, on this machine's loopback (``forwarding.chat_page_url`` gives
    it as a browser elsewhere reaches it). The token rides in the fragment, which browsers
    never send to a server; the page moves it to the query string, where API Gateway's
    authorizer looks for it."""
    return chat_page_url(endpoint_url, url, room, token, environ={})


@dataclass(frozen=True)
class Invitation:
    """Join ``room`` of the chat at ``url`` with ``token`` until ``expires_at`` (epoch s)."""

    url: str
    room: str
    token: str
    expires_at: float

    def chat_command(self, program: list[str] | None = None) -> str:
        """The ``wslab chat`` command line, quoted for this system's shell."""
        words = [*(program or wslab_program()), "chat", self.url, "--room", self.room]
        return command_line([*words, "--token", self.token])

    def page_link(self, endpoint_url: str) -> str:
        """The browser page of the local AWS at ``endpoint_url``, set to this invitation."""
        return page_link(endpoint_url, self.url, self.room, self.token)

    def until(self) -> str:
        """The expiry as local wall-clock time, ``14:35``."""
        return time.strftime("%H:%M", time.localtime(self.expires_at))
