"""Suites marked ``both_python_clients`` run every test twice: on a stack whose Python
functions run on awslambdaric, and on one whose functions run on wslab's own client
(``stack_with_python_client``). Other suites get the session's stack, as everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import clients_on
from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.python_client.choice import CLIENTS

MARKER = "both_python_clients"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: run the suite under each Python runtime client (awslambdaric, wslab)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker(MARKER) is not None:
        metafunc.parametrize("python_client", CLIENTS, indirect=True, scope="module")


@pytest.fixture(scope="module")
def python_client(request: pytest.FixtureRequest) -> str | None:
    """The runtime client of this run of a ``both_python_clients`` suite; else None."""
    return getattr(request, "param", None)


@pytest.fixture(scope="module")
def local_stack(
    session_stack: LocalAWSProcess,
    stack_with_python_client: Callable[[str], LocalAWSProcess],
    python_client: str | None,
) -> LocalAWSProcess:
    if python_client is None:
        return session_stack
    return stack_with_python_client(python_client)


@pytest.fixture(scope="module")
def endpoint_url(local_stack: LocalAWSProcess) -> str:
    return local_stack.endpoint_url


@pytest.fixture(scope="module")
def aws(endpoint_url: str) -> Callable[..., Any]:
    return clients_on(endpoint_url)
