"""After the tutorial's clean-up, no worker process of a deleted function is left.

The resources' life cycle as the notebooks run it, on a fresh ``wslab local``: the chat's
stack deployed (notebook 06), a Node.js function created with boto3 (the article's), both
used by real clients, then removed as ``99_cleanup`` removes them (the stacks, then every
function left with the tutorial's prefix). Every execution environment the stack started
is then gone, counted by the system (``wslab.local.platform.descendants``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conformance.support import connect, poll
from tests.local.lambda_helpers import create_package_function, invoke_json, requires_node
from tests.support import REGION, clients_on, scaled
from wslab.aws import Target
from wslab.deploy.stack import ChatStack, delete, deploy
from wslab.local.platform import descendants
from wslab.local.process import LocalAWSProcess
from wslab.notebook.cleanup import leftovers

PREFIX = "wslab-leaks"
NODE_SOURCE = "exports.handler = async (event) => ({ statusCode: 200, body: 'node' });\n"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalAWSProcess]:
    with LocalAWSProcess(port=0) as started:
        yield started


@requires_node
@pytest.mark.timeout(scaled(600))
def test_no_worker_of_a_deleted_function_survives_the_cleanup(stack: LocalAWSProcess) -> None:
    target = Target.local(stack.endpoint_url, REGION)
    outputs = deploy(ChatStack(target, f"{PREFIX}-stack", say=lambda line: None))
    aws = clients_on(stack.endpoint_url)
    create_package_function(aws, f"{PREFIX}-article", {"index.js": NODE_SOURCE})
    assert invoke_json(aws, f"{PREFIX}-article")[0]["body"] == "node"
    ws = connect(outputs["WebSocketURL"])
    ws.send(json.dumps({"action": "dance"}))
    assert json.loads(ws.recv())["error"] == "unknown_action"
    ws.close()
    assert len(descendants(stack.pid)) >= 2, "the chat's and the Node.js function's workers"

    # 99_cleanup's steps, on what the tutorial's prefix names.
    found = leftovers(target, PREFIX)
    for name in found.get("cloudformation stacks", []):
        delete(ChatStack(target, name, say=lambda line: None))
    for name in leftovers(target, PREFIX).get("lambda functions", []):
        aws("lambda").delete_function(FunctionName=name)
    assert "lambda functions" not in leftovers(target, PREFIX)

    poll(lambda: not descendants(stack.pid), 60, "every worker process to stop")
