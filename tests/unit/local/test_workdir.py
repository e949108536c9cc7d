"""The stack's temporary folder: removed when its owner is gone, never while it runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from wslab.local.workdir import PREFIX, WorkDir, remove_orphans

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from wslab.local.workdir import WorkDir\n"
    "work = WorkDir.create(Path(sys.argv[1]))\n"
    "print(work.path, flush=True)\n"
    "time.sleep(60)\n"
)


def _holder(parent: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(parent)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_only_the_folders_of_dead_owners_are_removed(tmp_path: Path) -> None:
    dead, dead_folder = _holder(tmp_path)
    alive, alive_folder = _holder(tmp_path)
    legacy = tmp_path / f"{PREFIX}abcd1234"  # an older version's: no lock, owner unknown
    legacy.mkdir()
    log = tmp_path / f"{PREFIX}4577.log"
    log.write_text("a background stack's log\n")
    try:
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait()
        assert remove_orphans(tmp_path) == [dead_folder]
        assert not dead_folder.exists()
        assert alive_folder.is_dir() and legacy.is_dir() and log.is_file()
        assert alive_folder.name.startswith(f"{PREFIX}{alive.pid}-")
    finally:
        alive.kill()
        alive.wait()
    assert remove_orphans(tmp_path) == [alive_folder]


def test_a_folder_of_one_s_own_is_kept_and_removed_on_stop(tmp_path: Path) -> None:
    work = WorkDir.create(tmp_path)
    assert remove_orphans(tmp_path) == []
    work.remove()
    assert list(tmp_path.iterdir()) == []
