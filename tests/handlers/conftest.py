"""Fixtures for the handler tests: AWS in-process with moto, a fresh environment per test."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Lambda puts the root of the deployment zip on sys.path; lambda_src/ is that root.
LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

from chat import clients, tokens  # noqa: E402
from moto import mock_aws  # noqa: E402

from .support import (  # noqa: E402
    CONNECTIONS_TABLE,
    EVENT_ENDPOINT,
    HISTORY_TABLE,
    REGION,
    ROOM_INDEX,
    ManagementApi,
    create_tables,
)

_SETTINGS_VARIABLES = (
    "CONNECTIONS_TABLE",
    "ROOM_INDEX",
    "HISTORY_TABLE",
    "DEFAULT_ROOM",
    "CONNECTION_TTL_SECONDS",
    "HISTORY_LIMIT",
    "HISTORY_KEEP",
    "HISTORY_TTL_SECONDS",
    "MAX_MESSAGE_BYTES",
    "FANOUT_MAX_WORKERS",
    "POST_MAX_ATTEMPTS",
    "ALLOWED_ORIGINS",
    "TOKEN_SECRET",
    "TOKEN_SECRET_ARN",
    "TOKEN_MAX_TTL_SECONDS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting, endpoint or credential leaks in from the shell or a previous test."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name in _SETTINGS_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    # Each test is a fresh execution environment: no client, no secret carried over.
    monkeypatch.setattr(clients, "_cache", {})
    monkeypatch.setattr(tokens, "_cached_secret", None)


@dataclass
class Chat:
    """The deployed chat as a test sees it: its tables and its @connections API."""

    connections: Any
    history: Any
    api: ManagementApi
    endpoints: list[str] = field(default_factory=list)


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chat]:
    """Tables in moto, the handlers' settings pointing at them, posts answered by `api`."""
    monkeypatch.setenv("CONNECTIONS_TABLE", CONNECTIONS_TABLE)
    monkeypatch.setenv("HISTORY_TABLE", HISTORY_TABLE)
    monkeypatch.setenv("ROOM_INDEX", ROOM_INDEX)
    with mock_aws():
        connections, history = create_tables()
        state = Chat(connections, history, ManagementApi(EVENT_ENDPOINT))

        def management_api(endpoint: str, pool_size: int) -> Any:
            state.endpoints.append(endpoint)
            return state.api.client

        monkeypatch.setattr(clients, "management_api", management_api)
        yield state
