"""@connections from inside a handler: ``execute-api:ManageConnections`` on the stage's
``{apiId}/{stage}/{METHOD}/@connections/{id}``, refused as API Gateway refuses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import websocket

from tests.local.iam_helpers import (
    ACCOUNT,
    REGION,
    allow,
    create_role,
    deny,
    put_policy,
    session_arn,
)
from tests.support import scaled
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import WiredApi, wire_websocket_api

MANAGER = """
import json
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    options = {"endpoint_url": order["endpoint"]} if order.get("endpoint") else {}
    client = boto3.client("apigatewaymanagementapi", **options)
    own = event["requestContext"]["connectionId"]
    target = order.get("id", own)
    try:
        if order["op"] == "post":
            client.post_to_connection(ConnectionId=target, Data=b"hello")
        elif order["op"] == "get":
            client.get_connection(ConnectionId=target)
        else:
            client.delete_connection(ConnectionId=target)
        outcome = {"ok": True}
    except ClientError as error:
        outcome = {
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {"statusCode": 200, "body": json.dumps({**outcome, "connectionId": own})}
"""


class Chat:
    """One role, one function answering every message ($default, two-way), one API stage."""

    def __init__(self, aws: Any, unique: str) -> None:
        self.aws, self.role, self.function = aws, f"ws-role-{unique}", f"ws-fn-{unique}"
        role_arn = create_role(aws("iam"), self.role)
        aws("lambda").create_function(
            FunctionName=self.function,
            Runtime="python3.12",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": zip_sources({"app.py": MANAGER})},
            Timeout=20,
        )
        self.api: WiredApi = wire_websocket_api(
            aws("apigatewayv2"),
            aws("lambda"),
            f"iam-{unique}",
            {"$default": self.function},
            two_way=["$default"],
        )
        self.ws = websocket.create_connection(self.api.url, timeout=scaled(20))

    def ask(self, **order: Any) -> dict[str, Any]:
        """Send an order; skip a posted "hello"; return the handler's report."""
        self.ws.send(json.dumps(order))
        while True:
            frame = self.ws.recv()
            if frame != "hello":
                return dict(json.loads(frame))

    @property
    def stage_arn(self) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api.api_id}/{self.api.stage}"

    def resource(self, method: str, connection_id: str) -> str:
        return f"{self.stage_arn}/{method}/@connections/{quote(connection_id, safe='')}"

    def refusal(self, method: str, connection_id: str, explicit: bool = False) -> dict[str, Any]:
        message = (
            f"User: {session_arn(self.role, self.function)} is not authorized to perform: "
            f"execute-api:ManageConnections on resource: {self.resource(method, connection_id)}"
        )
        return {
            "code": "AccessDeniedException",
            "status": 403,
            "message": message + (" with an explicit deny" if explicit else ""),
            "connectionId": connection_id,
        }


@pytest.fixture
def chat(aws: Any, unique: str) -> Iterator[Chat]:
    chat = Chat(aws, unique)
    yield chat
    chat.ws.close()


def test_a_handler_without_manage_connections_cannot_post(chat: Chat, aws: Any) -> None:
    """403 AccessDeniedException naming the stage's POST resource; granted on the stage,
    the same function posts (no redeploy)."""
    report = chat.ask(op="post")
    own = report["connectionId"]
    assert report == chat.refusal("POST", own)
    put_policy(
        aws("iam"),
        chat.role,
        allow(
            "execute-api:ManageConnections",
            f"{chat.stage_arn}/POST/@connections/*",
        ),
    )
    chat.ws.send(json.dumps({"op": "post"}))
    assert chat.ws.recv() == "hello"
    assert json.loads(chat.ws.recv()) == {"ok": True, "connectionId": own}


def test_the_grant_must_name_the_stage_and_the_method(chat: Chat, aws: Any) -> None:
    """Another stage's grant does not count; POST's grant does not cover GET or DELETE."""
    base = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{chat.api.api_id}"
    put_policy(aws("iam"), chat.role, allow("execute-api:ManageConnections", f"{base}/prod/*"))
    report = chat.ask(op="post")
    own = report["connectionId"]
    assert report == chat.refusal("POST", own)
    put_policy(
        aws("iam"),
        chat.role,
        allow("execute-api:ManageConnections", f"{chat.stage_arn}/POST/@connections/*"),
    )
    assert chat.ask(op="get") == chat.refusal("GET", own)
    assert chat.ask(op="delete") == chat.refusal("DELETE", own)


def test_an_explicit_deny_wins(chat: Chat, aws: Any) -> None:
    put_policy(aws("iam"), chat.role, allow("execute-api:ManageConnections", "*"))
    put_policy(
        aws("iam"),
        chat.role,
        deny(
            "execute-api:ManageConnections", f"arn:aws:execute-api:*:*:{chat.api.api_id}/*/DELETE/*"
        ),
        name="keep-open",
    )
    report = chat.ask(op="get")
    assert report["ok"]
    assert chat.ask(op="delete") == chat.refusal("DELETE", report["connectionId"], explicit=True)


def test_the_stage_url_names_the_resource_of_any_id(chat: Chat, aws: Any) -> None:
    """Through ``.../{apiId}/{stage}`` (the endpoint AWS documents), even an id that never
    existed is judged on that stage: 403, not 410, until the role may manage connections."""
    never = "AAAAAAAAAAAAAAA="
    report = chat.ask(op="post", id=never, endpoint=chat.api.management_url)
    assert report == {**chat.refusal("POST", never), "connectionId": report["connectionId"]}
    put_policy(aws("iam"), chat.role, allow("execute-api:ManageConnections", "*"))
    report = chat.ask(op="post", id=never, endpoint=chat.api.management_url)
    assert (report["code"], report["status"]) == ("GoneException", 410)
