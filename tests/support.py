"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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
