"""A chat client for the reference handlers: a library for scripts and a terminal client.

It speaks the protocol of ``lambda_src/`` (``sendmessage``, ``joinroom``, ``history``;
``message``, ``joined``, ``history`` and ``error`` back) over a real WebSocket, with
websocket-client. The terminal client shows each room's messages in ``seq`` order, once,
and fetches the ones a gap in the numbering shows it missed (``wslab.client.room_order``).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import unicodedata
from typing import IO, Any
from urllib.parse import urlencode

import websocket

from wslab.client.errors import closed, refused
from wslab.client.room_order import Feed

__all__ = ["ChatClient", "format_event", "room_name", "run_terminal"]


def room_name(typed: str) -> str:
    """A room name as the handlers keep it: trimmed and NFC-normalised, so that an "ñ" typed
    as "n" plus a combining tilde (as some keyboards and macOS file names give it) names the
    same room as a composed "ñ". The handlers check the rest and answer ``invalid_room``."""
    return unicodedata.normalize("NFC", typed.strip())


class ChatClient:
    """One connection; incoming JSON objects queue up for ``next`` / ``next_of``."""

    def __init__(
        self,
        url: str,
        room: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        origin: str | None = None,
    ) -> None:
        room = room_name(room) if room else room
        query = {key: value for key, value in (("roomId", room), ("token", token)) if value}
        full_url = f"{url}?{urlencode(query)}" if query else url
        options: dict[str, Any] = {"timeout": timeout_s}
        if origin:
            options["origin"] = origin
        self.ws = websocket.create_connection(full_url, **options)
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._timeout_s = timeout_s
        self.closed = threading.Event()
        # The close frame's code and reason, once the connection has ended.
        self.close_code: int | None = None
        self.close_reason = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        self.ws.settimeout(None)
        try:
            while True:
                opcode, data = self.ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.close_code, self.close_reason = _close_status(data)
                    break
                text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
                try:
                    event = json.loads(text)
                except ValueError:
                    event = {"type": "raw", "text": text}
                self._inbox.put(event if isinstance(event, dict) else {"type": "raw", "text": text})
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.closed.set()

    def send(self, action: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"action": action, **fields}))

    def say(self, text: str) -> None:
        self.send("sendmessage", data=text)

    def join(self, room: str | None = None) -> dict[str, Any]:
        """Join ``room`` (or stay in the URL's room) and return the ``joined`` answer."""
        if room is None:
            self.send("joinroom")
        else:
            self.send("joinroom", roomId=room_name(room))
        return self.next_of("joined")

    def next(self, timeout_s: float | None = None) -> dict[str, Any]:
        return self._inbox.get(timeout=timeout_s or self._timeout_s)

    def next_of(self, kind: str, timeout_s: float | None = None) -> dict[str, Any]:
        """The next event of type ``kind``, skipping others (live messages may come first)."""
        while True:
            event = self.next(timeout_s)
            if event.get("type") == kind:
                return event

    def close(self) -> None:
        self.ws.close()


def _close_status(payload: bytes) -> tuple[int | None, str]:
    """A close frame's status code and reason (RFC 6455: 2 bytes, then UTF-8 text)."""
    if len(payload) < 2:
        return 1005, ""  # "no status received"
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace")


def _lines(stdin: IO[str]) -> queue.Queue[str | None]:
    """The lines of ``stdin`` as they are typed, then None: read in a thread of their own,
    so that a connection the server closes ends the session without waiting for input."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stdin:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def format_event(event: dict[str, Any]) -> str:
    kind = event.get("type")
    if kind == "message":
        return (
            f"[{event.get('room')} #{event.get('seq')}] {event.get('sender')}: {event.get('text')}"
        )
    if kind == "joined":
        return (
            f"* you are {event.get('you')} in room {event.get('room')} "
            f"({len(event.get('history', []))} earlier messages)"
        )
    if kind == "error":
        return f"! {event.get('error')}: {event.get('message')}"
    if kind == "lost":
        numbers = ", ".join(f"#{seq}" for seq in event.get("seqs", []))
        return f"! {event.get('room')}: {numbers} missed, and no longer in the room's history"
    return f"? {json.dumps(event)}"


_HELP = "type a message and Enter; /join ROOM moves you; /quit leaves"


def run_terminal(
    url: str,
    room: str | None = None,
    token: str | None = None,
    stdin: IO[str] = sys.stdin,
    stdout: IO[str] = sys.stdout,
    settle_timeout_s: float = 15.0,
) -> None:
    """An interactive chat on the terminal until /quit, end of input, or the server ends
    the connection. ``ChatUnavailable`` says why it could not connect, or why it ended."""
    try:
        client = ChatClient(url, room=room, token=token)
    except (websocket.WebSocketException, OSError, ValueError) as error:
        raise refused(error, url, with_token=bool(token)) from None
    lock = threading.Lock()
    # Messages in seq order, each once; the history requests that fill gaps.
    feed = Feed()
    feed_lock = threading.Lock()
    # Requests still waiting for their answer: a join gets `joined`, a message comes back
    # to its sender; either may get an `error` instead. Input from a pipe ends at once, and
    # the answers to it are shown before leaving.
    unanswered = [0]
    me: list[str | None] = [None]
    # Per room, the last number said before this client joined it: a message of ours up to
    # there is history (an earlier session under the same name), not an answer.
    said_before: dict[str, int] = {}

    def show(line: str) -> None:
        with lock:
            print(line, file=stdout, flush=True)

    def answered(event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind == "joined":
            me[0] = event.get("you")
            last = event.get("lastSeq")
            said_before[str(event.get("room"))] = last if isinstance(last, int) else 0
            return True
        if kind == "error":
            return True
        seq = event.get("seq")
        return (
            kind == "message"
            and event.get("sender") == me[0]
            and isinstance(seq, int)
            and seq > said_before.get(str(event.get("room")), 0)
        )

    def pump() -> None:
        while not client.closed.is_set():
            try:
                event = client.next(timeout_s=0.2)
            except queue.Empty:
                with feed_lock:
                    shown, requests = feed.tick()
            else:
                with feed_lock:
                    shown, requests = feed.take(event)
            for request in requests:
                client.ws.send(json.dumps(request))
            for each in shown:
                show(format_event(each))
                if answered(each):
                    with lock:
                        unanswered[0] -= 1

    def settle() -> None:
        deadline = time.monotonic() + settle_timeout_s
        while unanswered[0] > 0 and time.monotonic() < deadline and not client.closed.is_set():
            time.sleep(0.02)

    def request(action: str, **fields: Any) -> None:
        # API Gateway may handle two messages of one connection in either order: one request
        # at a time keeps a join before the message typed after it.
        settle()
        with lock:
            unanswered[0] += 1
        if action == "joinroom":
            with feed_lock:
                feed.joining()
        client.send(action, **fields)

    threading.Thread(target=pump, daemon=True).start()
    show(f"connected to {url} ({_HELP})")
    lines = _lines(stdin)
    try:
        request("joinroom")
        while not client.closed.is_set():
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            text = "/quit" if line is None else line.strip()
            if not text:
                continue
            if text == "/quit":
                break
            if text.startswith("/join "):
                request("joinroom", roomId=room_name(text.removeprefix("/join ")))
            elif text.startswith("/"):
                show(f"! unknown command: {_HELP}")
            else:
                request("sendmessage", data=text)
        settle()
    except (websocket.WebSocketException, OSError):
        client.closed.wait(2)  # the server closed it while we were sending: its reader says how
    if client.closed.is_set():
        raise closed(client.close_code, client.close_reason)
    client.close()
    client.closed.wait(2)
