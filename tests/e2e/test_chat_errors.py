"""``wslab chat`` when the chat refuses it or ends the connection: one line on stderr that
says why, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support import (
    DeployedChat,
    OutputLines,
    deployed,
    handler_runtimes,
    scaled,
    stack_name_for,
)
from wslab.deploy.tokens import mint_for_stack


@pytest.fixture(scope="module", params=handler_runtimes())
def guarded(endpoint_url: str, request: pytest.FixtureRequest) -> Iterator[DeployedChat]:
    """The chat with its token authorizer, once per reference implementation."""
    runtime = str(request.param)
    yield from deployed(
        endpoint_url,
        stack_name_for("e2e-cli-errors", runtime),
        DeployedChat,
        with_authorizer=True,
        runtime=runtime,
    )


def _chat(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslab", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    return line


def test_no_token_is_401(guarded: DeployedChat) -> None:
    line = _one_line(_chat(guarded.url))
    assert line == (
        f"wslab chat: cannot connect to {guarded.url}: refused with HTTP 401: this chat has an "
        "authorizer and the URL carries no token; pass --token"
    )


def test_a_refused_token_is_403(guarded: DeployedChat) -> None:
    expired = mint_for_stack(guarded.stack, "you", ttl_seconds=60, now=0)
    line = _one_line(_chat(guarded.url, "--token", expired))
    assert line.startswith(f"wslab chat: cannot connect to {guarded.url}: refused with HTTP 403: ")
    assert "the authorizer denied the token (expired, " in line


def test_a_bad_room_is_400(guarded: DeployedChat) -> None:
    token = mint_for_stack(guarded.stack, "you")
    rule = ("refused with HTTP 400: a room name is 1 to 64 letters or digits of any script, "
            "_ and - (no spaces, nothing invisible)")  # fmt: skip
    for room in ("no spaces", "zero\u200bwidth", "\u202eright-to-left", "x" * 65):
        line = _one_line(_chat(guarded.url, "--room", room, "--token", token))
        assert line.endswith(rule), room


def test_rooms_and_users_of_any_script(guarded: DeployedChat, unique: str) -> None:
    """A Cyrillic room, typed with a decomposed letter, and a Chinese user name: the session
    shows both as the chat keeps them (the room NFC-normalised)."""
    typed, kept = f"комната-n\u0303-{unique}", f"комната-\u00f1-{unique}"
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "chat", guarded.url, "--room", typed,
         "--token", mint_for_stack(guarded.stack, "小明")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stdin is not None
        shown = OutputLines(process.stdout)
        shown.wait_for(lambda line: line.startswith(f"* you are 小明 in room {kept}"))
        process.stdin.write("你好, мир\n")
        process.stdin.flush()
        shown.wait_for(lambda line: line == f"[{kept} #1] 小明: 你好, мир")
        assert guarded.room_connections(kept)
    finally:
        process.kill()
        process.wait()


def test_an_unknown_api_is_403(guarded: DeployedChat, endpoint_url: str) -> None:
    """As an undeployed stage: nothing answers there (a restarted stack forgets its APIs)."""
    url = f"{endpoint_url.replace('http', 'ws')}/nosuchapi0/prod"
    line = _one_line(_chat(url))
    assert line.endswith("refused with HTTP 403: no API or stage is deployed at this URL "
                         "(wslab local keeps them in memory: a restart forgets them), or the "
                         "chat's Origin allowlist refused this client")  # fmt: skip


def test_nothing_listening_is_connection_refused() -> None:
    line = _one_line(_chat("ws://127.0.0.1:9/nothing/prod"))
    assert line == (
        "wslab chat: cannot connect to ws://127.0.0.1:9/nothing/prod: nothing listens at "
        "127.0.0.1:9 (connection refused): is `wslab demo` or `wslab local` still running there?"
    )


def test_not_a_websocket_url(guarded: DeployedChat) -> None:
    management = guarded.outputs["ManagementURL"]
    line = _one_line(_chat(management))
    assert line == (
        f"wslab chat: cannot connect to {management}: not a WebSocket URL (scheme http is "
        "invalid): it starts with ws:// or wss://"
    )


def _session(guarded: DeployedChat, room: str) -> tuple[subprocess.Popen[str], OutputLines]:
    """``wslab chat`` joined in ``room``, its input left open as a person's would be."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "chat", guarded.url, "--room", room,
         "--token", mint_for_stack(guarded.stack, "you")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    shown = OutputLines(process.stdout)
    shown.wait_for(lambda line: line.startswith(f"* you are you in room {room}"))
    return process, shown


def test_a_connection_the_chat_closes_ends_with_its_reason(
    guarded: DeployedChat, unique: str
) -> None:
    """An @connections DELETE closes the socket (1000): the session ends at once, without
    waiting for input, and says so."""
    room = f"closed-{unique}"
    process, _ = _session(guarded, room)
    try:
        [connection] = guarded.room_connections(room)
        guarded.management().delete_connection(ConnectionId=connection)
        assert process.wait(scaled(30)) == 1
        assert process.stderr is not None
        errors = process.stderr.read()
        assert "Traceback" not in errors
        assert errors.splitlines() == [
            "wslab chat: the chat closed the connection: 1000, normal closure: the connection "
            'was ended on purpose (an @connections DELETE) ("Connection Closed Normally")'
        ]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_ctrl_c_leaves_quietly(guarded: DeployedChat, unique: str) -> None:
    process, _ = _session(guarded, f"interrupted-{unique}")
    try:
        process.send_signal(signal.SIGINT)
        assert process.wait(scaled(30)) == 130
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
