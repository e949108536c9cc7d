"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wslab.deploy import ChatStack

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


@dataclass
class DeployedChat:
    """The chat of ``cloudformation/template.yaml`` as deployed: its outputs, its clients."""

    target: ChatStack
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
        return self.target.client(service)

    def function_name(self, route: str) -> str:
        """The function of a route (``sendmessage``, ``joinroom``, ``history``, ...)."""
        return f"{self.target.stack_name}-{route}"
