"""Fixtures of the conformance suite: one scriptable function and its event log per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conformance.short_stacks import ShortStacks
from tests.conformance.support import (
    EventLog,
    create_behave_function,
    create_events_table,
    new_tag,
)

AWS = Callable[..., Any]


@pytest.fixture(scope="session")
def events_table(aws: AWS) -> str:
    name = f"conformance-events-{new_tag()}"
    create_events_table(aws, name)
    return name


@pytest.fixture(scope="session")
def behave(aws: AWS, events_table: str) -> str:
    """The name of the scriptable test function (see ``support.BEHAVE``)."""
    return create_behave_function(aws, f"conformance-behave-{new_tag()}", events_table)


@pytest.fixture(scope="session")
def event_log(aws: AWS, events_table: str) -> EventLog:
    return EventLog(aws, events_table)


_short_stacks: ShortStacks | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the expiry tests' stacks now, so they start while other tests run."""
    global _short_stacks
    if any(item.path.name == "test_expiry.py" for item in session.items):
        _short_stacks = ShortStacks()


@pytest.fixture(scope="session")
def short_stacks() -> Iterator[ShortStacks]:
    """The stacks with a short idle timeout and maximum duration, stopped after the session."""
    global _short_stacks
    stacks = _short_stacks or ShortStacks()
    _short_stacks = None
    try:
        yield stacks
    finally:
        stacks.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Started after collection but never used (the run stopped early): stop them anyway.
    if _short_stacks is not None:
        _short_stacks.stop()
