"""The Python handlers' copyable tests (``lambda_src/chat_tests/``: plain pytest and boto3),
run as a team that copied them would: pytest with none of this project's configuration, and
``AWS_ENDPOINT_URL`` naming a local AWS (the session's ``wslab local``), so the tables'
tests run too instead of skipping."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REGION, scaled
from wslab.local.process import LocalAWSProcess

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"


def test_pytest_passes_with_nothing_skipped(local_stack: LocalAWSProcess, tmp_path: Path) -> None:
    settings = tmp_path / "pytest.ini"
    settings.write_text("[pytest]\n")  # not the project's: no timeout, paths or plugins of ours
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": local_stack.endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-c", str(settings), "--rootdir", str(LAMBDA_SRC), "chat_tests"],
        cwd=LAMBDA_SRC, env=environment, capture_output=True, text=True, timeout=scaled(180),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert re.match(r"^\d+ passed in ", summary), done.stdout
    assert int(summary.split()[0]) == 21, summary
