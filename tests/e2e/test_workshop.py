"""docs/workshop.md's commands, run as printed: the instructor's check of every prefix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import scaled

WORKSHOP = Path(__file__).resolve().parents[2] / "docs" / "workshop.md"


def test_the_cleanup_check_lists_what_each_prefix_left(
    aws: Callable[..., Any], endpoint_url: str
) -> None:
    """Alice left a table; Bob left nothing. The snippet, run as the page prints it (on the
    local AWS instead of WSLAB_TARGET=aws), says so."""
    (snippet,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", WORKSHOP.read_text(), flags=re.S)
        if "leftovers" in block
    ]
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="wslab-alice-connections",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        env = {**os.environ, "WSLAB_ENDPOINT_URL": endpoint_url}
        env.pop("WSLAB_TARGET", None)
        printed = subprocess.run(
            [sys.executable, "-c", snippet],
            env=env,
            capture_output=True,
            text=True,
            timeout=scaled(60),
            check=True,
        ).stdout
    finally:
        dynamodb.delete_table(TableName="wslab-alice-connections")
    assert printed.splitlines() == [
        "wslab-alice {'dynamodb tables': ['wslab-alice-connections']}",
        "wslab-bob nothing left",
    ]
