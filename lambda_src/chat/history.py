"""The history table: the last messages of each room, and each room's sequence counter.

Schema (created by the template, documented in this folder's README):

- partition key `roomId` (S), sort key `seq` (N);
- the item with `seq` 0 is the room's counter, attribute `lastSeq` (N), with no TTL so a
  room's numbering never starts again at 1;
- items with `seq` 1, 2, ... are messages: `sender`, `text`, `sentAt` and `expiresAt`
  (N, epoch seconds, the table's TTL attribute).

Sequence numbers let a client spot a gap (it missed a message) or a duplicate (it got
one both live and in history): each room counts 1, 2, 3, ... with no reuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from .logs import log_json
from .responses import encode, message_envelope

__all__ = [
    "COUNTER_SEQ",
    "HistoryConflict",
    "append_message",
    "fit_to_size",
    "last_sequence",
    "messages_since",
    "next_sequence",
    "recent_messages",
]

COUNTER_SEQ = 0


class HistoryConflict(RuntimeError):
    """A message already holds the sequence number the counter just handed out.

    Only possible if a room's counter item was deleted by hand; failing loudly is better
    than silently overwriting history that clients have already numbered.
    """


def next_sequence(table: Any, room: str) -> int:
    """The room's next sequence number from an atomic counter.

    One UpdateItem both increments and returns the value, so concurrent senders in
    the same room (several Lambda instances) never get the same number.
    """
    response = table.update_item(
        Key={"roomId": room, "seq": COUNTER_SEQ},
        UpdateExpression="SET lastSeq = if_not_exists(lastSeq, :zero) + :one",
        ExpressionAttributeValues={":zero": 0, ":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["lastSeq"])


def last_sequence(table: Any, room: str) -> int:
    """The last sequence number handed out in `room` (0 before its first message)."""
    response = table.get_item(Key={"roomId": room, "seq": COUNTER_SEQ}, ConsistentRead=True)
    return int(response.get("Item", {}).get("lastSeq", 0))


def append_message(
    table: Any,
    *,
    room: str,
    sender: str,
    text: str,
    sent_at: str,
    now: float,
    keep: int,
    ttl_seconds: int,
) -> dict[str, Any]:
    """Number a message, store it, trim the room to `keep` messages; its envelope."""
    seq = next_sequence(table, room)
    envelope = message_envelope(room=room, seq=seq, sender=sender, text=text, sent_at=sent_at)
    try:
        table.put_item(
            Item={
                "roomId": room,
                "seq": seq,
                "sender": sender,
                "text": text,
                "sentAt": sent_at,
                "expiresAt": int(now) + ttl_seconds,
            },
            ConditionExpression=Attr("seq").not_exists(),
        )
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise HistoryConflict(f"room {room!r} already has a message {seq}") from err
        raise
    if seq > keep:
        # Each message removes the one `keep` places behind it, so a room never holds
        # more than `keep` messages. If this delete fails, the extra item is still
        # never read (queries stop at `keep`) and its TTL removes it later.
        try:
            table.delete_item(Key={"roomId": room, "seq": seq - keep})
        except ClientError as err:
            log_json(
                "WARNING",
                "history_trim_failed",
                room=room,
                seq=seq - keep,
                error=err.response["Error"]["Code"],
            )
    return envelope


def _envelopes(items: Iterable[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """The unexpired message items as envelopes, in the order given."""
    return [
        message_envelope(
            room=str(item["roomId"]),
            seq=int(item["seq"]),
            sender=str(item.get("sender", "")),
            text=str(item.get("text", "")),
            sent_at=str(item.get("sentAt", "")),
        )
        for item in items
        if int(item.get("expiresAt", now + 1)) > now
    ]


def recent_messages(table: Any, room: str, limit: int, now: float) -> list[dict[str, Any]]:
    """Up to `limit` latest unexpired messages of `room` as envelopes, oldest first."""
    response = table.query(
        KeyConditionExpression=Key("roomId").eq(room) & Key("seq").gt(COUNTER_SEQ),
        ScanIndexForward=False,
        Limit=limit,
        ConsistentRead=True,
    )
    messages = _envelopes(response.get("Items", []), now)
    messages.reverse()
    return messages


def messages_since(
    table: Any, room: str, since_seq: int, limit: int, now: float
) -> list[dict[str, Any]]:
    """Up to `limit` unexpired messages of `room` numbered after `since_seq`, oldest first.

    A number missing between two returned messages is gone for good: trimmed, expired, or
    never stored (its sender failed after taking the number).
    """
    response = table.query(
        KeyConditionExpression=Key("roomId").eq(room) & Key("seq").gt(max(since_seq, COUNTER_SEQ)),
        ScanIndexForward=True,
        Limit=limit,
        ConsistentRead=True,
    )
    return _envelopes(response.get("Items", []), now)


def fit_to_size(
    messages: Sequence[dict[str, Any]], budget_bytes: int, *, keep_newest: bool = True
) -> list[dict[str, Any]]:
    """The newest (or the oldest) messages whose JSON fits in `budget_bytes`, oldest first.

    History goes to the client in one PostToConnection, which refuses more than 128 KB.
    """
    kept: list[dict[str, Any]] = []
    used = 0
    for message in reversed(messages) if keep_newest else messages:
        size = len(encode(message)) + 1  # the comma between array items
        if used + size > budget_bytes:
            break
        kept.append(message)
        used += size
    if keep_newest:
        kept.reverse()
    return kept
