"""Posting to connections: one at a time with retries, and to a whole room at once.

Two mistakes in the official samples shape this module:

- On a 410 (`GoneException`) the connection that is gone is the *target* of the post.
  aws-samples/simple-websockets-chat-app deletes the sender's item instead, so the stale
  item stays and the sender, who is very much connected, stops receiving messages.
- botocore's modelled exceptions (`client.exceptions.GoneException`, ...) are subclasses
  of `ClientError`. awsdocs' Python chat catches `ClientError` first, so its
  `GoneException` branch never runs and stale connections are never removed. Here the
  `GoneException` clause comes first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as SdkConnectionError

from .logs import elapsed_ms, log_json
from .store import RoomQueryStats, connections_in_room, remove_connections

__all__ = [
    "THROTTLING_ERRORS",
    "BroadcastResult",
    "Delivery",
    "PostResult",
    "broadcast_to_room",
    "post_with_retry",
]

# LimitExceededException is what PostToConnection answers when the account's rate is
# exceeded or the target's outgoing buffer is full; the others are the SDK's generic
# throttling codes, answered by API Gateway's front door.
THROTTLING_ERRORS = frozenset(
    {"LimitExceededException", "ThrottlingException", "TooManyRequestsException"}
)

_BACKOFF_BASE_SECONDS = 0.05
_BACKOFF_CAP_SECONDS = 1.0


class Delivery(Enum):
    """How a post to one connection ended."""

    DELIVERED = "delivered"
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True)
class PostResult:
    """The end of one post, after any retries."""

    connection_id: str
    delivery: Delivery
    attempts: int
    error: str | None = None


def _retryable(err: Exception) -> bool:
    if isinstance(err, SdkConnectionError):
        # The request never reached API Gateway, so sending it again cannot duplicate it.
        return True
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        return code in THROTTLING_ERRORS or status >= 500
    return False


def _error_code(err: Exception) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "") or type(err).__name__)
    return type(err).__name__


def post_with_retry(
    client: Any,
    connection_id: str,
    data: bytes,
    *,
    max_attempts: int,
    sleep: Callable[[float], None] = time.sleep,
) -> PostResult:
    """Post `data` to one connection, retrying throttling a bounded number of times.

    Retries wait with exponential backoff and full jitter, so the workers of a large
    broadcast that were throttled together do not all come back at the same moment.
    Never raises for an AWS error: the caller gets a `PostResult` to count.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
            return PostResult(connection_id, Delivery.DELIVERED, attempt)
        except client.exceptions.GoneException:
            # Must stay above `except ClientError`: GoneException is a ClientError.
            return PostResult(connection_id, Delivery.GONE, attempt, "GoneException")
        except (ClientError, SdkConnectionError) as err:
            if attempt < max_attempts and _retryable(err):
                ceiling = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
                sleep(random.uniform(0, ceiling))
                continue
            return PostResult(connection_id, Delivery.FAILED, attempt, _error_code(err))


@dataclass
class BroadcastResult:
    """The counts of one broadcast, logged as its summary line."""

    room: str
    recipients: int = 0
    delivered: int = 0
    gone: int = 0
    failed: int = 0
    retries: int = 0
    expired_skipped: int = 0
    pages: int = 0
    duration_ms: float = 0.0
    gone_ids: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def record(self, result: PostResult) -> None:
        """Count one finished post."""
        self.retries += result.attempts - 1
        if result.delivery is Delivery.DELIVERED:
            self.delivered += 1
        elif result.delivery is Delivery.GONE:
            self.gone += 1
            self.gone_ids.append(result.connection_id)
        else:
            self.failed += 1
            code = result.error or "unknown"
            self.errors[code] = self.errors.get(code, 0) + 1


_pools: dict[int, ThreadPoolExecutor] = {}


def _posting_pool(max_workers: int) -> ThreadPoolExecutor:
    """The posting threads, started once per execution environment (and pool size):
    starting a dozen threads for every broadcast cost more than a small room's posts."""
    pool = _pools.get(max_workers)
    if pool is None:
        pool = _pools[max_workers] = ThreadPoolExecutor(max_workers, thread_name_prefix="fanout")
    return pool


def broadcast_to_room(
    *,
    table: Any,
    index_name: str,
    room: str,
    data: bytes,
    client: Any,
    max_workers: int,
    max_attempts: int,
    now: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BroadcastResult:
    """Post `data` to every live connection in `room`; never raises for a failed post.

    The room is read from the index page by page while a bounded pool of threads posts,
    all through the one `client` (boto3 clients are thread-safe; resources are not, so
    the table is only touched from this thread). Connections that answer 410 are
    deleted afterwards; other failures are counted and logged, and the rest of the room
    still gets the message.
    """
    started = time.perf_counter()
    now = time.time() if now is None else now
    result = BroadcastResult(room=room)
    stats = RoomQueryStats()
    pool = _posting_pool(max_workers)
    futures = []
    try:
        for connection in connections_in_room(table, index_name, room, now, stats):
            futures.append(
                pool.submit(
                    post_with_retry,
                    client,
                    connection.connection_id,
                    data,
                    max_attempts=max_attempts,
                    sleep=sleep,
                )
            )
    finally:
        # Every post started ends before this returns, or raises: Lambda freezes the
        # execution environment once the handler returns, posts in flight included.
        wait(futures)
    result.recipients = len(futures)
    for future in futures:
        result.record(future.result())
    result.pages = stats.pages
    result.expired_skipped = stats.expired
    if result.gone_ids:
        try:
            remove_connections(table, result.gone_ids)
        except ClientError as err:
            # The items keep their TTL, and the next broadcast will try again.
            log_json(
                "WARNING",
                "stale_cleanup_failed",
                room=room,
                count=len(result.gone_ids),
                error=_error_code(err),
            )
    result.duration_ms = elapsed_ms(started)
    log_json(
        "INFO" if not result.failed else "WARNING",
        "broadcast",
        room=room,
        recipients=result.recipients,
        delivered=result.delivered,
        gone=result.gone,
        failed=result.failed,
        retries=result.retries,
        expired_skipped=result.expired_skipped,
        pages=result.pages,
        errors=result.errors,
        duration_ms=result.duration_ms,
    )
    return result
