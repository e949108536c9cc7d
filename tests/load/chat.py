"""The chat deployed on a private stack, and members that record every frame they receive.

Every scenario runs against ``cloudformation/template.yaml`` deployed by ``wslab deploy``'s
own code on a ``wslab local --port 0`` of its own, with real WebSocket clients (aiohttp)
on real sockets. A :class:`Member` sorts what arrives: chat messages by ``seq``, the chat's
``error`` envelopes, API Gateway's error frames (``Internal server error``, ``Endpoint
request timed out``, ``Forbidden``), and the answers to ``joinroom`` and ``history``.
:class:`Tally` then counts, from the ``seq`` numbers alone, what was lost, duplicated or
delivered out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import DeployedChat
from wslab.aws import LAMBDA_TRUST_POLICY, Target
from wslab.client.room_order import Feed
from wslab.deploy.packaging import zip_sources
from wslab.deploy.stack import ChatStack, deploy
from wslab.deploy.wiring import WiredApi, wire_websocket_api
from wslab.local.process import LocalAWSProcess

__all__ = [
    "Chat",
    "Member",
    "Tally",
    "bare_api",
    "deployed_chat",
    "new_room",
    "open_members",
    "session",
    "stack_cpu_seconds",
    "wait_until",
]

# How many handshakes are in flight at once when a scenario opens many connections: a
# thousand at once would measure the listen backlog's SYN retries, not the stack.
OPENING_AT_ONCE = 50


@dataclass
class Chat(DeployedChat):
    """The chat deployed on ``process``, a ``wslab local`` of its own."""

    process: LocalAWSProcess


@contextlib.contextmanager
def deployed_chat(*stack_args: str, name: str = "load") -> Iterator[Chat]:
    """A private ``wslab local`` with the chat deployed on it; stopped on exit."""
    with LocalAWSProcess(port=0, extra_args=stack_args) as stack:
        target = ChatStack(Target.local(stack.endpoint_url), name, say=lambda line: None)
        yield Chat(target, deploy(target), stack)


_QUIET = "def handler(event, context):\n    return {'statusCode': 200}\n"


def bare_api(client: Callable[[str], Any], name: str = "bare") -> WiredApi:
    """An API with no ``$connect`` integration and one ``$default`` route answering
    nothing: connections open as fast as the gateway alone can open them."""
    role = client("iam").create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
    )["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_sources({"app.py": _QUIET})},
    )
    return wire_websocket_api(client("apigatewayv2"), client("lambda"), name, {"$default": name})


def _cpu_seconds(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stack_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the stack process and by its Lambda workers (the live
    ones; Linux only)."""
    own = _cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
    workers = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            workers += _cpu_seconds(stat)
    return own, workers


def new_room(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def session() -> aiohttp.ClientSession:
    # aiohttp's default of 100 connections per session would queue the rest silently.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


async def wait_until(done: Callable[[], bool], timeout_s: float, interval_s: float = 0.01) -> bool:
    """Poll ``done`` until it is true or ``timeout_s`` passes; whether it became true."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval_s)
    return True


def _is_gateway_error(frame: dict[str, Any]) -> bool:
    # {"message": "Internal server error", "connectionId": ..., "requestId": ...}
    return "type" not in frame and isinstance(frame.get("message"), str)


class Member:
    """One connection to the chat, reading in the background from the moment it opens.

    With ``recover``, it also orders what it receives as ``wslab chat`` does
    (``wslab.client.room_order.Feed``): gaps are filled with ``history`` requests, and
    :attr:`shown` lists the seqs in the order a person would see them.
    """

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, room: str, *, recover: bool = False
    ) -> None:
        self.ws = ws
        self.room = room
        self.feed = Feed() if recover else None
        self.shown: list[int] = []
        self.lost: list[int] = []  # seqs the feed gave up on
        self.history_requests = 0
        self.you = ""
        self.seqs: list[int] = []  # live messages, in arrival order (duplicates kept)
        self.arrived_at: dict[int, float] = {}  # first arrival of each seq (perf_counter)
        self.texts: dict[int, str] = {}
        self.gateway_errors: list[str] = []  # API Gateway's own error frames
        self.envelopes: list[dict[str, Any]] = []  # the chat's `error` answers
        self.other: list[str] = []  # anything else (not JSON, unknown type)
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._sends: set[asyncio.Task[None]] = set()
        self._reader = loop.create_task(self._read())
        self._ticker = loop.create_task(self._tick()) if recover else None

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self._take(message.data)
            else:
                self.other.append(f"{message.type.name} frame")

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            if self.feed is not None:
                self._follow(*self.feed.tick())

    def _follow(self, shown: list[dict[str, Any]], requests: list[dict[str, Any]]) -> None:
        """What the feed released, and the history requests it wants sent."""
        for event in shown:
            if event.get("type") == "message":
                self.shown.append(int(event["seq"]))
            elif event.get("type") == "lost":
                self.lost += event["seqs"]
        for request in requests:
            self.history_requests += 1
            task = asyncio.get_running_loop().create_task(self.send(request))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    def _take(self, text: str) -> None:
        now = time.perf_counter()
        try:
            frame = json.loads(text)
        except ValueError:
            self.other.append(text[:200])
            return
        if not isinstance(frame, dict):
            self.other.append(text[:200])
            return
        kind = frame.get("type")
        if self.feed is not None and kind in ("message", "joined", "history", "error"):
            self._follow(*self.feed.take(frame))
            if kind == "history":
                return
        if kind == "message":
            seq = int(frame["seq"])
            self.seqs.append(seq)
            self.arrived_at.setdefault(seq, now)
            self.texts.setdefault(seq, str(frame.get("text")))
        elif kind in ("joined", "history"):
            self._answers.put_nowait(frame)
        elif kind == "error":
            self.envelopes.append(frame)
            self._answers.put_nowait(frame)
        elif _is_gateway_error(frame):
            self.gateway_errors.append(str(frame["message"]))
        else:
            self.other.append(text[:200])

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    @property
    def reading(self) -> bool:
        return not self._reader.done()

    async def send(self, payload: dict[str, Any] | str) -> None:
        await self.ws.send_str(payload if isinstance(payload, str) else json.dumps(payload))

    async def say(self, text: str) -> None:
        await self.send({"action": "sendmessage", "data": text})

    async def answer(self, timeout_s: float) -> dict[str, Any]:
        """The next ``joined``, ``history`` or ``error`` answer."""
        return await asyncio.wait_for(self._answers.get(), timeout_s)

    async def join(self, timeout_s: float = 60.0) -> dict[str, Any]:
        if self.feed is not None:
            self.feed.joining()
        await self.send({"action": "joinroom"})
        joined = await self.answer(timeout_s)
        if joined.get("type") != "joined":
            raise RuntimeError(f"joinroom answered {joined}")
        self.you = str(joined["you"])
        return joined

    async def history(
        self, since_seq: int, limit: int | None = None, timeout_s: float = 60.0
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"action": "history", "sinceSeq": since_seq}
        if limit is not None:
            request["limit"] = limit
        await self.send(request)
        return await self.answer(timeout_s)

    def distinct(self) -> set[int]:
        return set(self.seqs)

    def has_all(self, count: int) -> bool:
        return len(self.arrived_at) >= count

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, 5)


async def open_members(
    http: aiohttp.ClientSession,
    url: str,
    room: str,
    count: int,
    *,
    join: bool = True,
    recover: bool = False,
    at_once: int = OPENING_AT_ONCE,
) -> list[Member]:
    """``count`` members of ``room``, each joined (its ``joinroom`` answered) unless told not."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> Member:
        async with gate:
            ws = await http.ws_connect(f"{url}?roomId={room}", max_msg_size=0, autoping=True)
            member = Member(ws, room, recover=recover)
            if join:
                await member.join()
            return member

    return list(await asyncio.gather(*(one() for _ in range(count))))


@dataclass
class Tally:
    """What a set of members received of a room's messages ``1..expected``."""

    members: int = 0
    expected: int = 0  # deliveries that should have happened
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0  # arrivals with a seq lower than one that arrived before it
    gateway_errors: Counter[str] = field(default_factory=Counter)
    envelopes: Counter[str] = field(default_factory=Counter)

    def add(self, member: Member, expected: Iterable[int]) -> None:
        wanted = set(expected)
        got = [seq for seq in member.seqs if seq in wanted]
        self.members += 1
        self.expected += len(wanted)
        self.delivered += len(set(got))
        self.lost += len(wanted - set(got))
        self.duplicates += len(got) - len(set(got))
        highest = 0
        for seq in got:
            if seq < highest:
                self.out_of_order += 1
            highest = max(highest, seq)
        self.gateway_errors.update(member.gateway_errors)
        self.envelopes.update(str(envelope.get("error")) for envelope in member.envelopes)

    def merge(self, other: Tally) -> None:
        for name in ("members", "expected", "delivered", "lost", "duplicates", "out_of_order"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.gateway_errors.update(other.gateway_errors)
        self.envelopes.update(other.envelopes)

    @property
    def error_frames(self) -> int:
        return sum(self.gateway_errors.values()) + sum(self.envelopes.values())

    def summary(self) -> str:
        errors = dict(self.gateway_errors) | dict(self.envelopes)
        return (
            f"{self.delivered}/{self.expected} delivered, {self.lost} lost, "
            f"{self.duplicates} duplicates, {self.out_of_order} out of order, "
            f"error frames {errors or 0}"
        )
