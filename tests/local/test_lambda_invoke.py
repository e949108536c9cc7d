"""Lambda Invoke on the local stack runs the deployed code and answers as Lambda does."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest

from tests.local.lambda_helpers import create_function, create_id_table, invoke_json, role_arn
from tests.support import scaled
from wslab.deploy.packaging import zip_sources

pytestmark = pytest.mark.both_python_clients  # tests/local/conftest.py

ECHO = """
import os, json

def handler(event, context):
    print("event", json.dumps(event))
    return {
        "event": event,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "log_stream_name": context.log_stream_name,
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "GREETING", "TZ"))},
    }
"""

FAILING = """
import os, time

def handler(event, context):
    if event.get("raise"):
        raise KeyError("missing-key")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(event["exit"])
    if event.get("print_kb"):
        print("x" * 1024 * event["print_kb"])
    return "fine"
"""


@pytest.fixture(scope="module")
def echo(aws: Any) -> str:
    create_function(
        aws,
        "echo",
        ECHO,
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    return "echo"


@pytest.fixture(scope="module")
def failing(aws: Any) -> str:
    create_function(aws, "failing", FAILING, Timeout=1)
    return "failing"


def test_result_is_what_the_handler_returned(aws: Any, echo: str) -> None:
    """The payload is the handler's return value, JSON-encoded, with status 200."""
    body, response = invoke_json(aws, echo, {"a": [1, 2]})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"a": [1, 2]}


def test_handler_gets_the_real_lambda_context(aws: Any, echo: str) -> None:
    """Name, memory, deadline from Timeout, request id and ARN reach the LambdaContext."""
    body, _ = invoke_json(aws, echo)
    assert body["function_name"] == "echo"
    assert body["memory_limit_in_mb"] == "256"
    assert 0 < body["remaining_ms"] <= 7000
    assert len(body["request_id"]) == 36
    assert body["arn"].endswith(":function:echo")


def test_environment_is_lambdas_plus_sdk_endpoints(aws: Any, echo: str, endpoint_url: str) -> None:
    """The function's variables, Lambda's own, and the SDK endpoint variables of the stack."""
    env = invoke_json(aws, echo)[0]["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/echo"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"]
    assert env["AWS_ENDPOINT_URL"] == endpoint_url
    # Lambda sets none: management clients reach the stack through the redirect instead.
    assert "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI" not in env


def test_handler_reaches_the_local_stack_with_plain_boto3(aws: Any, unique: str) -> None:
    """boto3 inside a handler, created with no endpoint argument, talks to the local stack."""
    table = f"from-lambda-{unique}"
    create_id_table(aws, table)
    source = (
        "import boto3\n"
        "def handler(event, context):\n"
        "    boto3.client('dynamodb').put_item(TableName=event['table'],\n"
        "        Item={'id': {'S': context.aws_request_id}})\n"
        "    return context.aws_request_id\n"
    )
    create_function(aws, f"writer-{unique}", source, Timeout=30)
    request_id, _ = invoke_json(aws, f"writer-{unique}", {"table": table})
    item = aws("dynamodb").get_item(TableName=table, Key={"id": {"S": request_id}})
    assert item["Item"]["id"]["S"] == request_id


def test_exception_is_an_unhandled_function_error(aws: Any, failing: str) -> None:
    """A raised exception gives FunctionError Unhandled and Lambda's error JSON."""
    body, response = invoke_json(aws, failing, {"raise": True})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "KeyError"
    assert body["errorMessage"] == "'missing-key'"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]
    assert "app.py" in body["stackTrace"][0]


def test_timeout_is_lambdas_timeout_error(aws: Any, failing: str) -> None:
    """A handler running past Timeout is stopped, with Lambda's Task timed out error."""
    started = time.monotonic()
    body, response = invoke_json(aws, failing, {"sleep": 30})
    assert time.monotonic() - started < scaled(15)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert invoke_json(aws, failing)[0] == "fine"


SLOW_INIT = """
import time

time.sleep(2)  # module-level work of a cold start: imports, clients, configuration


def handler(event, context):
    return context.get_remaining_time_in_millis()
"""


def test_init_does_not_count_against_the_timeout(aws: Any, unique: str) -> None:
    """A cold start's Init phase has its own limit: a 2 s init under a 1 s Timeout succeeds."""
    create_function(aws, f"slow-init-{unique}", SLOW_INIT, Timeout=1)
    remaining_ms, response = invoke_json(aws, f"slow-init-{unique}")
    assert "FunctionError" not in response, remaining_ms
    # The deadline the handler sees starts when the runtime takes the event, after init.
    assert 0 < remaining_ms <= 1000


def test_a_handler_that_kills_its_worker(aws: Any, failing: str) -> None:
    """os._exit in the handler is Runtime.ExitError; the next invocation gets a new worker."""
    body, response = invoke_json(aws, failing, {"exit": 3})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in body["errorMessage"]
    assert invoke_json(aws, failing)[0] == "fine"


def test_log_tail_is_the_last_4_kb(aws: Any, failing: str) -> None:
    """LogType=Tail returns at most 4 KB, ending with the REPORT line."""
    _, response = invoke_json(aws, failing, {"print_kb": 10}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096
    text = tail.decode()
    assert "REPORT RequestId:" in text
    assert "Memory Size: 128 MB" in text
    _, plain = invoke_json(aws, failing)
    assert "LogResult" not in plain


def test_logs_land_in_cloudwatch(aws: Any, echo: str, unique: str) -> None:
    """START, the handler's prints, END and REPORT are in /aws/lambda/<name>."""
    _, response = invoke_json(aws, echo, {"marker": unique})
    logs = aws("logs")
    messages = [
        event["message"]
        for stream in logs.describe_log_streams(logGroupName="/aws/lambda/echo")["logStreams"]
        for event in logs.get_log_events(
            logGroupName="/aws/lambda/echo", logStreamName=stream["logStreamName"]
        )["events"]
    ]
    joined = "\n".join(messages)
    assert unique in joined
    request_id = response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    assert request_id
    assert any(message.startswith("START RequestId:") for message in messages)
    assert any(message.startswith("REPORT RequestId:") for message in messages)


def test_log_stream_name_names_the_stream_the_logs_are_in(aws: Any, echo: str) -> None:
    """``context.log_stream_name`` is the environment's stream, and the invocation's log is
    there, as on Lambda (it used to name a stream nothing was written to)."""
    body, _ = invoke_json(aws, echo)
    stream = body["log_stream_name"]
    assert stream == body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
    request_id = body["request_id"]
    logs = aws("logs")
    messages = [
        event["message"]
        for event in logs.get_log_events(logGroupName="/aws/lambda/echo", logStreamName=stream)[
            "events"
        ]
    ]
    assert f"START RequestId: {request_id} Version: $LATEST" in messages
    assert any(message.startswith(f"REPORT RequestId: {request_id}") for message in messages)


def test_event_invocation_runs_later(aws: Any, unique: str) -> None:
    """InvocationType=Event answers 202 at once and still runs the code."""
    table = f"events-{unique}"
    create_id_table(aws, table)
    source = (
        "import boto3\n"
        "def handler(event, context):\n"
        "    boto3.client('dynamodb').put_item(TableName=event['table'],\n"
        "        Item={'id': {'S': 'done'}})\n"
    )
    create_function(aws, f"async-{unique}", source, Timeout=30)
    response = aws("lambda").invoke(
        FunctionName=f"async-{unique}",
        InvocationType="Event",
        Payload=json.dumps({"table": table}),
    )
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + scaled(30)
    while time.monotonic() < deadline:
        if "Item" in aws("dynamodb").get_item(TableName=table, Key={"id": {"S": "done"}}):
            return
        time.sleep(0.1)
    pytest.fail("the Event invocation never ran")


def test_dry_run_validates_without_running(aws: Any, failing: str) -> None:
    """DryRun answers 204 and runs nothing."""
    response = aws("lambda").invoke(
        FunctionName=failing, InvocationType="DryRun", Payload=b'{"exit": 1}'
    )
    assert response["StatusCode"] == 204


def test_code_from_s3(aws: Any, unique: str) -> None:
    """A package uploaded to S3 and named by S3Bucket/S3Key is what runs."""
    s3 = aws("s3")
    bucket = f"code-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket,
        Key="pkg.zip",
        Body=zip_sources({"pkg/main.py": "def run(event, context):\n    return 's3 code'\n"}),
    )
    aws("lambda").create_function(
        FunctionName=f"s3-{unique}",
        Runtime="python3.12",
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler="pkg/main.run",
        Code={"S3Bucket": bucket, "S3Key": "pkg.zip"},
    )
    assert invoke_json(aws, f"s3-{unique}")[0] == "s3 code"


def test_function_created_by_cloudformation_runs(aws: Any, unique: str) -> None:
    """A function from a CloudFormation stack (inline ZipFile code) runs its code."""
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"cfn-{unique}",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role_arn(aws("iam"), "wslab-test-lambda"),
                    "Code": {"ZipFile": "def handler(event, context):\n    return 'from cfn'\n"},
                },
            }
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=f"cfn-{unique}", TemplateBody=json.dumps(template))
    cfn.get_waiter("stack_create_complete").wait(
        StackName=f"cfn-{unique}", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert invoke_json(aws, f"cfn-{unique}")[0] == "from cfn"
