"""API Gateway invokes a route's function only where the function's resource policy lets it.

``AddPermission``'s ``SourceArn`` is an ``ArnLike`` condition on ``aws:SourceArn``, the
route's ``arn:aws:execute-api:region:account:apiId/stage/route``, and ``SourceAccount`` a
``StringEquals`` on ``aws:SourceAccount``
(https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html). A refused
``$connect`` fails the upgrade with 502; a refused message route answers with the
``Internal server error`` frame.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conformance.support import (
    ask,
    connect,
    connection_id_of,
    error_frame_pattern,
    new_tag,
    refused_status,
    wire,
)
from wslab.deploy.wiring import WiredApi, allow_api_gateway


@pytest.fixture
def api(aws: Any, behave: str) -> WiredApi:
    """An API whose $connect and echo route invoke ``behave``, with no permission yet."""
    return wire(aws, behave, ["$connect", "echo"], two_way=["echo"], grant_permission=False)


def grant(aws: Any, behave: str, api: WiredApi, route: str, **options: Any) -> None:
    """Let API Gateway invoke ``behave`` for ``<api>/<route>`` (``route`` may hold wildcards)."""
    lambda_ = aws("lambda")
    arn = lambda_.get_function(FunctionName=behave)["Configuration"]["FunctionArn"]
    allow_api_gateway(lambda_, arn, api.api_id, route, f"apigateway-{new_tag()}", **options)


def test_a_permission_for_connect_covers_connect_only(aws: Any, behave: str, api: WiredApi) -> None:
    """SourceArn ``.../*/$connect``: the upgrade goes through, a message route is refused."""
    assert refused_status(api.url) == 502
    grant(aws, behave, api, "*/$connect")
    ws = connect(api.url)
    try:
        answer = ask(ws, {"action": "echo"})
        connection_id = json.loads(answer)["connectionId"]
        assert error_frame_pattern("Internal server error", connection_id).fullmatch(answer)
    finally:
        ws.close()
    grant(aws, behave, api, "*/echo")
    ws = connect(api.url)
    try:
        assert connection_id_of(ws)  # the echo route's function ran this time
    finally:
        ws.close()


def test_brackets_in_a_source_arn_are_literal(aws: Any, behave: str, api: WiredApi) -> None:
    """``[abcd]ev`` is no character class (IAM's only wildcards are ``*`` and ``?``)."""
    grant(aws, behave, api, "[abcd]ev/*")
    assert refused_status(api.url) == 502
    grant(aws, behave, api, "?ev/*")
    connect(api.url).close()


def test_a_source_account_must_be_the_apis(aws: Any, behave: str, api: WiredApi) -> None:
    """A SourceAccount of another account covers nothing; the API's own account does."""
    grant(aws, behave, api, "*", SourceAccount="210987654321")
    assert refused_status(api.url) == 502
    account = aws("sts").get_caller_identity()["Account"]
    grant(aws, behave, api, "*", SourceAccount=account)
    connect(api.url).close()
