"""Calling a route's Lambda proxy integration, as API Gateway does.

API Gateway finds the function in the integration URI, needs the function's resource
policy to let ``apigateway.amazonaws.com`` invoke it (unless the integration has its own
credentials), and gives up waiting after the integration's ``TimeoutInMillis`` while the
function itself runs on. Lambda would start an execution environment for it at once;
locally it may have to wait for one of a few, and one that cannot start before API
Gateway gives up is dropped unrun instead of running minutes late (the access log says
so), so a client that sends again on ``Endpoint request timed out`` sends no duplicate.
"""

from __future__ import annotations

import asyncio
import enum
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from wslab.local.control import (
    ControlPlane,
    DeployedFunction,
    FunctionThrottled,
    IntegrationSnapshot,
    InvocationNotStarted,
    InvocationResult,
    Invoker,
)
from wslab.local.policy import (
    Decision,
    MalformedPolicy,
    Principal,
    Request,
    Statement,
    evaluate,
    parse_statement,
)

__all__ = [
    "IntegrationFailure",
    "IntegrationResult",
    "call_lambda",
    "function_arn_of",
    "invoke_function",
    "invoke_permission",
    "with_stage_variables",
]

_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):lambda:path/2015-03-31/functions/"
    r"(?P<function>.+)/invocations$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_START_MARGIN_S = 0.05
# How long a function under a debugger (wslab local --debug) is waited for: a paused
# handler's client gets its answer, not API Gateway's timeout.
_DEBUGGED_WAIT_S = 24 * 3600.0


class IntegrationFailure(enum.Enum):
    """Why no result came back; each maps to an error frame or HTTP status."""

    ERROR = "error"  # function error, missing function or permission, unsupported type
    TIMEOUT = "timeout"
    UNSUPPORTED_MEDIA = "unsupported media"  # PassthroughBehavior refused the message


@dataclass(frozen=True)
class IntegrationResult:
    payload: Any = None
    failure: IntegrationFailure | None = None
    latency_ms: int = 0
    reason: str = ""
    # A function error's own fields (Lambda's error JSON), when the function failed.
    error_type: str | None = None
    error_message: str | None = None
    # Non-proxy integrations: the backend's status code, and what a two-way route sends back
    # (None: nothing) once the integration response has shaped it.
    status_code: int = 200
    reply: str | bytes | None = None


@lru_cache(maxsize=1024)
def _function_in(uri: str) -> str | None:
    match = _URI.match(uri)
    if match:
        return match.group("function")
    return uri if uri.startswith("arn:aws:lambda:") else None


def with_stage_variables(uri: str, stage_variables: Mapping[str, str]) -> str:
    """``uri`` with each ``${stageVariables.name}`` replaced by the stage's value."""
    if "${" not in uri:
        return uri
    return _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), uri)


def function_arn_of(uri: str | None, stage_variables: Mapping[str, str]) -> str | None:
    """The function ARN (or name) inside a Lambda integration URI."""
    if not uri:
        return None
    return _function_in(with_stage_variables(uri, stage_variables))


_API_GATEWAY = Principal("Service", "apigateway.amazonaws.com")


def _statements(raw: Iterable[Mapping[str, Any]]) -> Iterable[Statement]:
    for statement in raw:
        try:
            yield parse_statement(statement)
        except MalformedPolicy:
            continue  # Lambda's AddPermission stores no such statement


def invoke_permission(statements: Iterable[Mapping[str, Any]], source_arn: str) -> Decision:
    """Whether a function's resource policy lets API Gateway invoke it for ``source_arn``
    (the route's ``execute-api`` ARN), and if not, whether a statement denies it.

    API Gateway asks as ``apigateway.amazonaws.com`` with ``aws:SourceArn`` and
    ``aws:SourceAccount`` in the request context, which ``AddPermission``'s ``SourceArn``
    (``ArnLike``) and ``SourceAccount`` (``StringEquals``) test
    (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html,
    https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html).
    The ``Resource`` of each statement is Lambda's own, the function the policy is attached
    to, so it is left out (moto writes it with a ``:$LATEST`` suffix AWS does not add).
    """
    account = source_arn.split(":")[4] if source_arn.count(":") >= 5 else ""
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": account}
    request = Request("lambda:InvokeFunction", principal=_API_GATEWAY, context=context)
    return evaluate(_statements(statements), request)


@lru_cache(maxsize=4096)
def _permission(policy: DeployedFunction, source_arn: str) -> Decision:
    # Cached per function snapshot (replaced whenever the function or its policy changes).
    return invoke_permission(policy.policy_statements, source_arn)


def _refusal(function_name: str, source_arn: str, decision: Decision) -> str:
    if decision is Decision.EXPLICIT_DENY:
        return (
            f"function {function_name}'s resource policy denies apigateway.amazonaws.com "
            f"invoking it for {source_arn}"
        )
    return (
        f"function {function_name} does not allow apigateway.amazonaws.com to invoke it "
        f"for {source_arn} (add a lambda:InvokeFunction permission)"
    )


def _consume_outcome(task: asyncio.Future[Any]) -> None:
    # A timed-out invocation ends when nobody waits any more; its outcome is in its log.
    if not task.cancelled():
        task.exception()


def _error_fields(result: InvocationResult) -> tuple[str | None, str | None]:
    try:
        error = json.loads(result.payload)
    except ValueError:
        return None, None
    if not isinstance(error, dict):
        return None, str(error) if isinstance(error, str) else None
    kind, message = error.get("errorType"), error.get("errorMessage")
    return (
        kind if isinstance(kind, str) else None,
        message if isinstance(message, str) else None,
    )


async def _wait(invocation: asyncio.Future[InvocationResult], timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for ``invocation`` without cancelling it; True if it ended."""
    if invocation.done():
        return True
    waiter = asyncio.get_running_loop().create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    invocation.add_done_callback(wake)
    timer = asyncio.get_running_loop().call_later(timeout_s, wake)
    try:
        await waiter
    finally:
        timer.cancel()
        invocation.remove_done_callback(wake)
    return invocation.done()


async def call_lambda(
    invoke: Invoker,
    control: ControlPlane,
    integration: IntegrationSnapshot | None,
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
    source_arn: str,
    debugged_function: str | None = None,
) -> IntegrationResult:
    """Invoke the proxy integration's function with ``event``; never raises. The function
    named ``debugged_function`` is waited for without the integration's timeout."""
    if integration is None:
        return IntegrationResult(failure=IntegrationFailure.ERROR, reason="route has no target")
    if integration.integration_type != "AWS_PROXY":
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=f"integration type {integration.integration_type} is not a Lambda proxy",
        )
    result = await invoke_function(
        invoke,
        control,
        integration,
        json.dumps(event).encode(),
        stage_variables,
        source_arn,
        debugged_function=debugged_function,
    )
    if result.failure is not None:
        return result
    raw: bytes = result.payload
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    return IntegrationResult(payload=payload, latency_ms=result.latency_ms)


async def invoke_function(
    invoke: Invoker,
    control: ControlPlane,
    integration: IntegrationSnapshot,
    payload: bytes,
    stage_variables: Mapping[str, str],
    source_arn: str,
    debugged_function: str | None = None,
) -> IntegrationResult:
    """Invoke the function the integration URI names with ``payload``, as API Gateway does
    for Lambda integrations, proxy or not; the result's ``payload`` is the function's raw
    output (bytes), also for a function error. Never raises. The function named
    ``debugged_function`` (``wslab local --debug``) is waited for without a timeout."""
    arn = function_arn_of(integration.integration_uri, stage_variables)
    function = await control.find_function(arn) if arn else None
    if function is None:
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=f"no Lambda function for integration URI {integration.integration_uri}",
        )
    permission = (
        Decision.ALLOW if integration.credentials_arn else _permission(function, source_arn)
    )
    if not permission.allowed:
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=_refusal(function.spec.name, source_arn, permission),
        )
    started = time.perf_counter()
    timeout_s = integration.timeout_ms / 1000
    if function.spec.name == debugged_function:
        timeout_s = _DEBUGGED_WAIT_S
    # It must start a moment before the timeout to be of any use; an invocation dropped
    # then fails before API Gateway's own wait ends, so its reason is the one logged.
    start_by = time.monotonic() + max(timeout_s - _START_MARGIN_S, 0.0)
    invocation = asyncio.ensure_future(invoke(function.spec, payload, start_by=start_by))
    invocation.add_done_callback(_consume_outcome)
    # The function runs on after API Gateway stops waiting, as on AWS: never cancel it.
    if not await _wait(invocation, timeout_s):
        return IntegrationResult(
            failure=IntegrationFailure.TIMEOUT,
            latency_ms=int((time.perf_counter() - started) * 1000),
            reason=f"no answer within {timeout_s * 1000:.0f} ms",
        )
    error = invocation.exception()
    if isinstance(error, InvocationNotStarted):
        return IntegrationResult(
            failure=IntegrationFailure.TIMEOUT,
            latency_ms=int((time.perf_counter() - started) * 1000),
            reason=str(error),
        )
    if isinstance(error, FunctionThrottled):
        return IntegrationResult(failure=IntegrationFailure.ERROR, reason="function throttled")
    if error is not None:
        return IntegrationResult(failure=IntegrationFailure.ERROR, reason=f"invoke failed: {error}")
    result = invocation.result()
    latency_ms = int((time.perf_counter() - started) * 1000)
    if result.function_error:
        error_type, error_message = _error_fields(result)
        return IntegrationResult(
            payload=result.payload,
            failure=IntegrationFailure.ERROR,
            latency_ms=latency_ms,
            reason=f"function error: {result.payload[:300].decode('utf-8', 'replace')}",
            error_type=error_type,
            error_message=error_message,
        )
    return IntegrationResult(payload=result.payload, latency_ms=latency_ms)
