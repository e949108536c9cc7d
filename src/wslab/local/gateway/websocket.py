"""aiohttp's WebSocket server response, with API Gateway's frame and message limits.

API Gateway closes a connection with 1009 when one frame is over 32 KB, even inside a
message that fits the 128 KB message limit, and when a message is over 128 KB. aiohttp only
limits whole messages, and stops reading at once when it does, so the client may never get
the close frame: the rest of its frame, left unread, makes the kernel answer with a reset.
A small filter therefore sits in front of aiohttp's parser. It reads each frame header as
the bytes arrive, and on the first frame that breaks a limit it reports the violation (the
gateway then closes with 1009), drops that frame and every later data frame unparsed, and
still passes control frames on, so the closing handshake completes with the client's own
close frame and nothing unread is left behind. In the other direction, text over 32 KB
goes out as one message in frames of at most 32 KB, as API Gateway sends it (binary too),
and a sender waits (a bounded time) for a client that is behind through aiohttp's own flow
control: the transport's write-buffer limits and the writer's drain.

The hook is aiohttp's ``WebSocketResponse._post_start``, a private method: the project pins
aiohttp's minor version, and conformance tests send a 32 KB + 1 frame and a 128 KB + 1
message so an upgrade that breaks this fails loudly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp._websocket.models import WSMessage
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from aiohttp.http_websocket import WebSocketError

from wslab.local.gateway.frames import (
    MAX_FRAME_BYTES,
    MAX_MESSAGE_BYTES,
    REASON_MESSAGE_TOO_BIG,
    REASON_PROTOCOL_ERROR,
    SEND_BUFFER_LIMIT_BYTES,
)

__all__ = ["FrameSizeGuard", "GatewayWebSocketResponse"]

_CONTINUATION = 0x0
_TEXT = 0x1
_BINARY = 0x2
_CLOSE = 0x8
_CONTROL_OPCODES_FROM = 0x8  # close, ping, pong and the reserved control opcodes
_READ_CHUNK = 2**16
_WRITER_NEVER_WAITS = 2**62


class FrameSizeGuard:
    """Feeds aiohttp's parser the frames within API Gateway's limits.

    ``on_violation`` is called once, with the WebSocket error to close with, when a data
    frame's payload is over ``max_frame`` or would take its message over ``max_message``
    (1009), or when a frame is not masked (1002). From then on data frames are dropped and
    only control frames reach the parser.
    """

    def __init__(
        self,
        inner: WebSocketReader,
        on_violation: Callable[[WebSocketError], None],
        max_frame: int = MAX_FRAME_BYTES,
        max_message: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self._inner = inner
        self._on_violation = on_violation
        self._max_frame = max_frame
        self._max_message = max_message
        self._header = bytearray()
        self._remaining = 0  # payload bytes of the current frame still to come
        self._forwarding = True  # whether the current frame goes to the parser
        self._message_bytes = 0  # payload of the unfinished fragmented message so far
        self._violated = False

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        data = bytes(data)
        kept = bytearray()
        position, end = 0, len(data)
        while position < end:
            if self._remaining:
                taken = min(self._remaining, end - position)
                if self._forwarding:
                    kept += data[position : position + taken]
                self._remaining -= taken
                position += taken
                continue
            needed = self._header_length() - len(self._header)
            self._header += data[position : position + needed]
            position += needed
            if len(self._header) < self._header_length():
                continue
            fin, opcode, length = self._parse_header()
            masked = bool(self._header[1] & 0x80)
            self._forwarding = self._admit_masked(masked) and self._admit(fin, opcode, length)
            if self._forwarding:
                kept += self._header
            self._header.clear()
            self._remaining = length
        if not kept:
            return False, b""
        result: tuple[bool, bytes] = self._inner.feed_data(bytes(kept))
        return result

    def _admit_masked(self, masked: bool) -> bool:
        """RFC 6455 §5.1: a server closes with 1002 on a frame from the client that is not
        masked (aiohttp reads such a frame as if it were)."""
        if masked:
            return True
        if not self._violated:
            self._violated = True
            self._on_violation(
                WebSocketError(WSCloseCode.PROTOCOL_ERROR, "a client frame must be masked")
            )
        return False

    def _admit(self, fin: bool, opcode: int, length: int) -> bool:
        if opcode >= _CONTROL_OPCODES_FROM:
            return True
        if self._violated:
            return False
        message = length if opcode != _CONTINUATION else self._message_bytes + length
        if length > self._max_frame or message > self._max_message:
            self._violated = True
            limit = "Frame" if length > self._max_frame else "Message"
            maximum = self._max_frame if length > self._max_frame else self._max_message
            self._on_violation(
                WebSocketError(
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"{limit} size exceeds the limit of {maximum} bytes",
                )
            )
            return False
        self._message_bytes = 0 if fin else message
        return True

    def _header_length(self) -> int:
        if len(self._header) < 2:
            return 2
        second = self._header[1]
        length_flag = second & 0x7F
        extended = 2 if length_flag == 126 else 8 if length_flag == 127 else 0
        mask = 4 if second & 0x80 else 0
        return 2 + extended + mask

    def _parse_header(self) -> tuple[bool, int, int]:
        fin = bool(self._header[0] & 0x80)
        opcode = self._header[0] & 0x0F
        length_flag = self._header[1] & 0x7F
        if length_flag == 126:
            return fin, opcode, int.from_bytes(self._header[2:4], "big")
        if length_flag == 127:
            return fin, opcode, int.from_bytes(self._header[2:10], "big")
        return fin, opcode, length_flag


def _retrieve_outcome(task: asyncio.Future[None]) -> None:
    """Mark a drain's outcome seen: a connection lost while nobody waits is no error."""
    if not task.cancelled():
        task.exception()


def _frame_header(fin: bool, opcode: int, length: int) -> bytes:
    """The header of an unmasked (server-sent) frame."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        return bytes((first, length))
    if length < 2**16:
        return bytes((first, 126)) + length.to_bytes(2, "big")
    return bytes((first, 127)) + length.to_bytes(8, "big")


class GatewayWebSocketResponse(web.WebSocketResponse):
    """A server WebSocket that enforces API Gateway's frame and message limits."""

    def __init__(self, **kwargs: Any) -> None:
        # aiohttp refuses a message whose size reaches max_msg_size: 128 KB itself is allowed.
        super().__init__(max_msg_size=MAX_MESSAGE_BYTES + 1, compress=False, **kwargs)

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send one text message; over 32 KB it goes out in frames of at most 32 KB.

        API Gateway's frame limit covers what it sends too (docs/apigw-websocket.md
        §6.1): a long ``PostToConnection`` or route response reaches the client as one
        message split into continuation frames.
        """
        payload = data.encode("utf-8")
        if len(payload) <= MAX_FRAME_BYTES or compress:
            await super().send_str(data, compress)
            return
        await self._send_in_frames(payload, _TEXT)

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        """Send one binary message, in frames of at most 32 KB as text is."""
        if len(data) <= MAX_FRAME_BYTES or compress:
            await super().send_bytes(data, compress)
            return
        await self._send_in_frames(bytes(data), _BINARY)

    async def _send_in_frames(self, payload: bytes, opcode: int) -> None:
        writer = self._writer
        if writer is None:
            raise RuntimeError("Call .prepare() first")
        if self.closed or writer.transport.is_closing():
            # Nothing may follow a close frame, and aiohttp's own send would refuse too.
            raise ConnectionResetError("Cannot write to a closing WebSocket")
        # One synchronous write of every frame: nothing else can slip between them.
        frames = bytearray()
        for start in range(0, len(payload), MAX_FRAME_BYTES):
            chunk = payload[start : start + MAX_FRAME_BYTES]
            last = start + MAX_FRAME_BYTES >= len(payload)
            frames += _frame_header(last, opcode if start == 0 else _CONTINUATION, len(chunk))
            frames += chunk
        writer.transport.write(bytes(frames))

    def _post_start(self, request: Any, protocol: str | None, writer: Any) -> None:
        # aiohttp's flow control: the transport pauses writing once more than the limit
        # waits unsent, and resumes as soon as it is back within it (low == high), so
        # "paused" means "the client is more than the limit behind".
        writer.transport.set_write_buffer_limits(
            high=SEND_BUFFER_LIMIT_BYTES, low=SEND_BUFFER_LIMIT_BYTES
        )
        # aiohttp's writer would also wait for that, without a bound, inside its sends;
        # senders wait through wait_writable instead, which bounds the wait.
        writer._limit = _WRITER_NEVER_WAITS
        # Bytes the client sent right behind its handshake are handed to the first parser
        # installed; keep them for the guarded parser that replaces it below.
        handler = request.protocol
        early_bytes = handler._message_tail
        handler._message_tail = b""
        super()._post_start(request, protocol, writer)
        handler._message_tail = early_bytes
        assert self._loop is not None, "set by prepare() before _post_start"
        reader = WebSocketDataQueue(handler, _READ_CHUNK, loop=self._loop)
        self._reader = reader
        self._parser = WebSocketReader(
            reader, self._max_msg_size, compress=False, decode_text=self._decode_text
        )
        handler._payload_parser = None
        callback = None if self._heartbeat is None else self._on_data_received

        def report(error: WebSocketError) -> None:
            too_big = error.code == WSCloseCode.MESSAGE_TOO_BIG
            self.request_close(
                error.code, REASON_MESSAGE_TOO_BIG if too_big else REASON_PROTOCOL_ERROR
            )

        handler.set_parser(FrameSizeGuard(self._parser, report), data_received_cb=callback)

    async def wait_writable(self, timeout_s: float) -> bool:
        """Wait, at most ``timeout_s``, while aiohttp's flow control holds writes back (the
        client is more than :data:`~.frames.SEND_BUFFER_LIMIT_BYTES` behind): whether
        writing may go on. Raises ``ConnectionResetError`` if the connection is lost."""
        writer = self._payload_writer
        if writer is None or writer.transport is None:
            raise ConnectionResetError("Cannot write to a closed WebSocket")
        if writer.transport.get_write_buffer_size() <= SEND_BUFFER_LIMIT_BYTES:
            return True
        # aiohttp's drain waiter is one future shared by every waiting sender: a sender
        # that gives up must not cancel it under the others, hence the shield.
        drained = asyncio.ensure_future(writer.drain())
        drained.add_done_callback(_retrieve_outcome)
        try:
            await asyncio.wait_for(asyncio.shield(drained), timeout_s)
        except TimeoutError:
            return False
        return True

    def write_close_frame(self, code: int, reason: str) -> None:
        """Put a close frame on the wire now, without waiting for the client's answer (the
        stack stopping: the connection is cut right after)."""
        writer = self._writer
        if writer is None or self.closed or writer.transport.is_closing():
            return
        payload = code.to_bytes(2, "big") + reason.encode("utf-8")
        writer.transport.write(_frame_header(True, _CLOSE, len(payload)) + payload)

    def request_close(self, code: int, reason: str) -> None:
        """Have ``receive()`` return an ERROR message carrying ``WebSocketError(code, reason)``.

        The task that reads then closes with that code; the parser stays healthy for the
        closing handshake. Does nothing once the WebSocket is closed.
        """
        if self._reader is not None and not self.closed:
            error = WebSocketError(code, reason)
            self._reader.feed_data(WSMessage(WSMsgType.ERROR, error, None), 0)
