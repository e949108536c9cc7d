"""Lambda entry points, one per route. The whole `lambda_src/` folder is one zip; each
function points its `Handler` at one of these (as `cloudformation/template.yaml` does;
`tests/test_route_table.py` keeps this table equal to it):

| route         | Handler string                |
|---------------|-------------------------------|
| `$connect`    | `chat.handlers.connect`       |
| `$disconnect` | `chat.handlers.disconnect`    |
| `sendmessage` | `chat.handlers.send_message`  |
| `joinroom`    | `chat.handlers.join_room`     |
| `$default`    | `chat.handlers.default`       |
| `history`     | `chat.handlers.history`       |
| authorizer    | `chat.handlers.authorize`     |

Each handler reads its event, calls the small functions of the other modules with the
tables and clients they need, and writes one JSON log line. Bad input is answered with
an error to the sender; an unexpected failure is logged and re-raised, so that Lambda
counts it as an error and API Gateway tells the client "Internal server error".
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import clients
from .config import Settings, load_settings
from .events import AuthorizerEvent, WebSocketEvent
from .fanout import Delivery, broadcast_to_room, post_with_retry
from .history import (
    append_message,
    fit_to_size,
    last_sequence,
    messages_since,
    recent_messages,
)
from .logs import elapsed_ms, log_json
from .responses import (
    encode,
    error_payload,
    history_payload,
    iam_policy,
    joined_payload,
    status,
    utc_timestamp,
)
from .store import (
    Connection,
    find_connection,
    move_connection,
    register_connection,
    remove_connection,
)
from .tokens import TokenError, resolve_secret, verify_token
from .validation import (
    ROUTED_ACTIONS,
    BadRequest,
    parse_body,
    validate_history_request,
    validate_room,
    validate_text,
)

__all__ = [
    "authorize",
    "connect",
    "default",
    "disconnect",
    "history",
    "join_room",
    "send_message",
]

# History goes out in one PostToConnection, which refuses more than 128 KB; the rest of
# the `joined` or `history` object needs far less than the 8 KB kept free here.
HISTORY_BUDGET_BYTES = 120 * 1024

# DynamoDB's answers when a table or the account is over its throughput, once the SDK's
# own retries are spent.
DYNAMODB_THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)

Event = dict[str, Any]
Result = dict[str, Any]
RouteBody = Callable[[WebSocketEvent, Settings, dict[str, Any]], Result]


def _route(name: str) -> Callable[[RouteBody], Callable[[Event, Any], Result]]:
    """Turn a route body into a Lambda handler that logs one line per event.

    The body fills in `record` (room, outcome, error, counts) as it learns them; the line
    is written whatever happens, with the latency, before any exception goes on to Lambda.
    """

    def wrap(body: RouteBody) -> Callable[[Event, Any], Result]:
        @functools.wraps(body)
        def handler(event: Event, context: Any) -> Result:
            started = time.perf_counter()
            ws = WebSocketEvent(event)
            record: dict[str, Any] = {
                "route": ws.route_key or name,
                "connection": ws.connection_id,
                "room": None,
                "outcome": "ok",
                "request_id": ws.request_id,
                "aws_request_id": getattr(context, "aws_request_id", None),
            }
            settings = load_settings()
            try:
                return body(ws, settings, record)
            except ClientError as exc:
                if _error_code(exc) not in DYNAMODB_THROTTLING:
                    record["outcome"] = "exception"
                    record["error"] = _error_code(exc)
                    raise
                return _throttled(ws, settings, record)
            except Exception as exc:
                record["outcome"] = "exception"
                record["error"] = type(exc).__name__
                raise
            finally:
                record["latency_ms"] = elapsed_ms(started)
                level = "ERROR" if record["outcome"] == "exception" else "INFO"
                log_json(level, "route", **record)

        return handler

    return wrap


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "")) or type(err).__name__


def _throttled(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """DynamoDB stayed over its throughput: nothing was done, and the client may retry.

    `$connect` answers 429, which refuses the upgrade (the client connects again later);
    `$disconnect` has nobody to tell (the item expires, or the next broadcast's 410
    removes it); any other route tells the sender, who may send the same message again.
    """
    record.update(outcome="throttled", error="throttled")
    if ws.event_type == "CONNECT":
        return status(429)
    if ws.event_type == "MESSAGE":
        _send_to_caller(
            ws,
            settings,
            error_payload(
                "throttled", "The chat is too busy right now; send the same again in a moment."
            ),
        )
    return status(429)


def _connections_table(settings: Settings) -> Any:
    return clients.table(settings.connections_table)


def _history_table(settings: Settings) -> Any:
    return clients.table(settings.history_table)


def _management_api(ws: WebSocketEvent, settings: Settings) -> Any:
    return clients.management_api(ws.management_endpoint, settings.fanout_max_workers)


def _sender_name(user_name: str | None, connection_id: str) -> str:
    """The name other members see: the authorized user, else a stable guest name.

    Guests get a hash rather than their connection id, which other clients have no use
    for and should not be handed.
    """
    if user_name:
        return user_name
    return "guest-" + hashlib.sha256(connection_id.encode()).hexdigest()[:8]


def _send_to_caller(ws: WebSocketEvent, settings: Settings, payload: dict[str, Any]) -> Delivery:
    """Post to the connection that sent the event; drop its item if it is gone."""
    result = post_with_retry(
        _management_api(ws, settings),
        ws.connection_id,
        encode(payload),
        max_attempts=settings.post_max_attempts,
    )
    if result.delivery is Delivery.GONE:
        # Here the caller is the target of the post, so the caller's item is the stale one.
        remove_connection(_connections_table(settings), ws.connection_id)
    elif result.delivery is Delivery.FAILED:
        log_json("WARNING", "reply_failed", connection=ws.connection_id, error=result.error)
    return result.delivery


def _registered(ws: WebSocketEvent, settings: Settings) -> tuple[Connection, float]:
    """The sender's live item, and the time it was read at; `not_connected` if none."""
    connection = find_connection(_connections_table(settings), ws.connection_id)
    now = time.time()
    if connection is None or connection.is_expired(now):
        raise _not_connected()
    return connection, now


def _reject(
    ws: WebSocketEvent, settings: Settings, record: dict[str, Any], err: BadRequest
) -> Result:
    record.update(outcome="rejected", error=err.code)
    _send_to_caller(ws, settings, error_payload(err.code, err.message))
    return status(400)


def _not_connected() -> BadRequest:
    return BadRequest(
        "not_connected",
        "This connection is not registered (it may have expired); reconnect and try again.",
    )


@_route("$connect")
def connect(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Check the Origin and the room, then store the connection.

    Nothing can be posted to the client yet: the connection exists only once this
    returns (a post from here gets 410). Clients send `{"action": "joinroom"}` after
    the socket opens to receive the room's history.
    """
    origin = ws.header("Origin")
    # Browsers always send Origin, so this stops other websites' pages from opening
    # sockets with a user's credentials. A non-browser client can send any Origin it
    # likes, so a missing one is allowed: keeping such clients out is the authorizer's job.
    if (
        settings.allowed_origins
        and origin is not None
        and origin.rstrip("/") not in settings.allowed_origins
    ):
        record.update(outcome="rejected", error="origin_not_allowed", origin=origin)
        return status(403)
    requested = ws.query("roomId")
    try:
        room = validate_room(settings.default_room if requested is None else requested)
    except BadRequest as err:
        record.update(outcome="rejected", error=err.code)
        return status(400)
    record["room"] = room
    now = time.time()
    register_connection(
        _connections_table(settings),
        connection_id=ws.connection_id,
        room=room,
        user_name=ws.authorizer_user,
        connected_at_ms=ws.connected_at_ms or int(now * 1000),
        expires_at=int(now) + settings.connection_ttl_seconds,
    )
    return status(200)


@_route("$disconnect")
def disconnect(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Delete the connection's item; a second `$disconnect` for it is harmless."""
    room = remove_connection(_connections_table(settings), ws.connection_id)
    record["room"] = room
    if room is None:
        record["outcome"] = "already_gone"
    return status(200)


@_route("sendmessage")
def send_message(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Number the message, keep it in the room's history, and post it to the room."""
    try:
        text = validate_text(parse_body(ws.body), settings.max_message_bytes)
        sender, now = _registered(ws, settings)
    except BadRequest as err:
        return _reject(ws, settings, record, err)
    record["room"] = sender.room
    envelope = append_message(
        _history_table(settings),
        room=sender.room,
        sender=_sender_name(sender.user_name or ws.authorizer_user, ws.connection_id),
        text=text,
        sent_at=utc_timestamp(now),
        now=now,
        keep=settings.history_keep,
        ttl_seconds=settings.history_ttl_seconds,
    )
    try:
        result = broadcast_to_room(
            table=_connections_table(settings),
            index_name=settings.room_index,
            room=sender.room,
            data=encode(envelope),
            client=_management_api(ws, settings),
            max_workers=settings.fanout_max_workers,
            max_attempts=settings.post_max_attempts,
            now=now,
        )
    except ClientError as err:
        if _error_code(err) not in DYNAMODB_THROTTLING:
            raise
        # Numbered and stored, but the room could not be read: sending it again would
        # make a second message. The sender gets its copy; the others see the gap at the
        # next message and fetch this one with `history`.
        record.update(seq=envelope["seq"], outcome="not_broadcast", error="throttled")
        _send_to_caller(ws, settings, envelope)
        return status(200)
    record.update(
        seq=envelope["seq"], delivered=result.delivered, gone=result.gone, failed=result.failed
    )
    return status(200)


@_route("joinroom")
def join_room(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Move to `roomId` (or stay, when it is left out) and receive the room's history."""
    try:
        message = parse_body(ws.body)
        current, now = _registered(ws, settings)
        room = validate_room(message["roomId"]) if "roomId" in message else current.room
        moved = room == current.room or move_connection(
            _connections_table(settings), ws.connection_id, room
        )
        if not moved:
            raise _not_connected()
    except BadRequest as err:
        return _reject(ws, settings, record, err)
    record.update(room=room, previous_room=current.room)
    history_table = _history_table(settings)
    # The move comes first, so a message sent meanwhile arrives live and may also be in
    # the history below: clients drop a `seq` they already have.
    messages = fit_to_size(
        recent_messages(history_table, room, settings.history_limit, now), HISTORY_BUDGET_BYTES
    )
    payload = joined_payload(
        room=room,
        you=_sender_name(current.user_name or ws.authorizer_user, ws.connection_id),
        history=messages,
        last_seq=last_sequence(history_table, room),
    )
    record["history"] = len(messages)
    _send_to_caller(ws, settings, payload)
    return status(200)


@_route("history")
def history(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Send the sender a room's messages numbered after `sinceSeq`: the ones it missed.

    Clients number what they receive; a `seq` that skips one means a message did not
    arrive (API Gateway delivers at most once), and this fetches it from history. The
    messages are exactly as they went out live, oldest first, at most `limit` of them
    and at most what fits in one post; `latestSeq` is the room's last number.
    """
    try:
        request = validate_history_request(parse_body(ws.body))
        sender, now = _registered(ws, settings)
    except BadRequest as err:
        return _reject(ws, settings, record, err)
    room = request.room or sender.room
    history_table = _history_table(settings)
    found = messages_since(history_table, room, request.since_seq, request.limit, now)
    messages = fit_to_size(found, HISTORY_BUDGET_BYTES, keep_newest=False)
    # Read after the messages, so it is at least the seq of every one of them.
    latest = last_sequence(history_table, room)
    record.update(room=room, since_seq=request.since_seq, returned=len(messages), latest_seq=latest)
    _send_to_caller(ws, settings, history_payload(room=room, messages=messages, latest_seq=latest))
    return status(200)


@_route("$default")
def default(ws: WebSocketEvent, settings: Settings, record: dict[str, Any]) -> Result:
    """Explain to the sender why its message matched no route, and what would."""
    try:
        message = parse_body(ws.body)
        action = message.get("action")
        if action is None:
            raise BadRequest("missing_action", 'The message has no "action" field.')
        shown = json.dumps(action, ensure_ascii=False)[:64]
        if action in ROUTED_ACTIONS:
            # Only reachable when the API lacks that route, e.g. it was added but the
            # API was not deployed again.
            raise BadRequest(
                "route_not_deployed",
                f"The action {shown} is valid, but this API has no route for it yet.",
            )
        raise BadRequest("unknown_action", f"Unknown action {shown}.")
    except BadRequest as err:
        return _reject(ws, settings, record, err)


def _check_token(settings: Settings, token: str | None) -> tuple[str | None, str, str]:
    """(user or None, reason, log level) for the token a client presented."""
    try:
        secret = resolve_secret(settings)
    except (ClientError, BotoCoreError) as err:
        return None, f"secret_unavailable:{type(err).__name__}", "ERROR"
    if secret is None:
        return None, "secret_not_configured", "ERROR"
    if token is None:
        return None, "missing_token", "INFO"
    try:
        user = verify_token(secret, token, max_ttl_seconds=settings.token_max_ttl_seconds)
    except TokenError as err:
        return None, err.reason, "INFO"
    except ValueError:
        # The configured secret is too short to sign with: a deployment mistake.
        return None, "secret_too_short", "ERROR"
    return user, "valid_token", "INFO"


def authorize(event: Event, context: Any) -> Result:
    """REQUEST authorizer for `$connect`: allow a valid `?token=`, deny anything else.

    Denying with a policy (API Gateway answers 403) rather than raising keeps a bad
    token from counting as a Lambda error. The `context` reaches every later event of
    the connection as `requestContext.authorizer.user`.
    """
    started = time.perf_counter()
    auth = AuthorizerEvent(event)
    user, reason, level = _check_token(load_settings(), auth.query("token"))
    if user is None:
        result = iam_policy(principal_id="anonymous", effect="Deny", resource=auth.method_arn)
    else:
        result = iam_policy(
            principal_id=user, effect="Allow", resource=auth.method_arn, context={"user": user}
        )
    log_json(
        level,
        "authorize",
        route="$connect",
        connection=auth.connection_id,
        outcome="deny" if user is None else "allow",
        reason=reason,
        user=user,
        request_id=auth.request_id,
        aws_request_id=getattr(context, "aws_request_id", None),
        latency_ms=elapsed_ms(started),
    )
    return result
