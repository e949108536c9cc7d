"""The execution environments of one function version, reused while warm.

Invocations beyond the function's concurrency limit wait for a free environment instead of
starting processes without bound; an environment that crashed or timed out is replaced.

A wait has a bound when the caller gives one (``start_by``, API Gateway's integration
timeout): an invocation that could not start by then is dropped, never run late, and as
soon as the queue is longer than can start in time the pool says so (``on_backlog``).

Idle environments are reclaimed after a while (``reap_idle``), as Lambda reclaims them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wslab.local.control import InvocationNotStarted
from wslab.local.runtime.worker import Invocation, Outcome, Worker, WorkerDied

__all__ = ["Backlog", "FunctionPool"]

# How fast the typical duration follows the latest ones (an exponential moving average).
_SMOOTHING = 0.2


@dataclass(frozen=True)
class Backlog:
    """Invocations queued beyond what can start before their caller stops waiting."""

    waiting: int
    limit: int
    deadline_s: float  # how long the callers wait for an invocation to start
    # Until the newest waiting invocation starts, at the recent pace; None when one was
    # just dropped for not starting in time.
    expected_wait_s: float | None


class FunctionPool:
    def __init__(
        self,
        limit: int,
        new_worker: Callable[[], Awaitable[Worker]],
        on_backlog: Callable[[Backlog], None] | None = None,
    ) -> None:
        self.limit = limit
        self._new_worker = new_worker
        self._on_backlog = on_backlog
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[Worker] = []  # the most recently used last
        self._idle_since: dict[Worker, float] = {}
        self._busy: set[Worker] = set()
        self._retired = False
        self._waiting = 0
        self._typical_s = 0.0

    @property
    def waiting(self) -> int:
        """Invocations waiting for a free environment."""
        return self._waiting

    async def _checkout(self) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            self._idle_since.pop(worker, None)
            if worker.alive:
                return worker
            await worker.stop()
        return await self._new_worker()

    def _report_if_late(self, start_by: float) -> None:
        """Tell ``on_backlog`` when, at the recent pace, the invocation just queued would
        start after its caller stops waiting."""
        if self._on_backlog is None or not self._typical_s:
            return
        expected_wait_s = self._waiting / self.limit * self._typical_s
        deadline_s = start_by - time.monotonic()
        if expected_wait_s > deadline_s:
            self._on_backlog(Backlog(self._waiting, self.limit, deadline_s, expected_wait_s))

    async def _take_slot(self, start_by: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()
            return
        self._waiting += 1
        queued_at = time.monotonic()
        try:
            if start_by is None:
                await self._slots.acquire()
                return
            self._report_if_late(start_by)
            try:
                await asyncio.wait_for(self._slots.acquire(), max(0.0, start_by - queued_at))
            except TimeoutError:
                if self._on_backlog is not None:
                    waited = time.monotonic() - queued_at
                    self._on_backlog(Backlog(self._waiting, self.limit, waited, None))
                raise InvocationNotStarted(
                    f"not started: no execution environment became free in "
                    f"{time.monotonic() - queued_at:.1f} s ({self._waiting} invocations "
                    f"waiting for {self.limit})"
                ) from None
        finally:
            self._waiting -= 1

    async def invoke(
        self, invocation: Invocation, timeout_s: float, start_by: float | None = None
    ) -> Outcome:
        await self._take_slot(start_by)
        started = time.monotonic()
        try:
            worker = await self._checkout()
            self._busy.add(worker)
            try:
                try:
                    outcome = await worker.invoke(invocation, timeout_s)
                except WorkerDied:
                    # Died while idle, or after its last invocation before taking this one:
                    # a fresh environment takes it.
                    await worker.stop()
                    worker = await self._new_worker()
                    self._busy.add(worker)
                    outcome = await worker.invoke(invocation, timeout_s)
            finally:
                self._busy.discard(worker)
            outcome.log_stream = worker.log_stream
            if worker.alive and not self._retired:
                self._idle.append(worker)
                self._idle_since[worker] = time.monotonic()
            else:
                await worker.stop()
            return outcome
        finally:
            self._slots.release()
            took = time.monotonic() - started
            self._typical_s = (
                took
                if not self._typical_s
                else ((1 - _SMOOTHING) * self._typical_s + _SMOOTHING * took)
            )

    async def reap_idle(self, idle_for_s: float) -> int:
        """Stop the environments idle for ``idle_for_s`` or longer; how many stopped."""
        cutoff = time.monotonic() - idle_for_s
        stale = [worker for worker in self._idle if self._idle_since[worker] <= cutoff]
        if not stale:
            return 0
        self._idle = [worker for worker in self._idle if worker not in stale]
        for worker in stale:
            del self._idle_since[worker]
        await asyncio.gather(*(worker.stop() for worker in stale))
        return len(stale)

    async def retire(self) -> None:
        """Stop idle environments now; busy ones stop when their invocation ends."""
        self._retired = True
        idle, self._idle = self._idle, []
        self._idle_since.clear()
        await asyncio.gather(*(worker.stop() for worker in idle))

    async def close(self) -> None:
        await self.retire()
        busy = list(self._busy)
        await asyncio.gather(*(worker.stop() for worker in busy))
