"""``wslab local --state-dir DIR``: what was created survives a stop and a start, exactly,
and a state folder that cannot be loaded is refused with one line.

Each test runs ``wslab local`` as a real subprocess (stopped as Ctrl-C stops it, or killed)
and looks at it through boto3 and a real WebSocket client.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import clients_on, scaled
from wslab.aws import Target
from wslab.deploy.stack import ChatStack, deploy, ensure_token_secret
from wslab.local.moto_ext.core.state import STATE_FILE, stamp
from wslab.local.process import LocalAWSProcess, ensure_running, stop_background

STACK = "kept"
EXTRA_ITEMS = 50
LOG_GROUP = "/kept/app"
BUCKET = "kept-bucket"

Clients = Callable[..., Any]


def _port_of(endpoint_url: str) -> int:
    return int(endpoint_url.rsplit(":", 1)[1])


def _started(state_dir: Path, port: int = 0, *extra: str) -> LocalAWSProcess:
    process = LocalAWSProcess(port=port, extra_args=["--state-dir", str(state_dir), *extra])
    process.start()
    return process


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def _everything(aws: Clients) -> dict[str, Any]:
    """What every kept service answers to its describe, list and get calls."""
    seen: dict[str, Any] = {}
    dynamodb = aws("dynamodb")
    tables = dynamodb.list_tables()["TableNames"]
    seen["dynamodb"] = {
        table: {
            "table": dynamodb.describe_table(TableName=table)["Table"],
            "items": sorted(
                dynamodb.scan(TableName=table)["Items"], key=lambda item: json.dumps(item)
            ),
        }
        for table in tables
    }
    awslambda = aws("lambda")
    functions = awslambda.list_functions()["Functions"]
    seen["lambda"] = {
        "functions": functions,
        "policies": {
            function["FunctionName"]: awslambda.get_policy(FunctionName=function["FunctionName"])[
                "Policy"
            ]
            for function in functions
        },
    }
    apigw = aws("apigatewayv2")
    apis = apigw.get_apis()["Items"]
    seen["apigatewayv2"] = {
        "apis": apis,
        **{
            api["ApiId"]: {
                part: _without_metadata(getattr(apigw, f"get_{part}")(ApiId=api["ApiId"]))
                for part in ("routes", "integrations", "authorizers", "deployments", "stages")
            }
            for api in apis
        },
    }
    cloudformation = aws("cloudformation")
    seen["cloudformation"] = {
        "stacks": cloudformation.describe_stacks()["Stacks"],
        "events": cloudformation.describe_stack_events(StackName=STACK)["StackEvents"],
        "resources": cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"],
        "exports": cloudformation.list_exports()["Exports"],
    }
    iam = aws("iam")
    users = iam.list_users()["Users"]
    seen["iam"] = {
        "roles": iam.list_roles()["Roles"],
        "users": users,
        "keys": {
            user["UserName"]: iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
            for user in users
        },
        "policies": iam.list_policies(Scope="Local")["Policies"],
    }
    secrets = aws("secretsmanager")
    listed = secrets.list_secrets()["SecretList"]
    seen["secretsmanager"] = {
        "secrets": listed,
        "values": [
            _without_metadata(secrets.get_secret_value(SecretId=secret["ARN"])) for secret in listed
        ],
    }
    s3 = aws("s3")
    buckets = s3.list_buckets()["Buckets"]
    seen["s3"] = {
        "buckets": buckets,
        "objects": {
            bucket["Name"]: s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
            for bucket in buckets
        },
        "note": s3.get_object(Bucket=BUCKET, Key="notes/kept.txt")["Body"].read(),
    }
    logs = aws("logs")
    seen["logs"] = {
        "groups": logs.describe_log_groups()["logGroups"],
        "streams": logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"],
        "events": logs.get_log_events(logGroupName=LOG_GROUP, logStreamName="s1")["events"],
    }
    return seen


def _make_state(stack: ChatStack, aws: Clients) -> dict[str, str]:
    """The chat deployed by CloudFormation, and something of every other kept service."""
    outputs = deploy(stack)
    ensure_token_secret(stack)
    history = outputs["HistoryTableName"]
    dynamodb = aws("dynamodb")
    for n in range(EXTRA_ITEMS):
        dynamodb.put_item(
            TableName=history,
            Item={"roomId": {"S": "kept-room"}, "seq": {"N": str(n)}, "text": {"S": f"m{n}"}},
        )
    iam = aws("iam")
    iam.create_user(UserName="kept-user")
    iam.create_access_key(UserName="kept-user")
    iam.create_policy(
        PolicyName="kept-policy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="notes/kept.txt", Body=b"kept across a restart")
    logs = aws("logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="s1")
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=LOG_GROUP,
        logStreamName="s1",
        logEvents=[{"timestamp": now_ms + n, "message": f"line {n}"} for n in range(3)],
    )
    return outputs


async def _chat_answers(url: str, text: str) -> dict[str, Any]:
    """Join the chat's room at ``url`` and send ``text``: the message as broadcast back."""
    deadline = scaled(60)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws,
    ):
        await ws.send_json({"action": "joinroom"})
        joined = await ws.receive_json(timeout=deadline)
        assert joined.get("type") == "joined", joined
        await ws.send_json({"action": "sendmessage", "data": text})
        while True:
            frame = await ws.receive_json(timeout=deadline)
            if frame.get("type") == "message":
                return dict(frame)


async def _join_and_stay(url: str, joined: threading.Event) -> None:
    """Join the chat's room at ``url``, then stay connected until the stack goes away."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws,
    ):
        await ws.send_json({"action": "joinroom"})
        answer = await ws.receive_json(timeout=scaled(60))
        assert answer.get("type") == "joined", answer
        joined.set()
        async for _ in ws:  # until the stack's close
            pass


def _connected_during_the_stop(url: str) -> threading.Thread:
    joined = threading.Event()
    client = threading.Thread(target=lambda: asyncio.run(_join_and_stay(url, joined)))
    client.start()
    assert joined.wait(scaled(60)), "the chat did not answer joinroom"
    return client


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """A state made on one ``wslab local``, what it answered, and a second one started on
    the same folder (and port: the stack's outputs name it) after the first stopped."""
    state_dir = tmp_path_factory.mktemp("state")
    first = _started(state_dir)
    try:
        stack = ChatStack(Target.local(first.endpoint_url), STACK, say=lambda line: None)
        outputs = _make_state(stack, clients_on(first.endpoint_url))
        client = _connected_during_the_stop(outputs["WebSocketURL"])
        before = _everything(clients_on(first.endpoint_url))
    finally:
        stopped_with = first.stop()
    client.join(scaled(30))
    second = _started(state_dir, _port_of(first.endpoint_url))
    try:
        yield before, stopped_with, second, outputs, state_dir
    finally:
        second.stop()


def test_every_service_answers_after_a_restart_as_before(restarted: tuple[Any, ...]) -> None:
    """Tables and items, functions, APIs and deployments, stacks and their events, IAM,
    secrets, S3 and logs: each describe/list/get answers field by field as before."""
    before, stopped_with, second, _, state_dir = restarted
    assert stopped_with == 0
    assert (state_dir / STATE_FILE).is_file()
    after = _everything(clients_on(second.endpoint_url))
    assert set(after) == set(before)
    for service in before:
        assert after[service] == before[service], service
    items = before["dynamodb"][f"{STACK}-history"]["items"]
    assert len(items) == EXTRA_ITEMS
    deadline = time.monotonic() + scaled(30)
    while not any("restored from" in line for line in second.output()):
        assert time.monotonic() < deadline, second.output()
        time.sleep(0.1)


def test_the_restored_chat_answers_on_a_new_connection(restarted: tuple[Any, ...]) -> None:
    """The restored API serves its deployed stage and the restored functions run."""
    _, _, second, outputs, _ = restarted
    frame = asyncio.run(_chat_answers(outputs["WebSocketURL"], "after the restart"))
    assert frame["text"] == "after the restart"
    groups = clients_on(second.endpoint_url)("logs").describe_log_groups()["logGroups"]
    assert any(group["logGroupName"].endswith(f"{STACK}-sendmessage") for group in groups)


def test_a_connection_open_at_the_stop_is_gone_and_cleaned_up(
    restarted: tuple[Any, ...],
) -> None:
    """A connection open when the stack stopped is still in the connections table after
    the restart, as after a lost disconnect on AWS: the next broadcast meets 410
    GoneException for it, and the chat removes it."""
    before, _, second, outputs, _ = restarted
    table = outputs["ConnectionsTableName"]
    stale = {item["id"]["S"] for item in before["dynamodb"][table]["items"]}
    assert stale, "the connection open at the stop was not in the table"
    asyncio.run(_chat_answers(outputs["WebSocketURL"], "who is still here?"))
    dynamodb = clients_on(second.endpoint_url)("dynamodb")
    deadline = time.monotonic() + scaled(30)
    while True:
        left = {item["id"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
        if not stale & left:
            break
        assert time.monotonic() < deadline, f"stale connections kept: {stale & left}"
        time.sleep(0.1)


def _local_exits(*args: str) -> subprocess.CompletedProcess[str]:
    """``wslab local --port 0 ARGS``, which is expected to end by itself (a refusal)."""
    return subprocess.run(
        [sys.executable, "-m", "wslab", "local", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=scaled(120),
        stdin=subprocess.DEVNULL,
    )


def _state_file(state_dir: Path, *objects: Any) -> bytes:
    state_dir.mkdir(exist_ok=True)
    content = b"".join(pickle.dumps(item) for item in objects)
    (state_dir / STATE_FILE).write_bytes(content)
    return content


def test_a_state_of_another_version_is_refused_with_one_line(tmp_path: Path) -> None:
    """Another wslab, moto or format: one line, exit status 1, the file left as it was."""
    written = _state_file(tmp_path, {**stamp(), "wslab": "0.0.1", "moto": "4.0.0"}, {})
    finished = _local_exits("--state-dir", str(tmp_path))
    assert finished.returncode == 1
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert "written by wslab 0.0.1 (moto 4.0.0" in lines[0]
    assert "--reset" in lines[0]
    assert "AWS_ENDPOINT_URL" not in finished.stdout
    assert (tmp_path / STATE_FILE).read_bytes() == written


@pytest.mark.parametrize(
    "content",
    [b"not a pickle at all", pickle.dumps(stamp()) + b"\x80\x05truncated"],
    ids=["garbage", "truncated"],
)
def test_a_corrupt_state_is_refused_with_one_line(tmp_path: Path, content: bytes) -> None:
    """A file that does not unpickle: one line naming the folder, nothing loaded."""
    tmp_path.joinpath(STATE_FILE).write_bytes(content)
    finished = _local_exits("--state-dir", str(tmp_path))
    assert finished.returncode == 1
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert f"the state in {tmp_path} cannot be read" in lines[0]
    assert tmp_path.joinpath(STATE_FILE).read_bytes() == content


def test_a_folder_in_use_by_a_running_stack_is_refused_with_one_line(tmp_path: Path) -> None:
    """Two stacks on one folder would overwrite each other's saves: the second is refused."""
    first = _started(tmp_path)
    try:
        finished = _local_exits("--state-dir", str(tmp_path))
    finally:
        assert first.stop() == 0
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        f"wslab local: {tmp_path} is the state folder of another wslab local, still running: "
        "stop it first, or give this one another --state-dir"
    ]


def test_reset_starts_empty_and_reset_needs_a_folder(tmp_path: Path) -> None:
    """``--reset`` forgets a saved (even unreadable) state; without ``--state-dir`` it is a
    one-line mistake."""
    tmp_path.joinpath(STATE_FILE).write_bytes(b"unreadable")
    process = _started(tmp_path, 0, "--reset")
    try:
        assert clients_on(process.endpoint_url)("dynamodb").list_tables()["TableNames"] == []
    finally:
        assert process.stop() == 0
    with tmp_path.joinpath(STATE_FILE).open("rb") as saved:
        assert pickle.load(saved) == stamp()  # the unreadable state was replaced
    finished = _local_exits("--reset")
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        "wslab local: --reset needs --state-dir DIR (the folder to empty)"
    ]


def test_a_killed_stack_keeps_what_was_saved_after_each_change(tmp_path: Path) -> None:
    """No clean stop (a crash, a laptop losing power): a change is on disk once the
    background save after it is done, and a new start finds it."""
    process = _started(tmp_path)
    try:
        aws = clients_on(process.endpoint_url)
        aws("dynamodb").create_table(
            TableName="crash",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws("dynamodb").put_item(TableName="crash", Item={"id": {"S": "kept"}})
        saved = tmp_path / STATE_FILE
        deadline = time.monotonic() + scaled(30)
        while b"crash" not in (saved.read_bytes() if saved.exists() else b""):
            assert time.monotonic() < deadline, "no save after a change"
            time.sleep(0.1)
        # The item is written after the table: wait for a save that has both.
        while b"kept" not in saved.read_bytes():
            assert time.monotonic() < deadline, "no save after the item"
            time.sleep(0.1)
    finally:
        process.kill()
    again = _started(tmp_path)
    try:
        item = clients_on(again.endpoint_url)("dynamodb").get_item(
            TableName="crash", Key={"id": {"S": "kept"}}
        )
        assert item["Item"] == {"id": {"S": "kept"}}
    finally:
        assert again.stop() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_notebooks_background_stack_finds_its_state_again(tmp_path: Path) -> None:
    """What a notebook starts (``ensure_running`` on a state folder), stopped as the
    tutorial stops it, starts again with the table an earlier notebook made."""
    port = _free_port()
    endpoint = ensure_running(port, state_dir=tmp_path)
    try:
        clients_on(endpoint)("dynamodb").create_table(
            TableName="notebook-table",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    finally:
        assert stop_background(port)
    endpoint = ensure_running(port, state_dir=tmp_path)
    try:
        tables = clients_on(endpoint)("dynamodb").list_tables()["TableNames"]
        assert tables == ["notebook-table"]
    finally:
        assert stop_background(port)
