"""One execution environment: a process running AWS's runtime interface client.

The process is ``python -m awslambdaric <handler>``, exactly what the Lambda Python images
run. It talks to a Runtime API (``/2018-06-01/runtime/...``) served here, one listener per
environment, so the handler gets the real ``LambdaContext``, the real error format and the
real logging set-up. An environment handles one invocation at a time, as on Lambda.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .bootstrap import PARENT_PID_VARIABLE
from .runtime_api import ACCEPTED, RuntimeResponse, close_runtime_api, serve_runtime_api

__all__ = ["Invocation", "Outcome", "Worker", "WorkerDied"]


class WorkerDied(Exception):
    """The environment's process is gone; it can't take invocations any more."""


@dataclass
class Outcome:
    """How one invocation ended, in the terms Lambda's Invoke API reports."""

    payload: bytes
    function_error: bool
    logs: str
    duration_ms: float
    init_ms: float | None = None
    worker_lost: bool = False
    log_stream: str = ""  # the environment's own stream, where this invocation's log goes


# Lambda gives a new environment's Init phase (the runtime starting, the handler's module
# imported) up to 10 s of its own; an invocation's Timeout starts when the runtime takes it.
INIT_LIMIT_S = 10.0


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    function_arn: str
    deadline_ms: int
    trace_id: str = field(
        default_factory=lambda: f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
    )
    result: asyncio.Future[tuple[bytes, bool]] | None = None
    timeout_s: float = 0.0
    queued_at: float = 0.0  # perf_counter() when handed to the environment
    # Resolved when the runtime takes the invocation: the seconds it may then run.
    taken: asyncio.Future[float] | None = None

    def budget_s(self, taken_at: float) -> float:
        """The Timeout, less any part of a cold start beyond the Init phase's own limit."""
        init_s = taken_at - self.queued_at
        return self.timeout_s - max(0.0, init_s - INIT_LIMIT_S)


class Worker:
    """A warm or cold execution environment for one function version."""

    def __init__(
        self,
        handler: str,
        task_root: str,
        environment: Mapping[str, str],
        on_output: Callable[[str], None] | None = None,
        command: Sequence[str] = (sys.executable, "-m", "wslab.local.runtime.bootstrap"),
        log_stream: str = "",
    ) -> None:
        self._handler = handler
        self._command = tuple(command)
        self.log_stream = log_stream
        self._task_root = task_root
        self._environment = dict(environment)
        self._on_output = on_output
        self._process: subprocess.Popen[bytes] | None = None
        self._server: asyncio.Server | None = None
        self._pending: asyncio.Queue[Invocation] = asyncio.Queue()
        self._current: Invocation | None = None
        self._init_error: bytes | None = None
        self._output = bytearray()
        self._partial_line = b""
        self._exited: asyncio.Event = asyncio.Event()
        self._started_at = 0.0
        self._init_ms: float | None = None
        self.invocations = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and not self._exited.is_set()

    async def start(self) -> None:
        self._server, port = await serve_runtime_api(self)
        env = {
            **self._environment,
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            PARENT_PID_VARIABLE: str(os.getpid()),
        }
        self._started_at = time.perf_counter()
        self._process = subprocess.Popen(
            [*self._command, self._handler],
            cwd=self._task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group: a Ctrl-C in the terminal reaches wslab local, which
            # then stops the workers itself instead of each printing a KeyboardInterrupt.
            process_group=0,
        )
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._read_output)

    def _read_output(self) -> None:
        self._drain_output()

    def _drain_output(self) -> None:
        """Read all the output the process has written so far, without waiting."""
        if self._process is None or self._process.stdout is None or self._exited.is_set():
            return
        fd = self._process.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._on_exit()
                return
            self._output += chunk
            self._echo(chunk)

    def _echo(self, chunk: bytes) -> None:
        if self._on_output is None:
            return
        data = self._partial_line + chunk
        *lines, self._partial_line = data.split(b"\n")
        for line in lines:
            # The runtime client writes a multi-line record (a traceback) as one line with
            # carriage returns, which CloudWatch shows as one event: show it as lines here.
            for part in line.decode("utf-8", "replace").split("\r"):
                self._on_output(part)

    def _on_exit(self) -> None:
        loop = asyncio.get_running_loop()
        if self._process is not None and self._process.stdout is not None:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self._process.stdout.fileno())
        self._exited.set()
        current = self._current
        if current is not None and current.result is not None and not current.result.done():
            if self._init_error is not None:
                current.result.set_result((self._init_error, True))
            else:
                current.result.set_exception(WorkerDied())

    def take_output(self) -> str:
        self._drain_output()
        text = self._output.decode("utf-8", "replace").replace("\r", "\n")
        self._output.clear()
        return text

    async def invoke(self, invocation: Invocation, timeout_s: float) -> Outcome:
        if not self.alive:
            raise WorkerDied()
        loop = asyncio.get_running_loop()
        invocation.result = loop.create_future()
        invocation.taken = loop.create_future()
        invocation.timeout_s = timeout_s
        self._current = invocation
        started = invocation.queued_at = time.perf_counter()
        await self._pending.put(invocation)
        try:
            # A cold environment runs its Init phase first, which does not count against
            # the Timeout (unless it runs past its own limit): on a busy machine, ten
            # environments importing boto3 at once would otherwise time out invocations
            # that Lambda runs.
            await asyncio.wait(
                (invocation.taken, invocation.result),
                timeout=INIT_LIMIT_S + timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if invocation.taken.done():
                started = time.perf_counter()
                budget_s = invocation.taken.result()
            elif invocation.result.done():
                budget_s = 0.0  # the environment died, or its Init failed
            else:
                raise TimeoutError
            payload, failed = await asyncio.wait_for(
                asyncio.shield(invocation.result), max(budget_s, 0.0)
            )
        except TimeoutError:
            self._current = None  # nobody waits for this invocation's end any more
            await self.stop()
            return Outcome(
                payload=json.dumps(
                    {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": (
                            f"RequestId: {invocation.request_id} Error: "
                            f"Task timed out after {timeout_s:.2f} seconds"
                        ),
                    }
                ).encode(),
                function_error=True,
                logs=self.take_output(),
                duration_ms=timeout_s * 1000,
                worker_lost=True,
            )
        except WorkerDied:
            code = await self._exit_code()
            return Outcome(
                payload=json.dumps(
                    {
                        "errorType": "Runtime.ExitError",
                        "errorMessage": (
                            f"RequestId: {invocation.request_id} Error: "
                            f"Runtime exited with error: {code}"
                        ),
                    }
                ).encode(),
                function_error=True,
                logs=self.take_output(),
                duration_ms=(time.perf_counter() - started) * 1000,
                worker_lost=True,
            )
        finally:
            self._current = None
        init_ms, self._init_ms = self._init_ms, None
        self.invocations += 1
        return Outcome(
            payload=payload,
            function_error=failed,
            logs=self.take_output(),
            duration_ms=(time.perf_counter() - started) * 1000,
            init_ms=init_ms,
            worker_lost=not self.alive,
        )

    async def _exit_code(self) -> str:
        assert self._process is not None
        for _ in range(100):
            code = self._process.poll()
            if code is not None:
                if code < 0:
                    return f"signal: {signal.Signals(-code).name.lower()[3:]}"
                return f"exit status {code}"
            await asyncio.sleep(0.01)
        return "exit status unknown"

    # Runtime API -----------------------------------------------------------------------

    async def next_invocation(self) -> RuntimeResponse:
        if self._init_ms is None and self.invocations == 0:
            self._init_ms = (time.perf_counter() - self._started_at) * 1000
        invocation = await self._pending.get()
        budget_s = invocation.budget_s(time.perf_counter())
        invocation.deadline_ms = int((time.time() + budget_s) * 1000)
        if invocation.taken is not None and not invocation.taken.done():
            invocation.taken.set_result(budget_s)
        return RuntimeResponse(
            200,
            invocation.payload,
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            },
        )

    def invocation_result(self, request_id: str, body: bytes, failed: bool) -> RuntimeResponse:
        current = self._current
        if current is None or current.request_id != request_id or current.result is None:
            return RuntimeResponse.json(
                400,
                {
                    "errorMessage": f"Invalid request ID: {request_id}",
                    "errorType": "InvalidRequestID",
                },
            )
        # Everything the handler printed was written before this request was sent:
        # read it now so it belongs to this invocation's log, not the next one's.
        self._drain_output()
        if not current.result.done():
            current.result.set_result((body, failed))
        return ACCEPTED

    def init_error(self, body: bytes) -> RuntimeResponse:
        self._init_error = body
        return ACCEPTED

    async def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        if self._process is not None:
            self._drain_output()
            for _ in range(200):
                if self._process.poll() is not None:
                    break
                await asyncio.sleep(0.005)
            if not self._exited.is_set():
                self._on_exit()
            if self._process.stdout is not None:
                self._process.stdout.close()
        if self._server is not None:
            await close_runtime_api(self._server)
            self._server = None
