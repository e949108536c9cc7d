"""The gateway on its own: a fake control plane and a fake runtime, a real socket and client.

The gateway takes both as parameters (``local/control.py``), so its decisions can be
checked against answers no real runtime gives on demand, such as the error JSON of a
Node.js authorizer.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from aiohttp import web

from tests.support import scaled
from wslab.local.control import (
    ApiSnapshot,
    AuthorizerSnapshot,
    DeployedFunction,
    FunctionSpec,
    IntegrationSnapshot,
    InvocationResult,
    RouteSnapshot,
    ServedStage,
)
from wslab.local.gateway.server import Gateway, GatewaySettings

API_ID, STAGE, ACCOUNT, REGION = "a1b2c3d4e5", "dev", "123456789012", "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:authorizer"
URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"
SPEC = FunctionSpec(
    account_id=ACCOUNT, region=REGION, name="authorizer", arn=FUNCTION_ARN,
    version="$LATEST", handler="index.handler", runtime="nodejs20.x", environment=(),
    timeout_s=3.0, memory_mb=128, code_sha256="x", reserved_concurrency=None,
)  # fmt: skip
ALLOW_APIGATEWAY = (
    {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
    },
)
STAGE_WITH_AUTHORIZER = ServedStage(
    api_id=API_ID,
    stage=STAGE,
    deployment_id="abc123",
    region=REGION,
    account_id=ACCOUNT,
    snapshot=ApiSnapshot(
        api_id=API_ID,
        route_selection_expression="$request.body.action",
        routes={
            "$connect": RouteSnapshot("r1", "$connect", "i1", "CUSTOM", "auth1", two_way=False)
        },
        integrations={"i1": IntegrationSnapshot("i1", "AWS_PROXY", URI, 29_000)},
        authorizers={
            "auth1": AuthorizerSnapshot(
                "auth1", "tokens", "REQUEST", URI, ("route.request.querystring.token",)
            )
        },
    ),
)


class FakeControlPlane:
    def __init__(self, policy_statements: tuple[dict[str, Any], ...] = ALLOW_APIGATEWAY) -> None:
        self.policy_statements = policy_statements

    def served_stage(self, api_id: str, stage: str) -> ServedStage | None:
        return STAGE_WITH_AUTHORIZER if (api_id, stage) == (API_ID, STAGE) else None

    def is_websocket_api(self, api_id: str) -> bool:
        return api_id == API_ID

    async def find_function(self, arn: str) -> DeployedFunction | None:
        return DeployedFunction(SPEC, self.policy_statements) if arn == FUNCTION_ARN else None

    def function_code(self, spec: FunctionSpec) -> bytes:
        raise AssertionError("the gateway never reads code")

    def write_logs(self, spec: FunctionSpec, stream: str, lines: list[tuple[int, str]]) -> None:
        raise AssertionError("the gateway never writes function logs")

    def function_credentials(self, spec: FunctionSpec) -> None:
        raise AssertionError("the gateway never assumes roles")

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> None:
        return None  # every caller is an administrator here


class FailingFunction:
    """Every invocation fails with this error JSON, as the runtime would report it."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.error = json.dumps(error, separators=(",", ":")).encode()
        self.calls = 0

    async def __call__(
        self, spec: FunctionSpec, payload: bytes, start_by: float | None = None
    ) -> InvocationResult:
        self.calls += 1
        return InvocationResult("request-id", self.error, "Unhandled", "", 1.0)


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(invoker, control)`` runs a gateway on a free port in a thread; returns its base
    URL."""
    loops: list[tuple[asyncio.AbstractEventLoop, web.AppRunner]] = []

    def start(invoker: Any, control: FakeControlPlane | None = None) -> str:
        ready = threading.Event()
        url: list[str] = []

        def run() -> None:
            loop = asyncio.new_event_loop()

            async def up() -> web.AppRunner:
                plane = control or FakeControlPlane()
                gateway = Gateway(invoker, plane, GatewaySettings(), lambda line: None)
                app = web.Application()
                app.router.add_route("*", "/{tail:.*}", gateway.handle)
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                url.append(f"ws://127.0.0.1:{runner.addresses[0][1]}")
                return runner

            loops.append((loop, loop.run_until_complete(up())))
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        assert ready.wait(scaled(10))
        return url[0]

    yield start
    for loop, runner in loops:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(scaled(10))
        loop.call_soon_threadsafe(loop.stop)


def _refused_status(url: str) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=scaled(5))
    return int(refused.value.status_code)


def test_a_nodejs_authorizer_failing_with_unauthorized_is_401(serve: Any) -> None:
    """Node.js reports ``{"errorType":"Error","errorMessage":"Unauthorized",...}`` (compact,
    type first): the 401 comes from the error's message, not from a substring of it."""
    authorizer = FailingFunction(
        {"errorType": "Error", "errorMessage": "Unauthorized", "trace": ["Error: Unauthorized"]}
    )
    base = serve(authorizer)
    assert _refused_status(f"{base}/{API_ID}/{STAGE}?token=t") == 401
    assert authorizer.calls == 1


def test_any_other_authorizer_failure_is_500(serve: Any) -> None:
    authorizer = FailingFunction({"errorType": "Error", "errorMessage": "Unauthorized user bob"})
    base = serve(authorizer)
    assert _refused_status(f"{base}/{API_ID}/{STAGE}?token=t") == 500


def test_the_identity_source_is_checked_before_any_invocation(serve: Any) -> None:
    authorizer = FailingFunction({"errorMessage": "never called"})
    base = serve(authorizer)
    assert _refused_status(f"{base}/{API_ID}/{STAGE}") == 401
    assert authorizer.calls == 0


def _deny_authorizers(api_id: str) -> dict[str, Any]:
    # What no AddPermission call can write, but a resource policy may hold: a Deny.
    return {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "lambda:*",
        "Condition": {
            "ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:*:*:{api_id}/authorizers/*"}
        },
    }


def test_a_deny_in_the_function_policy_refuses_the_invocation(serve: Any) -> None:
    """An applicable Deny beats the Allow: the authorizer is never invoked (500); a Deny
    naming another API leaves the Allow in force."""
    authorizer = FailingFunction({"errorType": "Error", "errorMessage": "Unauthorized"})
    denied = FakeControlPlane((*ALLOW_APIGATEWAY, _deny_authorizers(API_ID)))
    assert _refused_status(f"{serve(authorizer, denied)}/{API_ID}/{STAGE}?token=t") == 500
    assert authorizer.calls == 0

    elsewhere = FakeControlPlane((*ALLOW_APIGATEWAY, _deny_authorizers("otherapi1")))
    assert _refused_status(f"{serve(authorizer, elsewhere)}/{API_ID}/{STAGE}?token=t") == 401
    assert authorizer.calls == 1
