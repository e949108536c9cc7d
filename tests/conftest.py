"""Shared fixtures: one ``wslab local`` process for the whole session, boto3 clients on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import REGION
from wslab.aws import client
from wslab.local.process import LocalAWSProcess


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalAWSProcess]:
    """``wslab local --port 0`` started the way the README says, stopped after the session."""
    with LocalAWSProcess(port=0) as stack:
        yield stack


@pytest.fixture(scope="session")
def endpoint_url(local_stack: LocalAWSProcess) -> str:
    return local_stack.endpoint_url


@pytest.fixture(scope="session")
def aws(endpoint_url: str) -> Callable[..., Any]:
    """``aws("dynamodb")``: a boto3 client on the session's local stack."""

    def make(service: str, region: str = REGION, **config: Any) -> Any:
        return client(service, endpoint_url, region, **config)

    return make


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests sharing one stack never collide on names."""
    return uuid.uuid4().hex[:8]
