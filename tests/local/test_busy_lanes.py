"""Every lane busy, every socket still served.

While other threads hold the locks of API Gateway, Lambda, IAM, STS, CloudFormation,
DynamoDB and Logs (the real lock objects, as a slow stack operation or a slow IAM call holds
them), and writes to API Gateway, CloudFormation and IAM wait behind them, a connected
client's messages are still echoed and ``@connections`` posts still reach it: the event loop
reads snapshots, never moto. Once the locks are released the writes land, and the route one
of them added is served at once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp

from tests.local.cfn_helpers import ONE_TABLE
from tests.local.loop_stack import (
    LIVENESS_S,
    deploy_echo_api,
    echo,
    in_thread,
    management_client,
)
from wslab.aws import client
from wslab.deploy.wiring import integration_uri
from wslab.local import LocalAWS
from wslab.local.moto_ext.core.host import HOST

BUSY_SERVICES = ("apigateway", "lambda", "iam", "sts", "cloudformation", "dynamodb", "logs")


@contextmanager
def every_lane_held() -> Iterator[None]:
    """The services' locks, held by another thread until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with HOST.locks.holding(*BUSY_SERVICES):
            held.set()
            release.wait(LIVENESS_S * 4)

    holder = threading.Thread(target=hold, name="busy-lanes")
    holder.start()
    try:
        assert held.wait(LIVENESS_S)
        yield
    finally:
        release.set()
        holder.join()


def test_sockets_are_served_while_every_lane_is_busy_and_the_change_then_lands() -> None:
    async def scenario() -> dict[str, Any]:
        async with LocalAWS(port=0, log=lambda line: None) as stack:
            api = await deploy_echo_api(stack.endpoint_url)
            apigw = client("apigatewayv2", stack.endpoint_url)
            cfn = client("cloudformation", stack.endpoint_url)
            iam = client("iam", stack.endpoint_url)
            lambda_ = client("lambda", stack.endpoint_url)
            management = management_client(api)
            api_id = api.wired.api_id
            function_arn = (
                await in_thread(lambda: lambda_.get_function(FunctionName=api.echo_function))
            )["Configuration"]["FunctionArn"]
            await in_thread(cfn.list_stacks)  # CloudFormation loaded

            def add_shout_route() -> str:
                integration = apigw.create_integration(
                    ApiId=api_id,
                    IntegrationType="AWS_PROXY",
                    IntegrationUri=integration_uri("us-east-1", function_arn),
                )
                route = apigw.create_route(
                    ApiId=api_id,
                    RouteKey="shout",
                    RouteResponseSelectionExpression="$default",
                    Target=f"integrations/{integration['IntegrationId']}",
                )
                apigw.create_route_response(
                    ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
                )
                return str(
                    apigw.create_deployment(ApiId=api_id, StageName=api.wired.stage)["DeploymentId"]
                )

            writes: dict[str, Callable[[], Any]] = {
                "route": add_shout_route,
                "stack": lambda: cfn.create_stack(StackName="busy-lanes", TemplateBody=ONE_TABLE),
                "iam": lambda: iam.create_role(
                    RoleName="busy-lanes", AssumeRolePolicyDocument="{}"
                ),
            }
            seen: dict[str, Any] = {}
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(api.wired.url)
                connection_id = (await echo(ws, {"action": "warm"}))["connectionId"]
                # A change that lands before the lanes are busy: what the loop reads is
                # then already rebuilt, not left for the next message to rebuild.
                await in_thread(
                    lambda: apigw.update_stage(
                        ApiId=api_id, StageName=api.wired.stage, StageVariables={"mood": "busy"}
                    )
                )
                with every_lane_held():
                    pending = {
                        name: asyncio.ensure_future(in_thread(write))
                        for name, write in writes.items()
                    }
                    seen["echo"] = await echo(ws, {"action": "hello"})
                    seen["shout before"] = await echo(ws, {"action": "shout"})
                    await in_thread(
                        lambda: management.post_to_connection(
                            ConnectionId=connection_id, Data=b"posted"
                        )
                    )
                    seen["posted"] = await asyncio.wait_for(ws.receive_str(), LIVENESS_S)
                    # Still behind the locks: what was served above was served while held.
                    seen["writes pending"] = sorted(
                        name for name, task in pending.items() if not task.done()
                    )
                done, _ = await asyncio.wait(pending.values(), timeout=LIVENESS_S)
                seen["writes done"] = sorted(name for name, task in pending.items() if task in done)
                seen["shout after"] = await echo(ws, {"action": "shout"})
                await ws.close()
            seen["taken on loop"] = list(HOST.locks.taken_on_loop)
            return seen

    seen = asyncio.run(scenario())
    assert seen["echo"]["routeKey"] == "$default"
    assert json.loads(seen["echo"]["body"]) == {"action": "hello"}
    assert seen["shout before"]["routeKey"] == "$default"  # the new route is not deployed yet
    assert seen["posted"] == "posted"
    assert seen["writes pending"] == ["iam", "route", "stack"]
    assert seen["writes done"] == ["iam", "route", "stack"]
    assert seen["shout after"]["routeKey"] == "shout"
    assert seen["taken on loop"] == []
