"""Settings from the environment: documented defaults, clear errors for bad values."""

from __future__ import annotations

import pytest
from chat.config import ConfigError, Settings, load_settings


def test_defaults() -> None:
    """The values lambda_src/README.md documents."""
    settings = load_settings({})
    assert settings == Settings()
    assert (settings.connections_table, settings.room_index, settings.history_table) == (
        "wslab-connections",
        "roomId-index",
        "wslab-history",
    )
    assert settings.default_room == "lobby"
    assert settings.connection_ttl_seconds == 8100
    assert (settings.history_limit, settings.history_ttl_seconds) == (20, 86400)
    assert settings.history_keep == 100
    assert settings.max_message_bytes == 4096
    assert (settings.fanout_max_workers, settings.post_max_attempts) == (16, 3)
    assert settings.allowed_origins == frozenset()
    assert (settings.token_secret, settings.token_secret_arn) == (None, None)
    assert settings.token_max_ttl_seconds == 900


def test_values_are_read() -> None:
    """Every variable reaches its setting; whitespace and trailing slashes are forgiven."""
    settings = load_settings(
        {
            "CONNECTIONS_TABLE": "c",
            "ROOM_INDEX": "i",
            "HISTORY_TABLE": "h",
            "DEFAULT_ROOM": "main",
            "CONNECTION_TTL_SECONDS": "7200",
            "HISTORY_LIMIT": "50",
            "HISTORY_KEEP": "500",
            "HISTORY_TTL_SECONDS": "600",
            "MAX_MESSAGE_BYTES": " 1000 ",
            "FANOUT_MAX_WORKERS": "32",
            "POST_MAX_ATTEMPTS": "5",
            "ALLOWED_ORIGINS": " https://a.example/ ,https://b.example,,",
            "TOKEN_SECRET": "x" * 32,
            "TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:t",
            "TOKEN_MAX_TTL_SECONDS": "300",
        }
    )
    assert settings == Settings(
        connections_table="c",
        room_index="i",
        history_table="h",
        default_room="main",
        connection_ttl_seconds=7200,
        history_limit=50,
        history_keep=500,
        history_ttl_seconds=600,
        max_message_bytes=1000,
        fanout_max_workers=32,
        post_max_attempts=5,
        allowed_origins=frozenset({"https://a.example", "https://b.example"}),
        token_secret="x" * 32,
        token_secret_arn="arn:aws:secretsmanager:eu-west-1:1:secret:t",
        token_max_ttl_seconds=300,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HISTORY_LIMIT", "many"),
        ("HISTORY_LIMIT", "0"),
        ("HISTORY_KEEP", "10"),
        ("CONNECTION_TTL_SECONDS", "3600"),
        ("MAX_MESSAGE_BYTES", "200000"),
        ("FANOUT_MAX_WORKERS", "0"),
        ("POST_MAX_ATTEMPTS", "1.5"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    """A TTL under API Gateway's 2-hour limit would hide live connections, and so on."""
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})
