"""Each app's conversation, as its README or tutorial gives it, through real WebSocket
clients; a probe raises AssertionError with what was heard instead of the documented answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import websocket

from tests.support import scaled

# A probe gets the URL clients connect to and a boto3 client maker on the local stack.
Client = Callable[[str], Any]
Probe = Callable[[str, Client], None]
WAIT_S = 30.0


@contextmanager
def _connected(url: str, header: list[str] | None = None) -> Iterator[websocket.WebSocket]:
    try:
        ws = websocket.create_connection(url, timeout=scaled(WAIT_S), header=header or [])
    except websocket.WebSocketBadStatusException as refused:
        raise AssertionError(f"connection refused: {refused}") from refused
    try:
        yield ws
    finally:
        ws.close()


def _heard(ws: websocket.WebSocket, what: str) -> str:
    try:
        return str(ws.recv())
    except websocket.WebSocketTimeoutException as silence:
        raise AssertionError(f"nothing heard, waiting for {what}") from silence


def _expect(heard: str, expected: str) -> None:
    if heard != expected:
        raise AssertionError(f"heard {heard!r}, expected {expected!r}")


def broadcast(field: str) -> Probe:
    """Chat: what one client sends (``{"action": "sendmessage", field: text}``) reaches
    another client, unchanged."""

    def probe(url: str, aws: Client) -> None:
        with _connected(url) as alice, _connected(url) as bob:
            alice.send(json.dumps({"action": "sendmessage", field: "hello world"}))
            _expect(_heard(bob, "the other client's message"), "hello world")

    return probe


def named_broadcast(url: str, aws: Client) -> None:
    """The AWS SDK example's chat: ``?name=`` on connect, ``msg`` in the message, heard by
    the others as ``name: msg``."""
    with _connected(f"{url}?name=Bill") as bill, _connected(f"{url}?name=DemoDude") as dude:
        dude.send(json.dumps({"action": "sendmessage", "msg": "Hey everyone!"}))
        _expect(_heard(bill, "the chat message"), "DemoDude: Hey everyone!")


def answer(message: str, expected: str) -> Probe:
    """Request and answer on one connection."""

    def probe(url: str, aws: Client) -> None:
        with _connected(url) as ws:
            ws.send(message)
            _expect(_heard(ws, "the answer"), expected)

    return probe


def greeting(expected: str) -> Probe:
    """A message pushed to the client right after it connects."""

    def probe(url: str, aws: Client) -> None:
        with _connected(url) as ws:
            _expect(_heard(ws, "the greeting"), expected)

    return probe


def echoed_event(url: str, aws: Client) -> None:
    """The ``$default`` route answers with the event it got: the body sent, on ``$default``."""
    sent = json.dumps({"first_name": "Jane", "last_name": "Doe"})
    with _connected(f"{url}?foo=bar") as ws:
        ws.send(sent)
        event = json.loads(_heard(ws, "the event"))
        _expect(
            json.dumps([event["requestContext"]["routeKey"], event["body"]]),
            json.dumps(["$default", sent]),
        )


def queued_answer(url: str, aws: Client) -> None:
    """The message goes through an SQS FIFO queue; its function answers with it."""
    sent = json.dumps({"MessageGroupId": "test", "data": "hello world"})
    with _connected(url) as ws:
        ws.send(sent)
        _expect(json.loads(_heard(ws, "the queued answer"))["message"], sent)


def authorized_answer(url: str, aws: Client) -> None:
    """A REQUEST authorizer lets in ``token: hello`` only; then ``sendmessage`` answers."""
    try:
        with _connected(url):
            raise AssertionError("connected without the token header")
    except AssertionError as refused:
        if "401" not in str(refused):
            raise
    with _connected(url, header=["token: hello"]) as ws:
        ws.send(json.dumps({"action": "sendmessage", "message": "hey queen"}))
        _expect(_heard(ws, "the answer"), "good job on deploying this template, keep slaying!!")


def api_key_on_connect(url: str, aws: Client) -> None:
    """``$connect`` requires an API key, which the app's CloudFront distribution adds as
    ``x-api-key`` (its README connects through the distribution; wslab local has no
    CloudFront, so the probe sends the header the distribution would): refused without it,
    connected with it, and a message then reaches the function's ``$default`` route."""
    try:
        with _connected(url):
            raise AssertionError("connected without an API key")
    except AssertionError as refused:
        if "403" not in str(refused):
            raise
    keys = aws("apigateway").get_api_keys(includeValues=True)["items"]
    if len(keys) != 1:
        raise AssertionError(f"{len(keys)} API keys, not the app's one")
    with _connected(url, header=[f"x-api-key: {keys[0]['value']}"]) as ws:
        ws.send(json.dumps({"hello": "world"}))
