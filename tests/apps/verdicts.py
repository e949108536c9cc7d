"""What the gate makes of an app's run, given ``expectations.toml``.

An app not listed there is expected to pass. A listed app is expected to fail in the
``phase`` named, with ``error`` somewhere in what that phase printed (or in what its probe
heard). Anything else is unexpected and fails the gate: an unlisted failure, a failure in
another phase or with another error, and a listed failure that now passes (the list is then
out of date: remove the entry).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHASES = ("install", "deploy", "probe", "delete", "leftovers")


@dataclass(frozen=True)
class Outcome:
    """One app's run: ``phase`` is None when every phase succeeded; ``output`` is what the
    failing phase printed (or the probe's message), ``error`` its telling line."""

    phase: str | None
    error: str = ""
    output: str = ""


@dataclass(frozen=True)
class Expected:
    phase: str
    error: str
    missing: str


@dataclass(frozen=True)
class Verdict:
    label: str
    unexpected: bool
    detail: str = ""


def load(path: Path) -> dict[str, Expected]:
    """The expected failures, by app name (ValueError naming the entry if one is malformed)."""
    document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    expected: dict[str, Expected] = {}
    for name, entry in document.get("apps", {}).items():
        if entry.get("phase") not in PHASES or not entry.get("error") or not entry.get("missing"):
            raise ValueError(
                f"{path.name}: [apps.{name}] needs phase (one of {', '.join(PHASES)}), "
                "error (text the failure prints) and missing (the AWS feature, or why)"
            )
        expected[name] = Expected(entry["phase"], entry["error"], entry["missing"])
    return expected


def judge(outcome: Outcome, expected: Expected | None) -> Verdict:
    if expected is None:
        if outcome.phase is None:
            return Verdict("pass", unexpected=False)
        return Verdict("FAIL", unexpected=True, detail=f"{outcome.phase}: {outcome.error}")
    if outcome.phase is None:
        return Verdict(
            "UNEXPECTED PASS",
            unexpected=True,
            detail="passes now: remove its entry from expectations.toml",
        )
    if outcome.phase == expected.phase and expected.error in outcome.output:
        return Verdict("expected-fail", unexpected=False, detail=expected.missing)
    return Verdict(
        "FAIL",
        unexpected=True,
        detail=(
            f"{outcome.phase}: {outcome.error} (expected in {expected.phase}: {expected.error!r})"
        ),
    )
