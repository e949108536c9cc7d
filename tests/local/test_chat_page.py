"""The local AWS serves the browser chat page beside its health path: three static files
that fetch nothing from anywhere else, so the page works offline."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from tests.support import scaled
from wslab.client.page import CHAT_PAGE, FOLDER
from wslab.local.defaults import CHAT_PAGE_PATH


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=scaled(10)) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize(
    ("name", "served_as", "content_type"),
    [("", "index.html", "text/html"), ("chat.js", "chat.js", "text/javascript"),
     ("chat.css", "chat.css", "text/css")],
)  # fmt: skip
def test_the_page_and_its_files_are_served(
    endpoint_url: str, name: str, served_as: str, content_type: str
) -> None:
    status, headers, body = _get(f"{endpoint_url}{CHAT_PAGE_PATH}{name}")
    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert body == (FOLDER / served_as).read_bytes()
    # Only its own script runs, and it talks to WebSocket endpoints only.
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "connect-src ws: wss:" in headers["Content-Security-Policy"]


def test_the_path_without_its_slash_leads_to_the_page(endpoint_url: str) -> None:
    status, _, body = _get(f"{endpoint_url}{CHAT_PAGE_PATH.rstrip('/')}")
    assert status == 200
    assert b"<title>wslab chat</title>" in body


@pytest.mark.parametrize("name", ["index.htm", "../defaults.py", "%2e%2e/pages.py", "chat.jsx"])
def test_nothing_else_is_served_there(endpoint_url: str, name: str) -> None:
    assert _get(f"{endpoint_url}{CHAT_PAGE_PATH}{name}")[0] == 404


def test_the_page_fetches_nothing_from_elsewhere() -> None:
    """No CDN, no web font, no remote script: every reference is one of its own files."""
    files = {name: (FOLDER / name).read_text() for name, _ in CHAT_PAGE.files.values()}
    assert set(files) == {"index.html", "chat.js", "chat.css"}
    assert set(re.findall(r'(?:src|href)="([^"]+)"', files["index.html"])) == {
        "chat.js",
        "chat.css",
    }
    for name, text in files.items():
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), name
