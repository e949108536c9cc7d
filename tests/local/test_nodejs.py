"""Node.js functions run on the machine's node, as Lambda's Node.js runtimes run them.

CommonJS and ES modules, async and callback handlers, Lambda's context and environment,
Node's error JSON (``errorType``, ``errorMessage``, ``trace``), Init errors, timeouts, logs,
and the AWS SDK for JavaScript v3 without bundling it. Skipped when node is not on PATH.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.local.lambda_helpers import (
    create_id_table,
    create_package_function,
    invoke_json,
    requires_node,
    requires_node_sdk,
)

pytestmark = requires_node

AWS = Callable[..., Any]

CONTEXT_JS = """
module.exports.handler = async (event, context) => ({
  event,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  invokedFunctionArn: context.invokedFunctionArn,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remainingMs: context.getRemainingTimeInMillis(),
  env: Object.fromEntries(
    Object.entries(process.env).filter(([k]) => /^(AWS_|LAMBDA_|_HANDLER|NODE_PATH|TZ)/.test(k))
  ),
});
"""

FAILING_JS = """
exports.handler = async (event) => {
  if (event.throw) throw new TypeError('broken on purpose');
  if (event.throwString) throw 'a plain string';
  if (event.reject) Promise.reject(new Error('nobody awaited this'));
  if (event.sleep) await new Promise((resolve) => setTimeout(resolve, event.sleep * 1000));
  if (event.exit) process.exit(event.exit);
  if (event.log) console.log('a log line', { marker: event.log }, 'with\\ntwo lines');
  if (event.warn) console.warn('careful', event.warn);
  return 'fine';
};
"""


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def failing(aws: AWS) -> str:
    name = _name("node-failing")
    create_package_function(aws, name, {"index.js": FAILING_JS}, Timeout=1)
    return name


# --- handlers: module systems and styles -------------------------------------------------


@pytest.mark.parametrize(
    ("files", "handler", "style"),
    [
        ({"index.js": "exports.handler = async (e) => ({ style: 'cjs', e });"}, "index.handler",
         "cjs"),
        ({"app.mjs": "export const run = async (e) => ({ style: 'esm', e });"}, "app.run", "esm"),
        ({"package.json": '{"type": "module"}',
          "index.js": "export const handler = async (e) => ({ style: 'esm', e });"},
         "index.handler", "esm"),
        ({"main.cjs": "module.exports.go = async (e) => ({ style: 'cjs', e });"}, "main.go",
         "cjs"),
        ({"src/handlers.mjs": "export const api = { on: async (e) => ({ style: 'esm', e }) };"},
         "src/handlers.api.on", "esm"),
    ],
    ids=["js-commonjs", "mjs", "js-type-module", "cjs", "nested-path-and-name"],
)  # fmt: skip
def test_commonjs_and_es_module_handlers(
    aws: AWS, files: dict[str, str], handler: str, style: str
) -> None:
    """.js (CommonJS, or ES module under ``"type": "module"``), .mjs, .cjs, folders, and a
    nested handler name all load as Lambda loads them."""
    name = _name("node-module")
    create_package_function(aws, name, files, handler=handler)
    body, response = invoke_json(aws, name, {"n": 1})
    assert "FunctionError" not in response, body
    assert body == {"style": style, "e": {"n": 1}}


CALLBACK_JS = """
exports.handler = function (event, context, callback) {
  if (event.fail) return callback(new RangeError('refused by callback'));
  if (event.dontWait) context.callbackWaitsForEmptyEventLoop = false;
  // Work still pending when the callback runs: Lambda waits for it unless told not to.
  setTimeout(() => console.log('timer', event.marker), event.timerMs);
  callback(null, { answered: event.marker });
};
"""


def _tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response["LogResult"]).decode()


def test_callback_handler_waits_for_the_event_loop(aws: AWS) -> None:
    """callback(null, result): the response goes once the event loop is empty, so work the
    handler left pending (a timer) runs, and logs, within the invocation."""
    name = _name("node-callback")
    create_package_function(aws, name, {"index.js": CALLBACK_JS}, Timeout=10)
    body, response = invoke_json(aws, name, {"marker": "m1", "timerMs": 300}, LogType="Tail")
    assert body == {"answered": "m1"}
    assert "INFO\ttimer m1" in _tail(response)


def test_callback_without_waiting_answers_at_once(aws: AWS) -> None:
    """With ``callbackWaitsForEmptyEventLoop = false`` the response goes when the callback
    runs; the pending timer runs later, outside this invocation's log."""
    name = _name("node-nowait")
    create_package_function(aws, name, {"index.js": CALLBACK_JS}, Timeout=10)
    body, response = invoke_json(
        aws, name, {"marker": "m2", "timerMs": 3000, "dontWait": True}, LogType="Tail"
    )
    assert body == {"answered": "m2"}
    assert "timer m2" not in _tail(response)


def test_callback_with_an_error(aws: AWS) -> None:
    """callback(error): the invocation fails with that error, in Node's error JSON."""
    name = _name("node-callback-error")
    create_package_function(aws, name, {"index.js": CALLBACK_JS})
    body, response = invoke_json(aws, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("RangeError", "refused by callback")


def test_a_handler_that_returns_nothing_answers_null(aws: AWS) -> None:
    """Neither a promise nor a callback: the result is null once the event loop is empty."""
    name = _name("node-nothing")
    create_package_function(aws, name, {"index.js": "exports.handler = () => {};"})
    body, response = invoke_json(aws, name)
    assert body is None and "FunctionError" not in response


def test_context_and_environment(aws: AWS, endpoint_url: str) -> None:
    """Lambda's context object, its variables, and the SDK endpoint variables."""
    name = _name("node-context")
    create_package_function(
        aws, name, {"index.js": CONTEXT_JS}, MemorySize=256, Timeout=7,
        Environment={"Variables": {"AWS_GREETING": "hello"}},
    )  # fmt: skip
    body, response = invoke_json(aws, name, {"k": "v"})
    assert "FunctionError" not in response, body
    assert body["event"] == {"k": "v"}
    assert body["functionName"] == name
    assert body["functionVersion"] == "$LATEST"
    assert body["memoryLimitInMB"] == "256"
    assert len(body["awsRequestId"]) == 36
    assert body["invokedFunctionArn"].endswith(f":function:{name}")
    assert body["logGroupName"] == f"/aws/lambda/{name}"
    assert 0 < body["remainingMs"] <= 7000
    env = body["env"]
    assert body["logStreamName"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["_HANDLER"] == "index.handler"
    assert env["AWS_GREETING"] == "hello"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == endpoint_url
    assert "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI" not in env
    assert env["LAMBDA_TASK_ROOT"] in env["NODE_PATH"].split(":")
    assert env["TZ"] == ":UTC"


# --- errors ---------------------------------------------------------------------------------


def test_a_thrown_error_is_nodes_error_json(aws: AWS, failing: str) -> None:
    """An exception: FunctionError Unhandled, ``errorType``, ``errorMessage`` and ``trace``."""
    body, response = invoke_json(aws, failing, {"throw": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError"
    assert body["errorMessage"] == "broken on purpose"
    assert body["trace"][0] == "TypeError: broken on purpose"
    assert "index.js" in body["trace"][1]


def test_a_thrown_string(aws: AWS, failing: str) -> None:
    """A thrown value that isn't an Error is reported by its type, with an empty trace."""
    body, _ = invoke_json(aws, failing, {"throwString": True})
    assert body == {"errorType": "string", "errorMessage": "a plain string", "trace": []}


def test_an_unhandled_rejection_ends_the_environment(aws: AWS, failing: str) -> None:
    """A rejection nobody handles: Runtime.UnhandledPromiseRejection, then a fresh
    environment for the next invocation."""
    body, response = invoke_json(aws, failing, {"reject": True, "sleep": 0.2})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert body["errorMessage"] == "Error: nobody awaited this"
    assert invoke_json(aws, failing)[0] == "fine"


def test_timeout(aws: AWS, failing: str) -> None:
    """Past Timeout the environment is stopped: Sandbox.Timedout; the next call runs."""
    body, response = invoke_json(aws, failing, {"sleep": 30})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert invoke_json(aws, failing)[0] == "fine"


def test_process_exit(aws: AWS, failing: str) -> None:
    """process.exit in the handler is Runtime.ExitError naming the status."""
    body, _ = invoke_json(aws, failing, {"exit": 3})
    assert body["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in body["errorMessage"]
    assert invoke_json(aws, failing)[0] == "fine"


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        ({"index.js": "exports.handler = 1;"}, "missing.handler", "Runtime.ImportModuleError",
         "Error: Cannot find module 'missing'"),
        ({"index.js": "exports.other = () => 1;"}, "index.handler", "Runtime.HandlerNotFound",
         "index.handler is undefined or not exported"),
        ({"index.js": "exports.handler = async () => {"}, "index.handler",
         "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected end of input"),
        ({"index.mjs": "import x from 'not-installed';\nexport const handler = () => x;"},
         "index.handler", "Runtime.ImportModuleError",
         "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'not-installed'"),
        ({"index.js": "exports.handler = 1;"}, "index", "Runtime.MalformedHandlerName",
         "Bad handler index"),
    ],
    ids=["no-module", "no-export", "syntax", "esm-missing-package", "malformed"],
)  # fmt: skip
def test_init_errors(
    aws: AWS, files: dict[str, str], handler: str, error_type: str, message: str
) -> None:
    """Code that cannot load fails each invocation with Lambda's Init error types."""
    name = _name("node-init")
    create_package_function(aws, name, files, handler=handler)
    body, response = invoke_json(aws, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)
    assert body["trace"][0].startswith(f"{error_type}: {message}")


# --- logs -----------------------------------------------------------------------------------


def test_log_lines_are_lambdas_text_format(aws: AWS, failing: str) -> None:
    """console.* writes ``<time>\\t<request id>\\t<LEVEL>\\t<message>`` between START and
    REPORT, in the tail and in CloudWatch Logs."""
    marker = uuid.uuid4().hex[:8]
    _, response = invoke_json(aws, failing, {"log": marker, "warn": marker}, LogType="Tail")
    tail = _tail(response)
    assert tail.startswith("START RequestId: ")
    request_id = tail.split()[2]
    assert f"\t{request_id}\tINFO\ta log line {{ marker: '{marker}' }} with\ntwo lines" in tail
    assert f"\t{request_id}\tWARN\tcareful {marker}" in tail
    assert f"REPORT RequestId: {request_id}" in tail
    logs = aws("logs")
    group = f"/aws/lambda/{failing}"
    records = [
        event["message"]
        for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
            "events"
        ]
    ]
    assert any(f"\t{request_id}\tINFO\ta log line {{ marker: '{marker}' }}" in r for r in records)


def test_an_error_is_logged(aws: AWS, failing: str) -> None:
    """The error the invocation answers is also in its log, as an ERROR record."""
    _, response = invoke_json(aws, failing, {"throw": True}, LogType="Tail")
    tail = _tail(response)
    assert "\tERROR\tInvoke Error " in tail
    assert '"errorType":"TypeError"' in tail


def _local_node_major() -> int:
    node = shutil.which("node")
    assert node is not None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    return int(version.stdout.strip().lstrip("v").split(".")[0])


def test_a_newer_runtime_runs_with_a_notice(aws: AWS) -> None:
    """A nodejs runtime newer than the local node runs, with one line saying so."""
    runtime = f"nodejs{_local_node_major() + 2}.x"
    name = _name("node-newer")
    create_package_function(
        aws, name, {"index.js": "exports.handler = async () => 'ran';"}, runtime=runtime
    )
    body, response = invoke_json(aws, name, LogType="Tail")
    assert body == "ran"
    notice = f"wslab local: this {runtime} function runs on the local Node.js "
    assert [line for line in _tail(response).splitlines() if line.startswith(notice)]


# --- the SDK the runtime provides -----------------------------------------------------------

SDK_CJS = """
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, PutCommand } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
exports.handler = async (event, context) => {
  await db.send(new PutCommand({ TableName: event.table, Item: { id: context.awsRequestId } }));
  return context.awsRequestId;
};
"""

SDK_ESM = (
    SDK_CJS.replace(
        "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');",
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    )
    .replace(
        "const { DynamoDBDocumentClient, PutCommand } = require('@aws-sdk/lib-dynamodb');",
        "import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';",
    )
    .replace("exports.handler =", "export const handler =")
)


@requires_node_sdk
@pytest.mark.parametrize(("file", "source"), [("index.js", SDK_CJS), ("index.mjs", SDK_ESM)])
def test_the_sdk_is_provided_and_reaches_the_stack(aws: AWS, file: str, source: str) -> None:
    """``@aws-sdk/*`` resolves without being bundled, from require and import alike, and a
    client made with no endpoint writes to the local stack's DynamoDB."""
    table = _name("node-sdk")
    create_id_table(aws, table)
    name = _name("node-sdk")
    create_package_function(aws, name, {file: source}, Timeout=30)
    request_id, response = invoke_json(aws, name, {"table": table})
    assert "FunctionError" not in response, request_id
    item = aws("dynamodb").get_item(TableName=table, Key={"id": {"S": request_id}})
    assert item["Item"]["id"]["S"] == request_id


@requires_node_sdk
def test_a_bundled_module_wins_over_the_runtimes(aws: AWS) -> None:
    """The function's own node_modules is found before the SDK the runtime provides."""
    name = _name("node-bundled")
    files = {
        "index.mjs": "import { which } from '@aws-sdk/client-dynamodb';\n"
        "export const handler = async () => which;",
        "node_modules/@aws-sdk/client-dynamodb/package.json": '{"main": "index.js"}',
        "node_modules/@aws-sdk/client-dynamodb/index.js": "exports.which = 'bundled';",
    }
    create_package_function(aws, name, files)
    assert invoke_json(aws, name)[0] == "bundled"
