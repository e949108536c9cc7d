"""Stacks started with a short idle timeout or maximum duration, for ``test_expiry.py``.

Starting a stack takes seconds, so when the session will run the expiry tests the
conformance ``conftest.py`` starts both in the background right after collection; the
tests' fixture then only waits for them. Both are stopped at the end of the session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.conformance.support import (
    EventLog,
    access_lines,
    create_behave_function,
    create_events_table,
    poll,
    wire,
)
from tests.support import REGION, scaled
from wslab.aws import client
from wslab.deploy.wiring import WiredApi
from wslab.local.process import LocalAWSProcess

IDLE_S = scaled(2.0)
MAX_DURATION_S = scaled(2.0)
OPTIONS = {
    "idle": ["--idle-timeout", str(IDLE_S)],
    "max": ["--max-connection-duration", str(MAX_DURATION_S)],
}


@dataclass
class ShortStack:
    process: LocalAWSProcess
    api: WiredApi
    event_log: EventLog

    def disconnect_context(self, connection_id: str) -> dict[str, Any]:
        """The requestContext of the connection's one DISCONNECT event, once logged."""
        poll(
            lambda: access_lines(self.process.output(), "DISCONNECT", connection_id),
            what=f"$disconnect of {connection_id}",
        )
        [record] = self.event_log.of(connection_id, "DISCONNECT")
        context: dict[str, Any] = record.event["requestContext"]
        return context


class ShortStacks:
    """Both stacks, started side by side in the background."""

    def __init__(self) -> None:
        self._started: dict[str, dict[str, Any]] = {name: {} for name in OPTIONS}
        self._threads = [
            threading.Thread(target=self._start, args=(name, args), daemon=True)
            for name, args in OPTIONS.items()
        ]
        for thread in self._threads:
            thread.start()
        self._stoppers: list[threading.Thread] = []

    def _start(self, name: str, extra_args: list[str]) -> None:
        parts = self._started[name]
        try:
            process = LocalAWSProcess(port=0, extra_args=extra_args)
            parts["process"] = process
            process.start()

            def aws(service: str) -> Any:
                return client(service, process.endpoint_url, REGION)

            create_events_table(aws, "events")
            function = create_behave_function(aws, "behave", "events")
            api = wire(aws, function, ["$disconnect", "$default"], two_way=["$default"])
            parts["stack"] = ShortStack(process, api, EventLog(aws, "events"))
        except Exception as error:  # reported by wait(), in the test that needs the stack
            parts["error"] = error

    def wait(self) -> dict[str, ShortStack]:
        """The started stacks; raises what went wrong if one did not start."""
        for thread in self._threads:
            thread.join()
        for name, parts in self._started.items():
            if "stack" not in parts:
                raise RuntimeError(f"the {name!r} short stack did not start") from parts.get(
                    "error"
                )
        return {name: parts["stack"] for name, parts in self._started.items()}

    def stop(self, wait: bool = True) -> None:
        """Stop both stacks, side by side; ``wait=False`` lets the session go on meanwhile."""
        for thread in self._threads:
            thread.join()
        if not self._stoppers:
            processes: Iterable[LocalAWSProcess] = (
                parts["process"] for parts in self._started.values() if "process" in parts
            )
            self._stoppers = [threading.Thread(target=process.stop) for process in processes]
            for stopper in self._stoppers:
                stopper.start()
        if wait:
            for stopper in self._stoppers:
                stopper.join()
