"""API Gateway's AWS service integrations, answered by the stack's own moto.

An ``AWS`` integration whose URI is ``arn:aws:apigateway:{region}:{service}:action/{Action}``
calls that service's action with the request template's output as the request, signed with
the credentials of the integration's ``CredentialsArn`` role (assumed, as API Gateway does):
so the role needs the action in its policy, as on AWS (docs/apigw-websocket.md §5.3).
DynamoDB speaks JSON (``X-Amz-Target``); SQS and SNS the query protocol, where the template
writes the parameters (``QueueUrl=...&MessageBody=...``) and the URI's action is added.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from multidict import CIMultiDict

from wslab.local.moto_ext.core.control_plane import MotoControlPlane
from wslab.local.moto_ext.core.host import HOST, MotoHost
from wslab.local.moto_ext.core.moto_app import MotoApp

__all__ = ["ServiceIntegrations"]

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/")
_JSON_TARGETS = {"dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0")}
_QUERY_SERVICES = frozenset({"sqs", "sns"})
# What API Gateway names its sessions is not visible to the backend's policies.
_SESSION_NAME = "apigateway-integration"


class ServiceIntegrations:
    """Calls one AWS service action for an integration; the gateway's ``AwsServiceCaller``."""

    def __init__(self, moto: MotoApp, control: MotoControlPlane, host: MotoHost = HOST) -> None:
        self._moto = moto
        self._control = control
        self._host = host

    async def __call__(
        self, region: str, service: str, action: str, body: bytes, credentials_arn: str | None
    ) -> tuple[int, bytes]:
        if service not in _JSON_TARGETS and service not in _QUERY_SERVICES:
            raise LookupError(f"AWS service integrations with {service} are not served locally")
        role = _ROLE_ARN.match(credentials_arn or "")
        if role is None:
            raise LookupError(
                "an AWS service integration needs CredentialsArn, an IAM role API Gateway "
                f"may assume (got {credentials_arn!r})"
            )
        credentials = await asyncio.to_thread(
            self._control.role_credentials,
            role["account"],
            region,
            credentials_arn or "",
            _SESSION_NAME,
        )
        if credentials is None:
            raise LookupError(f"role {credentials_arn} cannot be assumed")
        host = self._host.public_host_port or "127.0.0.1"
        headers, payload = _request(service, action, body)
        request = AWSRequest(method="POST", url=f"http://{host}/", data=payload, headers=headers)
        SigV4Auth(
            Credentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
            ),
            service,
            region,
        ).add_auth(request)
        signed: CIMultiDict[str] = CIMultiDict((k, str(v)) for k, v in request.headers.items())
        status, _, answer = await self._moto.call("POST", "/", signed, payload)
        return status, answer


def _request(service: str, action: str, body: bytes) -> tuple[dict[str, Any], bytes]:
    if service in _JSON_TARGETS:
        prefix, content_type = _JSON_TARGETS[service]
        return {"X-Amz-Target": f"{prefix}.{action}", "Content-Type": content_type}, body
    parameters = body.decode("utf-8", "replace").strip()
    if not re.search(r"(^|&)Action=", parameters):
        parameters = f"Action={action}&{parameters}" if parameters else f"Action={action}"
    return (
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        parameters.encode(),
    )
