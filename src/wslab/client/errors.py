"""Why a chat connection failed or ended, in one line a person can act on.

API Gateway says little: a refused upgrade is only an HTTP status, a closed connection
only a close code. Each line says what that status or code means for the chat of
``lambda_src/`` (which of its parts answers it) and what to do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import websocket

__all__ = ["ChatUnavailable", "closed", "refused"]


class ChatUnavailable(Exception):
    """The chat could not be reached, or it closed the connection: one line says why."""


# The handlers' rule (lambda_src/chat/validation.py), in the words of this one line.
_ROOM_RULE = "1 to 64 letters or digits of any script, _ and - (no spaces, nothing invisible)"

_CLOSE_CODES = {
    1000: "1000, normal closure: the connection was ended on purpose (an @connections DELETE)",
    1001: (
        "1001, going away: the server went down or ended the connection (API Gateway ends "
        "connections idle for 10 minutes, and any after 2 hours); connect again, with a "
        "fresh token once this one has expired"
    ),
    1003: "1003, unsupported data: the chat takes text frames only",
    1009: "1009, message too big: a frame over 32 KB or a message over 128 KB",
    1011: "1011, internal error",
}


def _status_line(status: int, with_token: bool) -> str:
    if status == 401:
        return (
            "refused with HTTP 401: this chat has an authorizer and the URL carries no "
            "token; pass --token"
        )
    if status == 403 and with_token:
        return (
            "refused with HTTP 403: the authorizer denied the token (expired, signed with "
            "another key, or longer-lived than it accepts), or the URL's stage is not "
            "deployed; get a fresh token"
        )
    if status == 403:
        return (
            "refused with HTTP 403: no API or stage is deployed at this URL (wslab local "
            "keeps them in memory: a restart forgets them), or the chat's Origin allowlist "
            "refused this client"
        )
    if status == 400:
        return f"refused with HTTP 400: a room name is {_ROOM_RULE}"
    if status == 404:
        return "refused with HTTP 404: no WebSocket API answers at this URL; check its API id"
    if status >= 500:
        return (
            f"refused with HTTP {status}: the chat's $connect handler failed; its log "
            "group (/aws/lambda/<stack>-connect) says why"
        )
    return f"refused with HTTP {status}"


def refused(error: BaseException, url: str, with_token: bool) -> ChatUnavailable:
    """What a failed connection attempt to ``url`` means."""
    where = urlsplit(url).netloc if "://" in url else url
    if isinstance(error, websocket.WebSocketBadStatusException):
        line = _status_line(int(error.status_code), with_token)
    elif isinstance(error, ConnectionRefusedError):
        line = (
            f"nothing listens at {where} (connection refused): is `wslab demo` or "
            "`wslab local` still running there?"
        )
    elif isinstance(error, websocket.WebSocketAddressException):
        line = f"no such host: {where}"
    elif isinstance(error, TimeoutError | websocket.WebSocketTimeoutException):
        line = f"{where} did not answer in time"
    elif isinstance(error, ValueError):
        line = f"not a WebSocket URL ({error}): it starts with ws:// or wss://"
    else:
        line = f"cannot connect: {error}"
    return ChatUnavailable(f"cannot connect to {url}: {line}")


def closed(code: int | None, reason: str = "") -> ChatUnavailable:
    """What the end of a connection the client did not close means."""
    if code is None:
        return ChatUnavailable("the connection was lost (no close frame): run the command again")
    meaning = _CLOSE_CODES.get(code, str(code))
    said = f' ("{reason}")' if reason else ""
    return ChatUnavailable(f"the chat closed the connection: {meaning}{said}")
