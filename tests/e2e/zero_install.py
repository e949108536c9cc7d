"""The room's zero-install path run here: ``binder/start`` starts the local AWS and, in its
place, a Jupyter server behind a hub-like prefix with jupyter-server-proxy and token
authentication, as mybinder.org runs them. What the learner's browser would do goes through
that server: a notebook kernel, the chat page, a WebSocket to a deployed API."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websocket

from tests.support import scaled
from wslab.local.process import ENDPOINT_PREFIX, background_log_path, stop_background

__all__ = [
    "HUB_PREFIX",
    "JupyterBehindHub",
    "binder_started",
    "devcontainer_started",
    "run_in_kernel",
]

ROOT = Path(__file__).resolve().parents[2]
HUB_PREFIX = "/user/learner/"
LIVENESS_S = scaled(120)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect to the login page is the answer, not a step


_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class JupyterBehindHub:
    """A Jupyter server at ``origin + base``, and the local AWS its start script began."""

    origin: str
    token: str
    endpoint_url: str
    base: str = HUB_PREFIX
    """The server's own paths start here: a hub's prefix, or ``/``."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str) -> tuple[int, str, str]:
        """``GET origin+path`` with the token: status, content type, body (a redirect is
        returned, not followed)."""
        request = urllib.request.Request(self.origin + path, headers=self.headers)
        try:
            with _NOT_FOLLOWING.open(request, timeout=LIVENESS_S) as response:
                body = response.read().decode()
                return response.status, response.headers.get("Content-Type", ""), body
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.origin + path,
            data=json.dumps(payload).encode(),
            headers={**self.headers, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=LIVENESS_S) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def websocket(self, path: str) -> websocket.WebSocket:
        """A WebSocket to ``path`` on the server's origin, as the page opens one there."""
        ws_origin = "ws" + self.origin.removeprefix("http")
        return websocket.create_connection(
            ws_origin + path, header=self.headers, timeout=LIVENESS_S
        )


def _server_file(runtime_dir: Path, alive: Callable[[], bool]) -> dict[str, Any]:
    """What the server writes of itself once it listens (its port 0 made real, its pid)."""
    deadline = time.monotonic() + LIVENESS_S
    while time.monotonic() < deadline:
        assert alive(), "the Jupyter server exited"
        for found in runtime_dir.glob("jpserver-*.json"):
            try:
                written: dict[str, Any] = json.loads(found.read_text())
                return written
            except ValueError:
                pass  # being written
        time.sleep(0.2)
    raise AssertionError("the Jupyter server never wrote its address")


def _environment(bin_dir: Path, workdir: Path, **more: str) -> dict[str, str]:
    """``bin_dir`` first on the PATH, the stack on a free port (WSLAB_LOCAL_PORT=0), its log
    and Jupyter's files in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(workdir),  # the stack's log, wslab-local-0.log, lands here
        "WSLAB_LOCAL_PORT": "0",
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "JUPYTER_CONFIG_DIR": str(workdir / "config"),
        "IPYTHONDIR": str(workdir / "ipython"),
        **more,
    }
    for name in ("WSLAB_ENDPOINT_URL", "VIRTUAL_ENV", "JUPYTERHUB_SERVICE_PREFIX"):
        if name not in more:
            env.pop(name, None)
    return env


def _started_stack(workdir: Path) -> str:
    log = workdir / background_log_path(0).name
    lines = log.read_text().splitlines() if log.exists() else []
    endpoints = [line[len(ENDPOINT_PREFIX) :] for line in lines if line.startswith(ENDPOINT_PREFIX)]
    assert endpoints, f"the start script did not start the local AWS: {lines[-20:]}"
    return endpoints[0]


def _stop_started_stack(workdir: Path) -> None:
    """Stop the stack the start script left running, if it got that far."""
    try:
        port = urlsplit(_started_stack(workdir)).port
    except AssertionError:
        return
    assert port is not None
    stop_background(port)


@contextmanager
def binder_started(
    bin_dir: Path, workdir: Path, checkout: Path = ROOT
) -> Iterator[JupyterBehindHub]:
    """``binder/start jupyter server ...`` behind ``HUB_PREFIX``, with ``bin_dir``'s
    ``wslab`` and ``jupyter``; everything stopped after."""
    token = secrets.token_hex(16)
    env = _environment(bin_dir, workdir, JUPYTERHUB_SERVICE_PREFIX=HUB_PREFIX)
    with open(workdir / "jupyter.log", "w") as server_log:  # the child keeps its own copy
        server = subprocess.Popen(
            [str(checkout / "binder" / "start"), "jupyter", "server", "--no-browser",
             "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
             f"--ServerApp.base_url={HUB_PREFIX}", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={checkout / 'notebooks'}",
             *(["--allow-root"] if os.name == "posix" and os.geteuid() == 0 else [])],
            cwd=checkout, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=server_log, text=True,
        )  # fmt: skip
    try:
        written = _server_file(workdir / "runtime", lambda: server.poll() is None)
        url = urlsplit(written["url"])
        yield JupyterBehindHub(f"{url.scheme}://{url.netloc}", token, _started_stack(workdir))
    finally:
        server.terminate()
        try:
            server.wait(scaled(30))
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        _stop_started_stack(workdir)


@contextmanager
def devcontainer_started(bin_dir: Path, workdir: Path) -> Iterator[JupyterBehindHub]:
    """``.devcontainer/start.sh`` as postStartCommand runs it: it returns, leaving the stack
    and JupyterLab (on a free port) running detached; both stopped after."""
    env = _environment(bin_dir, workdir, JUPYTER_PORT="0")
    started = subprocess.run(
        ["bash", str(ROOT / ".devcontainer" / "start.sh")],
        env=env, capture_output=True, text=True, timeout=LIVENESS_S,
    )  # fmt: skip
    pid = 0
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        written = _server_file(workdir / "runtime", lambda: True)
        pid = int(written["pid"])
        url = urlsplit(written["url"])
        origin = f"{url.scheme}://{url.netloc}"
        yield JupyterBehindHub(origin, written["token"], _started_stack(workdir), url.path)
    finally:
        if pid:
            _stop_detached(pid)
        _stop_started_stack(workdir)


def _running(pid: int) -> bool:
    """Running, not a zombie (a detached process is reaped by init, whenever it does)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stop_detached(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + scaled(30)
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)


def run_in_kernel(jupyter: JupyterBehindHub, code: str) -> str:
    """What ``code`` prints in a new kernel of the server (Jupyter's messaging over its
    WebSocket: https://jupyter-client.readthedocs.io/en/stable/messaging.html)."""
    kernel = jupyter.post(f"{jupyter.base}api/kernels", {"name": "python3"})["id"]
    ws = jupyter.websocket(f"{jupyter.base}api/kernels/{kernel}/channels")
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "learner", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))  # fmt: skip
        printed: list[str] = []
        deadline = time.monotonic() + LIVENESS_S
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise AssertionError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
        raise AssertionError(f"the kernel did not finish; it printed {printed}")
    finally:
        ws.close()
        request = urllib.request.Request(
            f"{jupyter.origin}{jupyter.base}api/kernels/{kernel}",
            headers=jupyter.headers,
            method="DELETE",
        )
        urllib.request.urlopen(request, timeout=LIVENESS_S).close()
