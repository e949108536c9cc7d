"""One execution environment: a process running a runtime client of its function's language.

For Python the process runs AWS's runtime interface client (awslambdaric), what the Lambda
Python images run; for Node.js a small bootstrap of the same Runtime API (``runtimes.py``
chooses). It talks to a Runtime API (``/2018-06-01/runtime/...``) served here, one
listener per environment, so the handler gets the real ``LambdaContext``, the real error
format and the real logging set-up. An environment handles one invocation at a time, as on
Lambda.

The hand-over is synchronous where it can be: when the runtime client is already waiting
on ``/next``, an invocation is written to it in the call that submits it, and its result
resolves the one future the caller awaits; timers, not extra tasks, enforce the Init limit
and the Timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from wslab.local.platform import (
    follow_pipe,
    kill_group,
    kill_with_this_process,
    own_group,
    read_available,
)
from wslab.local.runtime.parent import PARENT_PID_VARIABLE
from wslab.local.runtime.runtime_api import (
    ACCEPTED,
    NextResponder,
    RuntimeResponse,
    close_runtime_api,
    serve_runtime_api,
)

__all__ = ["INIT_LIMIT_S", "Invocation", "Outcome", "Worker", "WorkerDied", "error_payload"]

# Lambda gives a new environment's Init phase (the runtime starting, the handler's module
# imported) up to 10 s of its own; an invocation's Timeout starts when the runtime takes it.
INIT_LIMIT_S = 10.0


class WorkerDied(Exception):
    """The environment's process is gone; it can't take invocations any more."""


class _TimedOut(Exception):
    """The invocation ran past its Timeout (or its environment past the Init limit)."""


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


def _new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x};Sampled=0"


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    function_arn: str
    deadline_ms: int
    trace_id: str = field(default_factory=_new_trace_id)
    result: asyncio.Future[tuple[bytes, bool]] | None = None
    timeout_s: float = 0.0
    queued_at: float = 0.0  # perf_counter() when handed to the environment
    taken_at: float | None = None  # perf_counter() when the runtime took it
    timer: asyncio.TimerHandle | None = None

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
        command: Sequence[str],
        on_output: Callable[[str], None] | None = None,
        log_stream: str = "",
        notice: str = "",
    ) -> None:
        """``notice``: lines that open the environment's log (its first invocation's)."""
        self._handler = handler
        self._notice = notice
        self._command = tuple(command)
        self.log_stream = log_stream
        self._task_root = task_root
        self._environment = dict(environment)
        self._on_output = on_output
        self._process: subprocess.Popen[bytes] | None = None
        self._server: asyncio.Server | None = None
        self._stop_following: Callable[[], None] = lambda: None
        self._pending: deque[Invocation] = deque()
        self._waiting_runtime: NextResponder | None = None
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
            **own_group(),
        )
        kill_with_this_process(self._process.pid)
        if self._notice:
            line = (self._notice + "\n").encode()
            self._output += line
            self._echo(line)
        assert self._process.stdout is not None
        self._stop_following = follow_pipe(
            asyncio.get_running_loop(), self._process.stdout.fileno(), self._drain_output
        )

    # Output -----------------------------------------------------------------------------

    def _drain_output(self) -> None:
        """Read all the output the process has written so far, without waiting."""
        if self._process is None or self._process.stdout is None or self._exited.is_set():
            return
        fd = self._process.stdout.fileno()
        while True:
            try:
                chunk = read_available(fd)
            except OSError:
                chunk = b""
            if chunk is None:
                return
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
        with contextlib.suppress(ValueError, OSError):
            self._stop_following()
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

    # Invocation -------------------------------------------------------------------------

    async def invoke(self, invocation: Invocation, timeout_s: float) -> Outcome:
        if not self.alive:
            raise WorkerDied()
        loop = asyncio.get_running_loop()
        result = invocation.result = loop.create_future()
        invocation.timeout_s = timeout_s
        invocation.queued_at = time.perf_counter()
        self._current = invocation
        # A cold environment runs its Init phase first, which does not count against the
        # Timeout (unless it runs past its own limit): on a busy machine, ten environments
        # importing boto3 at once would otherwise time out invocations that Lambda runs.
        invocation.timer = loop.call_later(INIT_LIMIT_S + timeout_s, self._time_out, invocation)
        responder, self._waiting_runtime = self._waiting_runtime, None
        if responder is None or not self._hand_over(invocation, responder):
            self._pending.append(invocation)
        try:
            payload, failed = await result
        except _TimedOut:
            self._current = None  # nobody waits for this invocation's end any more
            await self.stop()
            return Outcome(
                payload=error_payload(
                    "Sandbox.Timedout",
                    f"RequestId: {invocation.request_id} Error: "
                    f"Task timed out after {timeout_s:.2f} seconds",
                ),
                function_error=True,
                logs=self.take_output(),
                duration_ms=timeout_s * 1000,
                worker_lost=True,
            )
        except WorkerDied:
            if invocation.taken_at is None and self.invocations > 0:
                # A used environment that ended before taking this invocation (a runtime
                # exits after reporting an error it cannot recover from): nothing ran, so
                # the pool gives the invocation to a fresh environment.
                raise
            code = await self._exit_code()
            return Outcome(
                payload=error_payload(
                    "Runtime.ExitError",
                    f"RequestId: {invocation.request_id} Error: Runtime exited with error: {code}",
                ),
                function_error=True,
                logs=self.take_output(),
                duration_ms=self._ran_ms(invocation),
                worker_lost=True,
            )
        finally:
            self._current = None
            if invocation.timer is not None:
                invocation.timer.cancel()
        init_ms, self._init_ms = self._init_ms, None
        self.invocations += 1
        return Outcome(
            payload=payload,
            function_error=failed,
            logs=self.take_output(),
            duration_ms=self._ran_ms(invocation),
            init_ms=init_ms,
            worker_lost=not self.alive,
        )

    @staticmethod
    def _ran_ms(invocation: Invocation) -> float:
        started = invocation.taken_at or invocation.queued_at
        return (time.perf_counter() - started) * 1000

    @staticmethod
    def _time_out(invocation: Invocation) -> None:
        if invocation.result is not None and not invocation.result.done():
            invocation.result.set_exception(_TimedOut())

    def _hand_over(self, invocation: Invocation, respond: NextResponder) -> bool:
        """Give ``invocation`` to the runtime client waiting on ``/next``; False if it is gone."""
        taken_at = time.perf_counter()
        budget_s = invocation.budget_s(taken_at)
        invocation.deadline_ms = int((time.time() + budget_s) * 1000)
        delivered = respond(
            RuntimeResponse(
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
        )
        if not delivered:
            return False
        invocation.taken_at = taken_at
        if invocation.timer is not None:
            invocation.timer.cancel()
        invocation.timer = asyncio.get_running_loop().call_later(
            max(budget_s, 0.0), self._time_out, invocation
        )
        return True

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

    def next_invocation(self, respond: NextResponder) -> None:
        if self._init_ms is None and self.invocations == 0:
            self._init_ms = (time.perf_counter() - self._started_at) * 1000
        while self._pending:
            if self._hand_over(self._pending.popleft(), respond):
                return
        self._waiting_runtime = respond

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
            # In a thread: on Windows this runs taskkill, and waits for it.
            await asyncio.to_thread(kill_group, self._process.pid)
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


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
