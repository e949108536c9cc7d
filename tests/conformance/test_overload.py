"""Overload is said, not hidden: invocations that cannot start before API Gateway stops
waiting are dropped unrun, logged, and announced on the stack's stderr.

One function with reserved concurrency 1 (its one environment warm) and an integration
timeout of 4 s gets five messages of 2.5 s of work at once: the first runs; the second
starts at 2.5 s and times out at 4 s while still running, as it would on AWS; the other
three could only start after 5 s, past the timeout: they never run, and their senders get
``Endpoint request timed out`` when API Gateway stops waiting.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.conformance.support import (
    EventLog,
    access_lines,
    connect,
    create_behave_function,
    error_frame_pattern,
    new_tag,
    wire,
)
from tests.support import scaled
from wslab.local.process import LocalAWSProcess


def test_invocations_that_cannot_start_in_time_are_dropped_and_said(
    aws: Any, events_table: str, event_log: EventLog, local_stack: LocalAWSProcess
) -> None:
    function = create_behave_function(
        aws, f"conformance-narrow-{new_tag()}", events_table, reserved_concurrency=1
    )
    api = wire(aws, function, ["$default"], timeout_ms={"$default": 4000})
    ws = connect(api.url)
    for _ in range(5):
        ws.send(json.dumps({"sleep": 2.5}))
    frames = [ws.recv() for _ in range(4)]
    connection_id = json.loads(frames[0])["connectionId"]
    timed_out = error_frame_pattern("Endpoint request timed out", connection_id)
    assert all(timed_out.fullmatch(frame) for frame in frames), frames

    # Had the three been queued instead, the third would start as the second ends (5 s).
    time.sleep(scaled(2.5))
    assert len(event_log.of(connection_id, "MESSAGE")) == 2
    dropped = [
        line
        for line in access_lines(local_stack.output(), "MESSAGE", connection_id)
        if "not started" in line
    ]
    assert len(dropped) == 3, dropped
    assert all('" 504 ' in line for line in dropped)
    warnings = [line for line in local_stack.output() if "wslab local: overloaded" in line]
    assert [line for line in warnings if function in line]
    ws.close()
