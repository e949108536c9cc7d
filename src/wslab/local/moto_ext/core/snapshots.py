"""Snapshots of moto's state that the event loop reads without any lock.

The loop carries every WebSocket frame; moto's backends are guarded by one lock per
service (``host.ServiceLocks``), which a slow call (a CloudFormation stack, an IAM change)
can hold for seconds. So what the data plane reads of moto is built ahead, as immutable
values, by whoever changed it: after each call that changes a service, the thread that made
the call (a service lane, never the loop) rebuilds the snapshots of that service under its
lock and swaps a reference, before the call's answer goes out, so the caller's next
request already sees its change. The loop only reads references.

A snapshot that is stale anyway (a change made around the lanes, such as moto's state
reset at attach) is rebuilt where it is read when that is off the loop; on the loop, the
last snapshot is served and the rebuild runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from wslab.local.moto_ext.core.host import MotoHost

__all__ = ["Snapshot", "on_event_loop"]

_T = TypeVar("_T")


def on_event_loop() -> bool:
    """Whether this thread runs an event loop, where no lock may be waited for."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Snapshot(Generic[_T]):
    """One immutable value built from one service's moto state, current as of that
    service's change counter."""

    def __init__(self, host: MotoHost, service: str, build: Callable[[], _T], empty: _T) -> None:
        self._host = host
        self.service = service
        self._build = build
        self._current: tuple[int, _T] = (-1, empty)
        self._swap = threading.Lock()  # only ever taken off the loop
        self._rebuilding = False

    def _is_current(self) -> bool:
        return self._current[0] == self._host.changes.of(self.service)

    def read(self) -> _T:
        """The value, never waiting on the event loop (where it may be one change behind
        for the moment a rebuild takes)."""
        generation, value = self._current
        if generation == self._host.changes.of(self.service):
            return value
        if not on_event_loop():
            return self.rebuild()
        if not self._rebuilding:
            self._rebuilding = True
            asyncio.get_running_loop().run_in_executor(None, self._rebuild_in_background)
        return value

    async def ready(self) -> _T:
        """The current value, waiting (off the loop) for a rebuild if it is stale."""
        if self._is_current():
            return self._current[1]
        return await asyncio.to_thread(self.rebuild)

    def rebuild(self) -> _T:
        """Build the value again under the service's lock; never call it on the loop."""
        with self._host.locks.of(self.service):
            generation = self._host.changes.of(self.service)
            value = self._build()
        with self._swap:
            # Two rebuilds may race: the one that saw the later change wins.
            if generation >= self._current[0]:
                self._current = (generation, value)
            return self._current[1]

    def _rebuild_in_background(self) -> None:
        try:
            with contextlib.suppress(Exception):  # read() tries again on the next stale read
                self.rebuild()
        finally:
            self._rebuilding = False
