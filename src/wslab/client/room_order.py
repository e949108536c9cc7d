"""A room's messages as a client shows them: in ``seq`` order, each once, gaps filled.

The chat numbers each room's messages 1, 2, 3, ... (``lambda_src/README.md``, "Delivery
guarantees"): API Gateway delivers each at most once and not necessarily in order. A
:class:`RoomOrder` holds back a message while an earlier one is due, drops a ``seq`` it
already has, and, when a ``seq`` is skipped, says which ``history`` request fetches the
missing ones (:meth:`RoomOrder.gap`). A history answer (:meth:`RoomOrder.fill`) releases
what it brings; the numbers it shows to be gone for good are given up, so nothing waits
for them. A message that turns up after all (late) is still shown, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GIVE_UP_AFTER_S", "HISTORY_PAGE", "Feed", "Gap", "RoomOrder"]

HISTORY_PAGE = 100
"""The most messages one ``history`` request asks for (the chat's own maximum)."""

GIVE_UP_AFTER_S = 5.0
"""How long a gap may wait for its ``history`` answer before its numbers are given up."""

Message = dict[str, Any]


@dataclass(frozen=True)
class Gap:
    """The ``history`` request that fetches what is missing after ``since_seq``."""

    room: str
    since_seq: int
    limit: int

    def request(self) -> dict[str, Any]:
        return {
            "action": "history",
            "roomId": self.room,
            "sinceSeq": self.since_seq,
            "limit": self.limit,
        }


def _seq(message: Message) -> int | None:
    seq = message.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


@dataclass
class RoomOrder:
    room: str
    shown_up_to: int = 0  # every seq up to here has been shown or given up
    held: dict[int, Message] = field(default_factory=dict)  # arrived early, not shown yet
    given_up: set[int] = field(default_factory=set)  # lost for good (history has none)
    known_up_to: int = 0  # the room is known to have numbered this far (lastSeq)
    late: int = 0  # messages shown after their number had been given up
    newly_lost: list[int] = field(default_factory=list)  # given up since last looked at

    def _lose(self, seq: int) -> None:
        if seq not in self.given_up:
            self.given_up.add(seq)
            self.newly_lost.append(seq)

    def expect(self, last_seq: int) -> None:
        """The room has handed out numbers up to ``last_seq``: any not shown is missing."""
        self.known_up_to = max(self.known_up_to, last_seq)

    def _highest(self) -> int:
        return max(max(self.held, default=0), self.known_up_to)

    def take(self, message: Message) -> list[Message]:
        """A live (or history) message in; the messages now to show, in order."""
        seq = _seq(message)
        if seq is None:
            return [message]
        if seq <= self.shown_up_to:
            if seq in self.given_up:  # it came after all: show it, late, once
                self.given_up.discard(seq)
                self.late += 1
                return [message]
            return []  # a duplicate
        self.given_up.discard(seq)
        self.held.setdefault(seq, message)
        return self._release()

    def _release(self) -> list[Message]:
        ready = []
        while True:
            following = self.shown_up_to + 1
            if following in self.held:
                ready.append(self.held.pop(following))
            elif following not in self.given_up or following > self._highest():
                return ready
            self.shown_up_to = following

    def gap(self) -> Gap | None:
        """The request for what is missing, or None when nothing is."""
        highest = self._highest()
        if highest <= self.shown_up_to:
            return None
        return Gap(self.room, self.shown_up_to, min(HISTORY_PAGE, highest - self.shown_up_to))

    def fill(self, since_seq: int, answer: Message) -> list[Message]:
        """A ``history`` answer to the request that started after ``since_seq``: its
        messages, and the numbers it shows to be gone (between and before them; all up to
        ``latestSeq`` when it has none). The messages now to show, in order."""
        messages = [m for m in answer.get("messages") or [] if isinstance(m, dict)]
        found = sorted(seq for m in messages if (seq := _seq(m)) is not None)
        latest = answer.get("latestSeq")
        if isinstance(latest, int):
            self.expect(latest)
        covered = found[-1] if found else latest if isinstance(latest, int) else since_seq
        known = set(found)
        for seq in range(max(since_seq, self.shown_up_to) + 1, covered + 1):
            if seq not in known and seq not in self.held:
                self._lose(seq)
        ready: list[Message] = []
        for message in sorted(messages, key=lambda m: _seq(m) or 0):
            ready += self.take(message)
        return ready + self._release()

    def give_up(self) -> list[Message]:
        """Stop waiting: every missing number up to the highest known is lost for good
        (history did not answer, or has no such route). The held messages, in order."""
        for seq in range(self.shown_up_to + 1, self._highest() + 1):
            if seq not in self.held:
                self._lose(seq)
        return self._release()


@dataclass
class _Asked:
    gap: Gap
    at: float


class Feed:
    """Every room a client hears from, in order; the ``history`` requests it needs.

    Events go in (:meth:`take`), and out come the events to show, in order, and the
    requests to send. Live messages wait while a ``joinroom`` is unanswered, so the
    room's history is shown before them; one ``history`` request per room is in flight
    at a time, and one that brings nothing new, or no answer in
    :data:`GIVE_UP_AFTER_S`, gives its numbers up.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rooms: dict[str, RoomOrder] = {}
        self._asked: dict[str, _Asked] = {}
        self._joining = 0
        self._waiting: list[Message] = []
        self.history_unavailable = False

    def joining(self) -> None:
        """A ``joinroom`` was sent: hold live messages until its ``joined``."""
        self._joining += 1

    def lost(self, room: str) -> list[int]:
        order = self._rooms.get(room)
        return sorted(order.given_up) if order else []

    def take(self, event: Message) -> tuple[list[Message], list[Message]]:
        """(events to show, requests to send) after ``event``; numbers given up show as
        ``{"type": "lost", "room": ..., "seqs": [...]}``."""
        shown, requests = self._take(event)
        return self._with_losses(shown), requests

    def _with_losses(self, shown: list[Message]) -> list[Message]:
        for room, order in self._rooms.items():
            if order.newly_lost:
                shown = [{"type": "lost", "room": room, "seqs": sorted(order.newly_lost)}, *shown]
                order.newly_lost.clear()
        return shown

    def _take(self, event: Message) -> tuple[list[Message], list[Message]]:
        kind = event.get("type")
        if kind == "joined":
            return self._joined(event)
        if kind == "message" and self._joining:
            self._waiting.append(event)
            return [], []
        if kind == "message":
            order = self._room(event)
            return order.take(event), self._asks()
        if kind == "history":
            return self._filled(event)
        if kind == "error" and self._history_missing(event):
            self.history_unavailable = True
            return self._give_up_all(), []
        return [event], []

    def tick(self) -> tuple[list[Message], list[Message]]:
        """Give up gaps whose answer is overdue; what that releases."""
        now = self._clock()
        shown: list[Message] = []
        for room, asked in list(self._asked.items()):
            if now - asked.at >= GIVE_UP_AFTER_S:
                del self._asked[room]
                shown += self._rooms[room].give_up()
        return self._with_losses(shown), self._asks()

    def _room(self, message: Message) -> RoomOrder:
        room = str(message.get("room", ""))
        order = self._rooms.get(room)
        if order is None:
            # First heard of outside a join: nothing before this message is expected.
            seq = _seq(message)
            order = self._rooms[room] = RoomOrder(room, (seq or 1) - 1)
        return order

    def _joined(self, joined: Message) -> tuple[list[Message], list[Message]]:
        self._joining = max(0, self._joining - 1)
        room = str(joined.get("room", ""))
        history = [m for m in joined.get("history") or [] if isinstance(m, dict)]
        seqs = [seq for m in history if (seq := _seq(m)) is not None]
        last = joined.get("lastSeq")
        start = min(seqs) - 1 if seqs else last if isinstance(last, int) else 0
        order = self._rooms.get(room)
        if order is None or order.shown_up_to < start:
            order = self._rooms[room] = RoomOrder(room, start)
        shown: list[Message] = [joined]
        for message in history:
            shown += order.take(message)
        if isinstance(last, int):
            order.expect(last)  # numbered but not in the history read: asked for below
        if not self._joining:
            waiting, self._waiting = self._waiting, []
            for message in waiting:
                shown += self._room(message).take(message)
        return shown, self._asks()

    def _asks(self) -> list[Message]:
        """Requests for the rooms with a gap and none in flight. Without a history route a
        gap is still timed, so a reordering can heal it before its numbers are given up."""
        requests = []
        for room, order in self._rooms.items():
            if room in self._asked:
                continue
            gap = order.gap()
            if gap is not None:
                self._asked[room] = _Asked(gap, self._clock())
                if not self.history_unavailable:
                    requests.append(gap.request())
        return requests

    def _filled(self, answer: Message) -> tuple[list[Message], list[Message]]:
        room = str(answer.get("room", ""))
        asked = self._asked.pop(room, None)
        order = self._rooms.get(room)
        if asked is None or order is None:
            return [], []
        before = order.shown_up_to
        shown = order.fill(asked.gap.since_seq, answer)
        if order.shown_up_to == before and order.gap() is not None:
            shown += order.give_up()  # nothing new: asking again would change nothing
        return shown, self._asks()

    @staticmethod
    def _history_missing(error: Message) -> bool:
        return error.get("error") == "route_not_deployed" and '"history"' in str(
            error.get("message", "")
        )

    def _give_up_all(self) -> list[Message]:
        shown: list[Message] = []
        for room in list(self._asked):
            del self._asked[room]
            shown += self._rooms[room].give_up()
        return shown
