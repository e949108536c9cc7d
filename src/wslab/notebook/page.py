"""The chat page's link as a notebook shows it: clickable wherever the notebook server runs.

On the learner's laptop the link is the local AWS's own address. On mybinder.org, a
JupyterHub or in a codespace, the browser is elsewhere: the link goes through the notebook
server's proxy or the forwarded port (:mod:`wslab.client.forwarding`). On AWS the page is
the file in the checkout, opened from disk.
"""

from __future__ import annotations

from html import escape

from wslab.aws import Target
from wslab.client.forwarding import chat_page_url, page_fragment

__all__ = ["PAGE_FILE", "PageLink", "chat_page"]

PAGE_FILE = "src/wslab/client/page/index.html"
"""The page in the checkout, for a chat on AWS (opened from disk, ``file://``)."""


class PageLink(str):
    """A link printed as text, and shown as a link when it is a cell's value (a bare path on
    the notebook server's own address is clickable only so)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<a href="{escape(self)}" target="_blank">{escape(self)}</a>'


def chat_page(aws: Target, url: str, room: str, token: str | None = None) -> PageLink:
    """The chat page set to join ``room`` at the WebSocket ``url``."""
    if aws.is_local:
        return PageLink(chat_page_url(str(aws.endpoint_url), url, room, token))
    return PageLink(f"{PAGE_FILE}#{page_fragment(url, room, token)}")
