"""An in-process local AWS with a deployed echo API, for tests that look inside it (its
service locks, its event loop) while driving it from outside, as a client would."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import boto3

from tests.local.iam_helpers import create_role, role_credentials
from tests.local.lambda_helpers import create_function
from tests.support import REGION, scaled
from wslab.aws import client
from wslab.deploy.wiring import WiredApi, wire_websocket_api

__all__ = ["EchoApi", "deploy_echo_api", "echo", "in_thread", "management_client"]

_T = TypeVar("_T")
# Each handler says which route ran it and for which connection, so a reply tells which
# deployment served the message.
ECHO = """
import json

def handler(event, context):
    request = event["requestContext"]
    return {"statusCode": 200, "body": json.dumps({
        "connectionId": request["connectionId"],
        "routeKey": request["routeKey"],
        "body": event.get("body"),
    })}
"""
CONNECT = "def handler(event, context):\n    return {'statusCode': 200}\n"
AUTHORIZER = """
def handler(event, context):
    allowed = (event.get("queryStringParameters") or {}).get("token") == "letmein"
    return {"principalId": "tester", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny",
         "Resource": event["methodArn"]}]}}
"""
LIVENESS_S = scaled(30)


async def in_thread(call: Callable[[], _T]) -> _T:
    """A blocking boto3 call, off the event loop that serves it."""
    return await asyncio.to_thread(call)


@dataclass(frozen=True)
class EchoApi:
    wired: WiredApi
    echo_function: str
    credentials: Any
    """Temporary credentials of a role allowed ``execute-api:ManageConnections``."""


async def deploy_echo_api(endpoint_url: str, *, authorizer: bool = False) -> EchoApi:
    """An API whose ``$default`` (two-way) and ``$disconnect`` run the echo function, with a
    ``$connect`` function and a REQUEST authorizer when ``authorizer``."""
    unique = uuid.uuid4().hex[:8]

    def aws(service: str) -> Any:
        return client(service, endpoint_url)

    def deploy() -> EchoApi:
        echo_function = f"echo-{unique}"
        create_function(aws, echo_function, ECHO)
        routes = {"$default": echo_function, "$disconnect": echo_function}
        authorizer_function = None
        if authorizer:
            authorizer_function = f"authorizer-{unique}"
            create_function(aws, authorizer_function, AUTHORIZER)
            create_function(aws, f"connect-{unique}", CONNECT)
            routes["$connect"] = f"connect-{unique}"
        wired = wire_websocket_api(
            aws("apigatewayv2"),
            aws("lambda"),
            f"loop-{unique}",
            routes,
            two_way=("$default",),
            authorizer_function=authorizer_function,
        )
        role = create_role(
            aws("iam"),
            f"manager-{unique}",
            {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"},
        )
        credentials = role_credentials(aws, role, f"manager-{unique}")
        return EchoApi(wired, echo_function, credentials)

    return await in_thread(deploy)


def management_client(api: EchoApi) -> Any:
    """``@connections`` of the API's stage, signed with the role's temporary credentials."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=api.wired.management_url,
        region_name=REGION,
        aws_access_key_id=api.credentials.access_key,
        aws_secret_access_key=api.credentials.secret_key,
        aws_session_token=api.credentials.token,
    )


async def echo(ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message`` and return the echo function's reply (a liveness deadline only)."""
    await ws.send_str(json.dumps(message))
    reply = await asyncio.wait_for(ws.receive_str(), LIVENESS_S)
    decoded: dict[str, Any] = json.loads(reply)
    return decoded
