"""Concurrent ``UpdateItem ADD`` on one item: DynamoDB updates one item atomically, so
``threads`` x ``each`` increments must add up exactly (moto alone lost some)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from .chat import Chat

__all__ = ["AtomicResult", "concurrent_adds"]


@dataclass
class AtomicResult:
    expected: int
    counted: int
    seconds: float

    @property
    def lost(self) -> int:
        return self.expected - self.counted


def concurrent_adds(chat: Chat, threads: int, each: int) -> AtomicResult:
    """``threads`` threads, each with its own boto3 client, add 1 ``each`` times."""
    table = chat.history_table
    key = {"roomId": {"S": f"atomic-{uuid.uuid4().hex[:8]}"}, "seq": {"N": "0"}}
    failures: list[BaseException] = []

    def add() -> None:
        dynamodb = chat.stack.target.client("dynamodb", max_pool_connections=2)
        try:
            for _ in range(each):
                dynamodb.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="ADD lastSeq :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
        except BaseException as error:  # reported, not swallowed: the count would be short
            failures.append(error)

    started = time.perf_counter()
    workers = [threading.Thread(target=add) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    item = chat.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)
    return AtomicResult(threads * each, int(item["Item"]["lastSeq"]["N"]), seconds)
