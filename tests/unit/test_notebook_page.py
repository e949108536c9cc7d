"""``tutorial.chat_page``: the chat page's link as notebook 04 shows it, locally and on AWS."""

from __future__ import annotations

from pathlib import Path

import pytest

from wslab.aws import Target
from wslab.notebook.page import PAGE_FILE, PageLink, chat_page

ROOT = Path(__file__).resolve().parents[2]
ON_AWS = "wss://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod"


def test_on_aws_the_pages_file_in_the_checkout() -> None:
    link = chat_page(Target(None, "eu-west-1"), ON_AWS, "blue")
    assert link == f"{PAGE_FILE}#url={ON_AWS}&room=blue"
    assert (ROOT / PAGE_FILE).is_file()


def test_locally_behind_a_hub_the_proxied_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/bob/")
    local = Target.local("http://127.0.0.1:4577")
    link = chat_page(local, "ws://127.0.0.1:4577/abc123/dev", "blue", token="t")
    assert (
        link
        == "/user/bob/proxy/4577/_wslab/chat/#url=/user/bob/proxy/4577/abc123/dev&room=blue&token=t"
    )


def test_a_cells_value_is_a_link_and_its_text_the_address() -> None:
    link = PageLink("/user/bob/proxy/4577/_wslab/chat/#url=/x&room=blue")
    assert repr(link) == str(link)  # no quotes in the cell's text output
    assert link._repr_html_() == (
        '<a href="/user/bob/proxy/4577/_wslab/chat/#url=/x&amp;room=blue" target="_blank">'
        "/user/bob/proxy/4577/_wslab/chat/#url=/x&amp;room=blue</a>"
    )
