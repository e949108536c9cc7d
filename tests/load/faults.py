"""The fault matrix: what the chat and the local stack do when things go wrong.

Each fault returns a :class:`Outcome`: what was done, what was seen, and whether it is
what must happen (``held``). DynamoDB throttling is not here: DynamoDB cannot be made to
throttle on demand, so ``tests/handlers/test_throttling.py`` injects it with botocore's
Stubber into the handlers' own client, and ``python -m tests.load`` runs those tests.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from wslab.aws import Target
from wslab.deploy.stack import ChatStack, deploy
from wslab.local.process import LocalAWSProcess

from .chat import Chat, new_room, open_members, session, wait_until

__all__ = [
    "Outcome",
    "frozen_client",
    "handler_exception",
    "integration_timeout",
    "stack_restart",
    "summary",
    "vanishing_clients",
    "worker_killed_mid_broadcast",
]

SETTLE_S = 30.0


@dataclass
class Outcome:
    fault: str
    held: bool
    seen: str
    figures: dict[str, float] = field(default_factory=dict)


def _room_items(chat: Chat, room: str) -> list[str]:
    answer = chat.client("dynamodb").query(
        TableName=chat.connections_table,
        IndexName="roomId-index",
        KeyConditionExpression="roomId = :r",
        ExpressionAttributeValues={":r": {"S": room}},
    )
    return [item["id"]["S"] for item in answer["Items"]]


def _raw_client(url: str, *, receive_buffer: int | None = None) -> socket.socket:
    """A WebSocket client on a bare socket: handshake done, then left to the caller."""
    parsed = urlparse(url)
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((parsed.hostname, parsed.port))
    key = base64.b64encode(os.urandom(16)).decode()
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    sock.sendall(
        (
            f"GET {target} HTTP/1.1\r\nHost: {parsed.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    return sock


async def vanishing_clients(chat: Chat) -> Outcome:
    """A client whose TCP connection ends with a FIN, and one with a RST, without any
    close frame: each is gone from the connections table once its $disconnect ran."""
    room = new_room("vanish")
    clients = {
        kind: await asyncio.to_thread(_raw_client, f"{chat.url}?roomId={room}")
        for kind in ("fin", "rst")
    }
    await wait_until(lambda: len(_room_items(chat, room)) == 2, SETTLE_S, 0.05)
    started = time.perf_counter()
    clients["rst"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    for sock in clients.values():
        sock.close()
    removed = await wait_until(lambda: not _room_items(chat, room), SETTLE_S, 0.02)
    took_ms = (time.perf_counter() - started) * 1000
    return Outcome(
        "vanishing clients (FIN, RST)",
        removed,
        f"both items removed by $disconnect in {took_ms:.0f} ms" if removed else "items left",
        {"disconnect_ms": took_ms},
    )


async def frozen_client(chat: Chat, message_kb: int = 30) -> Outcome:
    """A member that stops reading in a busy room: it is dropped (1008) once over 1 MiB
    waits for it, no sender waits more than the bounded second on it, everyone else gets
    every message, and no error frame reaches anyone."""
    lambda_ = chat.client("lambda")
    name = chat.function_name("sendmessage")
    environment = lambda_.get_function_configuration(FunctionName=name)["Environment"]
    # Up to 32 KB of text: one client frame (API Gateway's frame limit) each.
    bigger = {**environment["Variables"], "MAX_MESSAGE_BYTES": str(32 * 1024)}
    lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": bigger})
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    room = new_room("frozen")
    try:
        frozen = await asyncio.to_thread(
            _raw_client, f"{chat.url}?roomId={room}", receive_buffer=4096
        )
        async with session() as http:
            members = await open_members(http, chat.url, room, 3)
            sent = 0
            started = time.perf_counter()
            while len(_room_items(chat, room)) == 4 and sent < 400:
                await members[sent % 3].say(f"{sent:04d}" + "x" * (message_kb * 1024))
                sent += 1
                await wait_until(lambda s=sent: all(m.has_all(s) for m in members), SETTLE_S)
            took = time.perf_counter() - started
            everyone = all(sorted(m.arrived_at) == list(range(1, sent + 1)) for m in members)
            errors = sum(len(m.gateway_errors) + len(m.envelopes) for m in members)
            await asyncio.gather(*(m.close() for m in members))
        frozen.close()
        dropped = len(_room_items(chat, room)) == 3 or sent < 400
        held = dropped and everyone and errors == 0
        seen = (
            f"dropped after {sent} messages of {message_kb} KB ({took:.1f} s); the 3 others "
            f"got all {sent}; {errors} error frames"
        )
        return Outcome("frozen client", held, seen, {"messages_until_dropped": sent})
    finally:
        lambda_.update_function_configuration(
            FunctionName=name, Environment={"Variables": environment["Variables"]}
        )
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), command))
    return found


def _kill_workers(stack_pid: int, handler: str) -> int:
    killed = 0
    for pid, command in _children(stack_pid):
        if handler in command:
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


async def worker_killed_mid_broadcast(chat: Chat, audience: int = 100) -> Outcome:
    """The sendmessage worker is SIGKILLed while it posts a message to a room: part of
    the room got it. The sender gets Internal server error; at the next message every
    member that missed it sees the gap and fetches it with `history`, as wslab chat does:
    in the end every member has shown every seq, in order, none twice."""
    room = new_room("killed")
    async with session() as http:
        members = await open_members(http, chat.url, room, audience, recover=True)
        await members[0].say("warm")  # seq 1, and a warm sendmessage worker
        await wait_until(lambda: all(m.shown[-1:] == [1] for m in members), SETTLE_S)
        await members[1].say("this one is cut short")  # seq 2
        got_it = await wait_until(lambda: any(2 in m.arrived_at for m in members), SETTLE_S, 0)
        killed = _kill_workers(chat.process.pid, "send_message")
        partial = sum(2 in m.arrived_at for m in members)
        await wait_until(lambda: bool(members[1].gateway_errors), SETTLE_S)
        await members[2].say("the next one")  # seq 3: the gap shows
        complete = await wait_until(
            lambda: all(m.shown == [1, 2, 3] for m in members), SETTLE_S, 0.05
        )
        fetched = sum(m.history_requests for m in members)
        sender_error = members[1].gateway_errors[:1]
        wrong = [m.shown for m in members if m.shown != [1, 2, 3]][:3]
        await asyncio.gather(*(m.close() for m in members))
    held = got_it and killed > 0 and complete
    seen = (
        f"{killed} worker(s) killed with seq 2 delivered to {partial} of {audience}; sender "
        f"got {sender_error}; {fetched} history requests; every member showed 1, 2, 3: "
        f"{complete}" + (f" (e.g. {wrong})" if wrong else "")
    )
    return Outcome(
        "worker SIGKILL mid-broadcast",
        held,
        seen,
        {"delivered_before_kill": partial, "history_requests": fetched},
    )


async def handler_exception(chat: Chat) -> Outcome:
    """sendmessage fails (its history table is renamed away): the sender gets Internal
    server error, nobody gets a message, the connection stays open; fixed, the next
    message is numbered as if nothing happened."""
    lambda_ = chat.client("lambda")
    name = chat.function_name("sendmessage")
    environment = lambda_.get_function_configuration(FunctionName=name)["Environment"]
    broken = {**environment["Variables"], "HISTORY_TABLE": "no-such-table"}
    room = new_room("broken")
    async with session() as http:
        alice, bob = await open_members(http, chat.url, room, 2)
        lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": broken})
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        try:
            await alice.say("lost to an exception")
            await wait_until(lambda: bool(alice.gateway_errors), SETTLE_S)
        finally:
            lambda_.update_function_configuration(
                FunctionName=name, Environment={"Variables": environment["Variables"]}
            )
            lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        await alice.say("after the fix")
        fixed = await wait_until(lambda: bob.has_all(1), SETTLE_S)
        frames = list(alice.gateway_errors)
        held = frames == ["Internal server error"] and fixed and bob.seqs == [1] and alice.reading
        await asyncio.gather(alice.close(), bob.close())
    return Outcome(
        "handler exception",
        held,
        f"sender got {frames}; still connected: {held}; next message numbered {bob.seqs}",
    )


async def integration_timeout(chat: Chat, audience: int = 50) -> Outcome:
    """The sendmessage integration's TimeoutInMillis is set to 50 ms (API Gateway's
    least) and deployed: a message to a room of ``audience`` takes longer than that, so
    the sender gets Endpoint request timed out, and, as on AWS, the function runs on and
    the room still gets the message."""
    apigw = chat.client("apigatewayv2")
    api_id = chat.outputs["ApiId"]
    route = next(
        r for r in apigw.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "sendmessage"
    )
    integration_id = route["Target"].split("/", 1)[1]
    integration = apigw.get_integration(ApiId=api_id, IntegrationId=integration_id)
    before = integration.get("TimeoutInMillis", 29_000)
    stage = chat.outputs["StageName"]

    def redeploy(timeout_ms: int) -> None:
        apigw.update_integration(
            ApiId=api_id, IntegrationId=integration_id, TimeoutInMillis=timeout_ms
        )
        apigw.create_deployment(ApiId=api_id, StageName=stage)

    room = new_room("slow")
    async with session() as http:
        members = await open_members(http, chat.url, room, audience)
        alice = members[0]
        redeploy(50)
        try:
            await alice.say("slower than 50 ms")
            timed_out = await wait_until(lambda: bool(alice.gateway_errors), SETTLE_S)
            delivered = await wait_until(lambda: all(m.has_all(1) for m in members), SETTLE_S)
        finally:
            redeploy(before)
        frames = list(alice.gateway_errors)
        await asyncio.gather(*(m.close() for m in members))
    held = timed_out and delivered and frames == ["Endpoint request timed out"]
    return Outcome(
        "integration timeout",
        held,
        f"sender got {frames}; all {audience} members still got seq 1: {delivered}",
    )


def stack_restart(name: str = "restart") -> Outcome:
    """A stack killed with SIGKILL, started again on the same port: the chat and every
    connection are gone (state lives in memory), the killed stack's temporary folder is
    removed by the new one, and deploying again brings the chat back."""
    first = LocalAWSProcess(port=0)
    first.start()
    port = int(first.endpoint_url.rsplit(":", 1)[1])
    outputs = deploy(ChatStack(Target.local(first.endpoint_url), name, say=lambda line: None))
    folders = list(Path("/tmp").glob(f"wslab-local-{first.pid}-*"))
    os.kill(first.pid, signal.SIGKILL)
    first.stop()
    left_behind = all(folder.exists() for folder in folders) and bool(folders)
    second = LocalAWSProcess(port=port)
    second.start()
    try:
        target = Target.local(second.endpoint_url)
        tables = target.client("dynamodb").list_tables()["TableNames"]
        refused = _refused(outputs["WebSocketURL"])
        removed = not any(folder.exists() for folder in folders)
        redeployed = deploy(ChatStack(target, name, say=lambda line: None))
        back = _refused(redeployed["WebSocketURL"]) is None
    finally:
        second.stop()
    held = left_behind and not tables and refused is not None and removed and back
    return Outcome(
        "stack restart (SIGKILL, same port)",
        held,
        f"tables after restart: {tables}; old URL answers {refused}; killed stack's folder "
        f"removed: {removed}; deployed again and connecting: {back}",
    )


def _refused(url: str) -> str | None:
    try:
        _raw_client(url).close()
    except (OSError, ConnectionError) as error:
        return str(error)
    return None


def summary(outcomes: list[Outcome]) -> str:
    return "\n".join(f"  {'held' if o.held else 'FAILED':6}  {o.fault}: {o.seen}" for o in outcomes)
