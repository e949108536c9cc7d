"""The Python worker's host lookup (``LocalHosts``) against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from wslab.local.runtime.management_redirect import LocalHosts

HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
LOCAL_BASE = "http://127.0.0.1:4577/abc123defg"
SLOWER_THAN_THE_OLD_DEADLINE_S = 5.5  # the lookup gave up after 5 s before


class _SlowStack(BaseHTTPRequestHandler):
    """Answers ``/_wslab/execute-api/<host>`` as the stack does, after ``delay_s``."""

    delay_s: ClassVar[float] = 0.0
    asked: ClassVar[list[str]]  # one list per fixture's subclass

    def do_GET(self) -> None:
        self.asked.append(self.path)
        time.sleep(self.delay_s)
        if self.path.endswith(HOST):
            body, status = json.dumps({"endpoint": LOCAL_BASE}).encode(), 200
        else:
            body, status = b'{"message": "Not an API of this stack"}', 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stack() -> Iterator[tuple[str, type[_SlowStack]]]:
    handler = type("Handler", (_SlowStack,), {"asked": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/_wslab/execute-api/", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_slow_stack_is_waited_for(stack: tuple[str, type[_SlowStack]]) -> None:
    """A busy stack answering after seconds still gets the request: without its answer the
    post would go to the internet."""
    url, handler = stack
    handler.delay_s = SLOWER_THAN_THE_OLD_DEADLINE_S
    assert LocalHosts(url).endpoint(HOST) == LOCAL_BASE


def test_each_host_is_asked_once_and_others_never(stack: tuple[str, type[_SlowStack]]) -> None:
    url, handler = stack
    hosts = LocalHosts(url)
    assert hosts.endpoint(HOST) == hosts.endpoint(HOST) == LOCAL_BASE
    other = "zzzzzzzzzz.execute-api.us-east-1.amazonaws.com"
    assert hosts.endpoint(other) is None and hosts.endpoint(other) is None
    assert hosts.endpoint("example.com") is None
    assert handler.asked == [f"/_wslab/execute-api/{HOST}", f"/_wslab/execute-api/{other}"]
