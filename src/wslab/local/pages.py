"""Static pages the local AWS serves beside its health path (the browser chat page).

The stack serves what it is given (``LocalAWS(pages=...)``): the pages themselves belong to
whoever composes the stack (``wslab local`` gives it the chat page), not to the emulator.
No file outside a folder's list is served, whatever the path asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

__all__ = ["StaticFolder", "add_static_folder"]


@dataclass(frozen=True)
class StaticFolder:
    """A folder's listed files: ``files`` maps the name in the URL (``""`` for the folder
    itself) to the file's name and its ``Content-Type``; ``headers`` go on every answer."""

    path: Path
    files: Mapping[str, tuple[str, str]]
    headers: Mapping[str, str] = field(default_factory=dict)


def add_static_folder(router: web.UrlDispatcher, url_path: str, folder: StaticFolder) -> None:
    """``GET url_path`` (ending in ``/``) and its files; ``url_path`` without its ``/``
    redirects there."""

    async def serve(request: web.Request) -> web.StreamResponse:
        found = folder.files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        name, content_type = found
        return web.FileResponse(
            folder.path / name, headers={**folder.headers, "Content-Type": content_type}
        )

    async def to_folder(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(url_path)

    router.add_get(url_path + "{name:[a-z.]*}", serve)
    router.add_get(url_path.rstrip("/"), to_folder)
