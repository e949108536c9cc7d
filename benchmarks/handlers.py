"""The reference handlers under load on wslab local: broadcast, Scan vs Query, fan-out.

Run: ``.venv/bin/python benchmarks/handlers.py [--json PATH]``

The chat is deployed from cloudformation/template.yaml, as ``wslab deploy`` does it, on a
private ``wslab local --port 0``.

- Scan vs Query: a table with the connections table's schema holding 10,000 connection
  items spread over 100 rooms. The article's way to find connections, a Scan of the whole
  table (here filtered on ``roomId``, page by page, to find one room) against the handlers' way
  (``chat.store.connections_in_room``: Query on ``roomId-index``, page by page): wall time,
  items read and items returned.
- broadcast: 1,000 aiohttp clients in one room; one of them sends ``sendmessage``; timed
  from the send until all 1,000 have the message, through the gateway, the deployed
  ``sendmessage`` Lambda (its Query and its fan-out) and back. The reference is the same
  ``sendmessage`` in a room of one: the sender's own round trip.
- fan-out: ``chat.fanout.broadcast_to_room`` called from this process, with a management
  client pointed at the stack, to the same 1,000 connections: one post after another (a
  pool of one worker) against the handlers' bounded pool (``FANOUT_MAX_WORKERS``, 16).
  Same function, same Query, same client settings; only the concurrency differs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import math
import re
import secrets
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import boto3
from botocore.config import Config
from common import (
    REGION,
    Clients,
    Report,
    Stopwatch,
    local_stack,
    open_websockets,
    parse_arguments,
    progress,
    raise_open_file_limit,
)

from wslab.aws import LOCAL_CREDENTIALS, Target
from wslab.deploy.stack import ChatStack, deploy

# The handlers' own modules, imported as Lambda does: lambda_src/ is the root of the zip.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambda_src"))

from chat.config import Settings
from chat.fanout import BroadcastResult, broadcast_to_room
from chat.responses import encode, message_envelope, utc_timestamp
from chat.store import RoomQueryStats, connections_in_room

STACK_NAME = "bench-chat"
ROOM_INDEX = Settings.room_index
AUDIENCE = 1_000
AUDIENCE_ROOM = "audience"
# Connections are opened this many at a time: 1,000 at once would overflow the listen
# backlog and measure the kernel's SYN retries instead of the stack.
OPENING_CONCURRENCY = 50
SOLO_ROUNDS = 5
BROADCAST_ROUNDS = 3
FANOUT_ROUNDS = 3
POOL_WORKERS = Settings.fanout_max_workers
# Added before each post in the last fan-out figures: a round trip to API Gateway within a
# Region, which the loopback does not have (a model, stated as one in the table).
ADDED_LATENCY_MS = 10.0
ITEMS = 10_000
ROOMS = 100
QUERY_REPEATS = 10
SCAN_REPEATS = 5
FILES_NEEDED = 4 * AUDIENCE + 256  # both ends of each connection, and the stack's own files
TIMEOUT_S = 120.0
_FAILURE = re.compile(r'"level": "ERROR"|Task timed out|Traceback|" 50[0-9] ')

QUERY = "Query on roomId-index (handlers)"
SCAN = "Scan of the whole table (article)"
SOLO = "sendmessage to a room of 1"
ROOM_SIZE_PREFIX = "sendmessage to a room of "
ROOM_SIZES = (10, 100, 250, 500)
BROADCAST = f"sendmessage to a room of {AUDIENCE:,}"
POOLED = f"fan-out to {AUDIENCE:,}, pool of {POOL_WORKERS} (handlers)"
SEQUENTIAL = f"fan-out to {AUDIENCE:,}, one post after another"


def dynamodb_resource(endpoint_url: str) -> Any:
    return boto3.resource(
        "dynamodb", endpoint_url=endpoint_url, region_name=REGION, **LOCAL_CREDENTIALS
    )


def connection_id() -> str:
    """An id in API Gateway's format: 11 random bytes, base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode("ascii")


# Scan vs Query -----------------------------------------------------------------------------


class CountingTable:
    """A Table that adds up what each Query or Scan page read and returned."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self.read = 0
        self.returned = 0
        self.pages = 0

    def _count(self, page: dict[str, Any]) -> dict[str, Any]:
        self.pages += 1
        self.read += int(page["ScannedCount"])
        self.returned += int(page["Count"])
        return page

    def query(self, **request: Any) -> dict[str, Any]:
        return self._count(self._table.query(**request))

    def scan(self, **request: Any) -> dict[str, Any]:
        return self._count(self._table.scan(**request))


def scan_room(table: Any, room: str, now: float) -> list[str]:
    """The article's Scan of every item, here keeping the room's (and paged, as it must be)."""
    request: dict[str, Any] = {
        "FilterExpression": "roomId = :room AND (attribute_not_exists(expiresAt) "
        "OR expiresAt > :now)",
        "ExpressionAttributeValues": {":room": room, ":now": int(now)},
    }
    found: list[str] = []
    while True:
        page = table.scan(**request)
        found.extend(str(item["id"]) for item in page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_room(table: Any, room: str, now: float) -> list[str]:
    """The handlers' way, their own function."""
    stats = RoomQueryStats()
    return [c.connection_id for c in connections_in_room(table, ROOM_INDEX, room, now, stats)]


def _number_size(value: Any) -> int:
    digits = str(abs(Decimal(value))).replace(".", "").strip("0") or "0"
    return 1 + math.ceil(len(digits) / 2)


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: attribute names plus values (strings, numbers)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        size += len(value.encode()) if isinstance(value, str) else _number_size(value)
    return size


def read_units(items_bytes: int) -> float:
    """Read capacity of one eventually consistent Query/Scan over that many bytes of items.

    DynamoDB sums the sizes of every item it reads (returned or filtered out), rounds up to
    4 KB, and charges half a unit per 4 KB when reads are eventually consistent.
    """
    return math.ceil(items_bytes / 4096) * 0.5


def fill_table(aws: Clients, endpoint_url: str, model_table: str) -> tuple[Any, dict[str, int]]:
    """A table with the connections table's schema, holding ITEMS items over ROOMS rooms;
    the table, and each item's size in bytes by its id."""
    described = aws("dynamodb").describe_table(TableName=model_table)["Table"]
    name = f"{STACK_NAME}-scan-vs-query"
    aws("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=described["AttributeDefinitions"],
        KeySchema=described["KeySchema"],
        GlobalSecondaryIndexes=[
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in described["GlobalSecondaryIndexes"]
        ],
    )
    table = dynamodb_resource(endpoint_url).Table(name)
    now = int(time.time())
    sizes: dict[str, int] = {}
    # The items chat.store.register_connection writes, spread evenly over the rooms.
    with table.batch_writer() as batch:
        for number in range(ITEMS):
            identifier = connection_id()
            item = {
                "id": identifier,
                "roomId": f"room-{number % ROOMS:03d}",
                "connectedAt": now * 1000,
                "expiresAt": now + 8100,
            }
            batch.put_item(Item=item)
            sizes[identifier] = item_bytes(item)
    return table, sizes


def measure_scan_vs_query(report: Report, aws: Clients, endpoint_url: str, model: str) -> None:
    progress(f"scan vs query: writing {ITEMS:,} connection items over {ROOMS} rooms")
    with Stopwatch() as filling:
        table, sizes = fill_table(aws, endpoint_url, model)
    progress(f"scan vs query: {QUERY_REPEATS} Queries, {SCAN_REPEATS} Scans of one room")
    room = f"room-{ROOMS // 2:03d}"
    now = time.time()
    runs: dict[str, tuple[list[float], CountingTable, list[str]]] = {}
    for name, find, repeats in (
        (QUERY, query_room, QUERY_REPEATS),
        (SCAN, scan_room, SCAN_REPEATS),
    ):
        find(table, room, now)  # untimed: the first call of each kind opens connections
        samples = []
        for _ in range(repeats):
            with Stopwatch() as watch:
                find(table, room, now)
            samples.append(watch.ms)
        counting = CountingTable(table)
        ids = find(counting, room, now)
        runs[name] = (samples, counting, ids)
    if sorted(runs[QUERY][2]) != sorted(runs[SCAN][2]) or len(runs[QUERY][2]) != ITEMS // ROOMS:
        raise RuntimeError("Scan and Query disagree on the room's connections")
    report.add(f"writing {ITEMS:,} items (BatchWriteItem)", filling.ms)
    for name in (QUERY, SCAN):
        samples, counting, _ = runs[name]
        reference = None if name == QUERY else QUERY
        report.add(
            f"{name}, median",
            statistics.median(samples),
            reference=f"{reference}, median" if reference else None,
            raw=samples,
        )
        report.add(
            f"{name}: items read",
            counting.read,
            "items",
            reference=f"{reference}: items read" if reference else None,
        )
        report.add(f"{name}: items returned", counting.returned, "items")
        report.add(f"{name}: pages", counting.pages, "pages")
    # The local stack does not meter capacity: these follow DynamoDB's rules from item sizes.
    query_bytes = sum(sizes[i] for i in runs[QUERY][2])
    scan_bytes = sum(sizes.values())
    report.add(f"{QUERY}: read units (computed)", read_units(query_bytes), "RCU")
    report.add(
        f"{SCAN}: read units (computed)",
        read_units(scan_bytes),
        "RCU",
        reference=f"{QUERY}: read units (computed)",
    )
    table.delete()


# The audience --------------------------------------------------------------------------------


class Audience:
    """Open connections that count, per message text, how many of them have received it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._received: Counter[str] = Counter()
        self._everyone_has: dict[str, asyncio.Event] = {}
        self._last_arrival: dict[str, float] = {}
        self._listeners: list[asyncio.Task[None]] = []

    async def open(self, session: aiohttp.ClientSession, url: str) -> None:
        self.sockets = await open_websockets(session, url, self.size, OPENING_CONCURRENCY)
        self._listeners = [asyncio.create_task(self._listen(ws)) for ws in self.sockets]

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                frame = json.loads(message.data)
                if frame.get("type") == "message":
                    self._arrived(str(frame["text"]))

    def _arrived(self, text: str) -> None:
        self._received[text] += 1
        if self._received[text] == self.size and text in self._everyone_has:
            self._last_arrival[text] = time.perf_counter()
            self._everyone_has[text].set()

    def expect(self, text: str) -> None:
        self._everyone_has[text] = asyncio.Event()

    async def everyone_has(self, text: str) -> float:
        """Wait until all have ``text``; when the last one got it (perf_counter)."""
        try:
            await asyncio.wait_for(self._everyone_has[text].wait(), TIMEOUT_S)
        except TimeoutError:
            missing = self.size - self._received[text]
            raise RuntimeError(f"{missing} connections never got {text!r}") from None
        return self._last_arrival[text]

    async def leave(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        await asyncio.gather(*self._listeners, return_exceptions=True)


def client_session() -> aiohttp.ClientSession:
    # aiohttp's default of 100 connections per session would queue the rest silently.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


async def send_message(ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
    await ws.send_str(json.dumps({"action": "sendmessage", "data": text}))


# Broadcast through the deployed sendmessage ------------------------------------------------


def broadcast_log_lines(aws: Clients, room: str) -> list[dict[str, Any]]:
    """The sendmessage function's broadcast summary lines for ``room``, oldest first."""
    lines = []
    pages = (
        aws("logs")
        .get_paginator("filter_log_events")
        .paginate(logGroupName=f"/aws/lambda/{STACK_NAME}-sendmessage")
    )
    for page in pages:
        for event in page["events"]:
            if event["message"].startswith("{"):
                line = json.loads(event["message"])
                if line.get("event") == "broadcast" and line.get("room") == room:
                    lines.append(line)
    return lines


async def solo_round_trips(session: aiohttp.ClientSession, url: str) -> list[float]:
    """sendmessage in a room of one: until the sender has its own message back."""
    ws = await session.ws_connect(f"{url}?roomId=solo")
    try:
        samples = []
        for index in range(SOLO_ROUNDS + 1):
            text = f"solo {index}"
            with Stopwatch() as watch:
                await send_message(ws, text)
                while True:
                    frame = json.loads(await ws.receive_str(timeout=TIMEOUT_S))
                    if frame.get("text") == text:
                        break
            if index:  # the first starts the function's environment
                samples.append(watch.ms)
        return samples
    finally:
        await ws.close()


async def timed_sendmessage(audience: Audience, text: str) -> float:
    audience.expect(text)
    started = time.perf_counter()
    await send_message(audience.sockets[0], text)
    return (await audience.everyone_has(text) - started) * 1000


async def measure_room_sizes(report: Report, url: str) -> None:
    """sendmessage in rooms of growing size, each its own audience: the fan-out curve."""
    async with client_session() as session:
        for size in ROOM_SIZES:
            audience = Audience(size)
            progress(f"room of {size}: opening, then {BROADCAST_ROUNDS} sendmessage")
            await audience.open(session, f"{url}?roomId=size-{size}")
            try:
                await timed_sendmessage(audience, f"size {size} warm-up")
                walls = [
                    await timed_sendmessage(audience, f"size {size} #{index}")
                    for index in range(BROADCAST_ROUNDS)
                ]
            finally:
                await audience.leave()
            report.add(f"{ROOM_SIZE_PREFIX}{size:,}, median", statistics.median(walls), raw=walls)


async def measure_broadcast(report: Report, aws: Clients, audience: Audience, url: str) -> None:
    async with client_session() as session:
        solo = await solo_round_trips(session, url)
    progress(f"broadcast: {BROADCAST_ROUNDS} sendmessage to {AUDIENCE:,}, after one untimed")
    await timed_sendmessage(audience, "broadcast warm-up")
    walls = [await timed_sendmessage(audience, f"broadcast {i}") for i in range(BROADCAST_ROUNDS)]
    # The handler's own summary lines: every round reached all 1,000, and how long it took.
    lines = broadcast_log_lines(aws, AUDIENCE_ROOM)[-BROADCAST_ROUNDS:]
    if len(lines) < BROADCAST_ROUNDS or any(line["delivered"] != AUDIENCE for line in lines):
        raise RuntimeError(f"the handler's summaries do not add up: {lines}")
    handler_ms = [float(line["duration_ms"]) for line in lines]
    report.add(f"{SOLO}, median", statistics.median(solo), raw=solo)
    report.add(
        f"{BROADCAST}, median", statistics.median(walls), reference=f"{SOLO}, median", raw=walls
    )
    report.add(
        f"{BROADCAST}: in the handler (Query + posts), median",
        statistics.median(handler_ms),
        raw=handler_ms,
    )


# Fan-out from this process ----------------------------------------------------------------


def management_client(endpoint_url: str, workers: int, added_latency_ms: float = 0) -> Any:
    """As chat.clients.management_api makes it: one connection per worker, no SDK retries.

    With ``added_latency_ms``, each PostToConnection first waits that long, as a thread
    waits on the network for API Gateway in a Region (the loopback answers at once).
    """
    config = Config(
        max_pool_connections=workers,
        connect_timeout=3,
        read_timeout=5,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=config,
        **LOCAL_CREDENTIALS,
    )
    if added_latency_ms:

        def network_wait(**_: Any) -> None:
            time.sleep(added_latency_ms / 1000)  # returning None lets the request go on

        management.meta.events.register(
            "before-send.apigatewaymanagementapi.PostToConnection", network_wait
        )
    return management


def fan_out(table: Any, management: Any, workers: int, text: str) -> BroadcastResult:
    envelope = message_envelope(
        room=AUDIENCE_ROOM, seq=0, sender="bench", text=text, sent_at=utc_timestamp(time.time())
    )
    # broadcast_to_room logs its summary line to stdout, where the table goes.
    with contextlib.redirect_stdout(io.StringIO()):
        return broadcast_to_room(
            table=table,
            index_name=ROOM_INDEX,
            room=AUDIENCE_ROOM,
            data=encode(envelope),
            client=management,
            max_workers=workers,
            max_attempts=Settings.post_max_attempts,
        )


async def timed_fan_out(
    audience: Audience, table: Any, management: Any, workers: int, text: str
) -> tuple[float, float]:
    """(ms until all 1,000 have it, ms broadcast_to_room itself took)."""
    audience.expect(text)
    started = time.perf_counter()
    result = await asyncio.to_thread(fan_out, table, management, workers, text)
    if result.delivered != AUDIENCE:
        raise RuntimeError(f"{text}: {result}")
    return (await audience.everyone_has(text) - started) * 1000, result.duration_ms


async def measure_fan_out(
    report: Report, audience: Audience, endpoint_url: str, management_url: str, table_name: str
) -> None:
    table = dynamodb_resource(endpoint_url).Table(table_name)
    variants = {
        SEQUENTIAL: (1, management_client(management_url, 1)),
        POOLED: (POOL_WORKERS, management_client(management_url, POOL_WORKERS)),
    }
    walls: dict[str, list[float]] = {name: [] for name in variants}
    inside: dict[str, list[float]] = {name: [] for name in variants}
    progress(f"fan-out: {FANOUT_ROUNDS} rounds of each, interleaved, after one untimed each")
    for round_number in range(FANOUT_ROUNDS + 1):
        for name, (workers, management) in variants.items():
            wall, own = await timed_fan_out(
                audience, table, management, workers, f"{name} {round_number}"
            )
            if round_number:
                walls[name].append(wall)
                inside[name].append(own)
    for name in (POOLED, SEQUENTIAL):
        reference = None if name == POOLED else POOLED
        report.add(
            f"{name}, median",
            statistics.median(walls[name]),
            reference=f"{reference}, median" if reference else None,
            raw=walls[name],
        )
        report.add(
            f"{name}: broadcast_to_room's own duration, median",
            statistics.median(inside[name]),
            reference=f"{reference}: broadcast_to_room's own duration, median"
            if reference
            else None,
            raw=inside[name],
        )
    progress(f"fan-out: once each with {ADDED_LATENCY_MS:.0f} ms added to every post")
    simulated = {
        f"{POOLED}, +{ADDED_LATENCY_MS:.0f} ms per post": POOL_WORKERS,
        f"{SEQUENTIAL}, +{ADDED_LATENCY_MS:.0f} ms per post": 1,
    }
    pooled_name = next(iter(simulated))
    for name, workers in simulated.items():
        management = management_client(management_url, workers, ADDED_LATENCY_MS)
        wall, _ = await timed_fan_out(audience, table, management, workers, name)
        report.add(name, wall, reference=None if name == pooled_name else pooled_name)


# The run ---------------------------------------------------------------------------------


async def with_audience(
    report: Report, aws: Clients, endpoint_url: str, outputs: dict[str, str]
) -> None:
    url = outputs["WebSocketURL"]
    progress(f"audience: opening {AUDIENCE:,} connections, {OPENING_CONCURRENCY} at a time")
    audience = Audience(AUDIENCE)
    async with client_session() as session:
        try:
            with Stopwatch() as opening:
                await audience.open(session, f"{url}?roomId={AUDIENCE_ROOM}")
            report.add(f"{AUDIENCE:,} connects through the $connect Lambda", opening.ms)
            await measure_broadcast(report, aws, audience, url)
            await measure_room_sizes(report, url)
            await measure_fan_out(
                report,
                audience,
                endpoint_url,
                outputs["ManagementURL"],
                outputs["ConnectionsTableName"],
            )
        finally:
            await audience.leave()


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("handlers")
    raise_open_file_limit(FILES_NEEDED)
    with local_stack() as stack:
        progress("deploying cloudformation/template.yaml")
        target = ChatStack(Target.local(stack.endpoint_url), STACK_NAME, say=lambda line: None)
        # Nothing to delete afterwards: the stack is private to this run and stopped with it.
        outputs = deploy(target)
        aws = Clients(stack.endpoint_url)
        measure_scan_vs_query(report, aws, stack.endpoint_url, outputs["ConnectionsTableName"])
        try:
            asyncio.run(with_audience(report, aws, stack.endpoint_url, outputs))
        except Exception:
            # What the stack said about failed invocations, before it is stopped.
            failures = [line for line in stack.output() if _FAILURE.search(line)]
            progress("\n".join(["the stack's last failures:", *failures[-20:]]))
            raise
    report.publish(arguments.json)
    if arguments.plot:
        plot_room_sizes(report, arguments.plot)


def plot_room_sizes(report: Report, path: Path) -> None:
    from plots import plot_fanout

    sizes = [1, *ROOM_SIZES, AUDIENCE]
    medians = [report.find(f"{ROOM_SIZE_PREFIX}{size:,}, median").value for size in sizes]
    plot_fanout(sizes, medians, path)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
