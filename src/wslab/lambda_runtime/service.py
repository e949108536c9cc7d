"""Runs deployed Lambda functions: code, pools of environments, logs.

The code is the deployment package exactly as moto stores it (however it was uploaded),
unpacked once per code hash. Each invocation's log (START, the handler's output, END,
REPORT) lands in CloudWatch Logs under ``/aws/lambda/<name>`` as on AWS, and its last 4 KB
is what ``LogType=Tail`` returns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import shutil
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .function import FunctionSpec, spec_from_moto
from .pool import FunctionPool
from .worker import Invocation, Outcome, Worker

__all__ = ["LOG_TAIL_BYTES", "FunctionThrottled", "InvocationResult", "LambdaService"]

LOG_TAIL_BYTES = 4096
# Variables a process inherits from wslab local: nothing of the user's own AWS set-up
# (profiles, keys) may reach a function, which sees only what Lambda would give it.
_INHERITED = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


class FunctionThrottled(Exception):
    """Reserved concurrency 0: Lambda refuses every invocation of the function."""


@dataclass(frozen=True)
class InvocationResult:
    request_id: str
    payload: bytes
    function_error: str | None
    log: str
    duration_ms: float

    @property
    def log_tail_base64(self) -> str:
        tail = self.log.encode("utf-8")[-LOG_TAIL_BYTES:]
        return base64.b64encode(tail).decode("ascii")


@dataclass
class _Pool:
    fingerprint: str
    pool: FunctionPool


class LambdaService:
    def __init__(
        self,
        work_dir: Path,
        endpoint_url: str,
        management_endpoint_url: str,
        default_concurrency: int = 10,
        echo: Callable[[str, str], None] | None = None,
    ) -> None:
        self._work_dir = work_dir
        self._endpoint_url = endpoint_url
        self._management_endpoint_url = management_endpoint_url
        self._default_concurrency = default_concurrency
        self._echo = echo
        self._pools: dict[tuple[str, str, str], _Pool] = {}
        self._pools_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    # Code -------------------------------------------------------------------------------

    def _unpack(self, spec: FunctionSpec, code: bytes) -> Path:
        target = self._work_dir / "code" / spec.code_sha256.replace("/", "_")
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

    def _environment(self, spec: FunctionSpec, task_root: Path) -> dict[str, str]:
        import os

        stream = f"{datetime.now(UTC):%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        env.update(
            {
                # What the SDK inside the function needs to reach this stack, not AWS.
                "AWS_ENDPOINT_URL": self._endpoint_url,
                "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": self._management_endpoint_url,
            }
        )
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
                "AWS_ACCESS_KEY_ID": "ASIALOCALWSLABEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "local-secret-key",
                "AWS_SESSION_TOKEN": "local-session-token",
                "LAMBDA_TASK_ROOT": str(task_root),
                "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
                "PYTHONPATH": str(task_root),
                "TZ": ":UTC",
                "_HANDLER": spec.handler,
            }
        )
        env.setdefault("LANG", "en_US.UTF-8")
        return env

    def _concurrency(self, spec: FunctionSpec) -> int:
        if spec.reserved_concurrency is not None:
            return max(spec.reserved_concurrency, 0)
        return self._default_concurrency

    async def _pool_for(self, spec: FunctionSpec, function: Any) -> FunctionPool:
        async with self._pools_lock:
            current = self._pools.get(spec.key)
            limit = self._concurrency(spec)
            if (
                current is not None
                and current.fingerprint == spec.fingerprint
                and current.pool.limit == limit
            ):
                return current.pool
            if current is not None:
                # New code or configuration: warm environments of the old one must go.
                await current.pool.retire()
            loop = asyncio.get_running_loop()
            task_root = await loop.run_in_executor(None, self._unpack, spec, function.code_bytes)

            async def new_worker() -> Worker:
                echo = self._echo
                worker = Worker(
                    spec.handler,
                    str(task_root),
                    self._environment(spec, task_root),
                    on_output=(lambda line: echo(spec.name, line)) if echo else None,
                )
                await worker.start()
                return worker

            pool = FunctionPool(limit, new_worker)
            self._pools[spec.key] = _Pool(spec.fingerprint, pool)
            return pool

    # Invocation -------------------------------------------------------------------------

    async def invoke(self, function: Any, payload: bytes) -> InvocationResult:
        """Run one invocation to its end (success, error, crash or timeout)."""
        spec = spec_from_moto(function)
        request_id = str(uuid.uuid4())
        if self._concurrency(spec) == 0:
            raise FunctionThrottled(spec.name)
        pool = await self._pool_for(spec, function)
        deadline_ms = int((time.time() + spec.timeout_s) * 1000)
        invocation = Invocation(request_id, payload or b"{}", spec.arn, deadline_ms)
        outcome = await pool.invoke(invocation, spec.timeout_s)
        log = self._invocation_log(spec, request_id, outcome)
        self._store_log(spec, log)
        return InvocationResult(
            request_id=request_id,
            payload=outcome.payload,
            function_error="Unhandled" if outcome.function_error else None,
            log=log,
            duration_ms=outcome.duration_ms,
        )

    def invoke_in_background(self, function: Any, payload: bytes) -> None:
        """InvocationType=Event: accepted now, run later; the result goes to the log only."""
        task = asyncio.get_running_loop().create_task(self.invoke(function, payload))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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

    def _store_log(self, spec: FunctionSpec, log: str) -> None:
        from moto.logs.models import logs_backends

        backend = logs_backends[spec.account_id][spec.region]
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[{spec.version}]{spec.fingerprint}"
        now_ms = int(time.time() * 1000)
        with contextlib.suppress(Exception):
            backend.ensure_log_group(spec.log_group)
            group = backend.groups[spec.log_group]
            if stream not in group.streams:
                backend.create_log_stream(spec.log_group, stream)
            events = [{"timestamp": now_ms, "message": line} for line in log.splitlines()]
            backend.put_log_events(spec.log_group, stream, events)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        async with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        await asyncio.gather(*(entry.pool.close() for entry in pools))
