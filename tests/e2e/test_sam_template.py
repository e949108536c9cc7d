"""``lambda_src/sam/template.yaml``, the chat as a team would copy it into a SAM project.

Deployed as ``sam deploy`` deploys a packaged template: the handlers' zip uploaded to S3
(``CodeUri`` names it), the template through CloudFormation with ``CAPABILITY_IAM`` and
``CAPABILITY_AUTO_EXPAND`` (the SAM transform runs first). Once per implementation, then
real WebSocket clients chat through it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import websocket

from tests.local.cfn_helpers import failure_reasons, gone, outputs, status
from tests.support import handler_runtimes, scaled
from wslab.deploy import project
from wslab.deploy.packaging import zip_directory

TEMPLATE = Path(__file__).resolve().parents[2] / "lambda_src" / "sam" / "template.yaml"
AWS = Callable[..., Any]


def _settled(cfn: Any, stack: str) -> str:
    deadline = time.monotonic() + scaled(180)
    while (current := status(cfn, stack)).endswith("IN_PROGRESS"):
        assert time.monotonic() < deadline, f"{stack} still {current}"
        time.sleep(0.2)  # poll interval
    return current


@pytest.fixture(scope="module", params=handler_runtimes())
def sam_chat(aws: AWS, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    runtime = str(request.param)
    name = f"sam-chat-{uuid.uuid4().hex[:8]}"
    folder, skip = project.handler_package(runtime)
    aws("s3").create_bucket(Bucket=name)
    aws("s3").put_object(Bucket=name, Key="chat.zip", Body=zip_directory(folder, skip))
    cfn = aws("cloudformation")
    parameters = {"CodeBucket": name, "CodeKey": "chat.zip", "HandlerRuntime": runtime}
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    try:
        assert _settled(cfn, name) == "CREATE_COMPLETE", failure_reasons(cfn, name)
        yield {**outputs(cfn, name), "StackName": name, "Runtime": runtime}
    finally:
        cfn.delete_stack(StackName=name)
        _settled(cfn, name) if not gone(cfn, name) else None
        aws("s3").delete_object(Bucket=name, Key="chat.zip")
        aws("s3").delete_bucket(Bucket=name)


def _receive(ws: websocket.WebSocket, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(ws.recv())
        if frame.get("type") == kind:
            return dict(frame)


def test_the_functions_are_the_chosen_runtime(aws: AWS, sam_chat: dict[str, str]) -> None:
    functions = aws("lambda").list_functions()["Functions"]
    mine = [f for f in functions if f["FunctionName"].startswith(sam_chat["StackName"])]
    assert len(mine) == 6
    assert {f["Runtime"] for f in mine} == {sam_chat["Runtime"]}


def test_two_clients_chat_in_a_room_of_any_script(sam_chat: dict[str, str]) -> None:
    url, room = sam_chat["WebSocketURL"], f"大厅-{uuid.uuid4().hex[:6]}"
    query = urlencode({"roomId": room})
    alice = websocket.create_connection(f"{url}?{query}", timeout=scaled(20))
    bob = websocket.create_connection(f"{url}?{query}", timeout=scaled(20))
    try:
        for ws in (alice, bob):
            ws.send(json.dumps({"action": "joinroom"}))
            assert _receive(ws, "joined")["room"] == room
        alice.send(json.dumps({"action": "sendmessage", "data": "你好"}))
        heard = _receive(bob, "message")
        assert (heard["room"], heard["seq"], heard["text"]) == (room, 1, "你好")
        bob.send(json.dumps({"action": "history", "sinceSeq": 0}))
        assert _receive(bob, "history")["messages"] == [heard]
        bob.send(json.dumps({"action": "dance"}))
        assert _receive(bob, "error")["error"] == "unknown_action"
    finally:
        alice.close()
        bob.close()
