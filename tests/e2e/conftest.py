"""A real Chromium for the browser page, driven by Playwright: Debian's ``chromium``, never a
browser Playwright downloads. Where either is missing, the tests that need it skip and say
which and how to install it."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import scaled

# As root, Chromium needs --no-sandbox; the rest keeps it from reaching out to the network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium_path() -> str:
    """``WSLAB_CHROMIUM``, else the Debian package's browser; a skip that says what to do
    where there is none."""
    given = os.environ.get("WSLAB_CHROMIUM")
    if given:
        if not os.access(given, os.X_OK):
            pytest.skip(f"WSLAB_CHROMIUM={given} is not an executable")
        return given
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium installed: apt-get install chromium (or make browser)")
    return found


def _processes_using(profile: Path) -> list[int]:
    """The processes whose command line names ``profile`` (Chromium's and its helpers')."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(profile).encode() in command:
            found.append(int(entry.name))
    return found


class Tabs:
    """Pages of one browser profile; each test's pages are closed after it."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.opened: list[Any] = []
        self.script_errors: list[str] = []
        """Uncaught errors of the pages' scripts: a test ends with none."""

    def open(self, url: str) -> Any:
        page = self.context.new_page()
        self.opened.append(page)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.goto(url)
        return page

    def close_all(self) -> None:
        for page in self.opened:
            if not page.is_closed():
                page.close()
        self.opened.clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A Chromium profile of its own for the module; no browser process outlives it."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed: pip install playwright")
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="wslab-chromium-") as profile:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            # Liveness deadlines, for actions and for expect()'s assertions (5 s by default).
            context.set_default_timeout(scaled(30) * 1000)
            expect.set_options(timeout=scaled(30) * 1000)
            try:
                yield context
            finally:
                context.close()
        deadline = time.monotonic() + scaled(10)
        while (left := _processes_using(Path(profile))) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:  # ours: it runs with our profile
            os.kill(pid, signal.SIGKILL)
        assert not left, f"Chromium processes outlived the browser: {left}"


@pytest.fixture
def tabs(browser: Any) -> Iterator[Tabs]:
    """``tabs.open(url)``: a new tab; every tab the test opened is closed after it."""
    opened = Tabs(browser)
    yield opened
    opened.close_all()
