"""Lambda's own limits, refused by the local AWS with Lambda's error codes and messages
(``docs/aws-behaviour.md`` says where each comes from)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.lambda_helpers import create_function, invoke_json, role_arn
from wslab.deploy.packaging import zip_sources

ECHO = "def handler(event, context):\n    return len(str(event))\n"


def _create(aws: Any, name: str, aws_client: Any = None, **settings: Any) -> Any:
    lam = aws_client or aws("lambda")
    options: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": role_arn(aws("iam"), "wslab-test-lambda"),
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_sources({"app.py": ECHO})},
    }
    options.update(settings)
    return lam.create_function(**options)


def _refusal(aws: Any, name: str, aws_client: Any = None, **settings: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        _create(aws, name, aws_client, **settings)
    error, meta = raised.value.response["Error"], raised.value.response["ResponseMetadata"]
    return error["Code"], error["Message"], meta["HTTPStatusCode"]


def _gone(aws: Any, name: str) -> bool:
    lam = aws("lambda")
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return True
    return False


def test_a_name_longer_than_64_characters(aws: Any, unique: str) -> None:
    name = f"chat-{unique}-" + "x" * 90
    code, message, status = _refusal(aws, name)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )
    assert _gone(aws, name)
    exactly_64 = f"c-{unique}-".ljust(64, "x")
    assert _create(aws, exactly_64)["FunctionName"] == exactly_64


def test_a_name_with_characters_lambda_does_not_take(aws: Any, unique: str) -> None:
    code, message, _ = _refusal(aws, f"chat.{unique}")
    assert code == "ValidationException"
    assert message.startswith(
        f"1 validation error detected: Value 'chat.{unique}' at 'functionName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: (arn:"
    )


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "TZ"])
def test_a_reserved_environment_variable(aws: Any, unique: str, key: str) -> None:
    name = f"reserved-{unique}"
    environment = {"Variables": {"TABLE": "t", key: "x"}}
    code, message, _ = _refusal(aws, name, Environment=environment)
    assert code == "InvalidParameterValueException"
    assert message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        f"for modification. Reserved keys used in this request: {key}"
    )
    assert _gone(aws, name)


def test_an_environment_over_4_kb(aws: Any, unique: str) -> None:
    variables = {"BIG": "x" * 4096}
    code, message, _ = _refusal(aws, f"env-{unique}", Environment={"Variables": variables})
    assert code == "InvalidParameterValueException"
    assert message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: "
        + json.dumps(variables, separators=(",", ":"))
    )


def test_update_configuration_is_held_to_the_same_limits(aws: Any, unique: str) -> None:
    """UpdateFunctionConfiguration refuses a reserved key and leaves the function as it was."""
    name = f"update-{unique}"
    create_function(aws, name, ECHO, Environment={"Variables": {"A": "1"}})
    lam = aws("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="AWS_REGION"):
        lam.update_function_configuration(
            FunctionName=name, Environment={"Variables": {"AWS_REGION": "eu-west-1"}}
        )
    with pytest.raises(ClientError, match="less than or equal to 900"):
        lam.update_function_configuration(FunctionName=name, Timeout=901)
    configuration = lam.get_function_configuration(FunctionName=name)
    assert configuration["Environment"]["Variables"] == {"A": "1"}
    assert configuration["Timeout"] == 3


@pytest.mark.parametrize(
    ("timeout", "rule"),
    [(901, "less than or equal to 900"), (0, "greater than or equal to 1")],
)
def test_a_timeout_outside_1_to_900_seconds(aws: Any, unique: str, timeout: int, rule: str) -> None:
    # boto3 checks the minimum itself: switch that off to see what the service says.
    unchecked = aws("lambda", parameter_validation=False)
    code, message, _ = _refusal(aws, f"timeout-{unique}", unchecked, Timeout=timeout)
    assert code == "ValidationException"
    assert message == (
        f"1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy "
        f"constraint: Member must have value {rule}"
    )


@pytest.mark.parametrize(
    ("memory", "rule"),
    [(10_241, "less than or equal to 10240"), (64, "greater than or equal to 128")],
)
def test_memory_outside_128_to_10240_mb(aws: Any, unique: str, memory: int, rule: str) -> None:
    unchecked = aws("lambda", parameter_validation=False)
    code, message, _ = _refusal(aws, f"memory-{unique}", unchecked, MemorySize=memory)
    assert code == "ValidationException"
    assert (
        message == f"'MemorySize' value failed to satisfy constraint: Member must have value {rule}"
    )


def test_a_runtime_past_its_block_create_date(aws: Any, unique: str) -> None:
    """python3.7: creation blocked since 2024-01-09 (AWS's deprecated runtimes table)."""
    code, message, status = _refusal(aws, f"old-{unique}", Runtime="python3.7")
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        "The runtime parameter of python3.7 is no longer supported for creating or updating "
        "AWS Lambda functions. We recommend you use the new runtime (python3.14) while "
        "creating or updating functions."
    )


def test_a_runtime_lambda_does_not_know(aws: Any, unique: str) -> None:
    code, message, _ = _refusal(aws, f"unknown-{unique}", Runtime="python9.9")
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'python9.9' at 'runtime' failed to satisfy "
        "constraint: Member must satisfy enum value set: [nodejs, "
    )


def test_runtime_updates_are_blocked_by_their_own_date() -> None:
    """Past "block function update", even a configuration change is refused; before it, a
    runtime whose creation is blocked is still updatable (the schedule's two dates)."""
    from moto.awslambda.exceptions import InvalidParameterValueException

    from wslab.local.moto_ext.awslambda.limits import check_configuration

    check_configuration({"Runtime": "python3.7"}, creating=False, today=date(2027, 3, 2))
    with pytest.raises(InvalidParameterValueException, match=r"python3\.7 is no longer supported"):
        check_configuration({"Runtime": "python3.7"}, creating=False, today=date(2027, 3, 3))
    with pytest.raises(InvalidParameterValueException):
        check_configuration(
            {"FunctionName": "f", "Runtime": "python3.9"}, creating=True, today=date(2027, 2, 1)
        )


def _zip_of(name: str, data: bytes, compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_a_package_over_50_mb_uploaded_directly(aws: Any, unique: str) -> None:
    package = _zip_of("blob", os.urandom(50 * 1024 * 1024), zipfile.ZIP_STORED)
    code, message, status = _refusal(aws, f"zipped-{unique}", Code={"ZipFile": package})
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == "Zipped size must be smaller than 52428800 bytes"


def test_a_package_over_250_mb_unzipped(aws: Any, unique: str) -> None:
    """Directly and through S3 (where only the unzipped limit applies)."""
    package = _zip_of("zeros", bytes(250 * 1024 * 1024 + 1), zipfile.ZIP_DEFLATED)
    code, message, _ = _refusal(aws, f"unzipped-{unique}", Code={"ZipFile": package})
    assert (code, message) == (
        "InvalidParameterValueException",
        "Unzipped size must be smaller than 262144000 bytes",
    )
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"code-{unique}")
    s3.put_object(Bucket=f"code-{unique}", Key="big.zip", Body=package)
    name = f"unzipped-s3-{unique}"
    code, message, _ = _refusal(aws, name, Code={"S3Bucket": f"code-{unique}", "S3Key": "big.zip"})
    assert message == "Unzipped size must be smaller than 262144000 bytes"
    assert _gone(aws, name)


def test_payloads_over_6_mb_synchronous_and_1_mb_asynchronous(aws: Any, unique: str) -> None:
    name = f"payload-{unique}"
    create_function(aws, name, ECHO)
    lam = aws("lambda")
    big = json.dumps({"data": "x" * (6 * 1024 * 1024)})
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=name, Payload=big)
    assert raised.value.response["Error"] == {
        "Code": "RequestEntityTooLargeException",
        "Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    }
    medium = json.dumps({"data": "x" * (1024 * 1024)})
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=name, Payload=medium, InvocationType="Event")
    assert raised.value.response["Error"]["Message"] == (
        f"{len(medium)} byte payload is too large for the Event invocation type "
        "(limit 1048576 bytes)"
    )
    # 300 KB: over the old 256 KB asynchronous limit, within today's 1 MB.
    accepted = lam.invoke(
        FunctionName=name, Payload=json.dumps({"d": "x" * 300_000}), InvocationType="Event"
    )
    assert accepted["StatusCode"] == 202
    assert invoke_json(aws, name, {"d": "x" * (5 * 1024 * 1024)})[0] > 5 * 1024 * 1024
