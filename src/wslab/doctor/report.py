"""Checks run one after the other, each printed as one PASS or FAIL line when it ends,
within a time budget: what has not run when the budget is spent fails as not run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BUDGET_S", "Outcome", "Report", "failed", "noted", "passed"]

BUDGET_S = 60.0


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str
    fix: str = ""
    """For a failure or a note: what to do about it."""
    note: bool = False
    """Passed, with something optional missing: printed NOTE, not counted as a failure."""


def passed(detail: str) -> Outcome:
    return Outcome(True, detail)


def noted(detail: str, fix: str = "") -> Outcome:
    return Outcome(True, detail, fix, note=True)


def failed(detail: str, fix: str = "") -> Outcome:
    return Outcome(False, detail, fix)


class Report:
    """Runs checks and says each one's outcome as soon as it is known."""

    def __init__(self, say: Callable[[str], None], budget_s: float = BUDGET_S) -> None:
        self._say = say
        self._budget_s = budget_s
        self._started = time.monotonic()
        self.outcomes: list[Outcome] = []

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    def check(self, name: str, run: Callable[[], Outcome]) -> Outcome:
        if self.elapsed_s > self._budget_s:
            outcome = failed(f"not run: the {self._budget_s:.0f} s budget is spent")
        else:
            started = time.monotonic()
            try:
                outcome = run()
            except Exception as error:  # a check that breaks is a failure, told in one line
                outcome = failed(f"the check itself failed: {type(error).__name__}: {error}")
            took = time.monotonic() - started
            outcome = Outcome(
                outcome.passed, f"{outcome.detail} ({took:.1f} s)", outcome.fix, outcome.note
            )
        self.outcomes.append(outcome)
        label = "NOTE" if outcome.note else "PASS" if outcome.passed else "FAIL"
        self._say(f"{label}  {name:<10} {outcome.detail}")
        if outcome.fix:
            self._say(f"{'':16}fix: {outcome.fix}")
        return outcome

    def summary(self) -> int:
        """Says how it went; the exit status (0 when every check passed)."""
        failures = sum(not outcome.passed for outcome in self.outcomes)
        total, took = len(self.outcomes), self.elapsed_s
        if failures:
            self._say(f"{failures} of {total} checks failed ({took:.1f} s): see the fixes above")
            return 1
        self._say(f"all {total} checks passed in {took:.1f} s")
        return 0
