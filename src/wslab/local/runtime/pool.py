"""The execution environments of one function version, reused while warm.

Invocations beyond the function's concurrency limit wait for a free environment instead of
starting processes without bound; an environment that crashed or timed out is replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .worker import Invocation, Outcome, Worker, WorkerDied

__all__ = ["FunctionPool"]


class FunctionPool:
    def __init__(self, limit: int, new_worker: Callable[[], Awaitable[Worker]]) -> None:
        self.limit = limit
        self._new_worker = new_worker
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._retired = False
        self.cold_starts = 0

    @property
    def warm(self) -> int:
        return len(self._idle)

    async def _checkout(self) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            await worker.stop()
        self.cold_starts += 1
        return await self._new_worker()

    async def invoke(self, invocation: Invocation, timeout_s: float) -> Outcome:
        async with self._slots:
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
            else:
                await worker.stop()
            return outcome

    async def retire(self) -> None:
        """Stop idle environments now; busy ones stop when their invocation ends."""
        self._retired = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(worker.stop() for worker in idle))

    async def close(self) -> None:
        await self.retire()
        busy = list(self._busy)
        await asyncio.gather(*(worker.stop() for worker in busy))
