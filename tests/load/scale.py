"""Scale: many connections held open, a room's cost against the table's size, stopping.

- **connections**: ``count`` clients opened through the chat's own ``$connect`` (rooms of
  100), then held; the stack's memory, and a control-plane call while they are open.
- **query cost**: a ``sendmessage`` round trip in a private room of one, and the room
  Query on ``roomId-index`` alone, first with 100 connections in the table, then with
  ``count``: moto used to read the whole table for every Query.
- **stop**: a stack of its own holding ``count`` connections (on an API without
  ``$connect``, so opening them measures the gateway alone) gets SIGTERM: the seconds until
  its process has exited, and every line it wrote to stderr besides its banner.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from wslab.aws import Target
from wslab.local.process import LocalAWSProcess

from .chat import Chat, bare_api, new_room, open_members, session

__all__ = [
    "QueryCost",
    "StopResult",
    "hold_connections",
    "query_cost",
    "raise_open_file_limit",
    "stop_with_connections",
]

ROOM_SIZE = 100
PROBES = 20


def raise_open_file_limit(connections: int) -> None:
    """Each connection takes a descriptor here and one in the stack (a child of this
    process, which inherits the limit)."""
    needed = connections + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(
            resource.RLIMIT_NOFILE,
            (needed if hard == resource.RLIM_INFINITY else min(needed, hard), hard),
        )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def hold_connections(
    http: aiohttp.ClientSession, url: str, count: int, *, room_prefix: str = "crowd"
) -> tuple[list[aiohttp.ClientWebSocketResponse], float]:
    """``count`` open sockets (rooms of 100 when the API is the chat's), and the seconds
    it took to open them, 100 handshakes at a time."""
    gate = asyncio.Semaphore(100)
    rooms = [new_room(room_prefix) for _ in range(max(1, count // ROOM_SIZE))]

    async def one(index: int) -> aiohttp.ClientWebSocketResponse:
        async with gate:
            return await http.ws_connect(f"{url}?roomId={rooms[index % len(rooms)]}")

    started = time.perf_counter()
    sockets = list(await asyncio.gather(*(one(index) for index in range(count))))
    return sockets, time.perf_counter() - started


@dataclass
class QueryCost:
    table_sizes: tuple[int, int]
    round_trip_ms: dict[int, float] = field(default_factory=dict)  # median, by table size
    query_ms: dict[int, float] = field(default_factory=dict)
    connect_seconds: float = 0.0
    stack_rss_mb: float = 0.0
    control_call_ms: float = 0.0

    def ratio(self, figures: dict[int, float]) -> float:
        small, large = self.table_sizes
        return figures[large] / figures[small]


async def _round_trips(chat: Chat, http: aiohttp.ClientSession) -> float:
    (alone,) = await open_members(http, chat.url, new_room("probe"), 1)
    samples = []
    for number in range(PROBES + 1):
        started = time.perf_counter()
        await alone.say(f"probe {number}")
        while number + 1 not in alone.arrived_at:
            await asyncio.sleep(0.001)
        samples.append((alone.arrived_at[number + 1] - started) * 1000)
    await alone.close()
    return statistics.median(samples[1:])


def _query_ms(chat: Chat, room: str) -> float:
    dynamodb = chat.client("dynamodb")
    samples = []
    for _ in range(PROBES + 1):
        started = time.perf_counter()
        dynamodb.query(
            TableName=chat.connections_table,
            IndexName="roomId-index",
            KeyConditionExpression="roomId = :r",
            ExpressionAttributeValues={":r": {"S": room}},
        )
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])


def _control_call_ms(chat: Chat) -> float:
    dynamodb = chat.client("dynamodb")
    samples = []
    for _ in range(PROBES):
        started = time.perf_counter()
        dynamodb.list_tables()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def query_cost(chat: Chat, count: int) -> QueryCost:
    """The room's cost with 100 connections in the table, then with ``count``."""
    raise_open_file_limit(count)
    result = QueryCost((ROOM_SIZE, count))
    async with session() as http:
        first, _ = await hold_connections(http, chat.url, ROOM_SIZE, room_prefix="first")
        room = await _room_of(chat, first)
        result.round_trip_ms[ROOM_SIZE] = await _round_trips(chat, http)
        result.query_ms[ROOM_SIZE] = await asyncio.to_thread(_query_ms, chat, room)
        rest, seconds = await hold_connections(http, chat.url, count - ROOM_SIZE)
        result.connect_seconds = seconds
        result.round_trip_ms[count] = await _round_trips(chat, http)
        result.query_ms[count] = await asyncio.to_thread(_query_ms, chat, room)
        result.control_call_ms = await asyncio.to_thread(_control_call_ms, chat)
        result.stack_rss_mb = rss_mb(chat.process.pid)
        await asyncio.gather(*(ws.close() for ws in first + rest), return_exceptions=True)
    return result


async def _room_of(chat: Chat, sockets: list[Any]) -> str:
    items = chat.client("dynamodb").scan(TableName=chat.connections_table, Limit=1)["Items"]
    return str(items[0]["roomId"]["S"])


@dataclass
class StopResult:
    connections: int
    connect_seconds: float
    stop_seconds: float
    exit_code: int | None
    stderr_lines: list[str]  # besides the banner and "stopped"


def stop_with_connections(count: int) -> StopResult:
    """SIGTERM to a stack holding ``count`` open connections: how long until it exits."""
    raise_open_file_limit(count)
    stack = LocalAWSProcess(port=0)
    stack.start()
    try:
        api = bare_api(Target.local(stack.endpoint_url).client)

        async def hold_then_stop() -> tuple[float, float, int | None]:
            async with session() as http:
                sockets, opened = await hold_connections(http, api.url, count)
                started = time.perf_counter()
                code = await asyncio.to_thread(stack.stop, 30.0)
                stopped = time.perf_counter() - started
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
                return opened, stopped, code

        opened, stopped, code = asyncio.run(hold_then_stop())
    finally:
        stack.stop()
    noise = [
        line
        for line in stack.output()
        if line.strip()
        and not line.startswith("wslab local")
        and '"CONNECT ' not in line
        and '"DISCONNECT ' not in line
        and '"MESSAGE ' not in line
    ]
    return StopResult(count, opened, stopped, code, noise)
