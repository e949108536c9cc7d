"""Waiting, in the notebooks: for a condition, for frames on a WebSocket, for log lines, for
a new IAM role to become usable, for a deployment to roll out.

Every deadline is scaled by ``WSLAB_TEST_TIMEOUT_SCALE`` (1 unless set), for slow machines.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from wslab.aws import Target

__all__ = [
    "let_deployment_settle",
    "receive_json",
    "receive_text",
    "receive_until",
    "wait_for_log_lines",
    "wait_until",
    "when_role_is_ready",
]

_T = TypeVar("_T")


def _timeout_scale() -> float:
    return float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))


def wait_until(
    check: Callable[[], _T | None],
    timeout_s: float = 5.0,
    interval_s: float = 0.1,
    what: str = "the condition",
) -> _T:
    """Call ``check`` until it returns something other than None or False; return that."""
    deadline = time.monotonic() + timeout_s * _timeout_scale()
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


def when_role_is_ready(call: Callable[..., _T], /, timeout_s: float = 60.0, **kwargs: Any) -> _T:
    """``call(**kwargs)``, retried while a new IAM role is not yet usable by Lambda.

    On AWS a role can take about ten seconds after ``CreateRole`` before Lambda may assume
    it; ``CreateFunction`` fails with InvalidParameterValueException until then.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            message = str(error.response.get("Error", {}).get("Message", ""))
            propagating = code == "InvalidParameterValueException" and "assume" in message
            if not propagating or time.monotonic() > deadline:
                raise
        time.sleep(2)


def let_deployment_settle(target: Target, seconds: float = 5.0) -> None:
    """After ``CreateDeployment``: API Gateway takes a few seconds to roll a deployment out
    on AWS; the local AWS serves it at once."""
    if not target.is_local:
        time.sleep(seconds)


def _receive_text(ws: Any, seconds: float) -> str | None:
    from websocket import WebSocketTimeoutException

    ws.settimeout(max(seconds, 0.001))
    try:
        text: str = ws.recv()
    except WebSocketTimeoutException:
        return None
    return text


def _receive(ws: Any, seconds: float) -> dict[str, Any] | None:
    text = _receive_text(ws, seconds)
    if text is None:
        return None
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def receive_text(ws: Any, timeout_s: float = 5.0) -> str | None:
    """The next text frame on a websocket-client connection; None if none comes in time."""
    return _receive_text(ws, timeout_s * _timeout_scale())


def receive_json(ws: Any, timeout_s: float = 5.0) -> dict[str, Any] | None:
    """The next text frame on a websocket-client connection, parsed; None if none comes."""
    return _receive(ws, timeout_s * _timeout_scale())


def receive_until(ws: Any, kind: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """The next frame whose ``type`` is ``kind``, skipping others (e.g. a live message)."""
    deadline = time.monotonic() + timeout_s * _timeout_scale()
    while (left := deadline - time.monotonic()) > 0:
        frame = _receive(ws, left)
        if frame is not None and frame.get("type") == kind:
            return frame
    raise TimeoutError(f"no {kind!r} frame within {timeout_s:g} s")


def wait_for_log_lines(
    target: Target,
    function_name: str,
    since_ms: int,
    *,
    contains: str = "",
    count: int = 1,
    timeout_s: float | None = None,
) -> list[str]:
    """The log lines of ``function_name`` since ``since_ms`` (epoch ms) that contain
    ``contains``, once at least ``count`` of them are there (CloudWatch Logs lags on AWS)."""
    logs = target.client("logs")
    group = f"/aws/lambda/{function_name}"

    def lines() -> list[str] | None:
        found: list[str] = []
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=since_ms
            )
            for page in pages:
                found += [e["message"].rstrip("\n") for e in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            return None
        matching = [line for line in found if contains in line]
        return matching if len(matching) >= count else None

    return wait_until(
        lines,
        timeout_s if timeout_s is not None else target.default_wait_s,
        interval_s=0.2 if target.is_local else 2.0,
        what=f"{count} log line(s) of {function_name} containing {contains!r}",
    )
