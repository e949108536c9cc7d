"""``wslab demo``: the whole system, offline, in one command.

It starts the local AWS (or uses the one already running), deploys the chat from the
CloudFormation template, plays a short conversation between three people in two rooms
through real WebSockets, then leaves the chat running for you to join (a ``wslab chat``
command and a browser link, with tokens the deployed authorizer accepts, renewed before
they expire), and cleans up on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator

from websocket import WebSocketBadStatusException

from wslab.aws import Target
from wslab.client.chat import ChatClient, format_event
from wslab.client.invitation import Invitation
from wslab.deploy.stack import ChatStack, delete, deploy
from wslab.deploy.tokens import accepted_lifetime, mint_for_stack
from wslab.local.platform import stop_signals
from wslab.local.process import LocalAWSProcess, health

__all__ = ["invite", "play_conversation", "run_demo"]

DEMO_STACK = "wslab-demo"
INVITED_ROOM = "lobby"
TERMINAL_USER = "you"
BROWSER_USER = "you (browser)"
# A fresh invitation is printed this long before the previous one expires (at most).
RENEW_BEFORE_S = 60


def _duration(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} seconds"
    return f"{seconds // 60} minute{'s' if seconds != 60 else ''}"


@contextlib.contextmanager
def _local_aws(port: int, say: Callable[[str], None]) -> Iterator[str]:
    """The stack already answering on ``port``, or one started for the demo's duration."""
    running = health(port)
    if running is not None:
        say(f"using the local AWS already running at {running['endpoint_url']}")
        yield str(running["endpoint_url"])
        return
    started = time.monotonic()
    with LocalAWSProcess(port=port, own_session=True) as stack:
        say(f"started the local AWS at {stack.endpoint_url} in {time.monotonic() - started:.1f} s")
        yield stack.endpoint_url


def play_conversation(
    url: str, say: Callable[[str], None], token_for: Callable[[str], str]
) -> None:
    """Alice and Bob in the lobby, Carol in games; then Bob moves to games."""
    try:
        ChatClient(url, room="lobby")
    except WebSocketBadStatusException as refused:
        say(f"  a connection without a token is refused: HTTP {refused.status_code}")
    alice = ChatClient(url, room="lobby", token=token_for("alice"))
    bob = ChatClient(url, room="lobby", token=token_for("bob"))
    carol = ChatClient(url, room="games", token=token_for("carol"))
    people = {"alice": alice, "bob": bob, "carol": carol}
    try:
        for client in people.values():
            client.join()
        say("  alice and bob (signed tokens) are in lobby, carol is in games")

        def exchange(sender: str, text: str, receivers: list[str]) -> None:
            people[sender].say(text)
            for receiver in receivers:
                event = people[receiver].next_of("message")
                say(f"  {receiver:>5} got  {format_event(event)}")

        exchange("alice", "hello lobby!", ["alice", "bob"])
        exchange("carol", "anyone for a game?", ["carol"])
        exchange("bob", "hi alice", ["alice", "bob"])
        joined = bob.join("games")
        say(f"  bob moves to games and gets its history: {len(joined['history'])} message(s)")
        for event in joined["history"]:
            say(f"          {format_event(event)}")
        exchange("bob", "me! (from bob, now in games)", ["bob", "carol"])
        alice.send("sendmessage")
        say(f"  alice sends a message without data and gets {format_event(alice.next_of('error'))}")
    finally:
        for client in people.values():
            client.close()


def invite(stack: ChatStack, url: str, endpoint_url: str, say: Callable[[str], None]) -> Invitation:
    """Print how to join: a terminal command and a browser link, each with a token that
    lasts as long as the deployed authorizer allows. Returns the terminal's invitation."""
    lifetime = accepted_lifetime(stack)
    issued = int(time.time())

    def for_user(user: str) -> Invitation:
        token = mint_for_stack(stack, user, ttl_seconds=lifetime, now=issued)
        return Invitation(url, INVITED_ROOM, token, expires_at=issued + lifetime)

    terminal, browser = for_user(TERMINAL_USER), for_user(BROWSER_USER)
    say("")
    say(
        f"join the chat yourself until {terminal.until()}: the tokens below last "
        f"{_duration(lifetime)}, the longest the authorizer accepts "
        "(a token is checked when a connection opens; an open connection stays)"
    )
    say(f"  from other terminals:  {terminal.chat_command()}")
    say(f"  in a browser:          {browser.page_link(endpoint_url)}")
    return terminal


def run_demo(port: int, once: bool, say: Callable[[str], None] = print) -> None:
    stop = threading.Event()
    for signum in stop_signals():
        signal.signal(signum, lambda *_: stop.set())
    with _local_aws(port, say) as endpoint_url:
        stack = ChatStack(Target.local(endpoint_url), DEMO_STACK, say=lambda line: None)
        started = time.monotonic()
        outputs = deploy(stack, with_authorizer=True)
        url = outputs["WebSocketURL"]
        say(f"deployed cloudformation/template.yaml in {time.monotonic() - started:.1f} s: {url}")
        try:
            say("a conversation through real WebSockets, API Gateway rules and Lambda handlers:")
            play_conversation(url, say, lambda user: mint_for_stack(stack, user))
            while not once:
                invitation = invite(stack, url, endpoint_url, say)
                say("Ctrl-C here stops the demo and deletes what it deployed.")
                margin = min(RENEW_BEFORE_S, (invitation.expires_at - time.time()) / 4)
                if stop.wait(max(invitation.expires_at - margin - time.time(), 1)):
                    break
                say(f"the invitation above expires at {invitation.until()}; a fresh one:")
        finally:
            delete(stack)
            say("deleted the demo's stack")
