"""Ordering by seq at the client: held back, deduplicated, gaps filled or given up."""

from __future__ import annotations

from typing import Any

from wslab.client.room_order import GIVE_UP_AFTER_S, Feed, Gap, RoomOrder


def message(seq: int, room: str = "lobby") -> dict[str, Any]:
    return {"type": "message", "room": room, "seq": seq, "sender": "a", "text": f"m{seq}"}


def seqs(messages: list[dict[str, Any]]) -> list[int]:
    return [m["seq"] for m in messages if m.get("type") == "message"]


def history(room: str, found: list[int], latest: int) -> dict[str, Any]:
    return {
        "type": "history",
        "room": room,
        "messages": [message(n, room) for n in found],
        "latestSeq": latest,
    }


def test_in_order_messages_pass_through_and_duplicates_are_dropped() -> None:
    order = RoomOrder("lobby")
    assert seqs(order.take(message(1))) == [1]
    assert seqs(order.take(message(2))) == [2]
    assert order.take(message(2)) == []
    assert order.gap() is None


def test_a_later_message_waits_for_the_earlier_one() -> None:
    order = RoomOrder("lobby")
    assert order.take(message(2)) == []
    assert order.gap() == Gap("lobby", 0, 2)
    assert seqs(order.take(message(1))) == [1, 2]


def test_history_fills_a_gap_and_shows_what_is_gone_for_good() -> None:
    order = RoomOrder("lobby", shown_up_to=10)
    order.take(message(15))
    gap = order.gap()
    assert gap == Gap("lobby", 10, 5)
    assert gap.request() == {"action": "history", "roomId": "lobby", "sinceSeq": 10, "limit": 5}
    shown = order.fill(10, history("lobby", [11, 12, 14, 15], latest=15))
    assert seqs(shown) == [11, 12, 14, 15]
    assert order.given_up == {13}
    assert (order.shown_up_to, order.gap()) == (15, None)


def test_an_answer_cut_short_is_followed_by_another_request() -> None:
    order = RoomOrder("lobby")
    order.take(message(250))
    assert order.gap() == Gap("lobby", 0, 100)
    assert seqs(order.fill(0, history("lobby", list(range(1, 101)), 250))) == list(range(1, 101))
    assert order.gap() == Gap("lobby", 100, 100)


def test_an_empty_answer_gives_up_up_to_latest_seq() -> None:
    order = RoomOrder("lobby", shown_up_to=3)
    order.take(message(9))
    assert seqs(order.fill(3, history("lobby", [], latest=9))) == [9]
    assert order.given_up == {4, 5, 6, 7, 8}


def test_a_message_given_up_that_arrives_after_all_is_shown_once_late() -> None:
    order = RoomOrder("lobby", shown_up_to=3)
    order.take(message(5))
    order.fill(3, history("lobby", [5], latest=5))
    assert order.given_up == {4}
    assert seqs(order.take(message(4))) == [4]
    assert order.late == 1
    assert order.take(message(4)) == []


def test_give_up_releases_everything_held() -> None:
    order = RoomOrder("lobby")
    order.take(message(3))
    order.take(message(5))
    assert seqs(order.give_up()) == [3, 5]
    assert order.given_up == {1, 2, 4}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_feed_shows_join_history_before_live_messages_that_came_first() -> None:
    feed = Feed()
    feed.joining()
    assert feed.take(message(8)) == ([], [])
    joined = {"type": "joined", "room": "lobby", "lastSeq": 7, "history": [message(6), message(7)]}
    shown, asks = feed.take(joined)
    assert shown[0] is joined
    assert seqs(shown) == [6, 7, 8]
    assert asks == []


def test_feed_asks_once_per_room_fills_and_gives_up_on_silence() -> None:
    clock = Clock()
    feed = Feed(clock)
    feed.take(message(1))
    shown, asks = feed.take(message(4))
    assert (seqs(shown), asks) == ([], [Gap("lobby", 1, 3).request()])
    assert feed.take(message(5)) == ([], [])  # one request in flight per room
    shown, asks = feed.take(history("lobby", [2], latest=5))
    assert seqs(shown) == [2]
    assert asks == [Gap("lobby", 2, 3).request()]  # 3 is still missing: it asks again
    clock.now = GIVE_UP_AFTER_S
    shown, _ = feed.tick()
    assert shown[0] == {"type": "lost", "room": "lobby", "seqs": [3]}
    assert seqs(shown) == [4, 5]
    assert feed.lost("lobby") == [3]


def test_feed_stops_asking_when_the_api_has_no_history_route() -> None:
    clock = Clock()
    feed = Feed(clock)
    feed.take(message(1))
    feed.take(message(3))
    error = {
        "type": "error",
        "error": "route_not_deployed",
        "message": 'The action "history" is valid, but this API has no route for it yet.',
    }
    shown, asks = feed.take(error)
    assert (seqs(shown), asks) == ([3], [])
    assert feed.history_unavailable
    assert feed.take(message(5)) == ([], [])  # held: 4 may still come
    clock.now = GIVE_UP_AFTER_S
    shown, asks = feed.tick()
    assert (seqs(shown), asks) == ([5], [])
    assert feed.lost("lobby") == [2, 4]
