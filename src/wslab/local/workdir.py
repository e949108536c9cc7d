"""The stack's temporary folder, and the folders of stacks that were killed.

Each running stack keeps the code of its functions, unpacked, in a folder of the system's
temporary directory, ``wslab-local-<pid>-<random>``, and holds an exclusive lock on the
file ``.owner`` inside it for as long as it runs. The operating system releases a lock
when its process ends, however it ends, so a lock that can be taken belongs to a dead
stack: a stack starting up removes every such folder, and never the folder of a stack
that still runs. (Folders are created under another name and renamed once locked, so a
stack starting at the same moment never sees one unlocked.) Where locks are not
available (Windows), left-over folders stay.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["PREFIX", "WorkDir", "remove_orphans"]

PREFIX = "wslab-local-"
_CREATING = "wslab-creating-"
_LOCK = ".owner"


def _try_lock(handle: IO[str]) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class WorkDir:
    """A locked folder of this process's own; :meth:`remove` when the stack stops."""

    def __init__(self, path: Path, lock: IO[str]) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    def create(cls, parent: Path | None = None) -> WorkDir:
        parent = Path(parent or tempfile.gettempdir())
        creating = Path(tempfile.mkdtemp(prefix=_CREATING, dir=parent))
        lock = open(creating / _LOCK, "w")  # noqa: SIM115 - held for the stack's lifetime
        _try_lock(lock)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        path = parent / f"{PREFIX}{os.getpid()}-{creating.name.removeprefix(_CREATING)}"
        creating.rename(path)
        return cls(path, lock)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._lock.close()


def remove_orphans(parent: Path | None = None) -> list[Path]:
    """Remove the folders of stacks that are gone (their lock is free); the ones removed."""
    if fcntl is None:  # pragma: no cover - Windows
        return []
    removed = []
    for path in Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        lock_path = path / _LOCK
        if not path.is_dir() or not lock_path.is_file():
            continue  # a log file, or a folder of an older version: its owner is unknown
        try:
            with open(lock_path) as handle:
                if not _try_lock(handle):
                    continue  # its stack is running
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue
        removed.append(path)
    for stale in Path(parent or tempfile.gettempdir()).glob(f"{_CREATING}*"):
        # Never renamed: its stack died between locking it and renaming it.
        with contextlib.suppress(OSError), open(stale / _LOCK) as handle:
            if _try_lock(handle):
                shutil.rmtree(stale, ignore_errors=True)
    return removed
