"""moto's Lambda, extended to run the deployed code and to refuse packages that aren't zips.

Without Docker, moto 5.2 answers ``Invoke`` with a canned string. Here ``Invoke`` hands the
function to the runtime the running stack attached (``wslab.local.runtime``), on the
stack's event loop, and
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

from wslab.local.control import FunctionThrottled, InvocationResult
from wslab.local.moto_ext.awslambda.hot_reload import code_folder
from wslab.local.moto_ext.core.control_plane import spec_from_moto
from wslab.local.moto_ext.core.host import HOST

__all__ = ["install", "is_image"]

_UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."


class TooManyRequestsException(JsonRESTError):
    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


class ImageFunctionsDoNotRun(JsonRESTError):
    """A container image function is kept and listed, but there is no container runtime
    to run it: Invoke says so, in Lambda's error format (HTTP 502, as Lambda's
    ``InvalidRuntimeException``; https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""

    code = 502

    def __init__(self, function: LambdaFunction) -> None:
        super().__init__(
            "InvalidRuntimeException",
            f"wslab local cannot run {function.function_name}: it is a container image "
            f"function (PackageType Image, {function.code.get('ImageUri')}), and wslab local "
            "runs .zip packages only. Package the function as a .zip to run it locally.",
        )


class ServiceUnavailable(JsonRESTError):
    code = 503

    def __init__(self) -> None:
        super().__init__("ServiceException", "The local Lambda runtime is not running.")


def _is_zip(code: bytes | None) -> bool:
    return bool(code) and zipfile.is_zipfile(io.BytesIO(code or b""))


def is_image(function: LambdaFunction) -> bool:
    """A container image function (its code is an ``ImageUri``, not a package)."""
    return function.package_type == "Image" or "ImageUri" in (function.code or {})


def _check_package(function: LambdaFunction) -> None:
    if code_folder(function):
        return  # hot reload: the code is a folder, no package
    if not is_image(function) and not _is_zip(getattr(function, "code_bytes", None)):
        raise InvalidParameterValueException(_UNZIP_ERROR)


async def _invoke_on_loop(function: LambdaFunction, payload: bytes) -> InvocationResult:
    runtime = HOST.runtime
    if runtime is None:
        raise ServiceUnavailable()
    invoke, _ = runtime
    return await invoke(spec_from_moto(function), payload)


def _run(function: LambdaFunction, payload: bytes) -> InvocationResult:
    runtime = HOST.runtime
    if runtime is None:
        raise ServiceUnavailable()
    _, loop = runtime
    future: Future[InvocationResult] = asyncio.run_coroutine_threadsafe(
        _invoke_on_loop(function, payload), loop
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
    if is_image(function):
        raise ImageFunctionsDoNotRun(function)
    if invocation_type == "Event":
        runtime = HOST.runtime
        if runtime is None:
            raise ServiceUnavailable()
        _, loop = runtime
        # Accepted now, run later; the result goes to the function's log only.
        later = asyncio.run_coroutine_threadsafe(_invoke_on_loop(function, payload), loop)
        later.add_done_callback(lambda done: done.cancelled() or done.exception())
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
        except Exception:
            self.delete_function(function.function_name, None)  # a refused function is no function
            raise
        return function

    def update_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> Any:
        saved = {
            name: getattr(self, name, None)
            for name in ("code", "code_bytes", "code_size", "code_sha_256", "code_digest")
        }
        result = original_update_code(self, updated_spec)
        refused = "ImageUri" not in updated_spec and not code_folder(self)
        if refused and not _is_zip(getattr(self, "code_bytes", None)):
            for name, value in saved.items():
                setattr(self, name, value)
            raise InvalidParameterValueException(_UNZIP_ERROR)
        return result

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaFunction.update_function_code = update_function_code  # type: ignore[method-assign]
    LambdaBackend.invoke = _invoke  # type: ignore[method-assign]
    _installed = True
