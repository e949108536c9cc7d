"""Calling the integrations that are not Lambda proxies: AWS (Lambda), HTTP, HTTP_PROXY, MOCK.

Behaviour: docs/apigw-websocket.md §5.1, §5.2. For AWS, HTTP and MOCK the message passes
through a request template (VTL, chosen by the integration's template selection
expression, subject to ``PassthroughBehavior``) on its way to the backend, and the backend's
answer through the integration response its status code (or a Lambda function's error
message) selects, whose response template shapes the reply. HTTP_PROXY passes the message
body to the URL and the response body back as it is. ``ContentHandlingStrategy``
``CONVERT_TO_BINARY`` turns base64 text into bytes and ``CONVERT_TO_TEXT`` bytes into base64
text, on the request (integration) and on the reply (integration response).

Whether the reply reaches the client is the route's business (a two-way route only), not
this module's: it returns the reply in :attr:`IntegrationResult.reply`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from wslab.local.control import AwsServiceCaller, ControlPlane, IntegrationSnapshot, Invoker
from wslab.local.gateway.integrations import (
    IntegrationFailure,
    IntegrationResult,
    function_arn_of,
    invoke_function,
    with_stage_variables,
)
from wslab.local.gateway.parameters import IntegrationParameters, integration_parameters
from wslab.local.gateway.templates import (
    PassthroughRefused,
    pick_integration_response,
    pick_request_template,
    pick_response_template,
)
from wslab.local.gateway.vtl import TemplateFailure, render_template

__all__ = ["HttpBackend", "call_non_proxy"]

_SERVICE_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):action/(?P<action>[A-Za-z0-9]+)$"
)
_CONVERT_TO_BINARY = "CONVERT_TO_BINARY"
_CONVERT_TO_TEXT = "CONVERT_TO_TEXT"


class HttpBackend:
    """The HTTP client HTTP and HTTP_PROXY integrations call their URLs with: one session,
    opened on first use, closed with the gateway. Requests carry ``Content-Type:
    application/json`` (UNCONFIRMED) and the headers ``RequestParameters`` map, none of the
    client's own."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self,
        method: str,
        url: str,
        body: bytes,
        timeout_s: float,
        parameters: IntegrationParameters,
    ) -> tuple[int, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            method,
            url,
            data=body,
            params=parameters.query or None,
            headers={"Content-Type": "application/json", **parameters.headers},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            return response.status, await response.read()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _failure(reason: str, started: float) -> IntegrationResult:
    latency_ms = int((time.perf_counter() - started) * 1000)
    return IntegrationResult(failure=IntegrationFailure.ERROR, latency_ms=latency_ms, reason=reason)


def _to_backend(text: str, content_handling: str | None) -> bytes:
    if content_handling == _CONVERT_TO_BINARY:
        return base64.b64decode(text, validate=True)
    return text.encode()


def _converted_reply(output: bytes, content_handling: str | None) -> str | bytes:
    if content_handling == _CONVERT_TO_BINARY:
        return base64.b64decode(output, validate=True)
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        # Binary the backend sent: text (base64) if asked, else passed on as bytes.
        if content_handling == _CONVERT_TO_TEXT:
            return base64.b64encode(output).decode("ascii")
        return output
    if content_handling == _CONVERT_TO_TEXT:
        return base64.b64encode(output).decode("ascii")
    return text


def _mock_status(request: str) -> int:
    """A MOCK integration answers with the ``statusCode`` its request template wrote
    (200 when it wrote none: UNCONFIRMED)."""
    try:
        value = json.loads(request)
    except ValueError:
        return 200
    status = value.get("statusCode") if isinstance(value, dict) else None
    return status if isinstance(status, int) else 200


@dataclass(frozen=True)
class _Answer:
    """What a backend answered: its status code, its output, and the text that selects the
    integration response (the status code, or a Lambda function's error message)."""

    status: int
    output: bytes
    selector: str


def _failed(failure: IntegrationFailure, reason: str) -> IntegrationResult:
    return IntegrationResult(failure=failure, reason=reason)


async def _service(
    services: AwsServiceCaller | None, integration: IntegrationSnapshot, request: bytes
) -> _Answer | IntegrationResult:
    """An AWS service action (``...:{service}:action/{Action}``), called by the local stack."""
    uri = integration.integration_uri or ""
    match = _SERVICE_URI.match(uri)
    if match is None or services is None:
        return _failed(
            IntegrationFailure.ERROR,
            f"integration URI {uri} names no Lambda function nor AWS service action",
        )
    call = services(
        match["region"], match["service"], match["action"], request, integration.credentials_arn
    )
    try:
        status, output = await asyncio.wait_for(call, integration.timeout_ms / 1000)
    except TimeoutError:
        return _failed(
            IntegrationFailure.TIMEOUT,
            f"{match['service']} did not answer within {integration.timeout_ms} ms",
        )
    except LookupError as refused:
        return _failed(IntegrationFailure.ERROR, str(refused))
    return _Answer(status, output, str(status))


async def _http(
    http: HttpBackend,
    integration: IntegrationSnapshot,
    request: bytes,
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
) -> _Answer | IntegrationResult:
    # Stage variables may name the URL, or part of it, as for Lambda functions.
    url = with_stage_variables(integration.integration_uri or "", stage_variables)
    method = integration.integration_method or "POST"
    try:
        parameters = integration_parameters(integration.request_parameters, event, stage_variables)
        status, output = await http.request(
            method, url, request, integration.timeout_ms / 1000, parameters
        )
    except TimeoutError:
        return _failed(
            IntegrationFailure.TIMEOUT, f"no answer from {url} within {integration.timeout_ms} ms"
        )
    except (aiohttp.ClientError, ValueError, OSError) as error:
        return _failed(IntegrationFailure.ERROR, f"{url}: {error}")
    return _Answer(status, output, str(status))


async def _backend(
    invoke: Invoker,
    control: ControlPlane,
    services: AwsServiceCaller | None,
    http: HttpBackend,
    integration: IntegrationSnapshot,
    request: bytes,
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
    source_arn: str,
    debugged_function: str | None,
) -> _Answer | IntegrationResult:
    """Call the backend: its answer, or the failure that stands for one. A Lambda function's
    error is selected by its ``errorMessage``, as REST APIs do (UNCONFIRMED for WebSocket
    APIs)."""
    kind = integration.integration_type
    if kind == "MOCK":
        status = _mock_status(request.decode("utf-8", "replace"))
        return _Answer(status, b"", str(status))
    if kind != "AWS":
        return await _http(http, integration, request, event, stage_variables)
    if function_arn_of(integration.integration_uri, stage_variables) is None:
        return await _service(services, integration, request)
    result = await invoke_function(
        invoke,
        control,
        integration,
        request,
        stage_variables,
        source_arn,
        debugged_function=debugged_function,
    )
    if result.failure is IntegrationFailure.ERROR and result.payload is not None:
        # A function error is an answer: its errorMessage selects the integration response.
        return _Answer(200, bytes(result.payload), result.error_message or "")
    if result.failure is not None:
        return result
    return _Answer(200, bytes(result.payload or b""), "200")


async def call_non_proxy(
    invoke: Invoker,
    control: ControlPlane,
    services: AwsServiceCaller | None,
    http: HttpBackend,
    integration: IntegrationSnapshot,
    event: Mapping[str, Any],
    stage_variables: Mapping[str, str],
    source_arn: str,
    debugged_function: str | None = None,
) -> IntegrationResult:
    """Run a non-proxy (or HTTP_PROXY) integration for ``event``; never raises."""
    started = time.perf_counter()
    kind = integration.integration_type
    if kind not in ("AWS", "HTTP", "HTTP_PROXY", "MOCK"):
        return _failure(f"integration type {kind} is not served locally", started)
    body = event.get("body") or ""
    context = event.get("requestContext") or {}
    try:
        template = None if kind == "HTTP_PROXY" else pick_request_template(integration, body)
        text = (
            body
            if template is None
            else render_template(
                template,
                body=body,
                context=context,
                stage_variables=stage_variables,
                query=event.get("queryStringParameters") or {},
                headers=event.get("headers") or {},
            )
        )
        request = _to_backend(text, integration.content_handling)
    except PassthroughRefused as refused:
        return IntegrationResult(failure=IntegrationFailure.UNSUPPORTED_MEDIA, reason=str(refused))
    except (TemplateFailure, binascii.Error, ValueError) as error:
        return _failure(f"integration request: {error}", started)
    answer = await _backend(
        invoke,
        control,
        services,
        http,
        integration,
        request,
        event,
        stage_variables,
        source_arn,
        debugged_function,
    )
    latency_ms = int((time.perf_counter() - started) * 1000)
    if isinstance(answer, IntegrationResult):
        return replace(answer, latency_ms=latency_ms)
    status, output = answer.status, answer.output
    if kind == "HTTP_PROXY":
        return IntegrationResult(
            status_code=status,
            latency_ms=latency_ms,
            reply=_converted_reply(output, integration.content_handling) if output else None,
        )
    response = pick_integration_response(integration.responses, answer.selector)
    if response is None:
        # What API Gateway logs then; the client gets an internal error
        # (docs/apigw-websocket.md §5.1).
        return IntegrationResult(
            failure=IntegrationFailure.ERROR,
            status_code=status,
            latency_ms=latency_ms,
            reason="Execution failed due to configuration error: No match for output mapping "
            f"and no default output mapping configured. Endpoint response status code: {status}",
        )
    output_text = output.decode("utf-8", "replace")
    try:
        response_template = pick_response_template(response, status, output_text)
        shaped = (
            output
            if response_template is None
            else render_template(
                response_template,
                body=output_text,
                context=context,
                stage_variables=stage_variables,
            ).encode()
        )
        reply = _converted_reply(shaped, response.content_handling) if shaped else None
    except (TemplateFailure, binascii.Error, ValueError) as error:
        return _failure(f"integration response: {error}", started)
    return IntegrationResult(status_code=status, latency_ms=latency_ms, reply=reply)
