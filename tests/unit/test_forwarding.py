"""Where a browser reaches the local AWS: the loopback, a Jupyter server's proxy, a codespace."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from wslab.client.forwarding import browser_address, chat_page_url
from wslab.client.invitation import page_link

ENDPOINT = "http://127.0.0.1:4577"
API = "ws://127.0.0.1:4577/abc123/dev"
HUB = {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice-x1/"}
CODESPACE = {
    "CODESPACE_NAME": "alice-fluffy-umbrella",
    "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev",
}


def _fragment(link: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(link).fragment).items()}


def test_on_the_laptop_the_loopback_address() -> None:
    link = chat_page_url(ENDPOINT, API, "blue", environ={})
    assert link == f"{ENDPOINT}/_wslab/chat/#url={API}&room=blue"


def test_behind_a_jupyter_proxy_paths_on_the_notebook_servers_origin() -> None:
    """Page and WebSocket under ``<prefix>proxy/<port>``; the page resolves the path."""
    link = chat_page_url(ENDPOINT, API, "blue", token="t0k", environ=HUB)
    assert link.startswith("/user/alice-x1/proxy/4577/_wslab/chat/#")
    assert _fragment(link) == {
        "url": "/user/alice-x1/proxy/4577/abc123/dev",
        "room": "blue",
        "token": "t0k",
    }


def test_a_hub_prefix_of_slash_alone() -> None:
    address = browser_address("http://127.0.0.1:5000", {"JUPYTERHUB_SERVICE_PREFIX": "/"})
    assert address.page() == "/proxy/5000/_wslab/chat/"


def test_in_a_codespace_the_forwarded_https_host() -> None:
    link = chat_page_url(ENDPOINT, API, "blue", environ=CODESPACE)
    host = "alice-fluffy-umbrella-4577.app.github.dev"
    assert link.startswith(f"https://{host}/_wslab/chat/#")
    assert _fragment(link)["url"] == f"wss://{host}/abc123/dev"


def test_an_api_elsewhere_than_the_stack_is_kept() -> None:
    """An API on AWS: the page still comes from the stack, the API's address is AWS's."""
    on_aws = "wss://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod"
    assert _fragment(chat_page_url(ENDPOINT, on_aws, "blue", environ=HUB))["url"] == on_aws


def test_the_query_string_of_the_api_address_is_kept() -> None:
    link = chat_page_url(ENDPOINT, API + "?roomId=blue", "blue", environ=HUB)
    assert _fragment(link)["url"] == "/user/alice-x1/proxy/4577/abc123/dev?roomId=blue"


def test_the_demos_page_link_stays_on_the_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """``page_link`` (what ``wslab demo`` prints) ignores where a notebook server runs."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", HUB["JUPYTERHUB_SERVICE_PREFIX"])
    assert page_link(ENDPOINT, API, "blue").startswith(f"{ENDPOINT}/_wslab/chat/#")
