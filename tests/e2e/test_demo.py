"""The README's main job (``wslab demo``) and the terminal chat client, as a user runs them.

What the demo prints for joining the chat is run exactly as printed: its ``wslab chat``
command in a shell, its browser link in Chromium.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Tabs
from tests.support import OutputLines, scaled
from wslab.aws import Target
from wslab.deploy.stack import ChatStack, delete, deploy
from wslab.deploy.tokens import accepted_lifetime, handler_module
from wslab.local.process import stop_background

ROOT = Path(__file__).resolve().parents[2]


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


# What the running demo prints -------------------------------------------------------------


@dataclass
class Demo:
    process: subprocess.Popen[str]
    output: OutputLines
    endpoint_url: str
    command: str
    link: str
    stated: str

    def claims(self, token: str) -> dict[str, Any]:
        payload = token.split(".")[1]
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "==="))
        return claims


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """``wslab demo`` running in a terminal until Ctrl-C, as the README says to start it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "demo", "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = OutputLines(process.stdout)
    port = None
    try:
        started = output.wait_for(lambda line: line.startswith("started the local AWS at "))
        endpoint_url = started.split()[5]
        port = int(endpoint_url.rsplit(":", 1)[1])
        output.wait_for(lambda line: line.startswith("Ctrl-C here stops the demo"), 300)

        def printed(prefix: str) -> str:
            return output.wait_for(lambda line: line.startswith(prefix))[len(prefix) :]

        yield Demo(
            process,
            output,
            endpoint_url,
            command=printed("  from other terminals:  "),
            link=printed("  in a browser:          "),
            stated=printed("join the chat yourself until "),
        )
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(scaled(60)) == 0, "\n".join(output.lines)
        output.wait_for(lambda line: line == "deleted the demo's stack")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if port is not None:
            stop_background(port)  # the demo's own stack, had the demo been killed


def _run_printed(command: str, **options: Any) -> subprocess.Popen[str]:
    """The printed command line, in a shell, from the directory the demo ran in."""
    return subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def test_the_printed_command_joins_the_chat(demo: Demo) -> None:
    """Two terminals run the printed command: one speaks, the other hears it."""
    listener = _run_printed(demo.command)
    assert listener.stdout is not None and listener.stdin is not None
    heard = OutputLines(listener.stdout)
    try:
        heard.wait_for(lambda line: line.startswith("* you are you in room lobby"))
        speaker = _run_printed(demo.command)
        said, errors = speaker.communicate("hello from the printed command\n/quit\n", scaled(60))
        assert speaker.returncode == 0, errors
        assert re.search(r"^\[lobby #\d+\] you: hello from the printed command$", said, re.M)
        heard.wait_for(lambda line: line.endswith("] you: hello from the printed command"))
        listener.stdin.write("/quit\n")
        listener.stdin.flush()
        assert listener.wait(scaled(30)) == 0
    finally:
        if listener.poll() is None:
            listener.kill()
        listener.wait()


def test_piped_input_waits_for_its_own_message_under_a_name_with_history(demo: Demo) -> None:
    """Input from a pipe ends at once; the client still shows its message before it leaves,
    though the room's history already holds messages under the same name (the printed
    token's). Leaving at once instead races the message with $disconnect, which may win."""
    for text in ("first from a pipe", "second from a pipe"):
        speaker = _run_printed(demo.command)
        said, errors = speaker.communicate(text + "\n", scaled(60))
        assert speaker.returncode == 0, errors
        assert re.search(rf"^\[lobby #\d+\] you: {text}$", said, re.M), said


def test_the_printed_tokens_last_as_long_as_stated(demo: Demo) -> None:
    """ "until HH:MM", "last N minutes": the tokens are that long-lived, the deployed
    authorizer's own code accepts them until then, and not a second longer-lived."""
    token = demo.command.rsplit("--token ", 1)[1]
    claims = demo.claims(token)
    until, _, rest = demo.stated.partition(": the tokens below last ")
    minutes = int(rest.split(" minute")[0])
    assert claims["exp"] - claims["iat"] == minutes * 60
    assert until == time.strftime("%H:%M", time.localtime(claims["exp"]))
    stack = ChatStack(Target.local(demo.endpoint_url), "wslab-demo", say=lambda line: None)
    assert accepted_lifetime(stack) == minutes * 60
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.secret_name)
    tokens = handler_module("tokens")
    verified = tokens.verify_token(
        secret["SecretString"], token, max_ttl_seconds=minutes * 60, now=claims["exp"] - 1
    )
    assert verified == "you"
    with pytest.raises(tokens.TokenError, match="lifetime_too_long"):
        tokens.verify_token(secret["SecretString"], token, max_ttl_seconds=minutes * 60 - 1)


def test_the_printed_link_opens_the_chat(demo: Demo, tabs: Tabs) -> None:
    """The browser link, opened as printed: the lobby and its history; then a message from
    the printed terminal command arrives in the tab."""
    expect: Any = pytest.importorskip("playwright.sync_api").expect
    page = tabs.open(demo.link)
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#you")).to_have_text("you (browser)")
    expect(page.locator("#room-name")).to_have_text("lobby")
    history = page.locator("#messages li.message .text")
    expect(history.nth(0)).to_have_text("hello lobby!")
    expect(history.nth(1)).to_have_text("hi alice")
    speaker = _run_printed(demo.command)
    _, errors = speaker.communicate("hello, browser\n/quit\n", scaled(60))
    assert speaker.returncode == 0, errors
    expect(page.locator("#messages li.message").last).to_contain_text("you: hello, browser")
    assert not tabs.script_errors
