"""The stack's temporary folder, and the folders of stacks that were killed.

Each running stack keeps the code of its functions, unpacked, in a folder of the system's
temporary directory, ``wslab-local-<pid>-<random>``, and holds an exclusive lock on the
file ``.owner`` inside it for as long as it runs. The operating system releases a lock
when its process ends, however it ends, so a lock that can be taken belongs to a dead
stack: a stack starting up removes every such folder, and never the folder of a stack
that still runs. (Folders are created under another name and renamed once locked, so a
stack starting at the same moment never sees one unlocked.) The lock is
:func:`wslab.local.platform.try_lock`'s: ``flock`` on POSIX, ``msvcrt.locking`` on Windows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from wslab.local.platform import try_lock

__all__ = ["PREFIX", "WorkDir", "remove_orphans"]

PREFIX = "wslab-local-"
_CREATING = "wslab-creating-"
_LOCK = ".owner"


def _owner_is_gone(lock_path: Path) -> bool:
    """Whether the lock on ``lock_path`` is free: its stack has ended. The file is closed
    again before the folder is removed (Windows removes no file that is open)."""
    try:
        with open(lock_path) as handle:
            return try_lock(handle)
    except OSError:
        return False


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
        try_lock(lock)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        path = parent / f"{PREFIX}{os.getpid()}-{creating.name.removeprefix(_CREATING)}"
        creating.rename(path)
        return cls(path, lock)

    def remove(self) -> None:
        self._lock.close()  # first: Windows removes no file that is open
        shutil.rmtree(self.path, ignore_errors=True)


def remove_orphans(parent: Path | None = None) -> list[Path]:
    """Remove the folders of stacks that are gone (their lock is free); the ones removed."""
    removed = []
    for path in Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        lock_path = path / _LOCK
        if not path.is_dir() or not lock_path.is_file():
            continue  # a log file, or a folder of an older version: its owner is unknown
        if _owner_is_gone(lock_path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for stale in Path(parent or tempfile.gettempdir()).glob(f"{_CREATING}*"):
        # Never renamed: its stack died between locking it and renaming it.
        if _owner_is_gone(stale / _LOCK):
            shutil.rmtree(stale, ignore_errors=True)
    return removed
