"""What the conformance tests share: a scriptable test function, its event log, socket helpers.

Every route of every API under test invokes the same small function, ``BEHAVE``. It writes
each event it gets to a DynamoDB table (so tests can read CONNECT, DISCONNECT and
authorizer events, which cannot be sent back on the socket), then does what the event asks:

* ``$connect``: query string ``status`` (return that statusCode), ``raise``, ``sleep``,
  ``protocol`` (return it as ``Sec-WebSocket-Protocol``, with another header and a body that
  must both be dropped), ``probe`` (call @connections on its own id and record the outcome),
  ``log`` (print a line);
* messages, from a JSON body: ``reply``, ``empty``, ``status``, ``raise``, ``sleep``,
  ``post`` (PostToConnection to its own connection with a plain
  ``boto3.client("apigatewaymanagementapi")``), ``log``, ``size``, ``gate_wait`` /
  ``gate_open`` and ``barrier`` (to prove overlap without timing), ``inflight`` (record
  when it ran). Without an
  instruction it answers ``{"route", "connectionId", "body"}``;
* the REQUEST authorizer: the ``token`` query parameter or ``Auth`` header decides
  (``allow``, ``deny``, ``rest`` for a REST-style ``.../*/*`` resource, ``unauthorized``,
  ``crash``).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import websocket
from websocket import ABNF

from tests.local.lambda_helpers import create_function
from tests.support import scaled
from wslab.deploy.wiring import WiredApi, wire_websocket_api

BEHAVE = r"""
import json
import os
import time
import uuid

import boto3
from boto3.dynamodb.conditions import Key

_table = None
_management = None


def table():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["EVENTS_TABLE"])
    return _table


def management():
    global _management
    if _management is None:
        # No endpoint given: the SDK's endpoint variable decides, as on AWS it would be
        # the execute-api domain.
        _management = boto3.client("apigatewaymanagementapi")
    return _management


def record(kind, event, **extra):
    context = event.get("requestContext") or {}
    item = {
        "pk": context.get("connectionId", "-"),
        "sk": f"{time.time_ns():020d}#{context.get('requestId', '')}",
        "kind": kind,
        "event": json.dumps(event),
        **extra,
    }
    table().put_item(Item=item)
    tag = (event.get("queryStringParameters") or {}).get("tag")
    if tag:
        table().put_item(Item={**item, "pk": "tag#" + tag})


def handler(event, context):
    if event.get("type") == "REQUEST":
        record("AUTHORIZER", event)
        return authorize(event)
    kind = event["requestContext"]["eventType"]
    if kind == "CONNECT":
        return on_connect(event)
    if kind == "MESSAGE":
        return on_message(event)
    record(kind, event)
    return {"statusCode": 200}


def authorize(event):
    query = event.get("queryStringParameters") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = query.get("token") or headers.get("auth") or ""
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "crash":
        raise RuntimeError("the authorizer crashed")
    resource = event["methodArn"]
    effect = "Allow" if token in ("allow", "rest") else "Deny"
    if token == "rest":
        # The REST habit: {api}/{stage}/{method}/{path}. It never matches .../$connect.
        resource = resource.rsplit("/", 1)[0] + "/*/*"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
            ],
        },
        "context": {"user": "alice", "n": 1, "flag": True},
    }


def probe(connection_id):
    outcomes = {}
    calls = {
        "post": lambda: management().post_to_connection(ConnectionId=connection_id, Data=b"x"),
        "get": lambda: management().get_connection(ConnectionId=connection_id),
    }
    for name, call in calls.items():
        try:
            call()
            outcomes[name] = "ok"
        except management().exceptions.GoneException as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            outcomes[name] = f"GoneException {status}"
        except Exception as error:
            outcomes[name] = f"{type(error).__name__} {error}"
    return outcomes


def on_connect(event):
    query = event.get("queryStringParameters") or {}
    connection_id = event["requestContext"]["connectionId"]
    extra = {}
    if "probe" in query:
        extra["probe"] = json.dumps(probe(connection_id))
    record("CONNECT", event, **extra)
    if "log" in query:
        print("connect-log", query["log"])
    if "raise" in query:
        raise RuntimeError("refused by the test")
    if "sleep" in query:
        time.sleep(float(query["sleep"]))
    if "protocol" in query:
        return {
            "statusCode": 200,
            "headers": {"Sec-WebSocket-Protocol": query["protocol"], "X-Extra": "dropped"},
            "body": "connect-body",
        }
    return {"statusCode": int(query.get("status", "200"))}


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def on_message(event):
    context = event["requestContext"]
    record("MESSAGE", event)
    try:
        order = json.loads(event["body"])
    except ValueError:
        order = None
    if not isinstance(order, dict):
        order = {}
    if "log" in order:
        print("message-log", order["log"])
    if "sleep" in order:
        time.sleep(order["sleep"])
    if "raise" in order:
        raise RuntimeError("failed on purpose")
    if "post" in order:
        management().post_to_connection(
            ConnectionId=context["connectionId"], Data=order["post"].encode()
        )
    if "gate_open" in order:
        table().put_item(Item={"pk": "gate#" + order["gate_open"], "sk": "-"})
    if "gate_wait" in order:
        key = {"pk": "gate#" + order["gate_wait"], "sk": "-"}
        opened = wait_for(lambda: "Item" in table().get_item(Key=key, ConsistentRead=True), 20)
        return {"statusCode": 200, "body": "released" if opened else "gave-up"}
    if "barrier" in order:
        # One item per arrival, counted: a shared counter could lose concurrent updates.
        barrier = "barrier#" + order["barrier"]
        table().put_item(Item={"pk": barrier, "sk": str(uuid.uuid4())})

        def everyone_arrived():
            arrived = table().query(
                KeyConditionExpression=Key("pk").eq(barrier), Select="COUNT", ConsistentRead=True
            )["Count"]
            return arrived >= order["n"]

        met = wait_for(everyone_arrived, 20)
        return {"statusCode": 200, "body": f"{order.get('reply', '')}:{'met' if met else 'missed'}"}
    if "inflight" in order:
        # When this invocation ran, as an interval: the test counts how many overlapped.
        started = time.time_ns()
        time.sleep(0.2)
        table().put_item(
            Item={
                "pk": "inflight#" + order["inflight"],
                "sk": str(uuid.uuid4()),
                "started": started,
                "ended": time.time_ns(),
            }
        )
        return {"statusCode": 200, "body": "ran"}
    if "size" in order:
        return {"statusCode": 200, "body": str(len(event["body"].encode()))}
    if order.get("empty"):
        return {"statusCode": 200, "body": ""}
    if "reply" in order:
        return {"statusCode": int(order.get("status", 200)), "body": order["reply"]}
    answer = {"route": context["routeKey"], "connectionId": context["connectionId"],
              "body": event["body"]}
    return {"statusCode": 200, "body": json.dumps(answer)}
"""

ID = re.compile(r"[A-Za-z0-9_-]{15}=")
REQUEST_TIME = re.compile(
    r"\d\d/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d\d:\d\d:\d\d \+0000"
)
WAIT = 10.0  # seconds, before scaling: the longest any one thing may take


def error_frame_pattern(message: str, connection_id: str) -> re.Pattern[str]:
    """The exact bytes of an API Gateway error frame, with any request id."""
    return re.compile(
        re.escape(f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"')
        + ID.pattern
        + re.escape('"}')
    )


def create_events_table(aws: Any, name: str) -> None:
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_behave_function(
    aws: Any, name: str, table: str, reserved_concurrency: int | None = None
) -> str:
    """Create ``BEHAVE`` as ``name`` and start one execution environment of it."""
    create_function(
        aws, name, BEHAVE, Timeout=25, Environment={"Variables": {"EVENTS_TABLE": table}}
    )
    if reserved_concurrency is not None:
        aws("lambda").put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=reserved_concurrency
        )
    # Warm: the first message of a test is then not slowed by a cold start.
    aws("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"requestContext": {"eventType": "WARMUP"}})
    )
    return name


def poll(condition: Callable[[], Any], seconds: float = WAIT, what: str = "condition") -> Any:
    """Return the first truthy value of ``condition()``, failing after ``scaled(seconds)``."""
    deadline = time.monotonic() + scaled(seconds)
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass(frozen=True)
class Recorded:
    kind: str
    event: dict[str, Any]
    item: dict[str, Any]


class EventLog:
    """The events ``BEHAVE`` recorded, read back from its table."""

    def __init__(self, aws: Any, table: str) -> None:
        self._dynamodb = aws("dynamodb")
        self._table = table

    def _items(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        while True:
            page = self._dynamodb.query(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def of(self, connection_id: str, kind: str | None = None) -> list[Recorded]:
        """Events of one connection in the order they were handled."""
        return self._select(self._items(connection_id), kind)

    def intervals(self, counter: str) -> list[tuple[int, int]]:
        """``(started, ended)`` in ns of each invocation that ran ``{"inflight": counter}``."""
        return [
            (int(item["started"]["N"]), int(item["ended"]["N"]))
            for item in self._items("inflight#" + counter)
        ]

    def tagged(self, tag: str, kind: str | None = None) -> list[Recorded]:
        """CONNECT and authorizer events of the connect attempt with ``?tag=<tag>``."""
        return self._select(self._items("tag#" + tag), kind)

    @staticmethod
    def _select(items: Iterable[dict[str, Any]], kind: str | None) -> list[Recorded]:
        found = [
            Recorded(
                item["kind"]["S"],
                json.loads(item["event"]["S"]),
                {key: next(iter(value.values())) for key, value in item.items()},
            )
            for item in items
        ]
        return [record for record in found if kind is None or record.kind == kind]

    def wait(self, connection_id: str, kind: str, count: int = 1) -> list[Recorded]:
        """At least ``count`` events of ``kind`` for the connection, waiting for them."""
        return list(
            poll(
                lambda: (found := self.of(connection_id, kind)) and len(found) >= count and found,
                what=f"{count} {kind} event(s) of {connection_id}",
            )
        )


def new_tag() -> str:
    return uuid.uuid4().hex[:12]


def connect(url: str, **options: Any) -> websocket.WebSocket:
    """A connected client (websocket-client) with a generous, scaled read timeout."""
    return websocket.create_connection(url, timeout=scaled(WAIT), **options)


@contextlib.contextmanager
def connected(url: str, count: int) -> Iterator[list[websocket.WebSocket]]:
    """``count`` connected clients, closed on leaving."""
    clients: list[websocket.WebSocket] = []
    try:
        clients += [connect(url) for _ in range(count)]
        yield clients
    finally:
        for ws in clients:
            ws.close()


def assert_everyone_hears(clients: list[websocket.WebSocket], sender: int = 0) -> None:
    """A new text sent by ``clients[sender]`` reaches every client, the sender included."""
    text = f"hello {uuid.uuid4().hex[:8]}"
    clients[sender].send(text)
    assert [ws.recv() for ws in clients] == [text] * len(clients)


def refused_status(url: str, **options: Any) -> int:
    """The HTTP status that refused the upgrade (fails if the upgrade succeeded)."""
    try:
        ws = connect(url, **options)
    except websocket.WebSocketBadStatusException as refusal:
        return int(refusal.status_code)
    ws.close()
    raise AssertionError(f"the upgrade to {url} was accepted")


def ask(ws: websocket.WebSocket, message: dict[str, Any] | str) -> str:
    """Send one text message and return the next text frame."""
    ws.send(message if isinstance(message, str) else json.dumps(message))
    return str(ws.recv())


def connection_id_of(ws: websocket.WebSocket, action: str = "echo") -> str:
    """The connection's id, as its handler sees it (through a two-way route)."""
    answer = json.loads(ask(ws, {"action": action}))
    return str(answer["connectionId"])


def expect_close(ws: websocket.WebSocket) -> tuple[int, str]:
    """Read until the server's close frame; return its code and reason."""
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == ABNF.OPCODE_CLOSE:
            data = frame.data
            ws.shutdown()
            if len(data) < 2:
                return 1005, ""
            return int.from_bytes(data[:2], "big"), data[2:].decode()


def send_fragments(ws: websocket.WebSocket, text: str, fragment_size: int) -> None:
    """Send ``text`` as one message split into frames of at most ``fragment_size`` bytes."""
    data = text.encode()
    chunks = [data[i : i + fragment_size] for i in range(0, len(data), fragment_size)]
    for index, chunk in enumerate(chunks):
        opcode = ABNF.OPCODE_TEXT if index == 0 else ABNF.OPCODE_CONT
        fin = 1 if index == len(chunks) - 1 else 0
        frame = ABNF.create_frame(chunk, opcode, fin=fin)
        ws.send_frame(frame)


def padded(message: dict[str, Any], total_bytes: int) -> str:
    """``message`` as JSON with a ``pad`` field making it exactly ``total_bytes`` long."""
    skeleton = json.dumps({**message, "pad": ""})
    return json.dumps({**message, "pad": "x" * (total_bytes - len(skeleton))})


def access_lines(output: list[str], event_type: str, connection_id: str) -> list[str]:
    """Access-log lines of one event type for one connection."""
    return [line for line in output if f'"{event_type} ' in line and connection_id in line]


def wire(
    aws: Any,
    function: str,
    routes: Iterable[str],
    *,
    two_way: Iterable[str] = (),
    **options: Any,
) -> WiredApi:
    """An API on ``aws`` whose every route invokes ``function``, deployed to ``dev``."""
    return wire_websocket_api(
        aws("apigatewayv2"),
        aws("lambda"),
        f"conformance-{new_tag()}",
        {route: function for route in routes},
        two_way=two_way,
        **options,
    )
