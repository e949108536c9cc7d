"""Helpers shared by the handler tests: golden events, tables, a scriptable @connections API."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import Counter, defaultdict
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from tests.support import load_event

REGION = "eu-west-1"
CONNECTIONS_TABLE = "test-connections"
HISTORY_TABLE = "test-history"
ROOM_INDEX = "roomId-index"
# The domain and stage of every wslab__ golden event.
EVENT_ENDPOINT = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"


def connect_event(
    connection_id: str,
    query: dict[str, str] | None = None,
    *,
    origin: str | None = "https://chat.example.com",
    authorized_user: str | None = None,
) -> dict[str, Any]:
    """The golden CONNECT event for `connection_id`, with this query string and Origin."""
    name = "wslab__connect-authorized.json" if authorized_user else "wslab__connect.json"
    event = load_event(name)
    event["requestContext"]["connectionId"] = connection_id
    if authorized_user:
        authorizer = event["requestContext"]["authorizer"]
        authorizer.update(principalId=authorized_user, user=authorized_user)
    if query is None:
        # AWS leaves both keys out when the URL has no query string.
        del event["queryStringParameters"], event["multiValueQueryStringParameters"]
    else:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Origin")
        if origin is not None:
            headers["Origin"] = origin if headers is event["headers"] else [origin]
    return event


def message_event(
    connection_id: str, body: str | None, route: str = "sendmessage"
) -> dict[str, Any]:
    """The golden MESSAGE event for `route`, from `connection_id`, carrying `body`."""
    names = {
        "sendmessage": "wslab__message-sendmessage.json",
        "joinroom": "wslab__message-joinroom.json",
    }
    event = load_event(names.get(route, "wslab__message-default.json"))
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["routeKey"] = route
    if body is None:
        del event["body"]
    else:
        event["body"] = body
    return event


def disconnect_event(connection_id: str) -> dict[str, Any]:
    """The golden DISCONNECT event for `connection_id`."""
    event = load_event("wslab__disconnect.json")
    event["requestContext"]["connectionId"] = connection_id
    return event


def create_tables() -> tuple[Any, Any]:
    """Both tables exactly as lambda_src/README.md documents them (call inside mock_aws)."""
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=CONNECTIONS_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "roomId", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": ROOM_INDEX,
                "KeySchema": [{"AttributeName": "roomId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.create_table(
        TableName=HISTORY_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "roomId", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "roomId", "KeyType": "HASH"},
            {"AttributeName": "seq", "KeyType": "RANGE"},
        ],
    )
    for table in (CONNECTIONS_TABLE, HISTORY_TABLE):
        client.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
        )
    resource = boto3.resource("dynamodb", region_name=REGION)
    return resource.Table(CONNECTIONS_TABLE), resource.Table(HISTORY_TABLE)


class ManagementApi:
    """A real boto3 `apigatewaymanagementapi` client whose PostToConnection is answered per
    connection id.

    It hooks botocore's `before-call` event, the mechanism `Stubber` uses, so answers go
    through botocore's own response handling and errors arrive as the real modelled
    exception classes. Unlike `Stubber`'s ordered queue, answers are chosen by connection
    id, so the concurrent posts of a broadcast can come in any order.
    """

    def __init__(self, endpoint: str = EVENT_ENDPOINT) -> None:
        self.client = boto3.client(
            "apigatewaymanagementapi", endpoint_url=endpoint, region_name=REGION
        )
        self.delivered: dict[str, list[bytes]] = defaultdict(list)
        self.attempts: Counter[str] = Counter()
        self._scripts: dict[str, list[tuple[str, int]]] = {}
        self._forever: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self.client.meta.events.register(
            "before-call.apigatewaymanagementapi.PostToConnection", self._answer
        )

    def fail(self, connection_id: str, code: str, status: int, times: int | None = None) -> None:
        """Answer posts to `connection_id` with this error, `times` times or forever."""
        if times is None:
            self._forever[connection_id] = (code, status)
        else:
            self._scripts.setdefault(connection_id, []).extend([(code, status)] * times)

    def received(self, connection_id: str) -> list[dict[str, Any]]:
        """Every payload delivered to `connection_id`, decoded, in order."""
        return [json.loads(data) for data in self.delivered[connection_id]]

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        connection_id = urllib.parse.unquote(params["url_path"].rsplit("/", 1)[1])
        with self._lock:
            self.attempts[connection_id] += 1
            script = self._scripts.get(connection_id)
            error = script.pop(0) if script else self._forever.get(connection_id)
            if error is None:
                self.delivered[connection_id].append(params["body"])
        if error is None:
            return AWSResponse(None, 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}
        code, status = error
        return AWSResponse(None, status, {}, None), {
            "ResponseMetadata": {"HTTPStatusCode": status},
            "Error": {"Code": code, "Message": ""},
        }


def log_records(output: str) -> list[dict[str, Any]]:
    """Every line of captured stdout parsed as JSON (fails the test if one is not)."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]
