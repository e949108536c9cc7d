"""A fuzzer: mutated chat messages, WebSocket frames, handshakes and @connections calls.

Seeded, so a run can be repeated. What must hold, whatever is sent:

- **messages** (valid actions mutated: values of every JSON type, keys dropped or added,
  deep nesting, ``NaN``, huge numbers, broken JSON, control characters, long strings):
  each gets exactly one answer on its sender's connection (the chat's ``error``,
  ``joined``, ``history``, or the sender's own message back), never ``Internal server
  error`` nor ``Forbidden`` (the chat has a ``$default`` route);
- **frames** (invalid UTF-8, binary, oversized, fragmented past 128 KB, reserved opcodes,
  unmasked): closed with RFC 6455's code for each (1007, 1003, 1009, 1009, 1002, 1002);
- **handshakes** (headers dropped, doubled or mangled, other methods, versions, paths):
  an HTTP answer below 500, never a hang;
- **@connections** (methods, paths, ids, sizes, bodies that are not UTF-8, chunked
  bodies): an answer below 500;
- and the stack writes no traceback.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlparse

from tests.support import scaled

from .chat import Chat, Member, new_room, open_members, session

__all__ = ["FuzzResult", "fuzz"]

ANSWER_TIMEOUT_S = 35.0  # an integration timeout (29 s) and then some
SEEDS = [
    {"action": "sendmessage", "data": "hello"},
    {"action": "joinroom"},
    {"action": "joinroom", "roomId": "fuzz"},
    {"action": "history", "sinceSeq": 0},
    {"action": "history", "sinceSeq": 1, "limit": 5, "roomId": "fuzz"},
]
ACTIONS = ["sendmessage", "joinroom", "history", "SendMessage", " joinroom", "$default",
           "$connect", "send\u200bmessage", "", "history\x00"]  # fmt: skip
STRINGS = ["", " ", "\u2603", "\ud800", "\\ud800", "\x00", "\x1f", "a" * 5000, "' OR 1=1",
           "<script>", "\ufeff", "lobby", "no spaces", "x" * 65]  # fmt: skip


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 3 else 7)
    if kind == 0:
        return rng.choice(STRINGS)
    if kind == 1:
        return rng.choice([0, -1, 1, 2**31, 2**63, 10**30, -(10**400)])
    if kind == 2:
        return rng.choice([0.5, -0.0, 1e308, 1e-320])
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return None
    if kind == 5:
        return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 40)))
    if kind == 6:
        return rng.randrange(-5, 200)
    if kind == 7:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["action", "data", "roomId", "sinceSeq", "limit", "x"]): _value(rng, depth + 1)
    }


def _nested(depth: int, inner: str) -> str:
    opener, closer = random.Random(depth).choice([("[", "]"), ('{"a":', "}")])
    return opener * depth + inner + closer * depth


def mutate(rng: random.Random) -> str:
    """One mutated message text."""
    message: dict[str, Any] = dict(rng.choice(SEEDS))
    move = rng.randrange(14)
    if move == 0:
        message[rng.choice(list(message))] = _value(rng)
    elif move == 1:
        message.pop(rng.choice(list(message)))
    elif move == 2:
        message[rng.choice(["data", "roomId", "sinceSeq", "limit", "extra"])] = _value(rng)
    elif move == 3:
        message["action"] = rng.choice(ACTIONS)
    elif move == 4:
        return _nested(rng.choice([10, 500, 900, 1000, 1100, 5000]), json.dumps(message))
    elif move == 5:
        text = json.dumps(message)
        return text.replace(
            '"hello"', rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "-0", "1" * 5000])
        )
    elif move == 6:
        text = json.dumps(message)
        return text[: rng.randrange(len(text))]
    elif move == 7:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).decode("latin-1")
    elif move == 8:
        text = json.dumps(message)
        spot = rng.randrange(len(text))
        return text[:spot] + rng.choice(["\x00", "\ufeff", "\u2028", "\t\n ", "\\"]) + text[spot:]
    elif move == 9:
        return json.dumps(message) + json.dumps(message)  # two values: not one JSON text
    elif move == 10:
        text = json.dumps(message)
        return text[:-1] + ', "action": "joinroom"}'  # a repeated key
    elif move == 11:
        return json.dumps(rng.choice([[message], "text", 42, None, True]))
    elif move == 12:
        message["data"] = "d" * rng.randrange(4000, 30_000)  # under the 32 KB frame limit
    return json.dumps(message, ensure_ascii=rng.random() < 0.5)


@dataclass
class FuzzResult:
    messages: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # by kind of answer
    unanswered: int = 0
    internal_server_errors: int = 0
    forbidden_frames: int = 0
    frames: dict[str, str] = field(default_factory=dict)  # case -> close code seen
    frame_failures: list[str] = field(default_factory=list)
    handshakes: Counter[int] = field(default_factory=Counter)  # by status
    connections_calls: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # HTTP 5xx, with the request
    tracebacks: int = 0

    @property
    def held(self) -> bool:
        return not (
            self.unanswered
            or self.internal_server_errors
            or self.forbidden_frames
            or self.frame_failures
            or self.server_errors
            or self.tracebacks
        )


# --- messages -------------------------------------------------------------------------------


async def _speak(member: Member, texts: list[str], result: FuzzResult) -> None:
    for text in texts:
        before = _answers(member)
        await member.send(text)
        result.messages += 1
        deadline = asyncio.get_running_loop().time() + ANSWER_TIMEOUT_S
        while _answers(member) == before and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        if _answers(member) == before:
            result.unanswered += 1
    while not member._answers.empty():
        answer = member._answers.get_nowait()
        result.answers[str(answer.get("type"))] += 1
    result.answers["message"] += len(member.seqs)
    result.internal_server_errors += member.gateway_errors.count("Internal server error")
    result.forbidden_frames += member.gateway_errors.count("Forbidden")


def _answers(member: Member) -> int:
    return member._answers.qsize() + len(member.seqs) + len(member.gateway_errors)


async def _messages(chat: Chat, count: int, speakers: int, rng: random.Random) -> FuzzResult:
    result = FuzzResult()
    texts = [mutate(rng) for _ in range(count)]
    async with session() as http:
        members = [
            (await open_members(http, chat.url, new_room("fuzz"), 1))[0] for _ in range(speakers)
        ]
        # Joins answered: only fuzz answers counted from here.
        for member in members:
            member._answers = asyncio.Queue()
        shares = [texts[index::speakers] for index in range(speakers)]
        await asyncio.gather(
            *(_speak(m, share, result) for m, share in zip(members, shares, strict=True))
        )
        await asyncio.gather(*(member.close() for member in members))
    return result


# --- frames ---------------------------------------------------------------------------------


def _frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head = bytes((first, mask_bit | length))
    elif length < 2**16:
        head = bytes((first, mask_bit | 126)) + struct.pack(">H", length)
    else:
        head = bytes((first, mask_bit | 127)) + struct.pack(">Q", length)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))


FRAME_CASES: dict[str, tuple[list[bytes], int]] = {
    "invalid UTF-8 in a text frame": ([_frame(0x1, b"\xff\xfe\xc3\x28")], 1007),
    "a binary frame": ([_frame(0x2, b"\x00\x01")], 1003),
    "a frame over 32 KB": ([_frame(0x1, b"a" * (32 * 1024 + 1))], 1009),
    "fragments past 128 KB": (
        [_frame(0x1, b"b" * 32 * 1024, fin=False)]
        + [_frame(0x0, b"b" * 32 * 1024, fin=False) for _ in range(3)]
        + [_frame(0x0, b"b", fin=True)],
        1009,
    ),
    "a reserved opcode": ([_frame(0x3, b"?")], 1002),
    "an unmasked frame": ([_frame(0x1, b"hi", masked=False)], 1002),
}


def _close_code(url: str, frames: list[bytes]) -> str:
    """Send ``frames`` on a fresh connection; the code of the close frame that answers."""
    from .faults import _raw_client

    sock = _raw_client(url)
    sock.settimeout(scaled(10))
    data = b""
    try:
        for frame in frames:
            sock.sendall(frame)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return "closed without a close frame"
            data += chunk
            while len(data) >= 2:
                length, start = data[1] & 0x7F, 2
                if length == 126:
                    length, start = int.from_bytes(data[2:4], "big"), 4
                elif length == 127:
                    length, start = int.from_bytes(data[2:10], "big"), 10
                if len(data) < start + length:
                    break
                opcode, payload = data[0] & 0x0F, data[start : start + length]
                data = data[start + length :]
                if opcode == 0x8:
                    return str(int.from_bytes(payload[:2], "big")) if payload else "1005"
    except OSError as error:
        return f"socket: {error}"
    finally:
        sock.close()


# --- handshakes and @connections -------------------------------------------------------------


def _http(host: str, port: int, request: bytes, timeout_s: float = 10.0) -> int | str:
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(request)
            head = sock.recv(4096)
    except OSError as error:
        return f"socket: {error}"
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return f"answer: {head[:60]!r}"


def _handshake(url: str, rng: random.Random) -> bytes:
    parsed = urlparse(url)
    path = parsed.path
    headers = {
        "Host": parsed.netloc,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    method, version = "GET", "1.1"
    for _ in range(rng.randrange(1, 4)):
        move = rng.randrange(9)
        name = rng.choice(list(headers) or ["X"])
        if move == 0:
            headers.pop(name, None)
        elif move == 1:
            headers[name] = rng.choice(["", "x" * 8000, "\x7f", "websocket, h2c", "8", "13, 8"])
        elif move == 2:
            method = rng.choice(["POST", "PUT", "HEAD", "OPTIONS", "DELETE", "get"])
        elif move == 3:
            version = rng.choice(["1.0", "2.0", "0.9", "1.1"])
        elif move == 4:
            path = rng.choice([path + "/extra", path[: path.rfind("/")], "/x/y", path + "%2F",
                               path + "?roomId=" + quote("\u2603"), "/" + "p" * 3000])  # fmt: skip
        elif move == 5:
            headers[name.upper()] = headers.pop(name, "")
        elif move == 6:
            headers["Sec-WebSocket-Protocol"] = rng.choice(["chat", "", ",,,", "a" * 500])
        elif move == 7:
            headers["Sec-WebSocket-Extensions"] = "permessage-deflate; client_max_window_bits"
        else:
            headers["Sec-WebSocket-Key"] = rng.choice(["", "short", "!!!!", "a" * 24])
    lines = [f"{method} {path} HTTP/{version}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def _dummy_signature(rng: random.Random) -> list[str]:
    """Mostly a well-formed SigV4 header of a key the stack did not issue (its secret is not
    checked, so the call goes on to the paths and ids), sometimes a malformed one or none."""
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    signed = [
        f"Authorization: AWS4-HMAC-SHA256 Credential=testing/{now[:8]}/us-east-1/execute-api/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        f"X-Amz-Date: {now}",
    ]
    return rng.choice([signed] * 8 + [["Authorization: Bearer x"], []])


def _connections_call(chat: Chat, live_id: str, rng: random.Random) -> bytes:
    parsed = urlparse(chat.management_url)
    stage = parsed.path.strip("/")
    api_id = chat.outputs["ApiId"]
    connection_id = rng.choice(
        [live_id, "AAAAAAAAAAAAAAA=", "", "bad id", "x" * 300, "%00", quote(live_id, safe="")]
    )
    tail = f"@connections/{connection_id}"
    path = rng.choice(
        [f"/{stage}/{tail}", f"/{tail}", f"/{api_id}/{stage}/{tail}", f"/{api_id}/{tail}",
         f"/{stage}/{tail}/more", f"/{stage}/@connections"]
    )  # fmt: skip
    method = rng.choice(["POST", "POST", "GET", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"])
    body = rng.choice(
        [
            b"",
            b"hello",
            "\u2603".encode(),
            b"\xff\xfe",
            b"z" * (128 * 1024),
            b"z" * (128 * 1024 + 1),
        ]
    )
    head = [f"{method} {path} HTTP/1.1", f"Host: {parsed.netloc}", *_dummy_signature(rng)]
    if rng.random() < 0.2 and body:
        head.append("Transfer-Encoding: chunked")
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def fuzz(
    chat: Chat, messages: int, handshakes: int, connections_calls: int, seed: int = 13
) -> FuzzResult:
    rng = random.Random(seed)
    result = await _messages(chat, messages, speakers=8, rng=rng)
    for case, (frames, expected) in FRAME_CASES.items():
        seen = await asyncio.to_thread(_close_code, f"{chat.url}?roomId=frames", frames)
        result.frames[case] = seen
        if seen != str(expected):
            result.frame_failures.append(f"{case}: {seen}, not {expected}")
    parsed = urlparse(chat.url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    for _ in range(handshakes):
        request = _handshake(chat.url, rng)
        status = await asyncio.to_thread(_http, host, port, request)
        _count(result.handshakes, result.server_errors, status, request)
    async with session() as http:
        (holder,) = await open_members(http, chat.url, new_room("target"), 1)
        live_id = await _connection_id(chat, holder.room)
        for _ in range(connections_calls):
            request = _connections_call(chat, live_id, rng)
            status = await asyncio.to_thread(_http, host, port, request)
            _count(result.connections_calls, result.server_errors, status, request)
        await holder.close()
    result.tracebacks = sum(
        "Traceback" in line and not line.startswith("[") for line in chat.process.output()
    )
    return result


def _count(counter: Counter[int], errors: list[str], status: int | str, request: bytes) -> None:
    if isinstance(status, str) or status >= 500:
        errors.append(f"{status} for {request[:120]!r}")
    if isinstance(status, int):
        counter[status] += 1


async def _connection_id(chat: Chat, room: str) -> str:
    answer = chat.client("dynamodb").query(
        TableName=chat.connections_table,
        IndexName="roomId-index",
        KeyConditionExpression="roomId = :r",
        ExpressionAttributeValues={":r": {"S": room}},
    )
    return str(answer["Items"][0]["id"]["S"])
