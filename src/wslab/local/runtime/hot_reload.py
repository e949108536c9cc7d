"""Hot reload: a function whose code is a folder on this machine runs that folder's files.

A function created (or updated) with ``Code: {S3Bucket: hot-reload, S3Key: /abs/folder}``
has no package: its execution environments start in the folder itself, as LocalStack's
"Hot Reloading" does (https://docs.localstack.cloud/user-guide/lambda-tools/hot-reloading/).
Each folder in use is watched by one thread (watchfiles: the system's file events, no
polling); every change bumps the folder's ``generation``, and the pool of each function on
that folder compares it with the generation its environments started at on the next
invocation: one integer read, no file system call on the invocation's path. Environments of
the old generation are retired (idle ones at once, busy ones when their invocation ends).

Why a watcher and not a walk of the folder per invocation: ``benchmarks/hot_reload.py``
measures both; a stat of every file costs each invocation of a hot function a blocking
walk on the event loop, the watcher costs nothing there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import DefaultFilter, watch

__all__ = ["FolderWatch", "FolderWatches"]

# watchfiles yields once no new change came for STEP_MS (an editor's save is several writes),
# and at the latest after DEBOUNCE_MS of changes in a row.
_STEP_MS = 30
_DEBOUNCE_MS = 300
_READY_MS = 200

# What changes without the code changing: bytecode caches, editors' swap files, .git.
_FILTER = DefaultFilter()


class FolderWatch:
    """Counts the changes to one folder's files, from a daemon thread of its own."""

    def __init__(self, folder: Path, on_change: Callable[[list[str]], None] | None = None) -> None:
        """``on_change``: called on the watching thread with the changed files' paths."""
        self.folder = folder
        self.generation = 0
        self._on_change = on_change
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name=f"hot-reload {folder.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        changes_seen = watch(
            self.folder,
            watch_filter=_FILTER,
            debounce=_DEBOUNCE_MS,
            step=_STEP_MS,
            stop_event=self._stop,
            # An empty yield this often: the first says the watch is in place.
            rust_timeout=_READY_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        for changes in changes_seen:
            self._ready.set()
            if changes:
                self.generation += 1
                if self._on_change is not None:
                    self._on_change(sorted({path for _, path in changes}))

    def wait_ready(self, timeout_s: float) -> bool:
        """True once changes are being watched (the first events are not missed after it)."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        self._stop.set()


class FolderWatches:
    """One watch per folder, shared by every function whose code is that folder."""

    def __init__(self, on_change: Callable[[Path, list[str]], None] | None = None) -> None:
        self._on_change = on_change
        self._watches: dict[Path, FolderWatch] = {}

    def watch(self, folder: Path) -> FolderWatch:
        """The watch of ``folder``, started on first use (call it off the event loop: the
        watch is in place when it returns)."""
        found = self._watches.get(folder)
        if found is not None:
            return found
        on_change = self._on_change
        started = FolderWatch(
            folder, (lambda paths: on_change(folder, paths)) if on_change else None
        )
        started.start()
        started.wait_ready(5.0)
        self._watches[folder] = started
        return started

    def keep_only(self, folders: Iterable[Path]) -> None:
        """Stop watching every folder not in ``folders`` (no function's code any more)."""
        kept = set(folders)
        for folder in [folder for folder in self._watches if folder not in kept]:
            self._watches.pop(folder).stop()

    def close(self) -> None:
        self.keep_only(())
