"""How fast the WebSocket data plane answers, connects and broadcasts, against known limits.

Run: ``.venv/bin/python benchmarks/gateway.py [--json PATH]``

- echo: round trip of a message through a two-way ``$default`` route whose Lambda returns
  the message as its body (websocket-client, one message in flight), against the same echo
  from a bare aiohttp WebSocket server on the same machine: the loopback limit;
- connects: 100 clients connecting at once, with a ``$connect`` Lambda returning 200 and
  with no ``$connect`` integration at all;
- broadcast: one message posted through ``@connections`` to 1,000 open connections, by a
  sequential boto3 loop and by a pool of 32 threads sharing one client; timed from the
  first PostToConnection until the last client has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import websocket
from aiohttp import web
from common import (
    REGION,
    Clients,
    Report,
    Stopwatch,
    create_python_function,
    local_stack,
    milliseconds,
    open_websockets,
    parse_arguments,
    process_cpu_seconds,
    progress,
    raise_open_file_limit,
)

from wslab.aws import client
from wslab.deploy.wiring import WiredApi, wire_websocket_api

T = TypeVar("T")

ECHO_WARM_UP = 50
ECHO_ROUND_TRIPS = 500
CONCURRENT_CONNECTS = 100
CONNECT_ROUNDS = 3
AUDIENCE = 1_000
# Connections are opened this many at a time: a burst of 1,000 SYNs would overflow the
# listen backlog and measure the kernel's SYN retry delay instead of the gateway.
OPENING_CONCURRENCY = 50
BROADCAST_ROUNDS = 3
POSTING_THREADS = 32
FILES_NEEDED = 4 * AUDIENCE  # one socket per connection, and ample room for everything else
TIMEOUT_S = 60.0

# One package, three handlers: a two-way echo, a route telling a client its connection id
# (the only way for a client to learn it), and a $connect that lets everyone in.
HANDLERS = """
def echo(event, context):
    return {"statusCode": 200, "body": event["body"]}


def whoami(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}


def connect(event, context):
    return {"statusCode": 200}
"""

BARE_ECHO = "bare aiohttp echo server"
GATEWAY_ECHO = "echo through a two-way route"
CONNECTS_WITHOUT_LAMBDA = f"{CONCURRENT_CONNECTS} concurrent connects, no $connect"
CONNECTS_WITH_LAMBDA = f"{CONCURRENT_CONNECTS} concurrent connects, $connect Lambda"
BROADCAST_POOL = f"broadcast to {AUDIENCE:,}, {POSTING_THREADS} threads posting"
BROADCAST_SEQUENTIAL = f"broadcast to {AUDIENCE:,}, one thread posting"


# A background event loop ---------------------------------------------------------------


class EventLoopThread:
    """An asyncio loop on its own thread, so blocking boto3 calls can run beside it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> EventLoopThread:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = TIMEOUT_S) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)


# Set-up ----------------------------------------------------------------------------------


def deploy_handlers(aws: Clients) -> dict[str, str]:
    """The three functions, by handler: ``{"echo": name, ...}``."""
    suffix = uuid.uuid4().hex[:6]
    names = {}
    for handler in ("echo", "whoami", "connect"):
        names[handler] = f"bench-{handler}-{suffix}"
        create_python_function(aws, names[handler], HANDLERS, handler=f"app.{handler}")
    return names


def wire(aws: Clients, name: str, routes: dict[str, str], two_way: tuple[str, ...]) -> WiredApi:
    return wire_websocket_api(aws("apigatewayv2"), aws("lambda"), name, routes, two_way=two_way)


# Echo ------------------------------------------------------------------------------------


def echo_round_trips(url: str) -> list[float]:
    """Round trips of distinct messages, one in flight at a time, after a warm-up."""
    connection = websocket.create_connection(url, timeout=TIMEOUT_S)
    try:
        for index in range(ECHO_WARM_UP):
            echo_once(connection, f"warm-up {index}")
        samples = []
        for index in range(ECHO_ROUND_TRIPS):
            with Stopwatch() as watch:
                echo_once(connection, f"message {index}")
            samples.append(watch.ms)
        return samples
    finally:
        connection.close()


def echo_once(connection: websocket.WebSocket, message: str) -> None:
    reply = connection.recv() if connection.send(message) else None
    if reply != message:
        raise RuntimeError(f"sent {message!r}, got {reply!r}")


async def _echo_back(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type is aiohttp.WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws


@contextlib.contextmanager
def bare_echo_server(background: EventLoopThread) -> Iterator[str]:
    """The least any WebSocket echo can cost here: aiohttp alone, on 127.0.0.1."""
    app = web.Application()
    app.router.add_get("/", _echo_back)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"ws://127.0.0.1:{runner.addresses[0][1]}/"

    url = background.run(start())
    try:
        yield url
    finally:
        background.run(runner.cleanup())


def measure_echo(report: Report, background: EventLoopThread, api: WiredApi) -> None:
    progress(f"echo: {ECHO_ROUND_TRIPS} round trips, bare server then gateway")
    with bare_echo_server(background) as url:
        bare = echo_round_trips(url)
    through_gateway = echo_round_trips(api.url)
    report.add_distribution(BARE_ECHO, bare)
    report.add_distribution(GATEWAY_ECHO, through_gateway, reference_name=BARE_ECHO)


# Concurrent connects ---------------------------------------------------------------------


def client_session() -> aiohttp.ClientSession:
    # aiohttp's default of 100 connections per session would queue the rest silently.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


async def close_all(sockets: list[aiohttp.ClientWebSocketResponse]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def connect_all_at_once(url: str, count: int) -> float:
    """Wall time (ms) from starting ``count`` clients until every one is open."""
    async with client_session() as session:
        started = time.perf_counter()
        sockets = await asyncio.gather(*(session.ws_connect(url) for _ in range(count)))
        elapsed = milliseconds(time.perf_counter() - started)
        await close_all(sockets)
    return elapsed


def connect_rounds(background: EventLoopThread, url: str) -> list[float]:
    return [
        background.run(connect_all_at_once(url, CONCURRENT_CONNECTS)) for _ in range(CONNECT_ROUNDS)
    ]


def measure_connects(
    report: Report, background: EventLoopThread, without_lambda: WiredApi, with_lambda: WiredApi
) -> None:
    progress(f"connects: {CONNECT_ROUNDS} rounds of {CONCURRENT_CONNECTS} at once, each API")
    # The first round starts the $connect function's environments: reported on its own.
    cold = background.run(connect_all_at_once(with_lambda.url, CONCURRENT_CONNECTS))
    background.run(connect_all_at_once(without_lambda.url, CONCURRENT_CONNECTS))
    plain = connect_rounds(background, without_lambda.url)
    warm = connect_rounds(background, with_lambda.url)
    report.add(f"{CONNECTS_WITHOUT_LAMBDA}, median", statistics.median(plain), raw=plain)
    reference = f"{CONNECTS_WITHOUT_LAMBDA}, median"
    report.add(
        f"{CONNECTS_WITH_LAMBDA}, median", statistics.median(warm), reference=reference, raw=warm
    )
    report.add(f"{CONNECTS_WITH_LAMBDA}, first (cold)", cold, reference=reference)


# Broadcast -------------------------------------------------------------------------------


class Audience:
    """Open connections that count, per message, how many of them have received it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.connection_ids: list[str] = []
        self._received: Counter[str] = Counter()
        self._everyone_has: dict[str, threading.Event] = {}
        self._last_arrival: dict[str, float] = {}
        self._listeners: list[asyncio.Task[None]] = []

    async def open(self, session: aiohttp.ClientSession, url: str) -> None:
        self.sockets = await open_websockets(session, url, self.size, OPENING_CONCURRENCY)

    async def identify(self) -> None:
        """Learn every connection's id through the ``whoami`` route, all at once."""

        async def whoami(ws: aiohttp.ClientWebSocketResponse) -> str:
            await ws.send_str("whoami")
            return await ws.receive_str(timeout=TIMEOUT_S)

        self.connection_ids = await asyncio.gather(*(whoami(ws) for ws in self.sockets))
        self._listeners = [asyncio.create_task(self._listen(ws)) for ws in self.sockets]

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self._arrived(message.data)

    def _arrived(self, text: str) -> None:
        self._received[text] += 1
        if self._received[text] == self.size:
            self._last_arrival[text] = time.perf_counter()
            self._everyone_has[text].set()

    def expect(self, text: str) -> threading.Event:
        """Set (on the loop's thread) once every connection has received ``text``."""
        self._everyone_has[text] = threading.Event()
        return self._everyone_has[text]

    def last_arrival(self, text: str) -> float:
        return self._last_arrival[text]

    def missing(self, text: str) -> int:
        return self.size - self._received[text]

    async def leave(self) -> None:
        await close_all(self.sockets)
        await asyncio.gather(*self._listeners, return_exceptions=True)


def post_sequentially(post: Callable[[str], object], connection_ids: list[str]) -> None:
    for connection_id in connection_ids:
        post(connection_id)


def post_from_a_pool(
    pool: ThreadPoolExecutor, post: Callable[[str], object], connection_ids: list[str]
) -> None:
    # list() waits for every post and re-raises the first error.
    list(pool.map(post, connection_ids))


@dataclass(frozen=True)
class BroadcastCost:
    wall_ms: float  # from the first PostToConnection until every connection has the message
    stack_cpu_ms: float  # CPU the stack used meanwhile: the gateway's share of the work
    own_cpu_ms: float  # CPU of this process: boto3 posting and the 1,000 clients receiving


def time_broadcast(
    audience: Audience, message: str, send_to_all: Callable[[str], None], stack_pid: int
) -> BroadcastCost:
    everyone_has = audience.expect(message)
    stack_cpu, own_cpu = process_cpu_seconds(stack_pid), process_cpu_seconds()
    started = time.perf_counter()
    send_to_all(message)
    if not everyone_has.wait(TIMEOUT_S):
        raise RuntimeError(f"{audience.missing(message)} connections never got {message!r}")
    return BroadcastCost(
        wall_ms=milliseconds(audience.last_arrival(message) - started),
        stack_cpu_ms=milliseconds(process_cpu_seconds(stack_pid) - stack_cpu),
        own_cpu_ms=milliseconds(process_cpu_seconds() - own_cpu),
    )


def broadcast_rounds(
    audience: Audience, label: str, send_to_all: Callable[[str], None], stack_pid: int
) -> list[BroadcastCost]:
    """One untimed round (connections and threads start), then the timed ones."""
    time_broadcast(audience, f"{label} warm-up", send_to_all, stack_pid)
    return [
        time_broadcast(audience, f"{label} {index}", send_to_all, stack_pid)
        for index in range(BROADCAST_ROUNDS)
    ]


def posting_to(management: Any, message: str) -> Callable[[str], object]:
    """PostToConnection of ``message`` to one connection id."""
    data = message.encode()
    return lambda connection_id: management.post_to_connection(
        ConnectionId=connection_id, Data=data
    )


async def assemble(audience: Audience, url: str) -> tuple[aiohttp.ClientSession, float, float]:
    """A session holding the audience's connections; ms to open them and to identify them."""
    session = client_session()
    try:
        with Stopwatch() as opening:
            await audience.open(session, url)
        with Stopwatch() as identifying:
            await audience.identify()
    except BaseException:
        await dismiss(audience, session)
        raise
    return session, opening.ms, identifying.ms


async def dismiss(audience: Audience, session: aiohttp.ClientSession) -> None:
    await audience.leave()
    await session.close()


def add_broadcast_figures(
    report: Report, name: str, costs: list[BroadcastCost], reference: str | None = None
) -> None:
    walls = [cost.wall_ms for cost in costs]
    report.add(f"{name}, median", statistics.median(walls), reference=reference, raw=walls)
    for share, values in (
        ("CPU of the stack", [cost.stack_cpu_ms for cost in costs]),
        ("CPU of this process", [cost.own_cpu_ms for cost in costs]),
    ):
        report.add(f"{name}: {share}, median", statistics.median(values), raw=values)


def measure_broadcast(
    report: Report, background: EventLoopThread, api: WiredApi, stack_pid: int
) -> None:
    progress(f"broadcast: opening {AUDIENCE:,} connections, {OPENING_CONCURRENCY} at a time")
    # One client for every thread: boto3 clients are thread-safe, and its connection pool
    # must be as large as the thread pool or connections are dropped and opened again.
    management = client(
        "apigatewaymanagementapi",
        api.management_url,
        REGION,
        max_pool_connections=POSTING_THREADS,
    )
    audience = Audience(AUDIENCE)
    session, opening_ms, identifying_ms = background.run(assemble(audience, api.url))
    ids = audience.connection_ids
    try:
        progress(f"broadcast: {BROADCAST_ROUNDS} rounds from {POSTING_THREADS} threads")
        with ThreadPoolExecutor(POSTING_THREADS) as pool:
            pooled = broadcast_rounds(
                audience,
                "pooled",
                lambda text: post_from_a_pool(pool, posting_to(management, text), ids),
                stack_pid,
            )
        progress(f"broadcast: {BROADCAST_ROUNDS} rounds of sequential posts")
        sequential = broadcast_rounds(
            audience,
            "sequential",
            lambda text: post_sequentially(posting_to(management, text), ids),
            stack_pid,
        )
    finally:
        background.run(dismiss(audience, session))
    report.add(f"{AUDIENCE:,} connects, {OPENING_CONCURRENCY} at a time", opening_ms)
    # 1,000 Lambda invocations at once, the first ones starting the function's environments.
    report.add(f"{AUDIENCE:,} whoami round trips at once (cold function)", identifying_ms)
    add_broadcast_figures(report, BROADCAST_POOL, pooled)
    add_broadcast_figures(
        report, BROADCAST_SEQUENTIAL, sequential, reference=f"{BROADCAST_POOL}, median"
    )


# The run ---------------------------------------------------------------------------------


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("gateway")
    raise_open_file_limit(FILES_NEEDED)
    with local_stack() as stack, EventLoopThread() as background:
        aws = Clients(stack.endpoint_url)
        progress("deploying three functions and three WebSocket APIs")
        functions = deploy_handlers(aws)
        echo_api = wire(aws, "bench-echo", {"$default": functions["echo"]}, ("$default",))
        connect_api = wire(
            aws,
            "bench-connect",
            {"$connect": functions["connect"], "$default": functions["echo"]},
            ("$default",),
        )
        whoami_api = wire(aws, "bench-whoami", {"$default": functions["whoami"]}, ("$default",))
        measure_echo(report, background, echo_api)
        # The echo API has no $connect route: the same connects without any Lambda.
        measure_connects(report, background, echo_api, connect_api)
        measure_broadcast(report, background, whoami_api, stack.pid)
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
