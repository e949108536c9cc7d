"""What the handlers return to API Gateway and what they send to clients.

Every payload a client receives is a JSON object with a `type`:

- `message`: a chat message in a room (the envelope, see `message_envelope`);
- `joined`: the answer to `joinroom`, carrying the room's recent history;
- `history`: the answer to `history`, the messages of a gap in the numbering;
- `error`: the sender's own message was refused, with a stable `error` code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .validation import VALID_ACTIONS

__all__ = [
    "EXAMPLES",
    "encode",
    "error_payload",
    "history_payload",
    "iam_policy",
    "joined_payload",
    "message_envelope",
    "status",
    "utc_timestamp",
]

# Shown in every error so a client author can fix a message without reading the docs.
EXAMPLES: dict[str, dict[str, str]] = {
    "sendmessage": {"action": "sendmessage", "data": "Hello, room!"},
    "joinroom": {"action": "joinroom", "roomId": "lobby"},
}


def status(code: int) -> dict[str, Any]:
    """A Lambda proxy result. On `$connect` the code becomes the HTTP status of the
    upgrade (2xx accepts, anything else rejects); on other routes API Gateway ignores it.
    """
    return {"statusCode": code}


def encode(payload: dict[str, Any]) -> bytes:
    """The bytes to post: compact JSON in UTF-8, non-ASCII text kept as is, so the size
    limit a client is told about is the size that is sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def utc_timestamp(epoch_seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds: `2024-01-20T11:55:00.453Z`."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_envelope(
    *, room: str, seq: int, sender: str, text: str, sent_at: str
) -> dict[str, Any]:
    """A chat message as every member of the room receives it."""
    return {
        "type": "message",
        "room": room,
        "seq": seq,
        "sender": sender,
        "text": text,
        "sentAt": sent_at,
    }


def joined_payload(
    *, room: str, you: str, history: Sequence[dict[str, Any]], last_seq: int
) -> dict[str, Any]:
    """The answer to `joinroom`: where the client now is, and what was said there."""
    return {
        "type": "joined",
        "room": room,
        "you": you,
        "lastSeq": last_seq,
        "history": list(history),
    }


def history_payload(
    *, room: str, messages: Sequence[dict[str, Any]], latest_seq: int
) -> dict[str, Any]:
    """The answer to `history`: messages after the asked `seq`, each exactly as it went
    out live, and the last `seq` the room has handed out."""
    return {"type": "history", "room": room, "messages": list(messages), "latestSeq": latest_seq}


def error_payload(code: str, message: str) -> dict[str, Any]:
    """An error for the sender alone, with the valid actions and an example of each."""
    return {
        "type": "error",
        "error": code,
        "message": message,
        "validActions": list(VALID_ACTIONS),
        "examples": EXAMPLES,
    }


def iam_policy(
    *, principal_id: str, effect: str, resource: str, context: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Lambda authorizer result in the IAM policy format API Gateway expects.

    `resource` must be the event's `methodArn` (`.../{stage}/$connect`): a REST-style
    pattern such as `.../{stage}/*/*` does not match a WebSocket route and gives 403.
    """
    result: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        result["context"] = context
    return result
