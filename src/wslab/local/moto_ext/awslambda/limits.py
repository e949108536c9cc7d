"""Lambda's own limits, refused with Lambda's errors: moto accepts all of these.

* function names: at most 64 characters of ``[a-zA-Z0-9-_]`` (an ARN may name it);
* environment variables: none of the keys Lambda reserves; 4 KB in all;
* ``Timeout`` 1-900 s, ``MemorySize`` 128-10,240 MB;
* the package: 50 MB zipped when uploaded directly, 250 MB unzipped;
* ``Invoke`` payloads: 6 MB synchronous, 1 MB asynchronous (``Event``);
* runtimes past their "block function create" / "block function update" dates
  (``lambda_runtimes``);
* layers: a version ARN that names none is ``InvalidParameterValueException`` "Layer
  version <arn> does not exist." (as reported in intuit/costBuddy#19; moto: another code
  and message).

Each check runs before moto changes anything (the unzipped size of a package fetched from S3,
known only once moto has it, is checked right after, and the new function removed). What each
message rests on is in ``docs/aws-behaviour.md``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

from botocore.session import get_session
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.exceptions import JsonRESTError

from wslab.local.moto_ext.awslambda.runtimes import schedule_of

__all__ = [
    "MAX_ASYNC_PAYLOAD_BYTES",
    "MAX_SYNC_PAYLOAD_BYTES",
    "RESERVED_ENVIRONMENT_KEYS",
    "check_configuration",
    "check_invocation",
    "install",
]

MAX_NAME_LENGTH: Final = 64
MAX_ENVIRONMENT_BYTES: Final = 4 * 1024
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1, 900
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10_240
MAX_ZIPPED_BYTES: Final = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES: Final = 250 * 1024 * 1024
MAX_SYNC_PAYLOAD_BYTES: Final = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD_BYTES: Final = 1024 * 1024

RESERVED_ENVIRONMENT_KEYS: Final = (
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
)
"""The keys Lambda sets itself and refuses in a function's configuration."""


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class RequestEntityTooLargeException(JsonRESTError):
    code = 413

    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message)


def _constraint(value: Any, field: str, rule: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must {rule}"
    )


def _shape(operation: str, member: str) -> Any:
    model = get_session().get_service_model("lambda")
    return model.operation_model(operation).input_shape.members[member]


_NAME_SHAPE = _shape("CreateFunction", "FunctionName")
_RUNTIMES: Final = tuple(_shape("CreateFunction", "Runtime").enum)


def _check_name(function_name: str) -> None:
    pattern, longest = _NAME_SHAPE.metadata["pattern"], _NAME_SHAPE.metadata["max"]

    def refusal(rule: str) -> str:
        return _constraint(function_name, "functionName", rule)

    if len(function_name) > longest:
        raise ValidationException(refusal(f"have length less than or equal to {longest}"))
    if not re.fullmatch(pattern, function_name):
        raise ValidationException(refusal(f"satisfy regular expression pattern: {pattern}"))
    # An ARN may name the function; the name itself is what Lambda limits to 64.
    name = function_name.split("function:", 1)[-1].split(":", 1)[0]
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidParameterValueException(
            refusal(f"have length less than or equal to {MAX_NAME_LENGTH}")
        )


def _check_environment(environment: Mapping[str, Any] | None) -> None:
    variables = (environment or {}).get("Variables") or {}
    reserved = [key for key in variables if key in RESERVED_ENVIRONMENT_KEYS]
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not "
            f"supported for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode("utf-8")) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )


def _check_range(value: Any, low: int, high: int, problem: Callable[[str], str]) -> None:
    if value is None:
        return
    if int(value) < low:
        raise ValidationException(problem(f"have value greater than or equal to {low}"))
    if int(value) > high:
        raise ValidationException(problem(f"have value less than or equal to {high}"))


def _check_runtime(runtime: str | None, *, creating: bool, today: date) -> None:
    if runtime is None:
        return
    if runtime not in _RUNTIMES:
        raise ValidationException(
            _constraint(runtime, "runtime", f"satisfy enum value set: [{', '.join(_RUNTIMES)}]")
        )
    schedule = schedule_of(runtime)
    if schedule is None:
        return
    blocked = schedule.block_create if creating else schedule.block_update
    if today >= blocked:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            f"AWS Lambda functions. We recommend you use the new runtime ({schedule.successor}) "
            "while creating or updating functions."
        )


def check_configuration(
    settings: Mapping[str, Any], *, creating: bool, today: date | None = None
) -> None:
    """Refuse what CreateFunction / UpdateFunctionConfiguration would (``settings`` in the
    API's spelling: ``FunctionName``, ``Environment``, ``Timeout``, ``MemorySize``, ``Runtime``)."""
    if creating:
        _check_name(str(settings.get("FunctionName", "")))
    _check_environment(settings.get("Environment"))
    timeout, memory = settings.get("Timeout"), settings.get("MemorySize")
    _check_range(
        timeout, MIN_TIMEOUT_S, MAX_TIMEOUT_S, lambda rule: _constraint(timeout, "timeout", rule)
    )
    _check_range(
        memory,
        MIN_MEMORY_MB,
        MAX_MEMORY_MB,
        lambda rule: f"'MemorySize' value failed to satisfy constraint: Member must {rule}",
    )
    _check_runtime(settings.get("Runtime"), creating=creating, today=today or date.today())


def _unzipped_size(package: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            return sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        return 0  # not a zip: refused as such by lambda_backend


def _check_unzipped(package: bytes | None) -> None:
    if package and _unzipped_size(package) > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
        )


def _check_direct_upload(zip_file: Any) -> None:
    """A package uploaded in the request (``ZipFile``, base64 in the JSON)."""
    if zip_file is None:
        return
    try:
        package = zip_file if isinstance(zip_file, bytes) else base64.b64decode(zip_file)
    except (binascii.Error, ValueError):
        return  # moto answers a malformed package itself
    if len(package) > MAX_ZIPPED_BYTES:
        raise RequestEntityTooLargeException(
            f"Zipped size must be smaller than {MAX_ZIPPED_BYTES} bytes"
        )
    _check_unzipped(package)


def check_invocation(payload: bytes, invocation_type: str) -> None:
    """Refuse a payload over Lambda's limit for its invocation type."""
    if invocation_type == "Event":
        if len(payload) > MAX_ASYNC_PAYLOAD_BYTES:
            raise RequestEntityTooLargeException(
                f"{len(payload)} byte payload is too large for the Event invocation type "
                f"(limit {MAX_ASYNC_PAYLOAD_BYTES} bytes)"
            )
    elif len(payload) > MAX_SYNC_PAYLOAD_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the "
            "InvokeFunction operation"
        )


_installed = False


def install() -> None:
    """Wrap moto's CreateFunction, UpdateFunctionConfiguration, UpdateFunctionCode and Invoke.
    Idempotent; after ``lambda_backend.install``."""
    global _installed
    if _installed:
        return
    create = LambdaBackend.create_function
    configure = LambdaBackend.update_function_configuration
    update_code = LambdaFunction.update_function_code
    invoke = LambdaBackend.invoke

    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        check_configuration(spec, creating=True)
        for arn in spec.get("Layers") or []:
            if self.layers_versions_by_arn(str(arn)) is None:
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        _check_direct_upload((spec.get("Code") or {}).get("ZipFile"))
        function = create(self, spec)
        try:
            _check_unzipped(getattr(function, "code_bytes", None))  # fetched from S3 by moto
        except InvalidParameterValueException:
            self.delete_function(function.function_name, None)
            raise
        return function

    def update_function_configuration(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        current = self.get_function(function_name, qualifier)
        check_configuration(
            {**body, "Runtime": body.get("Runtime") or current.run_time}, creating=False
        )
        return configure(self, function_name, qualifier, body)

    def update_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> Any:
        _check_runtime(self.run_time, creating=False, today=date.today())
        _check_direct_upload(updated_spec.get("ZipFile"))
        return update_code(self, updated_spec)

    def invoke_function(
        self: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        payload = body if isinstance(body, bytes) else str(body or "").encode("utf-8")
        check_invocation(payload, headers.get("X-Amz-Invocation-Type", "RequestResponse"))
        return invoke(self, function_name, qualifier, body, headers, response_headers)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]
    LambdaFunction.update_function_code = update_function_code  # type: ignore[method-assign]
    LambdaBackend.invoke = invoke_function  # type: ignore[method-assign]
    _installed = True
