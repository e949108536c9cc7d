"""Fixtures of the conformance suite: one scriptable function and its event log per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
