"""Small helpers shared by the tests."""

from __future__ import annotations

import os

# Slow machines: WSLAB_TEST_TIMEOUT_SCALE=3 triples every wait in the tests.
TIMEOUT_SCALE = float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))
REGION = "us-east-1"


def scaled(seconds: float) -> float:
    return seconds * TIMEOUT_SCALE
