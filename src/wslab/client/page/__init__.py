"""The browser chat page: three static files, no build step, nothing fetched from elsewhere.

``wslab local`` serves them at ``/_wslab/chat/`` (the stack's own origin, so the page
connects to the stack's WebSocket APIs as any web page would); the same files work opened
from disk (``file://``) against a chat on AWS.
"""

from __future__ import annotations

from pathlib import Path

from wslab.local.pages import StaticFolder

__all__ = ["CHAT_PAGE", "FOLDER"]

FOLDER = Path(__file__).resolve().parent

CHAT_PAGE = StaticFolder(
    FOLDER,
    # Named types, not guessed from the system's tables, which differ from one machine to
    # the next (and a script refused for its type under nosniff is a blank page).
    files={
        "": ("index.html", "text/html; charset=utf-8"),
        "chat.js": ("chat.js", "text/javascript; charset=utf-8"),
        "chat.css": ("chat.css", "text/css; charset=utf-8"),
    },
    headers={
        # The page runs only its own script, and talks only to WebSocket endpoints.
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src ws: wss:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    },
)
"""What ``wslab local`` serves at ``CHAT_PAGE_PATH``."""
