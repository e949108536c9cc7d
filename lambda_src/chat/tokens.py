"""Short-lived signed tokens for the `$connect` authorizer.

A token is a compact JWT signed with HMAC-SHA256 (`HS256`): any JWT library can mint
one (PyJWT: `jwt.encode({"sub": "alice", "iat": now, "exp": now + 300}, secret,
algorithm="HS256")`), and `mint_token` below does it with the standard library. Claims:

- `sub`: the user name, 1-64 printable characters, handed to the handlers as `user`;
- `iat`, `exp`: issued-at and expiry, epoch seconds. A token may live at most
  `TOKEN_MAX_TTL_SECONDS` (15 minutes by default): it travels in the URL's query string
  (browsers cannot set headers on a WebSocket upgrade), where proxies and browser history
  may keep it, so it must be useless soon after.

Tokens, and parts of them, are never logged and never put in an exception message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from . import clients
from .config import Settings

__all__ = [
    "CLOCK_LEEWAY_SECONDS",
    "MIN_SECRET_BYTES",
    "TokenError",
    "mint_token",
    "resolve_secret",
    "verify_token",
]

# HMAC-SHA256 keys shorter than the hash output weaken it; 32 bytes is the floor.
MIN_SECRET_BYTES = 32
# Tolerated difference between the clock that minted a token and Lambda's clock.
CLOCK_LEEWAY_SECONDS = 30
# Far above any real token; stops a huge query string from costing decode time.
_MAX_TOKEN_CHARS = 4096
_HEADER = {"alg": "HS256", "typ": "JWT"}
_SECRET_CACHE_SECONDS = 300


class TokenError(Exception):
    """The token is not acceptable; `reason` is a short code safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes long")
    return key


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, signing_input: str) -> bytes:
    return hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()


def _valid_user(user: Any) -> bool:
    return isinstance(user, str) and 1 <= len(user) <= 64 and user.isprintable()


def _epoch(value: Any) -> int | None:
    # bool is an int in Python, and `true` is no time.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def mint_token(
    secret: str | bytes, user: str, ttl_seconds: int = 300, *, now: float | None = None
) -> str:
    """A token for `user`, valid for `ttl_seconds` from `now` (the current time)."""
    if not _valid_user(user):
        raise ValueError("user must be 1 to 64 printable characters")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = int(time.time() if now is None else now)
    header = _b64encode(json.dumps(_HEADER, separators=(",", ":")).encode())
    claims = {"sub": user, "iat": issued, "exp": issued + ttl_seconds}
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64encode(_sign(_key(secret), f"{header}.{payload}"))
    return f"{header}.{payload}.{signature}"


def verify_token(
    secret: str | bytes,
    token: str,
    *,
    max_ttl_seconds: int,
    now: float | None = None,
) -> str:
    """The user a valid token was minted for; `TokenError` with a reason otherwise."""
    key = _key(secret)
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise TokenError("malformed")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(_b64decode(header_b64))
        signature = _b64decode(signature_b64)
        expected = _sign(key, f"{header_b64}.{payload_b64}")
    except (ValueError, binascii.Error, UnicodeError):
        raise TokenError("malformed") from None
    # The algorithm is fixed, not taken from the token: a token cannot talk the verifier
    # into "none" or any other algorithm.
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("unsupported_algorithm")
    if not hmac.compare_digest(signature, expected):
        raise TokenError("bad_signature")
    try:
        claims = json.loads(_b64decode(payload_b64))
    except (ValueError, binascii.Error, UnicodeError):
        raise TokenError("malformed") from None
    if not isinstance(claims, dict):
        raise TokenError("malformed")
    issued, expires = _epoch(claims.get("iat")), _epoch(claims.get("exp"))
    if issued is None or expires is None:
        raise TokenError("missing_times")
    user = claims.get("sub")
    if not isinstance(user, str) or not _valid_user(user):
        raise TokenError("invalid_subject")
    current = time.time() if now is None else now
    if expires - issued > max_ttl_seconds:
        raise TokenError("lifetime_too_long")
    if issued > current + CLOCK_LEEWAY_SECONDS:
        raise TokenError("not_yet_valid")
    if current >= expires + CLOCK_LEEWAY_SECONDS:
        raise TokenError("expired")
    return user


_cached_secret: tuple[str, float, str] | None = None


def resolve_secret(settings: Settings) -> str | None:
    """The signing secret: from Secrets Manager when `TOKEN_SECRET_ARN` is set, else
    `TOKEN_SECRET`; None when neither is configured.

    A secret read from Secrets Manager is kept for five minutes, so a warm function
    makes one call per five minutes instead of one per connection, and a rotated
    secret is in use within five minutes.
    """
    global _cached_secret
    if settings.token_secret_arn:
        current = time.monotonic()
        cached = _cached_secret
        if (
            cached is not None
            and cached[0] == settings.token_secret_arn
            and current - cached[1] < _SECRET_CACHE_SECONDS
        ):
            return cached[2]
        response = clients.secrets_manager().get_secret_value(SecretId=settings.token_secret_arn)
        value = str(response["SecretString"])
        _cached_secret = (settings.token_secret_arn, current, value)
        return value
    return settings.token_secret
