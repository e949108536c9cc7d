"""The README's main job (``wslab demo``) and the terminal chat client, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support import scaled
from wslab.aws import Target
from wslab.deploy import ChatStack, delete, deploy


def test_demo_plays_the_conversation_and_cleans_up() -> None:
    """``wslab demo --once`` starts its own stack, chats in two rooms, deletes, exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "demo", "--port", "0", "--once"],
        capture_output=True,
        text=True,
        timeout=scaled(300),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  a connection without a token is refused: HTTP 401" in lines
    assert "  alice got  [lobby #1] alice: hello lobby!" in lines
    assert "    bob got  [lobby #1] alice: hello lobby!" in lines
    assert "          [games #1] carol: anyone for a game?" in lines
    assert "  carol got  [games #2] bob: me! (from bob, now in games)" in lines
    assert not any("carol got  [lobby" in line for line in lines)
    assert lines[-1] == "deleted the demo's stack"


@pytest.fixture(scope="module")
def chat_url(endpoint_url: str) -> Iterator[str]:
    target = ChatStack(Target.local(endpoint_url), "e2e-cli", say=lambda line: None)
    outputs = deploy(target)
    yield outputs["WebSocketURL"]
    delete(target)


def test_terminal_client_sends_and_shows_messages(chat_url: str) -> None:
    """``wslab chat`` joins, sends what is typed, shows the room's messages and errors."""
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "chat", chat_url, "--room", "tty"],
        input="hello from the terminal\n/join other\n/nope\n/quit\n",
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"connected to {chat_url}" in out
    assert "* you are guest-" in out and "in room tty" in out
    assert "[tty #1] guest-" in out and ": hello from the terminal" in out
    assert "in room other" in out
    assert "! unknown command" in out


def test_terminal_client_explains_a_bad_url() -> None:
    """A URL nothing serves gives one clear line and a non-zero exit, not a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "chat", "ws://127.0.0.1:9/nothing/prod"],
        input="",
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert result.returncode != 0
    assert "wslab chat: cannot connect to ws://127.0.0.1:9/nothing/prod" in result.stderr
    assert "Traceback" not in result.stderr
