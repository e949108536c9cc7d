"""Structured logs: one JSON object per line on stdout.

Lambda sends stdout to CloudWatch Logs, where Logs Insights reads JSON lines field by
field (`filter outcome = "error" | stats count() by route`). Plain `print` is used instead
of the `logging` module because the Lambda runtime puts its own text prefix in front of
`logging` records, which would stop the line from being JSON.

Never pass a token, a query string or a header dict to these functions.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

__all__ = ["elapsed_ms", "log_json"]


def log_json(level: str, event: str, **fields: Any) -> None:
    """Write one log line: timestamp, level, event name, then `fields` as given."""
    record: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "event": event,
    }
    record.update(fields)
    # default=str keeps a stray Decimal from DynamoDB from turning a log call into a crash.
    sys.stdout.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started`, a `time.perf_counter()` value, to 0.01 ms."""
    return round((time.perf_counter() - started) * 1000, 2)
