"""The runtime client's life: Init (logging, the handler), then invocations one by one.

An Init failure is logged, posted to ``/init/error``, and ends the process with status 1;
a failed invocation is logged and posted to ``/invocation/{id}/error``, and the loop goes
on. Timeouts are not the client's business: the execution environment is killed.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any, Final

from wslab.local.runtime.python_client import logs
from wslab.local.runtime.python_client.api import NextInvocation, RuntimeApi
from wslab.local.runtime.python_client.context import LambdaContext, parse_json_header
from wslab.local.runtime.python_client.faults import fault_result, xray_cause
from wslab.local.runtime.python_client.handler import load_handler
from wslab.local.runtime.python_client.marshal import decode_event, encode, encode_result

__all__ = ["main", "run"]

_TRACE_VARIABLE: Final = "_X_AMZN_TRACE_ID"
_PREVIEW_RUNTIMES: Final = frozenset({"AWS_Lambda_python3.15"})
_PREVIEW_WARNING: Final = (
    "LAMBDA_WARNING: This is a preview runtime version and should not be used for "
    "production workloads. For further information and to provide feedback, see {}\r"
)


def _warn_if_preview() -> None:
    if os.environ.get("LAMBDA_DISABLE_PREVIEW_WARN"):
        return
    if os.environ.get("AWS_EXECUTION_ENV", "") in _PREVIEW_RUNTIMES:
        domain = (
            "amazonaws.cn"
            if os.environ.get("AWS_REGION", "").startswith("cn-")
            else "aws.amazon.com"
        )
        logging.warning(
            _PREVIEW_WARNING.format(f"https://docs.{domain}/lambda/latest/dg/lambda-runtimes.html")
        )


def _context(invocation: NextInvocation, request_id: str | None) -> LambdaContext:
    client_context = invocation.header("Lambda-Runtime-Client-Context")
    identity = invocation.header("Lambda-Runtime-Cognito-Identity")
    return LambdaContext(
        request_id,
        parse_json_header(client_context, "Client Context") if client_context else None,
        parse_json_header(identity, "Cognito Identity") if identity else None,
        int(invocation.header("Lambda-Runtime-Deadline-Ms") or 0),
        invocation.header("Lambda-Runtime-Invoked-Function-Arn"),
        invocation.header("Lambda-Runtime-Aws-Tenant-Id"),
    )


def _handle(
    api: RuntimeApi, handler: Callable[..., Any], invocation: NextInvocation, sink: logs.StdoutSink
) -> None:
    request_id = invocation.header("Lambda-Runtime-Aws-Request-Id") or ""
    try:
        context = _context(invocation, request_id)
        event = decode_event(invocation.body, invocation.header("Content-Type"))
        body, content_type = encode_result(handler(event, context))
    except Exception as error:
        result = fault_result(error, request_id)
        logs.log_error(result, sink)
        cause = encode(xray_cause(error, os.getcwd()))
        api.post_error(request_id, encode(result).encode("utf-8"), result["errorType"], cause)
        return
    api.post_response(request_id, body, content_type)


def run(handler_name: str, api: RuntimeApi) -> None:
    sink = logs.install()
    try:
        _warn_if_preview()
        handler = load_handler(handler_name)
    except Exception as error:
        result = fault_result(error)
        logging.warning(logs.unhandled_warning)
        logs.log_error(result, sink)
        api.post_init_error(encode(result).encode("utf-8"), result["errorType"])
        sys.exit(1)
    while True:
        invocation = api.next()
        logs.current_request.id = invocation.header("Lambda-Runtime-Aws-Request-Id")
        logs.current_request.tenant_id = invocation.header("Lambda-Runtime-Aws-Tenant-Id")
        trace_id = invocation.header("Lambda-Runtime-Trace-Id")
        if trace_id is not None:
            os.environ[_TRACE_VARIABLE] = trace_id
        else:
            os.environ.pop(_TRACE_VARIABLE, None)
        _handle(api, handler, invocation, sink)


def main(argv: list[str]) -> None:
    """``argv[1]``: the handler, as awslambdaric takes it."""
    if len(argv) < 2:
        raise ValueError("Handler not set")
    run(argv[1], RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"]))
