"""pytest plugin: each test's outcome, written as JSON to ``$MOTO_COMPAT_RESULTS``.

A test counts as failed if any of its phases failed (setup, call or teardown), skipped if
it was skipped, passed otherwise; with pytest-xdist, the controller writes the file.
"""

from __future__ import annotations

import json
import os
from typing import Any

_OUTCOMES: dict[str, str] = {}
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def pytest_runtest_logreport(report: Any) -> None:
    outcome = "skipped" if report.skipped else "failed" if report.failed else "passed"
    if hasattr(report, "wasxfail"):
        outcome = "skipped"  # an expected failure, or an unexpected pass of one
    previous = _OUTCOMES.get(report.nodeid, "passed")
    _OUTCOMES[report.nodeid] = max(previous, outcome, key=_RANK.__getitem__)


def pytest_sessionfinish(session: Any) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: its reports reach the controller
    path = os.environ.get("MOTO_COMPAT_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(_OUTCOMES, file, indent=0, sort_keys=True)
