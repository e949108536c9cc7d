"""The browser chat page, served by the local AWS beside its health path.

Three static files (``chat_page/``), no build step and nothing fetched from elsewhere, so
the page works offline. Served from the stack's own origin, it connects to the stack's
WebSocket APIs as any web page would. The same files also work opened from disk
(``file://``) against a chat on AWS.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .defaults import CHAT_PAGE_PATH

__all__ = ["PAGE_DIR", "add_chat_page"]

PAGE_DIR = Path(__file__).resolve().parent / "chat_page"
# Named types, not guessed from the system's tables, which differ from one machine to the
# next (and a script refused for its type under nosniff is a blank page).
_FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "chat.css": ("chat.css", "text/css; charset=utf-8"),
}
_HEADERS = {
    # The page runs only its own script, and talks only to WebSocket endpoints.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src ws: wss:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def _serve(request: web.Request) -> web.StreamResponse:
    found = _FILES.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    name, content_type = found
    return web.FileResponse(PAGE_DIR / name, headers={**_HEADERS, "Content-Type": content_type})


def add_chat_page(router: web.UrlDispatcher) -> None:
    """``GET /_wslab/chat/`` (and its two files); ``/_wslab/chat`` redirects there."""
    router.add_get(CHAT_PAGE_PATH + "{name:[a-z.]*}", _serve)
    router.add_get(CHAT_PAGE_PATH.rstrip("/"), _to_page)


async def _to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(CHAT_PAGE_PATH)
