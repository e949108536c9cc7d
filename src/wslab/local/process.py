"""``wslab local`` as a separate process: for tests, scripts and notebooks.

- ``LocalAWSProcess`` starts one on a free port and stops it on exit (tests, scripts).
- ``ensure_running`` finds the stack already listening on a port, or starts one in the
  background that outlives the caller: a table made in one notebook is still there in the
  next, as in the cloud. ``stop_background`` ends it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from wslab.local.defaults import DEFAULT_PORT, HEALTH_PATH
from wslab.local.platform import ask_to_stop, stoppable

__all__ = [
    "LocalAWSProcess",
    "LocalAWSStartError",
    "background_log_path",
    "ensure_running",
    "health",
    "loopback_without_proxy",
    "stop_background",
]

ENDPOINT_PREFIX = "AWS_ENDPOINT_URL="
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")  # and their lower-case forms
_LOOPBACK = ("127.0.0.1", "localhost")


def loopback_without_proxy(environ: MutableMapping[str, str] | None = None) -> None:
    """When the environment names a proxy, put 127.0.0.1 and localhost in ``NO_PROXY`` (and
    ``no_proxy``), which urllib, botocore, websocket-client and the processes started from
    here all honour. Else a proxy, often set on office laptops, is asked for the local AWS
    and cannot reach it: the stack seems never to start, and boto3 fails with
    ``ProxyConnectionError``."""
    env = os.environ if environ is None else environ
    if not any(env.get(name) or env.get(name.lower()) for name in _PROXY_VARIABLES):
        return
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [host.strip() for host in env.get(name, "").split(",") if host.strip()]
        env[name] = ",".join(hosts + [host for host in _LOOPBACK if host not in hosts])


class LocalAWSStartError(RuntimeError):
    """``wslab local`` exited or stayed silent instead of starting."""


def _command(port: int, extra_args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "wslab", "local", "--port", str(port), *extra_args]


# The stack prints what handlers print, in any script: in UTF-8, whatever the locale's
# encoding (a Windows console's code page, or a C locale, encodes a few scripts only).
_ENCODING = "utf-8"


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": _ENCODING}


class LocalAWSProcess:
    """Runs ``wslab local`` in a child process; ``endpoint_url`` once started."""

    def __init__(
        self,
        port: int = 0,
        extra_args: Sequence[str] = (),
        startup_timeout_s: float = 60.0,
        own_session: bool = False,
        log_file: Path | None = None,
    ) -> None:
        """``own_session``: a Ctrl-C in the terminal doesn't reach the stack, which then
        stops only when ``stop`` is called (for a caller that still needs it to clean up).

        ``log_file``: the stack writes everything it prints there, and no thread of this
        process reads it line by line (a benchmark's client then shares its interpreter
        with nothing; a terminal or another emulator's log file costs its reader as little).
        """
        self._own_session = own_session
        self._log_file = log_file
        self._port = port
        self._extra_args = list(extra_args)
        self._startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[str] | None = None
        self._endpoint_url: str | None = None
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("not started")
        return self._endpoint_url

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def output(self) -> list[str]:
        """Every line the stack printed after its endpoint (access logs, handler logs)."""
        if self._log_file is not None:
            lines = self._log_file.read_text(_ENCODING, "replace").splitlines()
            ends = [n for n, line in enumerate(lines) if line.startswith(ENDPOINT_PREFIX)]
            return lines[ends[0] + 1 :] if ends else lines
        with self._lines_lock:
            return list(self._lines)

    def _collect(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lines_lock:
                self._lines.append(line.rstrip("\n"))

    def start(self) -> str:
        """Start it and wait for its endpoint. Interrupted meanwhile (Ctrl-C), it stops the
        child too: one in a session of its own would otherwise outlive its caller, holding
        its port."""
        try:
            if self._log_file is not None:
                return self._start_writing_to(self._log_file)
            return self._start_reading()
        except BaseException:
            self.stop()
            raise

    def _start_reading(self) -> str:
        self._process = subprocess.Popen(
            _command(self._port, self._extra_args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
            encoding=_ENCODING,
            errors="replace",
            bufsize=1,
            **stoppable(self._own_session),
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        first: list[str] = []
        reader = threading.Thread(
            target=lambda: first.append(self._process.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(self._startup_timeout_s)
        line = first[0].strip() if first else ""
        if not line.startswith(ENDPOINT_PREFIX):
            self.stop()
            errors = self._process.stderr.read() if self._process.stderr else ""
            raise LocalAWSStartError(
                f"wslab local did not start (first line {line!r}); it said:\n{errors}"
            )
        self._endpoint_url = line[len(ENDPOINT_PREFIX) :]
        for stream in (self._process.stdout, self._process.stderr):
            thread = threading.Thread(target=self._collect, args=(stream,), daemon=True)
            thread.start()
            self._readers.append(thread)
        return self._endpoint_url

    def _start_writing_to(self, log_file: Path) -> str:
        with open(log_file, "w") as log:
            self._process = process = subprocess.Popen(
                _command(self._port, self._extra_args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **stoppable(self._own_session),
                env=_environment(),
            )
        deadline = time.monotonic() + self._startup_timeout_s
        while True:
            printed = log_file.read_text(_ENCODING, "replace")
            for line in printed.splitlines():
                if line.startswith(ENDPOINT_PREFIX):
                    self._endpoint_url = line[len(ENDPOINT_PREFIX) :]
                    return self._endpoint_url
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                where = f" on port {self._port}" if self._port else ""
                raise LocalAWSStartError(
                    f"wslab local did not start{where}; its log ({log_file}) says:\n"
                    + printed[-4000:]
                )
            time.sleep(0.05)

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """Ask it to stop (SIGTERM; Ctrl-Break on Windows), then kill it if it hasn't
        stopped in time. Returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            ask_to_stop(self._process.pid)
            try:
                self._process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for thread in self._readers:
            thread.join(2)
        return self._process.returncode

    def kill(self) -> int | None:
        """End it at once, as a crash or a power cut would: it saves nothing on the way out.
        Returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.kill()
        return self.stop()

    def __enter__(self) -> LocalAWSProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def health(port: int = DEFAULT_PORT, timeout_s: float = 0.5) -> dict[str, Any] | None:
    """What the stack on ``port`` says of itself, or None if no wslab stack answers there."""
    url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return body if body.get("service") == "wslab-local" else None


def background_log_path(port: int = DEFAULT_PORT) -> Path:
    return Path(tempfile.gettempdir()) / f"wslab-local-{port}.log"


def ensure_running(
    port: int = DEFAULT_PORT,
    startup_timeout_s: float = 60.0,
    extra_args: Sequence[str] = (),
    state_dir: Path | None = None,
) -> str:
    """The endpoint of the stack on ``port``, started in the background if none answers
    (with ``extra_args`` for ``wslab local``; ``state_dir``: one that keeps its state there,
    ``wslab local --state-dir``)."""
    loopback_without_proxy()
    found = health(port)
    if found is not None:
        return str(found["endpoint_url"])
    stack = LocalAWSProcess(
        port,
        extra_args=[*extra_args, *(["--state-dir", str(state_dir)] if state_dir else [])],
        startup_timeout_s=startup_timeout_s,
        own_session=True,  # outlives the notebook kernel that started it
        log_file=background_log_path(port),
    )
    return stack.start()


def stop_background(port: int = DEFAULT_PORT, timeout_s: float = 15.0) -> bool:
    """Stop the stack on ``port``. False if none was running."""
    found = health(port)
    if found is None:
        return False
    pid = int(found["pid"])
    ask_to_stop(pid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and health(port, 0.2) is not None:
        time.sleep(0.1)
    return True
