"""The event loop that carries every WebSocket frame never takes a service lock: every path
of the data plane (authorizer, $connect, messages, @connections with IAM's decision,
$disconnect) reads the control plane's snapshots. Each acquisition of a service lock on
the loop's thread is recorded (``ServiceLocks.taken_on_loop``); after all of them, none is."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import replace

import aiohttp
import pytest
from botocore.exceptions import ClientError

from tests.local.iam_helpers import create_role, role_credentials
from tests.local.loop_stack import (
    LIVENESS_S,
    EchoApi,
    deploy_echo_api,
    echo,
    in_thread,
    management_client,
)
from wslab.aws import client
from wslab.local import LocalAWS
from wslab.local.moto_ext.core.host import HOST, ServiceLocks


def test_the_guard_records_a_lock_taken_on_the_loop_thread_only() -> None:
    locks = ServiceLocks()
    locks.loop_thread = threading.get_ident()
    worker = threading.Thread(target=lambda: locks.of("dynamodb").acquire() and None)
    worker.start()
    worker.join()
    with locks.of("iam"):
        pass
    assert locks.taken_on_loop == ["iam"]


def test_no_service_lock_is_taken_on_the_event_loop() -> None:
    lines: list[str] = []

    async def scenario() -> tuple[list[str], list[str]]:
        async with LocalAWS(port=0, log=lines.append) as stack:
            api = await deploy_echo_api(stack.endpoint_url, authorizer=True)
            management = management_client(api)
            async with aiohttp.ClientSession() as session:
                refused = await session.get(f"{api.wired.url}?token=wrong", headers=_UPGRADE)
                assert refused.status == 403  # the authorizer's Deny
                ws = await session.ws_connect(f"{api.wired.url}?token=letmein")
                reply = await echo(ws, {"action": "nothing-routed", "n": 1})
                assert reply["routeKey"] == "$default"
                connection_id = reply["connectionId"]
                await in_thread(
                    lambda: management.post_to_connection(ConnectionId=connection_id, Data=b"hi")
                )
                assert await asyncio.wait_for(ws.receive_str(), LIVENESS_S) == "hi"
                refused_by_iam = await in_thread(
                    lambda: _post_error(stack.endpoint_url, api, connection_id)
                )
                assert refused_by_iam == "AccessDeniedException"
                described = await in_thread(
                    lambda: management.get_connection(ConnectionId=connection_id)
                )
                assert "ConnectedAt" in described
                await in_thread(lambda: management.delete_connection(ConnectionId=connection_id))
                closing = await asyncio.wait_for(ws.receive(), LIVENESS_S)
                assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
                await ws.close()
            await _disconnect_logged(lines, connection_id)
            return list(HOST.locks.taken_on_loop), [line for line in lines if "DISCONNECT" in line]

    taken, disconnects = asyncio.run(scenario())
    assert disconnects, "the $disconnect route ran"
    assert taken == []


def _post_error(endpoint_url: str, api: EchoApi, connection_id: str) -> str:
    """The error of a post signed by a role with no policy at all."""
    aws = lambda service: client(service, endpoint_url)  # noqa: E731
    role = create_role(aws("iam"), f"nobody-{uuid.uuid4().hex[:8]}")
    nobody = role_credentials(aws, role, "nobody")
    denied = management_client(replace(api, credentials=nobody))
    with pytest.raises(ClientError) as refused:
        denied.post_to_connection(ConnectionId=connection_id, Data=b"no")
    return str(refused.value.response["Error"]["Code"])


_UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


async def _disconnect_logged(lines: list[str], connection_id: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIVENESS_S
    while not any("DISCONNECT" in line and connection_id in line for line in lines):
        if loop.time() > deadline:
            pytest.fail(f"no $disconnect logged for {connection_id}: {lines[-5:]}")
        await asyncio.sleep(0.05)
