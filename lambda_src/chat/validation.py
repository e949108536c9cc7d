"""Checks on everything a client sends, each failure a `BadRequest` with a clear message.

The messages are written for the person at the other end of the socket: they say what
was wrong and what a correct message looks like. `BadRequest.code` is stable for
programs; `BadRequest.message` is for people and may be reworded.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

__all__ = [
    "HISTORY_ACTION",
    "HISTORY_DEFAULT_LIMIT",
    "HISTORY_MAX_LIMIT",
    "ROOM_MAX_CHARACTERS",
    "ROOM_RULE",
    "ROUTED_ACTIONS",
    "VALID_ACTIONS",
    "BadRequest",
    "HistoryRequest",
    "parse_body",
    "validate_history_request",
    "validate_room",
    "validate_text",
]

VALID_ACTIONS = ("sendmessage", "joinroom")
"""What people send; every error lists them, each with an example."""

HISTORY_ACTION = "history"
"""What clients send by themselves, to fetch the messages of a gap in the numbering."""

ROUTED_ACTIONS = (*VALID_ACTIONS, HISTORY_ACTION)
"""Every action the chat has a route for: the non-`$` route keys of
`cloudformation/template.yaml` (`tests/test_route_table.py` checks they agree)."""

HISTORY_DEFAULT_LIMIT = 50
HISTORY_MAX_LIMIT = 100

# Rooms become DynamoDB key values (64 characters of at most 4 UTF-8 bytes: 256 bytes, far
# under the 2,048 bytes of a partition key) and are shown to people, so a name is made of
# what people read as a word in any script, and nothing invisible: letters (L*), digits and
# other numbers (N*), '_' and '-', and the combining marks (M*) that many scripts write
# words with (Hindi's vowel signs, Thai's tone marks) after the first character. Controls,
# format characters (zero-width space, right-to-left override), spaces, private-use and
# unassigned code points are refused. The name is NFC-normalised first, so "n" + U+0303
# and "ñ" are one room. lambda_src/chat-nodejs/validation.mjs applies the same rule.
ROOM_MAX_CHARACTERS = 64
_ROOM_SYMBOLS = frozenset("_-")
ROOM_RULE = (
    "A room name is 1 to 64 letters or digits of any script, '_' and '-' "
    "(no spaces, no invisible characters)."
)


class BadRequest(Exception):
    """The client sent something the handlers will not act on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_a_number(name: str) -> Any:
    # Python reads NaN, Infinity and -Infinity; JSON (RFC 8259) has no such values, and
    # API Gateway routes such a body as it routes any text that is not JSON (UNCONFIRMED:
    # no AWS source says how its parser treats them; a strict parser refuses them).
    raise ValueError(f"{name} is not JSON")


def _integer(text: str) -> int | Decimal:
    # JSON numbers have no size limit; Python's int() refuses over 4,300 digits.
    return int(text) if len(text) < 4000 else Decimal(text)


def parse_body(body: str | None) -> dict[str, Any]:
    """The message as a JSON object, or `BadRequest` saying why it is not one."""
    if body is None or not body.strip():
        raise BadRequest("empty_body", "The message is empty; send a JSON object.")
    try:
        parsed = json.loads(body, parse_constant=_not_a_number, parse_int=_integer)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser goes. Any text the parser
        # refuses is the client's mistake, answered like any other.
        raise BadRequest("invalid_json", "The message is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise BadRequest(
            "invalid_message",
            f"The message must be a JSON object, not a JSON {_json_type(parsed)}.",
        )
    return parsed


def _room_character(character: str, *, first: bool) -> bool:
    if character in _ROOM_SYMBOLS:
        return True
    category = unicodedata.category(character)[0]
    return category in ("L", "N") or (category == "M" and not first)


def validate_room(room: Any) -> str:
    """`room` NFC-normalised if it is an allowed room name, else `BadRequest`."""
    if isinstance(room, str):
        name = unicodedata.normalize("NFC", room)
        if (
            1 <= len(name) <= ROOM_MAX_CHARACTERS
            and _room_character(name[0], first=True)
            and all(_room_character(character, first=False) for character in name[1:])
        ):
            return name
    raise BadRequest("invalid_room", ROOM_RULE)


def validate_text(message: dict[str, Any], max_bytes: int) -> str:
    """The chat text from a message's `data` field, checked for type and size."""
    if "data" not in message:
        raise BadRequest("missing_data", 'The message has no "data" field with the text to send.')
    data = message["data"]
    if not isinstance(data, str):
        raise BadRequest("invalid_data", f'"data" must be a string, not a JSON {_json_type(data)}.')
    if not data.strip():
        raise BadRequest("invalid_data", '"data" must contain some text.')
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError:
        # JSON lets a client send a lone surrogate ("\ud800"), which no UTF-8 frame
        # can carry to the other clients.
        raise BadRequest("invalid_data", '"data" is not valid Unicode text.') from None
    if size > max_bytes:
        raise BadRequest(
            "message_too_large",
            f'"data" is {size} bytes of UTF-8; the limit is {max_bytes} bytes.',
        )
    return data


@dataclass(frozen=True)
class HistoryRequest:
    """`{"action": "history", "roomId": ..., "sinceSeq": ..., "limit": ...}`, checked."""

    room: str | None  # None: the sender's own room
    since_seq: int  # exclusive
    limit: int


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_history_request(message: dict[str, Any]) -> HistoryRequest:
    """The `history` request in `message`, or `BadRequest` naming the bad field."""
    room = validate_room(message["roomId"]) if "roomId" in message else None
    since = message.get("sinceSeq")
    if not _count(since) or since < 0:
        raise BadRequest(
            "invalid_since_seq",
            '"sinceSeq" must be a whole number, 0 or more: the last seq you have.',
        )
    limit = message.get("limit", HISTORY_DEFAULT_LIMIT)
    if not _count(limit) or not 1 <= limit <= HISTORY_MAX_LIMIT:
        raise BadRequest(
            "invalid_limit", f'"limit" must be a whole number from 1 to {HISTORY_MAX_LIMIT}.'
        )
    return HistoryRequest(room, since, limit)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"
