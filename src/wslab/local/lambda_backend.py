"""moto's Lambda, extended to run the deployed code and to refuse packages that aren't zips.

Without Docker, moto 5.2 answers ``Invoke`` with a canned string. Here ``Invoke`` hands the
function to the local runtime (``wslab.lambda_runtime``) on the stack's event loop and
answers with what the code returned, as Lambda does: the payload, ``X-Amz-Function-Error``,
``X-Amz-Log-Result`` (``LogType=Tail``) and ``X-Amz-Executed-Version``.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from concurrent.futures import Future
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.exceptions import JsonRESTError

from wslab.lambda_runtime.service import FunctionThrottled, InvocationResult, LambdaService

__all__ = ["attach_runtime", "detach_runtime", "install"]

_UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."

_runtime: tuple[LambdaService, asyncio.AbstractEventLoop] | None = None


class TooManyRequestsException(JsonRESTError):
    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


class ServiceUnavailable(JsonRESTError):
    code = 503

    def __init__(self) -> None:
        super().__init__("ServiceException", "The local Lambda runtime is not running.")


def attach_runtime(service: LambdaService, loop: asyncio.AbstractEventLoop) -> None:
    """Invocations arriving on moto's threads run on ``loop`` from now on."""
    global _runtime
    _runtime = (service, loop)


def detach_runtime() -> None:
    global _runtime
    _runtime = None


def _is_zip(code: bytes | None) -> bool:
    return bool(code) and zipfile.is_zipfile(io.BytesIO(code or b""))


def _check_package(function: LambdaFunction) -> None:
    if function.package_type == "Zip" and not _is_zip(function.code_bytes):
        raise InvalidParameterValueException(_UNZIP_ERROR)


def _run(function: LambdaFunction, payload: bytes) -> InvocationResult:
    if _runtime is None:
        raise ServiceUnavailable()
    service, loop = _runtime
    future: Future[InvocationResult] = asyncio.run_coroutine_threadsafe(
        service.invoke(function, payload), loop
    )
    try:
        return future.result()
    except FunctionThrottled as throttled:
        raise TooManyRequestsException() from throttled


def _payload_bytes(body: Any) -> bytes:
    if body is None:
        return b"{}"
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def _invoke(
    self: LambdaBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes:
    function = self.get_function(function_name, qualifier)
    invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
    payload = _payload_bytes(body)
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        if _runtime is None:
            raise ServiceUnavailable()
        service, loop = _runtime
        loop.call_soon_threadsafe(service.invoke_in_background, function, payload)
        return b""
    result = _run(function, payload)
    response_headers["x-amz-executed-version"] = function.version
    response_headers["x-amz-log-result"] = result.log_tail_base64
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["Content-Length"] = str(len(result.payload))
    return result.payload


_installed = False


def install() -> None:
    """Patch moto's Lambda backend and function model. Idempotent."""
    global _installed
    if _installed:
        return
    original_create = LambdaBackend.create_function
    original_update_code = LambdaFunction.update_function_code

    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        function = original_create(self, spec)
        try:
            _check_package(function)
        except InvalidParameterValueException:
            self.delete_function(function.function_name, None)
            raise
        return function

    def update_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> Any:
        saved = {
            name: getattr(self, name, None)
            for name in ("code", "code_bytes", "code_size", "code_sha_256", "code_digest")
        }
        result = original_update_code(self, updated_spec)
        if not _is_zip(self.code_bytes):
            for name, value in saved.items():
                setattr(self, name, value)
            raise InvalidParameterValueException(_UNZIP_ERROR)
        return result

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaFunction.update_function_code = update_function_code  # type: ignore[method-assign]
    LambdaBackend.invoke = _invoke  # type: ignore[method-assign]
    _installed = True
