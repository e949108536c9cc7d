"""Calling a route's Lambda proxy integration, as API Gateway does.

API Gateway finds the function in the integration URI, needs the function's resource
policy to let ``apigateway.amazonaws.com`` invoke it (unless the integration has its own
credentials), and gives up waiting after the integration's ``TimeoutInMillis`` while the
function itself runs on.
"""

from __future__ import annotations

import asyncio
import enum
import fnmatch
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from wslab.lambda_runtime.service import FunctionThrottled, LambdaService
from wslab.local.deployments import IntegrationSnapshot

__all__ = ["IntegrationFailure", "IntegrationResult", "call_lambda", "function_arn_of"]

_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):lambda:path/2015-03-31/functions/"
    r"(?P<function>.+)/invocations$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class IntegrationFailure(enum.Enum):
    """Why no result came back; each maps to an error frame or HTTP status."""

    ERROR = "error"  # function error, missing function or permission, unsupported type
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class IntegrationResult:
    payload: Any = None
    failure: IntegrationFailure | None = None
    latency_ms: int = 0
    reason: str = ""


def function_arn_of(uri: str | None, stage_variables: dict[str, str]) -> str | None:
    """The function ARN (or name) inside a Lambda integration URI."""
    if not uri:
        return None
    resolved = _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), uri)
    match = _URI.match(resolved)
    if match:
        return match.group("function")
    return resolved if resolved.startswith("arn:aws:lambda:") else None


def _find_function(arn: str) -> Any:
    from moto.awslambda.models import lambda_backends

    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    region, account, name = parts[3], parts[4], parts[6]
    qualifier = parts[7] if len(parts) > 7 else None
    try:
        return lambda_backends[account][region].get_function(name, qualifier)
    except Exception:  # moto raises its own not-found errors
        return None


def _allows(statement: dict[str, Any], source_arn: str) -> bool:
    if statement.get("Effect", "Allow") != "Allow":
        return False
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, dict) else principal
    if isinstance(services, str):
        services = [services]
    if not services or not ({"apigateway.amazonaws.com", "*"} & set(services)):
        return False
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    if not any(fnmatch.fnmatchcase(action.lower(), "lambda:invokefunction") or
               action.lower() in ("lambda:*", "*") for action in actions):  # fmt: skip
        return False
    for condition in (statement.get("Condition") or {}).values():
        for key, pattern in condition.items():
            if key.lower() == "aws:sourcearn" and not fnmatch.fnmatchcase(source_arn, pattern):
                return False
    return True


def permission_granted(function: Any, source_arn: str) -> bool:
    """Whether the function's resource policy lets API Gateway invoke it for ``source_arn``."""
    return any(_allows(statement, source_arn) for statement in function.policy.statements)


def _consume_outcome(task: asyncio.Future[Any]) -> None:
    # A timed-out invocation ends when nobody waits any more; its outcome is in its log.
    if not task.cancelled():
        task.exception()


async def call_lambda(
    lambdas: LambdaService,
    integration: IntegrationSnapshot | None,
    event: dict[str, Any],
    stage_variables: dict[str, str],
    source_arn: str,
    timeout_ms: int | None = None,
) -> IntegrationResult:
    """Invoke the integration's function with ``event``; never raises."""
    if integration is None:
        return IntegrationResult(failure=IntegrationFailure.ERROR, reason="route has no target")
    if integration.integration_type not in ("AWS_PROXY",):
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=f"integration type {integration.integration_type} is not served locally",
        )
    arn = function_arn_of(integration.integration_uri, stage_variables)
    function = _find_function(arn) if arn else None
    if function is None:
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=f"no Lambda function for integration URI {integration.integration_uri}",
        )
    if not integration.credentials_arn and not permission_granted(function, source_arn):
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            reason=(
                f"function {function.function_name} does not allow apigateway.amazonaws.com "
                f"to invoke it for {source_arn} (add a lambda:InvokeFunction permission)"
            ),
        )
    started = time.perf_counter()
    invocation = asyncio.ensure_future(lambdas.invoke(function, json.dumps(event).encode()))
    invocation.add_done_callback(_consume_outcome)
    timeout_s = (timeout_ms or integration.timeout_ms) / 1000
    try:
        # The function runs on after API Gateway stops waiting, as on AWS: shield it.
        result = await asyncio.wait_for(asyncio.shield(invocation), timeout_s)
    except TimeoutError:
        return IntegrationResult(
            failure=IntegrationFailure.TIMEOUT,
            latency_ms=int((time.perf_counter() - started) * 1000),
            reason=f"no answer within {timeout_s * 1000:.0f} ms",
        )
    except FunctionThrottled:
        return IntegrationResult(failure=IntegrationFailure.ERROR, reason="function throttled")
    latency_ms = int((time.perf_counter() - started) * 1000)
    if result.function_error:
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            latency_ms=latency_ms,
            reason=f"function error: {result.payload[:300].decode('utf-8', 'replace')}",
        )
    try:
        payload = json.loads(result.payload) if result.payload else None
    except ValueError:
        payload = result.payload.decode("utf-8", "replace")
    return IntegrationResult(payload=payload, latency_ms=latency_ms)
