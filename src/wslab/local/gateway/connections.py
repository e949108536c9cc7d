"""The live WebSocket connections of every API and stage.

Sending to a connection never waits long for its client: data the client has not read
queues in its socket, then in the connection's buffer; while that buffer holds more than
:data:`~.frames.SEND_BUFFER_LIMIT_BYTES` (aiohttp's flow control holds writes back), a send
waits up to :data:`~.frames.SEND_WAIT_SECONDS` for the client to read, and if it does not,
the connection is dropped (``$disconnect`` gets 1008) and the send reports the client too
slow. A frozen client in a busy room therefore costs each sender at most that wait once.
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from wslab.local.gateway.events import ConnectionContext
from wslab.local.gateway.frames import (
    CLOSE_POLICY_VIOLATION,
    REASON_SLOW_CONSUMER,
    SEND_WAIT_SECONDS,
)

__all__ = ["Connection", "ConnectionRegistry", "ConnectionState", "SendOutcome", "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"  # $connect (and the authorizer) still running: not postable yet
    OPEN = "open"
    CLOSED = "closed"


class SendOutcome(enum.Enum):
    SENT = "sent"  # handed to the connection's socket
    GONE = "gone"  # not open: never opened, closed, or being closed
    TOO_SLOW = "too_slow"  # its client stopped reading: the connection was dropped


@dataclass(eq=False)
class Connection:
    context: ConnectionContext
    state: ConnectionState = ConnectionState.CONNECTING
    ws: Any = None
    transport: Any = None  # the asyncio transport under ws
    last_active_ms: int = field(default_factory=now_ms)
    last_active_monotonic: float = field(default_factory=time.monotonic)
    opened_monotonic: float = field(default_factory=time.monotonic)
    # Set when the gateway closes the connection itself (DeleteConnection, idle, limits):
    # the (code, reason) that $disconnect reports.
    server_close: tuple[int, str] | None = None

    @property
    def connection_id(self) -> str:
        return self.context.connection_id

    @property
    def is_open(self) -> bool:
        """Connected, and not being closed by the gateway: postable, describable."""
        return self.state is ConnectionState.OPEN and self.server_close is None

    def authorize(self, authorizer: dict[str, object]) -> None:
        self.context = replace(self.context, authorizer=authorizer)

    def touch(self) -> None:
        """Traffic in either direction: the idle timer starts again."""
        self.last_active_ms = now_ms()
        self.last_active_monotonic = time.monotonic()

    def _writable(self) -> bool:
        return self.is_open and self.ws is not None and not self.ws.closed

    async def send(self, payload: str | bytes) -> SendOutcome:
        """Send one text (``str``) or binary (``bytes``) message, waiting at most
        :data:`~.frames.SEND_WAIT_SECONDS` for a client that is behind."""
        if not self._writable():
            return SendOutcome.GONE
        try:
            caught_up = await self.ws.wait_writable(SEND_WAIT_SECONDS)
        except ConnectionError:
            return SendOutcome.GONE
        if not self._writable():
            return SendOutcome.GONE
        if not caught_up:
            self.drop(CLOSE_POLICY_VIOLATION, REASON_SLOW_CONSUMER)
            return SendOutcome.TOO_SLOW
        try:
            if isinstance(payload, str):
                await self.ws.send_str(payload)
            else:
                await self.ws.send_bytes(payload)
        except (ConnectionError, RuntimeError):
            return SendOutcome.GONE
        self.touch()
        return SendOutcome.SENT

    def say_going_away(self, code: int, reason: str) -> None:
        """The stack is stopping: the close frame goes out now, and nothing waits for the
        client to answer it (the connection is dropped right after)."""
        if self.server_close is None:
            self.server_close = (code, reason)
        if self.ws is not None:
            self.ws.write_close_frame(code, reason)

    def drop(self, code: int, reason: str) -> None:
        """Cut the connection now, its unsent data discarded: a client that does not read
        cannot take part in a closing handshake. ``$disconnect`` reports ``code``."""
        if self.server_close is None:
            self.server_close = (code, reason)
        if self.transport is not None:
            self.transport.abort()

    def request_close(self, code: int, reason: str) -> None:
        """Ask the task reading the connection to close it with ``code`` (any other task).

        From now on the connection takes no posts and is gone for @connections. The
        reading task does the closing handshake itself: only the task that reads can wait
        for the client's answer to the close frame, and dropping the TCP connection before
        it arrives, with the client's last frames unread, makes the kernel reset it (a
        client that was sending then loses the close frame and sees 1006).
        """
        if self.server_close is None:
            self.server_close = (code, reason)
        if self.ws is not None:
            self.ws.request_close(code, reason)

    async def close_by_server(self, code: int, reason: str) -> None:
        """Close with ``code`` and wait for the client's answer (the reading task only)."""
        if self.server_close is None:
            self.server_close = (code, reason)
        if self.ws is not None and not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())


# Closed connections remembered, so that a post to one names its API and stage in IAM's
# resource ARN (as the endpoint's host name does on AWS): the most recent ones only.
_REMEMBERED_CLOSED = 100_000


class ConnectionRegistry:
    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}
        self._closed: OrderedDict[str, ConnectionContext] = OrderedDict()

    def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def remove(self, connection: Connection) -> None:
        connection.state = ConnectionState.CLOSED
        self._connections.pop(connection.connection_id, None)
        self._closed[connection.connection_id] = connection.context
        if len(self._closed) > _REMEMBERED_CLOSED:
            self._closed.popitem(last=False)

    def context_of(self, connection_id: str) -> ConnectionContext | None:
        """The context of a connection, open or closed not long ago, or None."""
        connection = self._connections.get(connection_id)
        return connection.context if connection is not None else self._closed.get(connection_id)

    def all(self) -> list[Connection]:
        return list(self._connections.values())

    def __len__(self) -> int:
        return len(self._connections)
