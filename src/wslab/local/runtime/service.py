"""Runs deployed Lambda functions: code, pools of environments, logs.

Each function's environments run the runtime client of its ``Runtime`` (``runtimes.py``);
a runtime that cannot run here fails each invocation with Lambda's error shape. The code is
the deployment package exactly as the control plane stores it (however it was uploaded),
unpacked once per code hash. Each environment writes to a log stream of its own, named as
Lambda names them (``2024/01/31/[$LATEST]<32 hex>``) and announced to the handler
in ``AWS_LAMBDA_LOG_STREAM_NAME`` (``context.log_stream_name``). Each invocation's log
(START, the handler's output, END, REPORT) lands there, in the group ``/aws/lambda/<name>``,
after the result has been handed back: logging is never on an invocation's critical path.
The last 4 KB of that log is what ``LogType=Tail`` returns.

No environment outlives what it runs: after each change to Lambda (``functions_changed``)
the pools of deleted functions, and of functions whose code or configuration changed, are
retired at once, not at their next invocation (which may never come); an environment idle
for ``idle_timeout_s`` (``WSLAB_LAMBDA_IDLE_TIMEOUT_S``, 300 s unless set) is stopped, as
Lambda reclaims idle environments. How long is not published: "Lambda maintains the
execution environment for some time in anticipation of another function invocation"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, Shutdown
phase); the default here is [UNCONFIRMED]. A function whose code is a folder (hot reload,
``hot_reload.py``) runs in that folder, and its environments are renewed when a file changes.

The function ``debug`` names (``wslab local --debug``) runs one environment at a time, under
a debugger, and its invocations get no Timeout nor wait limit (:mod:`.debugging`).
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from wslab.local.control import (
    CredentialIssuer,
    DeployedFunction,
    FunctionSpec,
    FunctionThrottled,
    InvocationResult,
    LogSink,
    TemporaryCredentials,
)
from wslab.local.runtime.debugging import DEBUG_TIMEOUT_S, DebugTarget
from wslab.local.runtime.hot_reload import FolderWatch, FolderWatches
from wslab.local.runtime.launch import UNAVAILABLE_ERROR_TYPE, Launch, RuntimeUnavailable
from wslab.local.runtime.pool import Backlog, FunctionPool
from wslab.local.runtime.runtimes import launch_for
from wslab.local.runtime.worker import Invocation, Outcome, Worker, error_payload

__all__ = [
    "IDLE_TIMEOUT_VARIABLE",
    "CodeStore",
    "FunctionFinder",
    "LambdaService",
    "idle_timeout_s",
    "new_log_stream_name",
]

IDLE_TIMEOUT_VARIABLE = "WSLAB_LAMBDA_IDLE_TIMEOUT_S"
_DEFAULT_IDLE_TIMEOUT_S = 300.0
# Python checks a cached module against its source's size and mtime in whole seconds: an
# edit of the same size within the second would run the old bytecode. Nothing is cached
# in a hot-reload folder (and nothing written there but the user's own files).
_HOT_RELOAD_ENVIRONMENT = {"PYTHONDONTWRITEBYTECODE": "1"}
# Idle environments are looked for this often at most (and twice per timeout at least).
_LONGEST_REAP_INTERVAL_S = 30.0

# The backlog warning is written at most this often: under sustained overload every
# invocation queued is late, and one line a second says all there is to say.
_WARNING_INTERVAL_S = 1.0

# Variables a process inherits from wslab local: nothing of the user's own AWS set-up
# (profiles, keys) may reach a function, which sees only what Lambda would give it.
_INHERITED = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


class CodeStore(Protocol):
    def function_code(self, spec: FunctionSpec) -> bytes:  # pragma: no cover - a protocol
        """The deployment package of ``spec``'s version."""


class FunctionFinder(Protocol):
    async def find_function(
        self, arn: str
    ) -> DeployedFunction | None:  # pragma: no cover - a protocol
        """The function ``arn`` names as of Lambda's last change, or None if it is gone."""


def idle_timeout_s() -> float:
    """How long an execution environment may stay idle: ``WSLAB_LAMBDA_IDLE_TIMEOUT_S``."""
    value = os.environ.get(IDLE_TIMEOUT_VARIABLE, "")
    try:
        seconds = float(value) if value else _DEFAULT_IDLE_TIMEOUT_S
    except ValueError:
        seconds = _DEFAULT_IDLE_TIMEOUT_S
    return seconds if seconds > 0 else _DEFAULT_IDLE_TIMEOUT_S


def _shown(path: Path, folder: Path) -> str:
    """``path`` as a user names it: inside its function's folder when it is."""
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def new_log_stream_name(version: str, now: datetime | None = None) -> str:
    """A log stream name as Lambda gives each execution environment:
    ``2024/01/31/[$LATEST]`` and 32 hex digits."""
    day = (now or datetime.now(UTC)).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{uuid.uuid4().hex}"


@dataclass
class _Pool:
    fingerprint: str
    pool: FunctionPool
    arn: str
    watch: FolderWatch | None = None  # the code folder's, for a hot-reload function
    generation: int = 0  # the folder's generation the environments started with

    def serves(self, spec: FunctionSpec, limit: int) -> bool:
        """Its environments run ``spec``'s code and configuration as they are now."""
        return (
            self.fingerprint == spec.fingerprint
            and self.pool.limit == limit
            and (self.watch is None or self.watch.generation == self.generation)
        )


class LambdaService:
    def __init__(
        self,
        work_dir: Path,
        code: CodeStore,
        logs: LogSink,
        credentials: CredentialIssuer,
        endpoint_environment: Mapping[str, str],
        default_concurrency: int = 10,
        echo: Callable[[str, str], None] | None = None,
        warn: Callable[[str], None] | None = None,
        functions: FunctionFinder | None = None,
        idle_timeout: float | None = None,
        debug: DebugTarget | None = None,
    ) -> None:
        """``endpoint_environment``: what the SDK inside a function needs to reach the local
        stack instead of AWS (``AWS_ENDPOINT_URL`` and friends); ``credentials`` gives each
        function its execution role's temporary credentials, as Lambda does; ``warn``: where
        the backlog warning goes (the stack's stderr); ``functions``: where a change to
        Lambda is looked up (``functions_changed``); ``idle_timeout``: seconds an idle
        environment is kept (default: :func:`idle_timeout_s`); ``debug``: the function to run
        under a debugger."""
        self._debug = debug
        self._work_dir = work_dir
        self._code = code
        self._logs = logs
        self._credentials = credentials
        self._endpoint_environment = dict(endpoint_environment)
        self._default_concurrency = default_concurrency
        self._echo = echo
        self._warn = warn
        self._warned_at = -_WARNING_INTERVAL_S
        self._pools: dict[tuple[str, str, str], _Pool] = {}
        self._pools_lock = asyncio.Lock()
        self._functions = functions
        self._idle_timeout_s = idle_timeout if idle_timeout is not None else idle_timeout_s()
        self._watches = FolderWatches(on_change=self._folder_changed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reaper: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._sweep_wanted = False

    # Code -------------------------------------------------------------------------------

    def _task_root(self, spec: FunctionSpec) -> Path:
        return self._work_dir / "code" / spec.code_sha256.replace("/", "_")

    def _unpack(self, spec: FunctionSpec, code: bytes) -> Path:
        target = self._task_root(spec)
        if target.exists():
            return target
        partial = target.with_name(target.name + f".{uuid.uuid4().hex}.partial")
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(partial)
        try:
            partial.rename(target)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)  # another invocation unpacked it first
        return target

    # Environments -----------------------------------------------------------------------

    def _environment(
        self,
        spec: FunctionSpec,
        task_root: Path,
        stream: str,
        credentials: TemporaryCredentials | None,
    ) -> dict[str, str]:
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        env.update(self._endpoint_environment)
        env.update(dict(spec.environment))
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": str(task_root),
                "TZ": ":UTC",
                "_HANDLER": spec.handler,
            }
        )
        if credentials is not None:  # the role's, so IAM judges what the code calls
            env.update(credentials.as_environment())
        env.setdefault("LANG", "en_US.UTF-8")
        return env

    def _debugged(self, spec: FunctionSpec) -> bool:
        return self._debug is not None and self._debug.function == spec.name

    def _concurrency(self, spec: FunctionSpec) -> int:
        if self._debugged(spec) and spec.reserved_concurrency != 0:
            return 1  # one environment: every invocation reaches the one debugger
        if spec.reserved_concurrency is not None:
            return max(spec.reserved_concurrency, 0)
        return self._default_concurrency

    async def _pool_for(self, spec: FunctionSpec) -> FunctionPool:
        current = self._pools.get(spec.key)
        limit = self._concurrency(spec)
        if current is not None and current.serves(spec, limit):
            return current.pool  # the warm path: no lock, no await
        async with self._pools_lock:
            self._start_reaper()
            current = self._pools.get(spec.key)
            if current is not None and current.serves(spec, limit):
                return current.pool
            if current is not None:
                # New code or configuration: warm environments of the old one must go.
                await current.pool.retire()
            loop = asyncio.get_running_loop()
            watch: FolderWatch | None = None
            if spec.code_folder:
                task_root = Path(spec.code_folder)
                watch = await loop.run_in_executor(None, self._watches.watch, task_root)
            else:
                code = await loop.run_in_executor(None, self._code.function_code, spec)
                task_root = await loop.run_in_executor(None, self._unpack, spec, code)
            # Read before the environments start: a change after this renews them again.
            generation = watch.generation if watch is not None else 0
            debug = self._debug if self._debugged(spec) else None
            launch: Launch = await loop.run_in_executor(None, launch_for, spec, task_root, debug)
            credentials = await loop.run_in_executor(
                None, self._credentials.function_credentials, spec
            )

            async def new_worker() -> Worker:
                echo = self._echo
                stream = new_log_stream_name(spec.version)
                worker = Worker(
                    spec.handler,
                    str(task_root),
                    {
                        **self._environment(spec, task_root, stream, credentials),
                        **launch.environment,
                        **(_HOT_RELOAD_ENVIRONMENT if watch is not None else {}),
                    },
                    launch.command,
                    on_output=(lambda line: echo(spec.name, line)) if echo else None,
                    log_stream=stream,
                    notice=launch.notice,
                )
                await worker.start()
                return worker

            pool = FunctionPool(
                limit, new_worker, on_backlog=lambda backlog: self._backlogged(spec, backlog)
            )
            self._pools[spec.key] = _Pool(spec.fingerprint, pool, spec.arn, watch, generation)
            return pool

    # Retiring environments --------------------------------------------------------------

    def functions_changed(self) -> None:
        """Lambda changed (any thread may call this): retire the environments of functions
        deleted or changed since, without waiting for their next invocation."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._sweep_soon)

    def _sweep_soon(self) -> None:
        # Changes coalesce: a stack's deletion is many calls, and one sweep sees them all.
        self._sweep_wanted = True
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        while self._sweep_wanted:
            self._sweep_wanted = False
            await self._retire_outdated()

    async def _retire_outdated(self) -> None:
        if self._functions is None:
            return
        async with self._pools_lock:
            for key, entry in list(self._pools.items()):
                found = await self._functions.find_function(entry.arn)
                if found is not None and found.spec.fingerprint == entry.fingerprint:
                    continue
                del self._pools[key]
                await entry.pool.retire()
            in_use = [entry.watch.folder for entry in self._pools.values() if entry.watch]
            self._watches.keep_only(in_use)

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._loop = asyncio.get_running_loop()
            self._reaper = self._loop.create_task(self._reap_idle_periodically())

    async def _reap_idle_periodically(self) -> None:
        interval_s = min(self._idle_timeout_s / 2, _LONGEST_REAP_INTERVAL_S)
        while True:
            await asyncio.sleep(interval_s)
            for entry in list(self._pools.values()):
                await entry.pool.reap_idle(self._idle_timeout_s)

    def _folder_changed(self, folder: Path, paths: list[str]) -> None:
        """On the folder's watching thread: say which functions get the change."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._announce_reload, folder, paths)

    def _announce_reload(self, folder: Path, paths: list[str]) -> None:
        if self._echo is None:
            return
        files = ", ".join(_shown(Path(path), folder) for path in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        for key, entry in self._pools.items():
            if entry.watch is not None and entry.watch.folder == folder:
                self._echo(key[2], f"hot reload: {files}{more} changed, new code from now on")

    def _backlogged(self, spec: FunctionSpec, backlog: Backlog) -> None:
        """Say, at most once a second, that invocations queue past their callers' wait:
        the overload is visible while it happens, not minutes later."""
        now = time.monotonic()
        if self._warn is None or now - self._warned_at < _WARNING_INTERVAL_S:
            return
        self._warned_at = now
        expected = backlog.expected_wait_s
        pace = (
            "one was dropped unrun"
            if expected is None
            else f"at the recent pace the last starts in {expected:.0f} s"
        )
        self._warn(
            f"wslab local: overloaded: {backlog.waiting} invocations of {spec.name} wait for "
            f"its {backlog.limit} execution environments, longer than their callers wait "
            f"({backlog.deadline_s:.0f} s): {pace}. Those that cannot start in time are "
            "dropped unrun (API Gateway answers 'Endpoint request timed out'); for more "
            "room: --lambda-concurrency, or the function's reserved concurrency."
        )

    # Invocation -------------------------------------------------------------------------

    async def invoke(
        self, spec: FunctionSpec, payload: bytes, start_by: float | None = None
    ) -> InvocationResult:
        """Run one invocation to its end (success, error, crash or timeout); one that
        cannot start by ``start_by`` (monotonic) raises ``InvocationNotStarted``."""
        # A version-4 UUID, as Lambda's request ids are, without a system call for entropy.
        request_id = str(uuid.UUID(int=random.getrandbits(128), version=4))
        if self._concurrency(spec) == 0:
            raise FunctionThrottled(spec.name)
        try:
            pool = await self._pool_for(spec)
        except RuntimeUnavailable as unavailable:
            outcome = self._unavailable(spec, request_id, str(unavailable))
        else:
            timeout_s = spec.timeout_s
            if self._debugged(spec):  # a paused handler is neither timed out nor dropped
                timeout_s, start_by = DEBUG_TIMEOUT_S, None
            deadline_ms = int((time.time() + timeout_s) * 1000)
            invocation = Invocation(request_id, payload or b"{}", spec.arn, deadline_ms)
            outcome = await pool.invoke(invocation, timeout_s, start_by)
        log = self._invocation_log(spec, request_id, outcome)
        asyncio.get_running_loop().call_soon(self._store_log, spec, outcome.log_stream, log)
        return InvocationResult(
            request_id=request_id,
            payload=outcome.payload,
            function_error="Unhandled" if outcome.function_error else None,
            log=log,
            duration_ms=outcome.duration_ms,
        )

    def _unavailable(self, spec: FunctionSpec, request_id: str, message: str) -> Outcome:
        """No environment can start: Lambda's error, and the reason in the function's log."""
        if self._echo is not None:
            self._echo(spec.name, message)
        return Outcome(
            payload=error_payload(
                UNAVAILABLE_ERROR_TYPE, f"RequestId: {request_id} Error: {message}"
            ),
            function_error=True,
            logs=message + "\n",
            duration_ms=0.0,
            log_stream=new_log_stream_name(spec.version),
        )

    def _invocation_log(self, spec: FunctionSpec, request_id: str, outcome: Outcome) -> str:
        lines = [f"START RequestId: {request_id} Version: {spec.version}"]
        output = outcome.logs.rstrip("\n")
        if output:
            lines.append(output)
        if outcome.worker_lost and b"Sandbox.Timedout" in outcome.payload:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            lines.append(f"{stamp} {request_id} Task timed out after {spec.timeout_s:.2f} seconds")
        lines.append(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, int(outcome.duration_ms + 0.999))} ms\t"
            f"Memory Size: {spec.memory_mb} MB"
        )
        if outcome.init_ms is not None:
            report += f"\tInit Duration: {outcome.init_ms:.2f} ms"
        lines.append(report)
        return "\n".join(lines) + "\n"

    def _store_log(self, spec: FunctionSpec, stream: str, log: str) -> None:
        now_ms = int(time.time() * 1000)
        self._logs.write_logs(spec, stream, [(now_ms, line) for line in log.splitlines()])

    async def close(self) -> None:
        for task in (self._reaper, self._sweeper):
            if task is not None:
                task.cancel()
        async with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        await asyncio.gather(*(entry.pool.close() for entry in pools))
        self._watches.close()
