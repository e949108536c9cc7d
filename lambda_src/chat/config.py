"""Settings read from the function's environment variables.

Every setting has a default so the handlers run with no configuration at all; the
README in this folder lists them. Values are checked when read, so a bad deployment
fails on its first invocation with a message naming the variable, instead of
misbehaving quietly later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["API_GATEWAY_CONNECTION_LIMIT_SECONDS", "ConfigError", "Settings", "load_settings"]

# API Gateway closes every WebSocket connection after two hours, whatever happens.
API_GATEWAY_CONNECTION_LIMIT_SECONDS = 2 * 60 * 60

# PostToConnection refuses payloads over 128 KB; a text this size still fits in one
# envelope with room to spare.
_MAX_MESSAGE_BYTES_CEILING = 64 * 1024


class ConfigError(ValueError):
    """An environment variable holds a value the handlers cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything the handlers can be told through environment variables."""

    connections_table: str = "wslab-connections"
    room_index: str = "roomId-index"
    history_table: str = "wslab-history"
    default_room: str = "lobby"
    connection_ttl_seconds: int = API_GATEWAY_CONNECTION_LIMIT_SECONDS + 15 * 60
    history_limit: int = 20
    history_keep: int = 100
    history_ttl_seconds: int = 24 * 60 * 60
    max_message_bytes: int = 4096
    fanout_max_workers: int = 16
    post_max_attempts: int = 3
    allowed_origins: frozenset[str] = frozenset()
    token_secret: str | None = None
    token_secret_arn: str | None = None
    token_max_ttl_seconds: int = 15 * 60


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, "").strip() or default


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `env` (the process environment by default).

    Read on every invocation rather than cached: it costs microseconds, and a changed
    configuration in tests or in a warm worker is never served stale.
    """
    env = os.environ if env is None else env
    origins = frozenset(
        origin.strip().rstrip("/")
        for origin in env.get("ALLOWED_ORIGINS", "").split(",")
        if origin.strip()
    )
    history_limit = _int(env, "HISTORY_LIMIT", Settings.history_limit, 1, 100)
    # Kept for `history` requests: a client that missed a message fetches it from here.
    history_keep = _int(env, "HISTORY_KEEP", Settings.history_keep, 1, 10_000)
    if history_keep < history_limit:
        raise ConfigError(
            f"HISTORY_KEEP ({history_keep}) must be at least HISTORY_LIMIT ({history_limit})"
        )
    return Settings(
        connections_table=_text(env, "CONNECTIONS_TABLE", Settings.connections_table),
        room_index=_text(env, "ROOM_INDEX", Settings.room_index),
        history_table=_text(env, "HISTORY_TABLE", Settings.history_table),
        default_room=_text(env, "DEFAULT_ROOM", Settings.default_room),
        # A TTL shorter than API Gateway's own limit would hide live connections from
        # fan-out, so the minimum is the limit itself.
        connection_ttl_seconds=_int(
            env,
            "CONNECTION_TTL_SECONDS",
            Settings.connection_ttl_seconds,
            API_GATEWAY_CONNECTION_LIMIT_SECONDS,
            7 * 24 * 60 * 60,
        ),
        history_limit=history_limit,
        history_keep=history_keep,
        history_ttl_seconds=_int(
            env, "HISTORY_TTL_SECONDS", Settings.history_ttl_seconds, 60, 365 * 24 * 60 * 60
        ),
        max_message_bytes=_int(
            env, "MAX_MESSAGE_BYTES", Settings.max_message_bytes, 1, _MAX_MESSAGE_BYTES_CEILING
        ),
        fanout_max_workers=_int(env, "FANOUT_MAX_WORKERS", Settings.fanout_max_workers, 1, 128),
        post_max_attempts=_int(env, "POST_MAX_ATTEMPTS", Settings.post_max_attempts, 1, 10),
        allowed_origins=origins,
        token_secret=_optional(env, "TOKEN_SECRET"),
        token_secret_arn=_optional(env, "TOKEN_SECRET_ARN"),
        token_max_ttl_seconds=_int(
            env, "TOKEN_MAX_TTL_SECONDS", Settings.token_max_ttl_seconds, 1, 60 * 60
        ),
    )
