"""The devcontainer's set-up in a new virtual environment, then the room's path through it:
``.devcontainer/setup.sh`` (the learner's install, jupyter-server-proxy, ``npm ci``) in a
copy of the checkout, then ``binder/start`` and the checks of ``test_zero_install.py``
with that environment's ``wslab`` and ``jupyter``. Minutes of pip (8 on a busy 2-core
machine): ``make zero-install`` runs it, once per CI, not ``make tests``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_zero_install import check_the_room_path
from tests.e2e.zero_install import ROOT, binder_started
from tests.support import scaled

FRESH_VARIABLE = "WSLAB_FRESH_INSTALL"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(scaled(1800)),
    pytest.mark.skipif(
        os.environ.get(FRESH_VARIABLE) != "1",
        reason=f"a fresh install takes minutes: make zero-install runs it ({FRESH_VARIABLE}=1)",
    ),
]


def _checkout_copy(where: Path) -> Path:
    """The checkout's files as they are now, committed or not (what a clone would hold)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name)
    return where


def test_setup_sh_in_a_new_venv_then_the_room_path(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path / "wslab")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["bash", str(checkout / ".devcontainer" / "setup.sh")],
        env={**env, "PYTHON": str(bin_dir / "python")},
        capture_output=True, text=True, timeout=scaled(1500),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (bin_dir / "wslab").is_file() and (bin_dir / "jupyter").is_file()
    if shutil.which("npm"):
        assert (checkout / "node_modules" / "@aws-sdk" / "client-dynamodb").is_dir()
    with binder_started(bin_dir, tmp_path / "run", checkout) as jupyter:
        check_the_room_path(jupyter)
