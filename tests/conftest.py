"""Shared fixtures: one ``wslab local`` process for the whole session, boto3 clients on it
(and, for the suites that run under both Python runtime clients, a second one started on
first use with the other client)."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import clients_on
from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.python_client.choice import (
    AWSLAMBDARIC,
    CLIENT_VARIABLE,
    awslambdaric_installed,
    python_client,
)


def pytest_configure(config: pytest.Config) -> None:
    """A test run started in the background of a non-interactive shell (``make test &``)
    inherits SIGINT ignored, as POSIX has it, and would pass that on to every process it
    starts: the tests that press Ctrl-C in a child need SIGINT back, as in a terminal."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def session_stack() -> Iterator[LocalAWSProcess]:
    """``wslab local --port 0`` started the way the README says, stopped after the session."""
    with LocalAWSProcess(port=0) as stack:
        yield stack


@pytest.fixture(scope="session")
def local_stack(session_stack: LocalAWSProcess) -> LocalAWSProcess:
    """The session's stack (a suite may give its tests another: tests/local/conftest.py)."""
    return session_stack


@pytest.fixture(scope="session")
def endpoint_url(local_stack: LocalAWSProcess) -> str:
    return local_stack.endpoint_url


@pytest.fixture(scope="session")
def aws(endpoint_url: str) -> Callable[..., Any]:
    """``aws("dynamodb")``: a boto3 client on the session's local stack."""
    return clients_on(endpoint_url)


@pytest.fixture(scope="session")
def stack_with_python_client(
    session_stack: LocalAWSProcess,
) -> Iterator[Callable[[str], LocalAWSProcess]]:
    """``stack_with_python_client("wslab")``: a stack whose Python functions run on that
    runtime client: the session's own when it already does, else one started for it."""
    started: dict[str, LocalAWSProcess] = {}

    def stack_for(wanted: str) -> LocalAWSProcess:
        if wanted == AWSLAMBDARIC and not awslambdaric_installed():
            pytest.skip("awslambdaric is not installed here (it has wheels for Linux only)")
        if wanted == python_client():
            return session_stack
        if wanted not in started:
            with pytest.MonkeyPatch.context() as patch:  # the child inherits the variable
                patch.setenv(CLIENT_VARIABLE, wanted)
                started[wanted] = LocalAWSProcess(port=0)
                started[wanted].start()
        return started[wanted]

    yield stack_for
    for stack in started.values():
        stack.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests sharing one stack never collide on names."""
    return uuid.uuid4().hex[:8]
