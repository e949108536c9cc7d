"""The Node.js handlers' own tests (``lambda_src/chat-nodejs/test/``, plain ``node:test``),
run as a team that copied the folder would run them: ``node --test`` with
``AWS_ENDPOINT_URL`` naming a local AWS (here the session's ``wslab local``), so the
tables' tests run too instead of skipping."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.local.lambda_helpers import requires_node_sdk
from tests.support import REGION, scaled
from wslab.local.process import LocalAWSProcess

pytestmark = requires_node_sdk

FOLDER = Path(__file__).resolve().parents[2] / "lambda_src" / "chat-nodejs"


def test_node_test_passes_with_nothing_skipped(local_stack: LocalAWSProcess) -> None:
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": local_stack.endpoint_url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    done = subprocess.run(
        [str(shutil.which("node")), "--test"],
        cwd=FOLDER,
        env=environment,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", report, re.MULTILINE))
    assert counts == {"pass": "11", "fail": "0", "skipped": "0"}, report


def test_every_module_parses() -> None:
    """``node --check`` on each module and test file (syntax only: no import runs)."""
    files = sorted(FOLDER.rglob("*.mjs"))
    assert len(files) >= 15
    for path in files:
        done = subprocess.run(
            [str(shutil.which("node")), "--check", str(path)],
            capture_output=True,
            text=True,
            timeout=scaled(60),
        )
        assert done.returncode == 0, f"{path.name}: {done.stderr}"
