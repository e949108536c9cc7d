"""``wslab deploy`` twice on the default chat, one line of a handler edited in between: the
edit-and-run loop of a learner, through the real command.

The command runs from a copy of the checkout (the package, the template and lambda_src/),
so the edit is made where a learner makes it, ``lambda_src/chat/handlers.py``, without
touching the checkout the other tests deploy from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import websocket

from tests.support import scaled
from wslab.deploy import project

ROOT = Path(__file__).resolve().parents[2]
STACK = "e2e-twice"
ORIGINAL_LINE = 'raise BadRequest("unknown_action", f"Unknown action {shown}.")'
EDITED_LINE = 'raise BadRequest("unknown_action", f"No route takes {shown}.")'


def _checkout_copy(where: Path) -> Path:
    """A checkout of the project with only what ``wslab deploy`` reads."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "src", where / "src", ignore=ignore)
    shutil.copytree(project.lambda_src(), where / "lambda_src", ignore=ignore)
    shutil.copytree(ROOT / "cloudformation", where / "cloudformation", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def _wslab_deploy(checkout: Path, endpoint_url: str, *extra: str) -> dict[str, str]:
    """``wslab deploy`` of the copy; the outputs it prints."""
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "deploy", "--endpoint-url", endpoint_url,
         "--stack-name", STACK, *extra],
        capture_output=True, text=True, timeout=scaled(300), cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout / "src")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and " " not in line
    )


def _unknown_action_answer(url: str) -> str:
    """What the default route answers a new client asking for an action no route has."""
    ws = websocket.create_connection(url, timeout=scaled(20), suppress_origin=True)
    try:
        ws.send(json.dumps({"action": "nope"}))
        while True:
            frame = json.loads(ws.recv())
            if frame.get("type") == "error":
                return str(frame["message"])
    finally:
        ws.close()


def test_the_second_deploy_runs_the_edited_handler(endpoint_url: str, tmp_path: Path) -> None:
    """The first deploy creates the stack, the second (after the edit) updates it, and the
    edited line is what answers; a third, with nothing changed, succeeds saying so."""
    checkout = _checkout_copy(tmp_path)
    try:
        first = _wslab_deploy(checkout, endpoint_url)
        assert _unknown_action_answer(first["WebSocketURL"]) == 'Unknown action "nope".'
        handlers = checkout / "lambda_src" / "chat" / "handlers.py"
        source = handlers.read_text()
        assert ORIGINAL_LINE in source
        handlers.write_text(source.replace(ORIGINAL_LINE, EDITED_LINE))

        second = _wslab_deploy(checkout, endpoint_url)

        assert second == first
        assert _unknown_action_answer(second["WebSocketURL"]) == 'No route takes "nope".'
        assert _wslab_deploy(checkout, endpoint_url) == second
    finally:
        _wslab_deploy(checkout, endpoint_url, "--delete")
