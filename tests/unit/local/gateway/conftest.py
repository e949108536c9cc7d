"""Shared fixtures: events captured on AWS, and a non-English time locale."""

from __future__ import annotations

import locale
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import load_event

# Month names differ from English in all of these, so %b would betray a locale leak.
_CANDIDATE_LOCALES = ("de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "es_ES.UTF-8")


@pytest.fixture
def aws_event() -> Callable[[str], dict[str, Any]]:
    """Load one of the real AWS events in ``tests/events/`` by file name."""

    return load_event


def _try_setlocale(name: str) -> bool:
    try:
        locale.setlocale(locale.LC_TIME, name)
    except locale.Error:
        return False
    return True


@pytest.fixture
def german_time_locale(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Switch LC_TIME to a non-English locale for one test, compiling one if none is installed."""
    previous = locale.setlocale(locale.LC_TIME)
    chosen = next((name for name in _CANDIDATE_LOCALES if _try_setlocale(name)), None)
    if chosen is None and shutil.which("localedef"):
        # Minimal containers ship only C/POSIX; glibc reads LOCPATH on every setlocale call.
        locales = tmp_path_factory.mktemp("locales")
        # localedef exits non-zero on mere warnings, so success is judged by setlocale.
        subprocess.run(
            ["localedef", "-i", "de_DE", "-f", "UTF-8", str(locales / "de_DE.UTF-8")],
            capture_output=True,
            check=False,
        )
        monkeypatch.setenv("LOCPATH", str(locales))
        if _try_setlocale("de_DE.UTF-8"):
            chosen = "de_DE.UTF-8"
    if chosen is None:
        pytest.skip("no non-English locale available")
    try:
        yield chosen
    finally:
        locale.setlocale(locale.LC_TIME, previous)
