"""The room's zero-install path (``binder/``, ``.devcontainer/``), run here with the
project's ``.venv``: the local AWS that ``binder/start`` starts, reached as a learner's
browser reaches it on mybinder.org, through the notebook server's ``/proxy/<port>/``.
The same with a fresh install (``.devcontainer/setup.sh`` in a new venv) is
``test_zero_install_fresh.py``, slow, run by ``make zero-install``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import websocket

from tests.e2e.conftest import Tabs
from tests.e2e.zero_install import (
    HUB_PREFIX,
    JupyterBehindHub,
    binder_started,
    devcontainer_started,
    run_in_kernel,
)
from tests.local.lambda_helpers import create_function
from tests.local.loop_stack import ECHO
from tests.support import scaled
from wslab.aws import client
from wslab.client.forwarding import chat_page_url
from wslab.deploy.wiring import WiredApi, wire_websocket_api

pytest.importorskip("jupyter_server_proxy", reason="jupyter-server-proxy is not installed")

BIN = Path(sys.executable).parent


def _deploy_echo(endpoint_url: str) -> WiredApi:
    """An API whose ``$default`` route answers each frame with what it got."""

    def aws(service: str) -> Any:
        return client(service, endpoint_url)

    create_function(aws, "zero-install-echo", ECHO)
    return wire_websocket_api(
        aws("apigatewayv2"),
        aws("lambda"),
        "zero-install",
        {"$default": "zero-install-echo"},
        two_way=("$default",),
    )


def _kernel_link(jupyter: JupyterBehindHub, api_url: str) -> str:
    """What a notebook's first cell and the chat page's cell print there."""
    printed = run_in_kernel(
        jupyter,
        "from wslab.notebook import tutorial\n"
        "aws = tutorial.start()\n"
        "print('ENDPOINT', aws.endpoint_url)\n"
        f"print('PAGE', tutorial.chat_page(aws, {api_url!r}, room='blue'))\n",
    )
    found = dict(
        line.split(" ", 1) for line in printed.splitlines() if line[:4] in ("ENDP", "PAGE")
    )
    assert found["ENDPOINT"] == jupyter.endpoint_url, printed
    return found["PAGE"]


def check_the_room_path(jupyter: JupyterBehindHub) -> None:
    """(1) the notebooks find the stack binder/start began; (2) the chat page their link
    names loads through the proxy; (3) a frame goes to a deployed API and back through it."""
    api = _deploy_echo(jupyter.endpoint_url)
    link = _kernel_link(jupyter, api.url)
    port = urlsplit(jupyter.endpoint_url).port
    page, _, fragment = link.partition("#")
    assert page == f"{HUB_PREFIX}proxy/{port}/_wslab/chat/"

    status, content_type, body = jupyter.get(page)
    assert (status, content_type.split(";")[0]) == (200, "text/html"), body[:500]
    assert '<script src="chat.js"' in body
    status, content_type, _ = jupyter.get(page + "chat.js")
    assert (status, content_type.split(";")[0]) == (200, "text/javascript")

    ws_path = parse_qs(fragment)["url"][0]
    assert ws_path == f"{HUB_PREFIX}proxy/{port}/{api.api_id}/{api.stage}"
    ws = jupyter.websocket(ws_path)
    try:
        ws.send(json.dumps({"through": "the proxy"}))
        reply = json.loads(ws.recv())
    finally:
        ws.close()
    assert reply["routeKey"] == "$default"
    assert json.loads(reply["body"]) == {"through": "the proxy"}


def test_binder_start_then_the_page_and_a_websocket_through_the_proxy(tmp_path: Path) -> None:
    with binder_started(BIN, tmp_path) as jupyter:
        check_the_room_path(jupyter)
        port = urlsplit(jupyter.endpoint_url).port
        printed = (tmp_path / "jupyter.log").read_text()  # what binder/start printed
        assert f"wslab local: the chat page: {HUB_PREFIX}proxy/{port}/_wslab/chat/" in printed
        # Run again (a container restarted, a second start script): the same stack answers.
        again = subprocess.run(
            [str(BIN / "wslab"), "local", "--background", "--port", str(port)],
            capture_output=True, text=True, timeout=scaled(120), check=True,
        )  # fmt: skip
        assert again.stdout == f"AWS_ENDPOINT_URL={jupyter.endpoint_url}\n"


def test_devcontainer_start_sh_leaves_the_stack_and_jupyterlab_running(tmp_path: Path) -> None:
    """postStartCommand's script returns; JupyterLab then answers, and a kernel of it finds
    the stack the script started."""
    with devcontainer_started(BIN, tmp_path) as jupyter:
        status, content_type, _ = jupyter.get(f"{jupyter.base}lab")
        assert (status, content_type.split(";")[0]) == (200, "text/html")
        printed = run_in_kernel(
            jupyter, "from wslab.notebook import tutorial\nprint(tutorial.start().endpoint_url)\n"
        )
        assert printed.splitlines()[-1] == jupyter.endpoint_url


def test_without_a_token_the_proxy_lets_nobody_in(tmp_path: Path) -> None:
    """jupyter-server-proxy serves the stack to the server's signed-in user only: the page
    and the WebSocket are refused without the token (what keeps a learner's stack theirs)."""
    with binder_started(BIN, tmp_path) as jupyter:
        port = urlsplit(jupyter.endpoint_url).port
        stranger = JupyterBehindHub(jupyter.origin, "not-the-token", jupyter.endpoint_url)
        base = f"{HUB_PREFIX}proxy/{port}"
        status, _, _ = stranger.get(f"{base}/_wslab/chat/")
        assert status in (302, 403), status
        status, _, _ = jupyter.get(f"{base}/_wslab/chat/")
        assert status == 200  # the same request with the token
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            stranger.websocket(f"{base}/{'0' * 10}/dev")
        assert refused.value.status_code in (302, 403)


def test_the_page_in_chromium_connects_through_the_proxy(tmp_path: Path, tabs: Tabs) -> None:
    """The link a notebook shows on mybinder.org, opened in a real browser signed in to the
    notebook server: the page resolves the bare-path WebSocket address against its own
    (``ws:`` here, ``wss:`` beside ``https:``) and connects through the proxy."""
    expect: Any = pytest.importorskip("playwright.sync_api").expect
    with binder_started(BIN, tmp_path) as jupyter:
        api = _deploy_echo(jupyter.endpoint_url)
        hub = {"JUPYTERHUB_SERVICE_PREFIX": HUB_PREFIX}
        link = chat_page_url(jupyter.endpoint_url, api.url, "blue", environ=hub)
        tabs.open(f"{jupyter.origin}{HUB_PREFIX}api/status?token={jupyter.token}")  # signs in
        page = tabs.open(jupyter.origin + link)
        expect(page.locator("#status")).to_have_attribute("data-state", "open")
        ws_origin = "ws" + jupyter.origin.removeprefix("http")
        expect(page.locator("#status")).to_have_text(
            f"connected to {ws_origin}{HUB_PREFIX}proxy/{urlsplit(api.url).port}/{api.api_id}/dev"
        )
