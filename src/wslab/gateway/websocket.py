"""aiohttp's WebSocket server response, with API Gateway's frame size limit.

API Gateway closes a connection with 1009 when one frame is over 32 KB, even inside a
message that fits the 128 KB message limit. aiohttp only limits whole messages, so a small
scanner reads each frame header as the bytes arrive and stops the connection on the first
oversized data frame, before aiohttp's own parser buffers it.

The hook is aiohttp's ``WebSocketResponse._post_start``, a private method: the project pins
aiohttp's minor version, and a conformance test sends a 33 KB frame so an upgrade that
breaks this fails loudly.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from aiohttp.helpers import set_exception
from aiohttp.http_websocket import WebSocketError

from .frames import MAX_FRAME_BYTES, MAX_MESSAGE_BYTES

__all__ = ["FrameSizeGuard", "GatewayWebSocketResponse"]

_DATA_OPCODES = frozenset({0x0, 0x1, 0x2})  # continuation, text, binary
_READ_CHUNK = 2**16


class FrameSizeGuard:
    """Feeds aiohttp's parser, refusing data frames whose payload is over ``max_frame``."""

    def __init__(self, inner: WebSocketReader, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._inner = inner
        self._max_frame = max_frame
        self._header = bytearray()
        self._skip = 0
        self._stopped = False

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if not self._stopped and self._oversized_frame_in(bytes(data)):
            self._stopped = True
            set_exception(
                self._inner.queue,
                WebSocketError(
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"Frame size exceeds the limit of {self._max_frame} bytes",
                ),
            )
            return True, b""
        result: tuple[bool, bytes] = self._inner.feed_data(data)
        return result

    def _oversized_frame_in(self, data: bytes) -> bool:
        position, end = 0, len(data)
        while position < end:
            if self._skip:
                taken = min(self._skip, end - position)
                self._skip -= taken
                position += taken
                continue
            needed = self._header_length() - len(self._header)
            self._header += data[position : position + needed]
            position += needed
            if len(self._header) < self._header_length():
                continue
            opcode, length = self._parse_header()
            self._header.clear()
            if opcode in _DATA_OPCODES and length > self._max_frame:
                return True
            self._skip = length
        return False

    def _header_length(self) -> int:
        if len(self._header) < 2:
            return 2
        second = self._header[1]
        length_flag = second & 0x7F
        extended = 2 if length_flag == 126 else 8 if length_flag == 127 else 0
        mask = 4 if second & 0x80 else 0
        return 2 + extended + mask

    def _parse_header(self) -> tuple[int, int]:
        opcode = self._header[0] & 0x0F
        length_flag = self._header[1] & 0x7F
        if length_flag == 126:
            return opcode, int.from_bytes(self._header[2:4], "big")
        if length_flag == 127:
            return opcode, int.from_bytes(self._header[2:10], "big")
        return opcode, length_flag


class GatewayWebSocketResponse(web.WebSocketResponse):
    """A server WebSocket that enforces API Gateway's frame and message limits."""

    def __init__(self, **kwargs: Any) -> None:
        # aiohttp refuses a message whose size reaches max_msg_size: 128 KB itself is allowed.
        super().__init__(max_msg_size=MAX_MESSAGE_BYTES + 1, compress=False, **kwargs)

    def _post_start(self, request: Any, protocol: str | None, writer: Any) -> None:
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
        handler.set_parser(FrameSizeGuard(self._parser), data_received_cb=callback)
