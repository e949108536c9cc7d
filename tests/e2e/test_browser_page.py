"""The browser chat page in a real Chromium, against the template deployed on ``wslab local``.

The page is the one the local AWS serves at ``/_wslab/chat/``, opened with the link
``wslab.client.invitation.page_link`` makes (the demo prints the same). Tokens are minted with the
stack's key, so each tab has a name. Every wait has a deadline, scaled by
``WSLAB_TEST_TIMEOUT_SCALE``; deliveries must take at most 2 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import Tabs
from tests.e2e.history_route import ensure_history_route, remove_stand_in, without_history_route
from tests.support import DeployedChat, deployed, scaled
from wslab.client.chat import ChatClient
from wslab.client.invitation import page_link
from wslab.deploy.tokens import mint_for_stack

expect: Any = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed"
).expect


class Chat(DeployedChat):
    def link(self, user: str, room: str) -> str:
        """The page's link for ``user`` in ``room``, as the demo prints one."""
        endpoint_url = str(self.stack.target.endpoint_url)
        return page_link(endpoint_url, self.url, room, mint_for_stack(self.stack, user))

    def participant(self, user: str, room: str) -> ChatClient:
        """A terminal-side participant (websocket-client), joined."""
        client = ChatClient(self.url, room=room, token=mint_for_stack(self.stack, user))
        client.join()
        return client

    def skip_a_number(self, room: str, text: str) -> int:
        """Store a message in ``room`` that no one is sent, as a broadcast that reached nobody
        would leave it (e.g. its function killed mid-way): the members see a gap."""
        table = self.stack.target.resource("dynamodb").Table(self.outputs["HistoryTableName"])
        seq = int(
            table.update_item(
                Key={"roomId": room, "seq": 0},
                UpdateExpression="SET lastSeq = if_not_exists(lastSeq, :zero) + :one",
                ExpressionAttributeValues={":zero": 0, ":one": 1},
                ReturnValues="UPDATED_NEW",
            )["Attributes"]["lastSeq"]
        )
        table.put_item(
            Item={"roomId": room, "seq": seq, "sender": "ghost", "text": text,
                  "sentAt": "2025-01-27T16:39:50.113Z", "expiresAt": int(time.time()) + 3600}
        )  # fmt: skip
        return seq


@pytest.fixture(scope="module")
def chat(endpoint_url: str, browser: Any) -> Iterator[Chat]:
    """The chat with its authorizer, without a ``history`` route (a stack from before it)."""
    for deployed_chat in deployed(endpoint_url, "e2e-page", Chat, with_authorizer=True):
        without_history_route(deployed_chat.stack, deployed_chat.outputs)
        yield deployed_chat


@pytest.fixture(scope="module")
def chat_with_history(endpoint_url: str, browser: Any) -> Iterator[Chat]:
    """The chat with a ``history`` route: the template's, or else a stand-in."""
    for deployed_chat in deployed(endpoint_url, "e2e-page-history", Chat, with_authorizer=True):
        ensure_history_route(deployed_chat.stack, deployed_chat.outputs)
        try:
            yield deployed_chat
        finally:
            remove_stand_in(deployed_chat.stack)


# What a tab shows -------------------------------------------------------------------------


def _joined(page: Any, you: str, room: str) -> None:
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#you")).to_have_text(you)
    expect(page.locator("#room-name")).to_have_text(room)


def _say(page: Any, text: str) -> None:
    box = page.locator("#send input[name=text]")
    box.fill(text)
    box.press("Enter")


def _wait_for_seq(page: Any, seq: int, timeout_s: float = 30.0) -> None:
    page.wait_for_selector(
        f"#messages li.message[data-seq='{seq}']", timeout=scaled(timeout_s) * 1000
    )


def _shown(page: Any) -> list[tuple[int, str, str]]:
    """(seq, sender, text) of every message in the list, top to bottom."""
    rows = page.locator("#messages li.message").evaluate_all(
        "items => items.map(li => [Number(li.dataset.seq),"
        " li.querySelector('.sender').textContent, li.querySelector('.text').textContent])"
    )
    return [tuple(row) for row in rows]


# Rooms ------------------------------------------------------------------------------------


def test_two_tabs_in_a_room_talk_and_a_third_in_another_room_sees_nothing(
    chat: Chat, tabs: Tabs, unique: str
) -> None:
    blue, green = f"blue-{unique}", f"green-{unique}"
    alice = tabs.open(chat.link("alice", blue))
    bob = tabs.open(chat.link("bob", blue))
    carol = tabs.open(chat.link("carol", green))
    for page, name, room in ((alice, "alice", blue), (bob, "bob", blue), (carol, "carol", green)):
        _joined(page, name, room)
    script = [(alice, bob, "hi bob"), (bob, alice, "hi alice"),
              (alice, bob, "how are you?"), (bob, alice, "fine, thanks")]  # fmt: skip
    # Each message arrives before the next is sent (how fast is measured in benchmarks/).
    for seq, (sender, receiver, text) in enumerate(script, start=1):
        _say(sender, text)
        _wait_for_seq(receiver, seq)
    _say(carol, "anyone for a game?")
    _wait_for_seq(carol, 1)
    # A last message in blue, sent after green's was delivered, closes both tabs' record.
    _say(alice, "bye")
    _wait_for_seq(bob, 5)
    _wait_for_seq(alice, 5)
    expected = [(1, "alice", "hi bob"), (2, "bob", "hi alice"), (3, "alice", "how are you?"),
                (4, "bob", "fine, thanks"), (5, "alice", "bye")]  # fmt: skip
    assert _shown(alice) == _shown(bob) == expected
    assert _shown(carol) == [(1, "carol", "anyone for a game?")]
    assert alice.locator("#messages li.mine").count() == 3  # her own, marked as hers
    assert not tabs.script_errors


def test_history_on_join_and_moving_rooms(chat: Chat, tabs: Tabs, unique: str) -> None:
    """A tab that joins late sees the room's history in order; moving shows the new room's."""
    room, other = f"history-{unique}", f"other-{unique}"
    erin = chat.participant("erin", room)
    for text in ("one", "two", "three"):
        erin.say(text)
        erin.next_of("message")
    frank = chat.participant("frank", other)
    frank.say("over here")
    frank.next_of("message")
    try:
        dave = tabs.open(chat.link("dave", room))
        _joined(dave, "dave", room)
        _wait_for_seq(dave, 3)
        assert _shown(dave) == [(1, "erin", "one"), (2, "erin", "two"), (3, "erin", "three")]
        erin.say("four")
        _wait_for_seq(dave, 4)

        dave.locator("#join input[name=room]").fill(other)
        dave.locator("#join input[name=room]").press("Enter")
        _joined(dave, "dave", other)
        _wait_for_seq(dave, 1)
        assert _shown(dave) == [(1, "frank", "over here")]
        # A reload comes back to this room.
        assert parse_qs(urlsplit(dave.url).fragment)["room"] == [other]
        frank.say("welcome, dave")
        _wait_for_seq(dave, 2)
        erin.say("five")  # in the room dave left
        erin.next_of("message")
        frank.say("fenced")
        _wait_for_seq(dave, 3)
        assert [text for _, _, text in _shown(dave)] == ["over here", "welcome, dave", "fenced"]
    finally:
        erin.close()
        frank.close()
    assert not tabs.script_errors


def test_rooms_and_users_of_any_script(chat: Chat, tabs: Tabs, unique: str) -> None:
    """Chinese and Cyrillic names for rooms and users; a room typed with a decomposed "ñ"
    is the composed one; a name with a zero-width space is refused by the form itself."""
    lobby, sala = f"大厅-{unique}", f"sala-\u00f1-{unique}"
    xiaoming = tabs.open(chat.link("小明", lobby))
    _joined(xiaoming, "小明", lobby)
    maria = chat.participant("Мария", lobby)
    try:
        maria.say("привет, 小明")
        _wait_for_seq(xiaoming, 1)
        assert _shown(xiaoming) == [(1, "Мария", "привет, 小明")]

        box = xiaoming.locator("#join input[name=room]")
        box.fill(f"sala-n\u0303-{unique}")  # n + COMBINING TILDE
        box.press("Enter")
        _joined(xiaoming, "小明", sala)
        assert parse_qs(urlsplit(xiaoming.url).fragment)["room"] == [sala]

        box.fill("zero\u200bwidth")
        assert not box.evaluate("input => input.checkValidity()")
        box.fill("комната")
        assert box.evaluate("input => input.checkValidity()")
    finally:
        maria.close()
    assert not tabs.script_errors


def test_errors_are_shown_readably(chat: Chat, tabs: Tabs, unique: str) -> None:
    """The chat's error envelope appears as its code, its text and the valid actions."""
    page = tabs.open(chat.link("gina", f"errors-{unique}"))
    _joined(page, "gina", f"errors-{unique}")
    _say(page, "   ")
    notice = page.locator("#notices li.error").last
    expect(notice).to_contain_text('invalid_data: "data" must contain some text.')
    expect(notice).to_contain_text("valid actions: sendmessage, joinroom")
    _say(page, "x" * 4097)
    expect(page.locator("#notices li.error").last).to_contain_text("message_too_large: ")
    assert _shown(page) == []
    assert not tabs.script_errors


def test_a_link_with_a_refused_token_says_so(chat: Chat, tabs: Tabs, unique: str) -> None:
    """A browser is not told the HTTP status of a refused upgrade; the page says what it
    can: the connection failed, and when the token expired."""
    stale = chat.link("hugo", f"stale-{unique}").replace("token=", "token=x")
    page = tabs.open(stale)
    expect(page.locator("#status")).to_have_attribute("data-state", "closed")
    expect(page.locator("#notices li.error")).to_contain_text("could not connect to ws://")
    expect(page.locator("#notices li.error")).to_contain_text("wslab chat")
    assert not tabs.script_errors


# Gaps -------------------------------------------------------------------------------------


def test_a_gap_is_filled_from_the_history_route(
    chat_with_history: Chat, tabs: Tabs, unique: str
) -> None:
    """A message that never reached the tab is fetched with "history" and shown in place."""
    chat, room = chat_with_history, f"gap-{unique}"
    page = tabs.open(chat.link("ivan", room))
    _joined(page, "ivan", room)
    _say(page, "first")
    _wait_for_seq(page, 1)
    assert chat.skip_a_number(room, "lost on the way") == 2
    _say(page, "third")
    _wait_for_seq(page, 3)
    _wait_for_seq(page, 2)
    assert _shown(page) == [(1, "ivan", "first"), (2, "ghost", "lost on the way"),
                            (3, "ivan", "third")]  # fmt: skip
    assert page.locator("#messages li.gap").count() == 0
    assert not tabs.script_errors


def test_without_a_history_route_a_gap_is_shown(chat: Chat, tabs: Tabs, unique: str) -> None:
    """Against a chat that has no "history" route deployed, the page shows the gap and why
    (the handlers' ``$default`` knows the action, so it says the route isn't deployed)."""
    room = f"nogap-{unique}"
    page = tabs.open(chat.link("judy", room))
    _joined(page, "judy", room)
    _say(page, "first")
    _wait_for_seq(page, 1)
    chat.skip_a_number(room, "lost on the way")
    _say(page, "third")
    _wait_for_seq(page, 3)
    gap = page.locator("#messages li.gap")
    expect(gap).to_have_text(
        "message #2 missing: this chat has no history route (it answered route_not_deployed)"
    )
    assert _shown(page) == [(1, "judy", "first"), (3, "judy", "third")]
    expect(page.locator("#notices li.error").last).to_contain_text("route_not_deployed: ")
    assert not tabs.script_errors


# Closing ----------------------------------------------------------------------------------


def test_a_closed_tab_is_cleaned_up(chat: Chat, tabs: Tabs, unique: str) -> None:
    """Closing the tab closes its socket: $disconnect deletes its item, and API Gateway
    knows the connection no more (410 Gone)."""
    room = f"closing-{unique}"
    page = tabs.open(chat.link("kate", room))
    _joined(page, "kate", room)
    [connection] = chat.room_connections(room)
    page.close()
    deadline = time.monotonic() + scaled(10)
    while chat.room_connections(room) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chat.room_connections(room) == []
    management = chat.management()
    with pytest.raises(management.exceptions.GoneException):
        management.get_connection(ConnectionId=connection)
