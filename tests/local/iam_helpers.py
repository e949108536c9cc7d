"""Roles and handlers for the IAM tests: a function that makes one AWS call it is told to
make, with its role's credentials, and reports AWS's answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import scaled
from wslab.aws import LAMBDA_TRUST_POLICY
from wslab.deploy.packaging import zip_sources

ACCOUNT = "123456789012"
REGION = "us-east-1"

CALLER = """
import json
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    client = boto3.client(event["service"], **event.get("client", {}))
    try:
        getattr(client, event["call"])(**event.get("args", {}))
    except ClientError as error:
        return {
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {"ok": True}
"""
"""A handler that makes ``boto3.client(service).call(**args)`` and returns the outcome."""


def allow(actions: str | list[str], resources: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def deny(actions: str | list[str], resources: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


def document(statements: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def create_role(iam: Any, name: str, *statements: Mapping[str, Any]) -> str:
    """A Lambda execution role with ``statements`` as its inline policy ``p``."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))
    if statements:
        put_policy(iam, name, *statements)
    return str(arn["Role"]["Arn"])


def put_policy(iam: Any, role: str, *statements: Mapping[str, Any], name: str = "p") -> None:
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document(statements))


def create_caller(aws: Any, name: str, role_arn: str) -> str:
    """A function running :data:`CALLER` with the given role; returns its name."""
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": zip_sources({"app.py": CALLER})},
        Timeout=30,
    )
    return name


def call_from(aws: Any, function: str, service: str, call: str, **args: Any) -> dict[str, Any]:
    """Have ``function`` make the call; its report (``ok``, or ``code``/``message``/``status``)."""
    event = {"service": service, "call": call, "args": args}
    response = aws("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    report: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, report
    return report


def denied(principal: str, action: str, resource: str) -> str:
    """IAM's message for an action no identity-based policy allows."""
    return (
        f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def session_arn(role: str, function: str) -> str:
    """Who a function's code is to IAM: a session of its role named after the function."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{function}"


def role_credentials(aws: Any, role_arn: str, session: str) -> Credentials:
    """Temporary credentials of ``role_arn`` from the local STS (as Lambda gets them)."""
    issued = aws("sts").assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    return Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


def signed_request(
    endpoint_url: str,
    credentials: Credentials,
    service: str,
    body: bytes,
    headers: Mapping[str, str],
    path: str = "/",
) -> tuple[int, dict[str, str], bytes]:
    """A raw POST signed with SigV4, as an SDK sends it: (status, headers, body)."""
    request = AWSRequest(method="POST", url=endpoint_url + path, data=body, headers=dict(headers))
    SigV4Auth(credentials, service, REGION).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=body, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=scaled(30)) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


# Who may assume API Gateway's CloudWatch Logs role: the API Gateway service.
API_GATEWAY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
