"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

from wslab.aws import Target
from wslab.deploy.project import NODE_RUNTIME, PYTHON_RUNTIME
from wslab.deploy.stack import ChatStack, delete, deploy

# Slow machines: WSLAB_TEST_TIMEOUT_SCALE=3 triples every wait in the tests.
TIMEOUT_SCALE = float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))
REGION = "us-east-1"


def scaled(seconds: float) -> float:
    return seconds * TIMEOUT_SCALE


EVENTS = Path(__file__).resolve().parent / "events"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of one of the golden events in ``tests/events/``, by file name."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


class OutputLines:
    """The lines a child process writes to a text stream, read as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.ended = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for(self, match: Callable[[str], bool], timeout_s: float = 60.0) -> str:
        """The first line that ``match``es, once written (AssertionError after the scaled
        timeout, or if the stream ends first)."""
        deadline = time.monotonic() + scaled(timeout_s)
        with self._changed:
            while True:
                found = next((line for line in self.lines if match(line)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    raise AssertionError("no matching line; got:\n" + "\n".join(self.lines))
                self._changed.wait(left)


_Chat = TypeVar("_Chat", bound="DeployedChat")


def handler_runtimes() -> list[Any]:
    """``params=`` of a fixture that deploys the chat once per reference implementation:
    ``lambda_src/chat`` (python3.12) and ``lambda_src/chat-nodejs`` (nodejs22.x, skipped
    where Node.js or its SDK is missing)."""
    from tests.local.lambda_helpers import requires_node_sdk

    return [
        pytest.param(PYTHON_RUNTIME, id="python"),
        pytest.param(NODE_RUNTIME, id="nodejs", marks=requires_node_sdk),
    ]


def stack_name_for(base: str, runtime: str) -> str:
    """``base`` for the Python handlers, ``base-nodejs`` for the Node.js ones: each module's
    stacks stay apart, and the Python names stay what they were."""
    return base if runtime == PYTHON_RUNTIME else f"{base}-nodejs"


@dataclass
class DeployedChat:
    """The chat of ``cloudformation/template.yaml`` as deployed: its outputs, its clients."""

    stack: ChatStack
    outputs: dict[str, str]

    @property
    def url(self) -> str:
        return self.outputs["WebSocketURL"]

    @property
    def management_url(self) -> str:
        return self.outputs["ManagementURL"]

    @property
    def connections_table(self) -> str:
        return self.outputs["ConnectionsTableName"]

    @property
    def history_table(self) -> str:
        return self.outputs["HistoryTableName"]

    def client(self, service: str) -> Any:
        return self.stack.client(service)

    def function_name(self, route: str) -> str:
        """The function of a route (``sendmessage``, ``joinroom``, ``history``, ...)."""
        return f"{self.stack.stack_name}-{route}"

    def room_connections(self, room: str) -> list[str]:
        """The ids of the connections in ``room``, from the connections table's index."""
        items = self.client("dynamodb").query(
            TableName=self.connections_table,
            IndexName="roomId-index",
            KeyConditionExpression="roomId = :room",
            ExpressionAttributeValues={":room": {"S": room}},
        )["Items"]
        return [item["id"]["S"] for item in items]

    def management(self) -> Any:
        """The stage's @connections client."""
        return self.stack.target.client_at("apigatewaymanagementapi", self.management_url)


def deployed(
    endpoint_url: str, name: str, make: Callable[[ChatStack, dict[str, str]], _Chat], **options: Any
) -> Iterator[_Chat]:
    """``make(stack, outputs)`` for the stack ``name`` deployed with ``deploy``'s
    ``options`` on the local AWS at ``endpoint_url``; the stack is deleted afterwards."""
    stack = ChatStack(Target.local(endpoint_url), name, say=lambda line: None)
    try:
        yield make(stack, deploy(stack, **options))
    finally:
        delete(stack)


def clients_on(endpoint_url: str) -> Callable[..., Any]:
    """``aws("dynamodb")``: a boto3 client on the stack at ``endpoint_url``."""
    from wslab.aws import client

    def make(service: str, region: str = REGION, **config: Any) -> Any:
        return client(service, endpoint_url, region, **config)

    return make
