"""The folder watch of hot reload (``runtime/hot_reload.py``), on real files: a change
moves the generation, caches and editors' files do not, a stopped watch sees nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.support import scaled
from wslab.local.runtime.hot_reload import FolderWatch, FolderWatches


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + scaled(30)
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_change_moves_the_generation_and_names_the_file(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    watches = FolderWatches(on_change=lambda folder, paths: seen.append(paths))
    watch = watches.watch(tmp_path)
    try:
        assert watches.watch(tmp_path) is watch, "one watch per folder"
        assert watch.generation == 0
        (tmp_path / "app.py").write_text("x = 1\n")
        _until(lambda: watch.generation == 1, "the first change")
        assert seen == [[str(tmp_path / "app.py")]]
    finally:
        watches.close()


def test_bytecode_caches_and_swap_files_are_no_change(tmp_path: Path) -> None:
    """What Python, editors and git write beside the code does not renew environments."""
    watch = FolderWatch(tmp_path)
    watch.start()
    assert watch.wait_ready(scaled(10))
    try:
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"cache")
        (tmp_path / ".app.py.swp").write_text("swap")
        time.sleep(0.3)  # past the quiet period: a batch of its own, were it seen
        (tmp_path / "marker.py").write_text("last\n")  # a real change
        _until(lambda: watch.generation > 0, "the real change")
        time.sleep(0.3)
        assert watch.generation == 1, "only the real change counted"
    finally:
        watch.stop()


def test_keep_only_stops_the_watches_of_other_folders(tmp_path: Path) -> None:
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    kept.mkdir()
    dropped.mkdir()
    watches = FolderWatches()
    try:
        kept_watch, dropped_watch = watches.watch(kept), watches.watch(dropped)
        watches.keep_only([kept])
        assert watches.watch(kept) is kept_watch
        assert watches.watch(dropped) is not dropped_watch, "a new watch for a dropped folder"
    finally:
        watches.close()
