"""The article's Lambda in Node.js (lambda_src/article-nodejs), deployed and chatted with.

Deployed with boto3 as on AWS (a table keyed by ``id``, a nodejs20.x function from the
folder's zip, one API whose ``$connect``, ``$disconnect`` and ``$default`` routes all invoke
it), then three real WebSocket clients: one speaks, all three hear it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.support import assert_everyone_hears, connect, connected, poll
from tests.local.lambda_helpers import create_id_table, requires_node_sdk, role_arn
from wslab.deploy.packaging import zip_directory
from wslab.deploy.wiring import WiredApi, wire_websocket_api

pytestmark = requires_node_sdk

FOLDER = Path(__file__).resolve().parents[2] / "lambda_src" / "article-nodejs"
AWS = Callable[..., Any]


@dataclass(frozen=True)
class Article:
    table: str
    api: WiredApi


@pytest.fixture(scope="module")
def article(aws: AWS) -> Iterator[Article]:
    name = f"article-nodejs-{uuid.uuid4().hex[:8]}"
    create_id_table(aws, name)
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler="index.handler",
        Code={"ZipFile": zip_directory(FOLDER)},
        Timeout=30,
        Environment={"Variables": {"TABLE_NAME": name}},
    )
    routes = dict.fromkeys(("$connect", "$disconnect", "$default"), name)
    yield Article(name, wire_websocket_api(aws("apigatewayv2"), aws("lambda"), name, routes))


def _items(aws: AWS, table: str) -> list[dict[str, Any]]:
    return list(aws("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"])


def test_a_message_reaches_every_connection(aws: AWS, article: Article) -> None:
    """Three clients connect (three items, with their room); one sends; all three receive."""
    with connected(f"{article.api.url}?roomId=games", 3) as clients:
        items = _items(aws, article.table)
        assert len(items) == 3
        assert {item["roomId"]["S"] for item in items} == {"games"}
        assert_everyone_hears(clients, sender=1)
    poll(lambda: not _items(aws, article.table), what="every $disconnect to delete its item")


def test_a_stale_connection_is_deleted_not_the_senders(aws: AWS, article: Article) -> None:
    """An item whose connection is gone (410) is deleted during the broadcast; the sender's
    stays."""
    stale = "AAAAAAAAAAAAAAA="
    aws("dynamodb").put_item(
        TableName=article.table, Item={"id": {"S": stale}, "roomId": {"S": "lobby"}}
    )
    sender = connect(article.api.url)
    try:
        sender.send("anyone there?")
        assert sender.recv() == "anyone there?"
        poll(
            lambda: stale not in {item["id"]["S"] for item in _items(aws, article.table)},
            what="the stale item to be deleted",
        )
        assert len(_items(aws, article.table)) == 1  # the sender's
    finally:
        sender.close()
    poll(lambda: not _items(aws, article.table), what="the sender's $disconnect")
