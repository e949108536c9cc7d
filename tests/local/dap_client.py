"""A minimal Debug Adapter Protocol client: what an editor sends debugpy, and no more.

DAP messages are JSON bodies after a ``Content-Length`` header
(https://microsoft.github.io/debug-adapter-protocol/overview); requests are answered by
responses with the same ``request_seq``, and events arrive in between.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from tests.support import scaled


class DapClient:
    def __init__(self, port: int, timeout_s: float = 30.0) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=scaled(timeout_s))
        self._buffer = b""
        self._seq = 0
        self.events: list[dict[str, Any]] = []
        self._responses: dict[int, dict[str, Any]] = {}  # read while waiting for another

    def close(self) -> None:
        self._socket.close()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self._socket.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def _receive(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self._buffer:
            self._read()
        header, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(self._buffer) < length:
            self._read()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        message: dict[str, Any] = json.loads(body)
        return message

    def _read(self) -> None:
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self._buffer += chunk

    def send_request(self, command: str, **arguments: Any) -> int:
        self._seq += 1
        self._send(
            {"seq": self._seq, "type": "request", "command": command, "arguments": arguments}
        )
        return self._seq

    def response(self, seq: int) -> dict[str, Any]:
        """The response to request ``seq`` (what is read meanwhile is kept: debugpy answers
        ``attach`` only after ``configurationDone``)."""
        while seq not in self._responses:
            message = self._receive()
            if message["type"] == "event":
                self.events.append(message)
            elif message["type"] == "response":
                self._responses[message["request_seq"]] = message
        message = self._responses.pop(seq)
        assert message["success"], message
        body: dict[str, Any] = message.get("body", {})
        return body

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.response(self.send_request(command, **arguments))

    def event(self, name: str, timeout_s: float = 60.0) -> dict[str, Any]:
        """The first event ``name``, already received or to come (a liveness deadline)."""
        deadline = time.monotonic() + scaled(timeout_s)
        while True:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event
            assert time.monotonic() < deadline, f"no {name} event; got {self.events}"
            message = self._receive()
            if message["type"] == "event":
                self.events.append(message)
