"""The one process-wide home of what the extensions add to moto.

moto keeps every backend in module globals, so whatever extends it is process-wide too: the
deployments beside its APIs, the address its WebSocket endpoints name, the runtime its
``Invoke`` hands functions to, the locks that make its backends safe to share between
request threads, and the change counters that tell caches when to look again. They live
in one explicit object, :data:`HOST`, and one local stack at a time may attach to it:
a second :class:`~wslab.local.stack.LocalAWS` in the same process is refused instead of
silently sharing (and corrupting) the first one's state.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from wslab.local.control import Invoker
from wslab.local.moto_ext.apigatewayv2.deployments import DeploymentStore

__all__ = [
    "HOST",
    "ChangeCounters",
    "MotoHost",
    "ServiceLock",
    "ServiceLocks",
    "StackAlreadyAttached",
]


class StackAlreadyAttached(RuntimeError):
    """moto's state is process-wide: only one local stack per process can own it."""


class ChangeCounters:
    """A counter per AWS service, bumped after every call that changes the service's state.

    Caches of control-plane answers (a stage's served configuration, a function's spec)
    remember the counter they were built at and are rebuilt when it moves: no per-message
    walk of moto, and never a stale answer after a change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: defaultdict[str, int] = defaultdict(int)

    def of(self, service: str) -> int:
        return self._counts[service]

    def bump(self, *services: str) -> None:
        with self._lock:
            for service in services:
                self._counts[service] += 1

    def total(self) -> int:
        """The sum of every counter: it moves whenever anything changed."""
        with self._lock:
            return sum(self._counts.values())

    def bump_all(self) -> None:
        with self._lock:
            for service in list(self._counts):
                self._counts[service] += 1
            self._counts["*"] += 1


class ServiceLock:
    """A service's re-entrant lock that remembers being taken on the event loop's thread.

    The loop carries every WebSocket frame: a lock taken there waits for whatever call of
    the service holds it (a CloudFormation stack can hold several for seconds), and every
    socket waits with it. The loop reads the control plane's snapshots instead
    (``core/snapshots.py``); an acquisition on its thread is a bug, recorded in
    :attr:`ServiceLocks.taken_on_loop` (tests assert it stays empty).
    """

    def __init__(self, service: str, owner: ServiceLocks) -> None:
        self.service = service
        self._owner = owner
        self._lock = threading.RLock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if threading.get_ident() == self._owner.loop_thread:
            self._owner.taken_on_loop.append(self.service)
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class ServiceLocks:
    """One lock per service: moto's backends are plain dicts and objects, not safe under
    concurrent requests (two ``UpdateItem ADD`` on one item can lose an increment). Calls
    to one service take its lock, so each is atomic as it is on AWS."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, ServiceLock] = {}
        self.loop_thread: int | None = None
        """The attached stack's event loop thread, on which no lock may be taken."""
        self.taken_on_loop: list[str] = []
        """Services whose lock was taken on :attr:`loop_thread` (each time): should stay empty."""

    def of(self, service: str) -> ServiceLock:
        lock = self._locks.get(service)
        if lock is None:
            with self._guard:
                lock = self._locks.setdefault(service, ServiceLock(service, self))
        return lock

    def every(self) -> list[ServiceLock]:
        """Every lock made so far."""
        with self._guard:
            return list(self._locks.values())

    @contextmanager
    def holding(self, *services: str) -> Iterator[None]:
        """Every lock of ``services``, taken in one order (by name) so that two threads
        holding several never wait for each other."""
        with ExitStack() as held:
            for service in sorted(set(services)):
                held.enter_context(self.of(service))
            yield


@dataclass
class _Attachment:
    owner: object
    public_host_port: str
    invoker: Invoker
    loop: asyncio.AbstractEventLoop


class MotoHost:
    def __init__(self) -> None:
        self.deployments = DeploymentStore()
        self.changes = ChangeCounters()
        self.locks = ServiceLocks()
        self._attachment: _Attachment | None = None
        self._attach_lock = threading.Lock()

    def attach(
        self,
        owner: object,
        public_host_port: str,
        invoker: Invoker,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Make ``owner`` (a running stack) the one that serves moto's APIs and runs its
        functions; ``public_host_port`` (``127.0.0.1:4577``) is where it listens."""
        with self._attach_lock:
            if self._attachment is not None and self._attachment.owner is not owner:
                raise StackAlreadyAttached(
                    "a local AWS is already running in this process (moto's state is "
                    "process-wide): stop it first, or run the second one in its own process "
                    "(wslab.local.process.LocalAWSProcess)"
                )
            self._attachment = _Attachment(owner, public_host_port, invoker, loop)
            # Attached from the loop's own thread (the stack starts in a coroutine).
            self.locks.loop_thread = threading.get_ident()
        self.changes.bump_all()

    def detach(self, owner: object) -> None:
        with self._attach_lock:
            if self._attachment is not None and self._attachment.owner is owner:
                self._attachment = None
                self.locks.loop_thread = None
        self.changes.bump_all()

    @property
    def public_host_port(self) -> str | None:
        attachment = self._attachment
        return attachment.public_host_port if attachment else None

    @property
    def runtime(self) -> tuple[Invoker, asyncio.AbstractEventLoop] | None:
        attachment = self._attachment
        return (attachment.invoker, attachment.loop) if attachment else None


HOST = MotoHost()
"""The process's one instance: there is one moto per process."""
