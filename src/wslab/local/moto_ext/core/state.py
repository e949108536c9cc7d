"""What ``wslab local --state-dir DIR`` keeps across a stop and a start: moto's backends.

The state is one pickle of the backends of the services the tutorial and its users' apps
use (:data:`SERVICES`), with the API deployments the extensions keep beside moto's APIs,
in one file so that what one service's objects point at in another (a stack's resources
are the tables and functions themselves) stays one object after a load. LocalStack's
persistence pickles moto's ``BackendDict``\\ s too (with dill, one file per service, found
by a state visitor, saved in the background after calls that change a service); here the
standard library's pickle is enough with the reducers below, and the file opens with a
version stamp (wslab's version, moto's version, :data:`FORMAT`), read before anything
else: a state written by another version is refused with one line, never half-loaded, and
so is a file that does not unpickle.

What does not pickle is handled by :class:`StatePickler`, by name: moto's weak-value
dictionaries (Lambda's ARN lookups) keep their entries, a ``defaultdict`` made with a
``lambda`` gets the type the lambda makes, and a lock is saved as a new lock. What the
stack derives from moto (the control plane's snapshots, Lambda's worker pools, the DynamoDB
index partitions, each API's ``ws://`` endpoint) is not saved: it is built again on start.
Open WebSocket connections are not moto's state and are gone after a restart.

A save holds every service's lock, so it sees no call half-done. Calls of CloudFormation
take other services' locks in the order their resources come, so a save takes
CloudFormation's first and the others all or none (:class:`_EveryLock`): it never
deadlocks with them.
"""

from __future__ import annotations

import collections
import copyreg
import importlib
import os
import pickle
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import moto
from moto.core.base_backend import BackendDict

from wslab import __version__
from wslab.local.moto_ext.core.host import HOST, MotoHost, ServiceLock, ServiceLocks
from wslab.local.platform import try_lock

__all__ = [
    "FORMAT",
    "LOCK_FILE",
    "SAVE_INTERVAL_S",
    "SERVICES",
    "STATE_FILE",
    "StateDir",
    "StateError",
    "StatePickler",
    "StateSaver",
    "stamp",
]

FORMAT = 1
"""The layout of the state file; a change to what is saved or how bumps it."""
STATE_FILE = "wslab-state.pickle"
LOCK_FILE = "wslab-state.lock"
"""Held by the one stack that uses the folder (two would overwrite each other's saves)."""
SAVE_INTERVAL_S = 1.0
"""How long after a change the background saver writes it (at most one save a second)."""

SERVICES: dict[str, tuple[str, str]] = {
    "apigateway": ("moto.apigateway.models", "apigateway_backends"),
    "apigatewayv2": ("moto.apigatewayv2.models", "apigatewayv2_backends"),
    "cloudformation": ("moto.cloudformation.models", "cloudformation_backends"),
    "dynamodb": ("moto.dynamodb.models", "dynamodb_backends"),
    "iam": ("moto.iam.models", "iam_backends"),
    "lambda": ("moto.awslambda.models", "lambda_backends"),
    "logs": ("moto.logs.models", "logs_backends"),
    "s3": ("moto.s3.models", "s3_backends"),
    "secretsmanager": ("moto.secretsmanager.models", "secretsmanager_backends"),
    "sts": ("moto.sts.models", "sts_backends"),
}
"""Each kept service's moto module and ``BackendDict``, by the name of its lock (the
service's SigV4 signing name). Other services (SQS, SNS, KMS...) start empty."""

_LOCK_ATTEMPT_S = 0.02
# The lock a stack operation holds while it takes the others (``cloudformation/locking.py``).
_LONGEST_HELD = "cloudformation"


class StateError(Exception):
    """A state folder that cannot be used: its message is the one line to show."""


def stamp() -> dict[str, Any]:
    """What a state file must have been written by to be loaded."""
    return {"format": FORMAT, "wslab": __version__, "moto": moto.__version__}


def _weak_value_dictionary(mapping: weakref.WeakValueDictionary[Any, Any]) -> Any:
    return (weakref.WeakValueDictionary, (dict(mapping.items()),))


def _defaultdict(mapping: collections.defaultdict[Any, Any]) -> Any:
    factory = mapping.default_factory
    if factory is not None and getattr(factory, "__name__", "") == "<lambda>":
        # moto's defaultdict(lambda: {}): the same dictionary, made by the type it makes.
        return (collections.defaultdict, (type(factory()),), None, None, iter(mapping.items()))
    return mapping.__reduce__()


def _new_lock(lock: object) -> Any:
    return (threading.Lock, ())


def _new_rlock(lock: object) -> Any:
    return (threading.RLock, ())


_REDUCERS: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table,
    weakref.WeakValueDictionary: _weak_value_dictionary,
    collections.defaultdict: _defaultdict,
    type(threading.Lock()): _new_lock,
    type(threading.RLock()): _new_rlock,
}


class StatePickler(pickle.Pickler):
    """pickle, plus what moto's models hold that pickle refuses (see the module's text).

    By exact type, in a dispatch table: pickle looks them up in C, where a
    ``reducer_override`` would be a Python call for every object saved."""

    def __init__(self, file: IO[bytes], protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        super().__init__(file, protocol)
        self.dispatch_table = _REDUCERS


def _live_backends(loaded_only: bool) -> dict[str, BackendDict[Any]]:
    """Each kept service's ``BackendDict``; ``loaded_only``: of the modules imported so far
    (one never imported holds nothing, and importing it would cost seconds)."""
    found: dict[str, BackendDict[Any]] = {}
    for service, (module_name, variable) in SERVICES.items():
        module = sys.modules.get(module_name)
        if module is None and not loaded_only:
            module = importlib.import_module(module_name)
        # A module still being imported (CloudFormation's, in the background) holds nothing.
        backends = getattr(module, variable, None)
        if backends is not None:
            found[service] = backends
    return found


@dataclass
class _Payload:
    backends: dict[str, dict[str, Any]]
    deployments: list[tuple[Any, Any]]


class StateDir:
    """A folder holding one saved state; :meth:`load` and :meth:`save` the process's moto."""

    def __init__(self, path: Path, host: MotoHost = HOST) -> None:
        self.path = path
        self._host = host
        self._claim: IO[str] | None = None

    @property
    def file(self) -> Path:
        return self.path / STATE_FILE

    def prepare(self, reset: bool = False) -> None:
        """Make the folder and claim it for this process until :meth:`release` (``reset``:
        empty of a saved state); :class:`StateError` if it cannot be one, or if another
        stack uses it."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            claim = open(self.path / LOCK_FILE, "a+")  # noqa: SIM115 - held while it runs
        except OSError as error:
            raise StateError(f"cannot use {self.path} as a state folder: {error}") from None
        if not try_lock(claim):
            claim.close()
            raise StateError(
                f"{self.path} is the state folder of another wslab local, still running: "
                "stop it first, or give this one another --state-dir"
            )
        self._claim = claim
        if reset:
            self.file.unlink(missing_ok=True)

    def release(self) -> None:
        """Let another stack use the folder (the system does it too when the process ends)."""
        if self._claim is not None:
            self._claim.close()
            self._claim = None

    def has_state(self) -> bool:
        return self.file.is_file()

    # Loading ---------------------------------------------------------------------------

    def load(self) -> bool:
        """Put the saved state into moto (False if there is none). Everything is read and
        checked before moto is touched: a refused state changes nothing."""
        if not self.has_state():
            return False
        payload = self._read()
        self._apply(payload)
        return True

    def _read(self) -> _Payload:
        fresh_start = f"start fresh with --reset, or delete {self.path}"
        try:
            with open(self.file, "rb") as stream:
                written_by = pickle.load(stream)
                if not isinstance(written_by, dict) or "format" not in written_by:
                    raise ValueError("no version stamp")
                expected = stamp()
                if written_by != expected:
                    raise StateError(
                        f"the state in {self.path} was written by wslab "
                        f"{written_by.get('wslab')} (moto {written_by.get('moto')}, format "
                        f"{written_by.get('format')}); this is wslab {expected['wslab']} "
                        f"(moto {expected['moto']}, format {FORMAT}): {fresh_start}"
                    )
                payload = pickle.load(stream)
        except StateError:
            raise
        except Exception as error:  # a truncated or foreign file fails in many ways
            raise StateError(
                f"the state in {self.path} cannot be read ({type(error).__name__}: "
                f"{' '.join(str(error).split())[:120]}): {fresh_start}"
            ) from None
        if not isinstance(payload, _Payload):
            raise StateError(f"the state in {self.path} is not a wslab state: {fresh_start}")
        return payload

    def _apply(self, payload: _Payload) -> None:
        live = _live_backends(loaded_only=False)
        with self._hold_every_lock():
            for service, backends in live.items():
                backends.clear()
                backends.update(payload.backends.get(service, {}))
                instances: list[Any] = BackendDict._instances  # type: ignore[misc]
                if backends and backends not in instances:
                    instances.append(backends)  # what moto's reset clears
            self._host.deployments.restore(payload.deployments)
        self._host.changes.bump_all()

    # Saving ----------------------------------------------------------------------------

    def save(self) -> None:
        """Write moto's state, atomically: a crash mid-save leaves the previous one."""
        partial = self.file.with_name(STATE_FILE + ".partial")
        with open(partial, "wb") as stream:
            with self._hold_every_lock():
                self._write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, self.file)

    def _write(self, stream: IO[bytes]) -> None:
        pickle.dump(stamp(), stream, protocol=pickle.HIGHEST_PROTOCOL)  # read on its own
        pickler = StatePickler(stream)
        backends = {
            service: dict(backend_dict)
            for service, backend_dict in _live_backends(loaded_only=True).items()
        }
        pickler.dump(_Payload(backends, self._host.deployments.export()))

    def _hold_every_lock(self) -> _EveryLock:
        return _EveryLock(self._host.locks)


class _EveryLock:
    """Every service's lock (those made so far and those of :data:`SERVICES`), all or none.

    CloudFormation's goes first, taken with nothing else held: a stack operation holds it
    for as long as it runs, taking other services' locks meanwhile, and a save waiting for
    it holds nobody else up. The others are tried in turn for a moment; when one is busy,
    all are let go and the round starts again.
    """

    def __init__(self, locks: ServiceLocks) -> None:
        self._locks = locks
        self._held: list[ServiceLock] = []

    def __enter__(self) -> None:
        by_service = {lock.service: lock for lock in self._locks.every()}
        for service in SERVICES:
            by_service[service] = self._locks.of(service)
        first = by_service.pop(_LONGEST_HELD)
        rest = [by_service[name] for name in sorted(by_service)]
        while True:
            first.acquire()
            self._held.append(first)
            for lock in rest:
                if not lock.acquire(timeout=_LOCK_ATTEMPT_S):
                    self.__exit__()
                    time.sleep(_LOCK_ATTEMPT_S)
                    break
                self._held.append(lock)
            else:
                return

    def __exit__(self, *exc_info: object) -> None:
        while self._held:
            self._held.pop().release()


class StateSaver:
    """Saves the state within :data:`SAVE_INTERVAL_S` of a change, on a thread of its own.

    A change is any move of the host's change counters: every call that changes a service
    moves them, and so does storing functions' log lines. A save that fails is said once
    (``warn``) and tried again at the next change.
    """

    def __init__(self, state: StateDir, warn: Callable[[str], None], host: MotoHost = HOST) -> None:
        self._state = state
        self._warn = warn
        self._host = host
        self._saved_at = host.changes.total()
        self._stopped = threading.Event()
        self._failed = False
        self._saving = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(SAVE_INTERVAL_S):
            self.save_if_changed()

    def save_if_changed(self) -> None:
        with self._saving:  # the saver's thread, or a caller: one save at a time
            current = self._host.changes.total()
            if current == self._saved_at:
                return
            try:
                self._state.save()
            except Exception as error:
                if not self._failed:
                    self._warn(f"wslab local: cannot save the state in {self._state.path}: {error}")
                self._failed = True
                return
            self._failed = False
            self._saved_at = current

    def stop(self) -> None:
        """Stop saving in the background, then save what changed since the last save."""
        self._stopped.set()
        self._thread.join()
        self.save_if_changed()
