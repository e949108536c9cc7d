"""The CloudFormation template, deployed for real on the local stack by ``wslab deploy``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tests.support import handler_runtimes, scaled, stack_name_for
from wslab.deploy.project import PYTHON_RUNTIME

STACK = "e2e-chat"


def _wslab_deploy(endpoint_url: str, stack: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslab", "deploy", "--endpoint-url", endpoint_url,
         "--stack-name", stack, *extra],
        capture_output=True, text=True, timeout=scaled(300),
    )  # fmt: skip


@pytest.fixture(scope="module", params=handler_runtimes())
def deployed(endpoint_url: str, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """``wslab deploy`` (with ``--runtime nodejs22.x`` for the Node.js handlers) creates the
    stack; its outputs, parsed from what it prints."""
    runtime = str(request.param)
    stack = stack_name_for(STACK, runtime)
    chosen = [] if runtime == PYTHON_RUNTIME else ["--runtime", runtime]
    result = _wslab_deploy(endpoint_url, stack, *chosen)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and " " not in line
    )
    outputs["StackName"] = stack  # not an output: the name it was deployed under
    yield outputs
    _wslab_deploy(endpoint_url, stack, "--delete")


def test_an_unknown_runtime_is_one_line(endpoint_url: str) -> None:
    """argparse names the choices; nothing is deployed."""
    result = _wslab_deploy(endpoint_url, "e2e-never", "--runtime", "ruby3.3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "--runtime: invalid choice: 'ruby3.3'" in error
    assert "python3.12" in error and "nodejs22.x" in error


class Client:
    def __init__(self, url: str, room: str) -> None:
        self.ws = websocket.create_connection(f"{url}?roomId={room}", timeout=scaled(20))

    def send(self, payload: dict[str, Any]) -> None:
        self.ws.send(json.dumps(payload))

    def receive(self) -> dict[str, Any]:
        return dict(json.loads(self.ws.recv()))

    def receive_type(self, kind: str) -> dict[str, Any]:
        while True:
            message = self.receive()
            if message.get("type") == kind:
                return message


def test_outputs_name_everything(deployed: dict[str, str]) -> None:
    """WebSocketURL, ManagementURL and the table names come out of the stack."""
    assert deployed["WebSocketURL"].startswith("ws://127.0.0.1:")
    assert deployed["WebSocketURL"].endswith(f"/{deployed['ApiId']}/prod")
    assert deployed["ManagementURL"] == "http" + deployed["WebSocketURL"][2:]
    assert deployed["ConnectionsTableName"] == f"{deployed['StackName']}-connections"
    assert deployed["HistoryTableName"] == f"{deployed['StackName']}-history"


def test_tables_have_index_ttl_and_recovery(aws: Any, deployed: dict[str, str]) -> None:
    """The connections table has the roomId index, TTL on expiresAt, point-in-time recovery."""
    dynamodb = aws("dynamodb")
    table = dynamodb.describe_table(TableName=deployed["ConnectionsTableName"])["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["roomId-index"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=deployed["ConnectionsTableName"])
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expiresAt",
    }
    backups = dynamodb.describe_continuous_backups(TableName=deployed["HistoryTableName"])
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_three_clients_in_two_rooms(deployed: dict[str, str]) -> None:
    """A message reaches everyone in the sender's room and no one in the other room."""
    url = deployed["WebSocketURL"]
    alice, bob, carol = Client(url, "blue"), Client(url, "blue"), Client(url, "green")
    try:
        for client in (alice, bob, carol):
            client.send({"action": "joinroom"})
            client.receive_type("joined")
        alice.send({"action": "sendmessage", "data": "hello blue"})
        for member in (alice, bob):
            message = member.receive_type("message")
            assert (message["room"], message["text"]) == ("blue", "hello blue")
        carol.send({"action": "sendmessage", "data": "hello green"})
        assert carol.receive_type("message")["text"] == "hello green"
        # Had blue's message leaked to carol, it would have come before green's own.
        bob.send({"action": "sendmessage", "data": "second"})
        assert alice.receive_type("message")["text"] == "second"
    finally:
        for client in (alice, bob, carol):
            client.ws.close()


def test_delete_leaves_nothing(aws: Any, endpoint_url: str, deployed: dict[str, str]) -> None:
    """``wslab deploy --delete`` removes the API, tables, functions, roles and artifacts."""
    stack = deployed["StackName"]
    result = _wslab_deploy(endpoint_url, stack, "--delete")
    assert result.returncode == 0, result.stdout + result.stderr
    apis = [a["ApiId"] for a in aws("apigatewayv2").get_apis()["Items"]]
    assert deployed["ApiId"] not in apis
    tables = aws("dynamodb").list_tables()["TableNames"]
    assert not [t for t in tables if t.startswith(stack)]
    functions = aws("lambda").list_functions()["Functions"]
    assert not [f for f in functions if f["FunctionName"].startswith(stack)]
    roles = aws("iam").list_roles()["Roles"]
    assert not [r for r in roles if r["RoleName"].startswith(stack)]
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    assert not [b for b in buckets if b.startswith(f"{stack}-artifacts")]
