"""Hot reload: a function whose code is a folder (``Code: {S3Bucket: hot-reload, S3Key:
/abs/folder}``, LocalStack's convention) runs the folder's files as they are now.

Through a real ``wslab local``: boto3, CloudFormation and SAM create such functions; a real
WebSocket client's next message after an edit is answered by the new code (Python and
Node.js); GetFunction answers as LocalStack does; a relative or missing folder is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.support import connect, poll
from tests.local import cfn_helpers
from tests.local.lambda_helpers import invoke_json, requires_node, role_arn
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import wire_websocket_api
from wslab.local.process import LocalAWSProcess

PYTHON_HANDLER = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"answer": %r})}
"""

NODE_HANDLER = """
exports.handler = async () => ({ statusCode: 200, body: JSON.stringify({ answer: %s }) });
"""


def _write_python(folder: Path, answer: str) -> None:
    (folder / "app.py").write_text(PYTHON_HANDLER % answer)


def _write_node(folder: Path, answer: str) -> None:
    (folder / "index.js").write_text(NODE_HANDLER % json.dumps(answer))


def _hot_code(folder: Path) -> dict[str, str]:
    return {"S3Bucket": "hot-reload", "S3Key": str(folder)}


def _create_hot(
    aws: Callable[..., Any], name: str, folder: Path, runtime: str, handler: str
) -> None:
    aws("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler=handler,
        Code=_hot_code(folder),
    )


def _answer_until(ask: Callable[[], str], wanted: str) -> str:
    """Ask again until the answer is ``wanted``: the watcher sees a change within a few
    tens of milliseconds, and invocations just before that run the old code."""
    return str(poll(lambda: ask() == wanted and wanted, seconds=30, what=f"answer {wanted}"))


@pytest.mark.parametrize(
    ("runtime", "handler", "write"),
    [
        ("python3.12", "app.handler", _write_python),
        pytest.param("nodejs20.x", "index.handler", _write_node, marks=requires_node),
    ],
    ids=["python", "nodejs"],
)
def test_the_next_message_after_an_edit_runs_the_new_code(
    local_stack: LocalAWSProcess,
    aws: Callable[..., Any],
    unique: str,
    tmp_path: Path,
    runtime: str,
    handler: str,
    write: Callable[[Path, str], None],
) -> None:
    """A WebSocket route's function on a hot-reload folder: edit the handler, the next
    messages are answered by the edited code, without any deploy."""
    write(tmp_path, "before")
    name = f"hot-{unique}"
    _create_hot(aws, name, tmp_path, runtime, handler)
    api = wire_websocket_api(
        aws("apigatewayv2"), aws("lambda"), f"hot-{unique}", {"ask": name}, two_way=["ask"]
    )
    ws = connect(api.url)
    try:

        def ask() -> str:
            ws.send(json.dumps({"action": "ask"}))
            return str(json.loads(ws.recv())["answer"])

        assert ask() == "before"
        write(tmp_path, "after")
        assert _answer_until(ask, "after") == "after"
        edited = "app.py" if runtime.startswith("python") else "index.js"
        said = f"[{name}] hot reload: {edited} changed, new code from now on"
        poll(lambda: said in local_stack.output(), what="the stack's reload line")
        write(tmp_path, "again")
        assert _answer_until(ask, "again") == "again"
    finally:
        ws.close()


def test_an_edit_of_the_same_size_and_time_runs_too(
    aws: Callable[..., Any], unique: str, tmp_path: Path
) -> None:
    """Python trusts a cached module whose source has the same size and mtime (in whole
    seconds): an edit within the second must not run the old bytecode."""
    _write_python(tmp_path, "one")
    name = f"hot-same-{unique}"
    _create_hot(aws, name, tmp_path, "python3.12", "app.handler")

    def answer() -> str:
        return str(json.loads(invoke_json(aws, name)[0]["body"])["answer"])

    assert answer() == "one"
    source = tmp_path / "app.py"
    before = source.stat()
    _write_python(tmp_path, "two")
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert source.stat().st_size == before.st_size
    assert _answer_until(answer, "two") == "two"
    assert not (tmp_path / "__pycache__").exists(), "nothing is written in the folder"


def test_get_function_answers_as_localstack_does(
    aws: Callable[..., Any], unique: str, tmp_path: Path
) -> None:
    """CodeSha256 and CodeSize say there is no package; Code.Location names the folder."""
    _write_python(tmp_path, "x")
    name = f"hot-get-{unique}"
    _create_hot(aws, name, tmp_path, "python3.12", "app.handler")
    found = aws("lambda").get_function(FunctionName=name)
    assert found["Configuration"]["CodeSha256"] == "hot-reloading-hash-not-available"
    assert found["Configuration"]["CodeSize"] == 0
    assert found["Code"] == {"Location": f"Code location: {tmp_path}", "RepositoryType": "S3"}


@pytest.mark.parametrize("key", ["lambda_src", "./lambda_src"], ids=["relative", "dot"])
def test_a_relative_folder_is_refused(aws: Callable[..., Any], unique: str, key: str) -> None:
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(
            FunctionName=f"hot-rel-{unique}",
            Runtime="python3.12",
            Role=role_arn(aws("iam"), "wslab-test-lambda"),
            Handler="app.handler",
            Code={"S3Bucket": "hot-reload", "S3Key": key},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "absolute path" in error["Message"]
    with pytest.raises(ClientError):  # and no function was left behind
        aws("lambda").get_function(FunctionName=f"hot-rel-{unique}")


def test_a_missing_folder_is_refused(aws: Callable[..., Any], unique: str, tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    with pytest.raises(ClientError) as refused:
        _create_hot(aws, f"hot-missing-{unique}", missing, "python3.12", "app.handler")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert str(missing) in refused.value.response["Error"]["Message"]


def test_update_function_code_switches_between_a_package_and_a_folder(
    aws: Callable[..., Any], unique: str, tmp_path: Path
) -> None:
    """A zip function moved onto a folder runs the folder; moved back, the zip again."""
    lambda_client = aws("lambda")
    name = f"hot-switch-{unique}"
    package = zip_sources({"app.py": PYTHON_HANDLER % "zip"})
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler="app.handler",
        Code={"ZipFile": package},
    )

    def answer() -> str:
        return str(json.loads(invoke_json(aws, name)[0]["body"])["answer"])

    assert answer() == "zip"
    _write_python(tmp_path, "folder")
    lambda_client.update_function_code(FunctionName=name, **_hot_code(tmp_path))
    assert answer() == "folder"
    with pytest.raises(ClientError) as refused:
        lambda_client.update_function_code(
            FunctionName=name, S3Bucket="hot-reload", S3Key="relative"
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert answer() == "folder"  # a refused update changes nothing
    updated = lambda_client.update_function_code(FunctionName=name, ZipFile=package)
    assert updated["CodeSha256"] != "hot-reloading-hash-not-available"
    assert answer() == "zip"


def _function_template(code: dict[str, str], sam: bool) -> dict[str, Any]:
    if sam:
        resource = {
            "Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "CodeUri": code},
        }
        return {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {"Hot": resource},
            "Outputs": {"Name": {"Value": {"Ref": "Hot"}}},
        }
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": code,
        },
    }
    return {
        "Resources": {"Role": role, "Hot": function},
        "Outputs": {"Name": {"Value": {"Ref": "Hot"}}},
    }


@pytest.mark.parametrize("sam", [False, True], ids=["cloudformation", "sam"])
def test_cloudformation_and_sam_create_hot_reload_functions(
    aws: Callable[..., Any], unique: str, tmp_path: Path, sam: bool
) -> None:
    """``Code: {S3Bucket: hot-reload, S3Key}``, and SAM's ``CodeUri: {Bucket, Key}``."""
    _write_python(tmp_path, "stack")
    code = (
        {"Bucket": "hot-reload", "Key": str(tmp_path)}
        if sam
        else {"S3Bucket": "hot-reload", "S3Key": str(tmp_path)}
    )
    cfn = aws("cloudformation")
    stack = f"hot-{'sam' if sam else 'cfn'}-{unique}"
    cfn_helpers.create(
        cfn,
        stack,
        _function_template(code, sam),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    name = cfn_helpers.outputs(cfn, stack)["Name"]
    assert json.loads(invoke_json(aws, name)[0]["body"])["answer"] == "stack"
    _write_python(tmp_path, "edited")
    edited = _answer_until(
        lambda: str(json.loads(invoke_json(aws, name)[0]["body"])["answer"]), "edited"
    )
    assert edited == "edited"
    cfn.delete_stack(StackName=stack)
    poll(lambda: cfn_helpers.gone(cfn, stack), seconds=30, what="stack deleted")
