"""The services whose calls IAM checks on the local stack: what each call asks, and how each
service words a refusal.

For each enforced service (by SigV4 signing name): the IAM actions and resource ARNs a call
needs, computed as the service's authorization reference defines them, and the refusal in the
service's own error shape (status, ``__type`` or ``x-amzn-ErrorType``, message key). What each
shape rests on is in ``docs/aws-behaviour.md``. Any other service is not enforced.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends

from wslab.local.control import AccessDenied
from wslab.local.moto_ext.core.host import HOST
from wslab.local.policy import ContextValue

__all__ = ["ENFORCED", "Call", "Needed", "Refusal", "Service"]

Refusal = tuple[int, dict[str, str], bytes]
"""An HTTP answer: status, headers, body."""

_INVALID_TOKEN: Final = "The security token included in the request is invalid."


@dataclass(frozen=True)
class Call:
    """One request, as far as IAM needs it."""

    method: str
    path: str
    query: str
    target: str
    body: bytes
    region: str
    account_id: str

    @property
    def operation(self) -> str:
        """The operation of a JSON-protocol call: ``DynamoDB_20120810.Query`` -> ``Query``."""
        return self.target.rpartition(".")[2]

    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


@dataclass(frozen=True)
class Needed:
    """One permission a call needs; ``shown`` is how the refusal names the resource when the
    service names it otherwise than by its ARN."""

    action: str
    resource: str
    shown: str | None = None
    context: tuple[tuple[str, ContextValue], ...] = ()
    """Condition keys the call brings (``iam:PermissionsBoundary``)."""


@dataclass(frozen=True)
class Service:
    needs: Callable[[Call], list[Needed]]
    refuse: Callable[[AccessDenied], Refusal]


def _json_error(status: int, content_type: str, body: Mapping[str, str]) -> Refusal:
    headers = {"Content-Type": content_type, "x-amzn-RequestId": str(uuid.uuid4())}
    return status, headers, json.dumps(body).encode()


# --- DynamoDB ---------------------------------------------------------------------------------

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
# PartiQL's actions depend on the statement's text: not checked.
_DYNAMODB_UNCHECKED = frozenset({"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})


def _dynamodb_needs(call: Call) -> list[Needed]:
    operation, body = call.operation, call.json()
    if operation in _DYNAMODB_UNCHECKED:
        return []

    def table(name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:dynamodb:{call.region}:{call.account_id}:table/{name}"

    action = f"dynamodb:{operation}"
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Needed(action, table(name)) for name in body.get("RequestItems") or {}]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        # Each item needs the permission of the single-item action it stands for.
        return [
            Needed(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(str(item[kind].get("TableName"))))
            for item in body.get("TransactItems") or []
            for kind in item
            if kind in _TRANSACT_ACTIONS
        ]
    if "TableName" in body:
        resource = table(str(body["TableName"]))
        if body.get("IndexName") and operation in ("Query", "Scan"):
            resource += f"/index/{body['IndexName']}"
        return [Needed(action, resource)]
    for key in ("StreamArn", "ResourceArn"):
        if key in body:
            return [Needed(action, str(body[key]))]
    return [Needed(action, table("*"))]  # ListTables and the like


def _dynamodb_refuse(denied: AccessDenied) -> Refusal:
    if denied.invalid_token:
        body = {
            "__type": "com.amazon.coral.service#UnrecognizedClientException",
            "message": _INVALID_TOKEN,
        }
    else:
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
            "Message": denied.message(),
        }
    return _json_error(400, "application/x-amz-json-1.0", body)


# --- Secrets Manager -----------------------------------------------------------------------------


def _secret_arn(call: Call, secret_id: str) -> str:
    """The ARN of the secret ``secret_id`` names (a name or an ARN), as IAM evaluates it."""
    with HOST.locks.of("secretsmanager"):
        secret = secretsmanager_backends[call.account_id][call.region].secrets.get(secret_id)
        if secret is not None:
            return str(secret.arn)
    if secret_id.startswith("arn:"):
        return secret_id
    return f"arn:aws:secretsmanager:{call.region}:{call.account_id}:secret:{secret_id}"


def _secretsmanager_needs(call: Call) -> list[Needed]:
    body = call.json()
    action = f"secretsmanager:{call.operation}"
    # The refusal names the secret as the call did (a name stays a name).
    ids = body.get("SecretIdList") or ([body["SecretId"]] if "SecretId" in body else [])
    if ids:
        return [Needed(action, _secret_arn(call, str(each)), str(each)) for each in ids]
    if "Name" in body:  # CreateSecret: the ARN does not exist yet
        return [Needed(action, _secret_arn(call, str(body["Name"])), str(body["Name"]))]
    return [Needed(action, "*")]


def _secretsmanager_refuse(denied: AccessDenied) -> Refusal:
    if denied.invalid_token:
        body = {"__type": "UnrecognizedClientException", "message": _INVALID_TOKEN}
    else:
        body = {"__type": "AccessDeniedException", "Message": denied.message()}
    return _json_error(400, "application/x-amz-json-1.1", body)


# --- CloudWatch Logs -----------------------------------------------------------------------------


def _logs_needs(call: Call) -> list[Needed]:
    body = call.json()
    action = f"logs:{call.operation}"
    group = body.get("logGroupName") or str(body.get("logGroupIdentifier") or "")
    if group.startswith("arn:"):
        group = group.split(":log-group:", 1)[-1].removesuffix(":*")
    stream = body.get("logStreamName")
    base = f"arn:aws:logs:{call.region}:{call.account_id}:log-group:"
    if call.operation == "DescribeLogGroups":
        return [Needed(action, f"{base}:log-stream:")]
    if group:
        return [Needed(action, f"{base}{group}:log-stream:{stream or ''}")]
    if "resourceArn" in body:
        return [Needed(action, str(body["resourceArn"]))]
    return [Needed(action, "*")]


def _logs_refuse(denied: AccessDenied) -> Refusal:
    message = _INVALID_TOKEN if denied.invalid_token else denied.message()
    kind = "UnrecognizedClientException" if denied.invalid_token else "AccessDeniedException"
    return _json_error(400, "application/x-amz-json-1.1", {"__type": kind, "message": message})


# --- Lambda: Invoke ------------------------------------------------------------------------------

_INVOCATIONS = "/invocations"


def _lambda_needs(call: Call) -> list[Needed]:
    # /2015-03-31/functions/{name, partial or full ARN}/invocations[?Qualifier=...]
    parts = call.path.split("/functions/", 1)
    if len(parts) != 2 or not parts[1].endswith(_INVOCATIONS):
        return []  # only Invoke is checked
    name = parts[1].removesuffix(_INVOCATIONS)
    qualifier = (parse_qs(call.query).get("Qualifier") or [""])[0]
    if name.startswith("arn:"):
        resource = name
    elif ":function:" in name:
        resource = f"arn:aws:lambda:{call.region}:{name}"
    else:
        resource = f"arn:aws:lambda:{call.region}:{call.account_id}:function:{name}"
    if qualifier and resource.count(":") == 6:
        resource += f":{qualifier}"
    return [Needed("lambda:InvokeFunction", resource)]


def _lambda_refuse(denied: AccessDenied) -> Refusal:
    kind = "UnrecognizedClientException" if denied.invalid_token else "AccessDeniedException"
    message = _INVALID_TOKEN if denied.invalid_token else denied.message()
    body = {"Type": "User", "Message": message}
    status, headers, payload = _json_error(403, "application/json", body)
    headers["x-amzn-ErrorType"] = kind
    return status, headers, payload


# --- IAM: the role calls ------------------------------------------------------------------------

# The calls whose iam:PermissionsBoundary is the boundary a role gets or has: the key of AWS's
# "Permissions boundaries for IAM entities" pattern (see the Service Authorization Reference,
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
_BOUNDED_CALLS = frozenset(
    {
        "CreateRole",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
    }
)
# The boundary is the request's on these; on the others, the role's own.
_BOUNDARY_GIVEN = frozenset({"CreateRole", "PutRolePermissionsBoundary"})


def _iam_needs(call: Call) -> list[Needed]:
    params = {key: values[0] for key, values in parse_qs(call.body.decode()).items()}
    operation = params.get("Action", "")
    action = f"iam:{operation}"
    role_name = params.get("RoleName")
    if role_name is None:
        if "UserName" in params:
            arn = f"arn:aws:iam::{call.account_id}:user/{params['UserName']}"
            return [Needed(action, arn, f"user {params['UserName']}")]
        return [Needed(action, params.get("PolicyArn", "*"))]
    with HOST.locks.of("iam"):
        backend = iam_backends[call.account_id]["aws"]
        role = next((r for r in backend.roles.values() if r.name == role_name), None)
        arn = str(role.arn) if role is not None else ""
        boundary = (role.permissions_boundary_arn or "") if role is not None else ""
    if not arn:
        path = params.get("Path", "/")
        arn = f"arn:aws:iam::{call.account_id}:role{path}{role_name}"
    if operation in _BOUNDARY_GIVEN:
        boundary = params.get("PermissionsBoundary", "")
    context: tuple[tuple[str, ContextValue], ...] = ()
    if operation in _BOUNDED_CALLS and boundary:
        context = (("iam:PermissionsBoundary", boundary),)
    # IAM names a role "role <name>" in its refusals, not by its ARN.
    return [Needed(action, arn, f"role {role_name}", context)]


def _iam_refuse(denied: AccessDenied) -> Refusal:
    code = "InvalidClientTokenId" if denied.invalid_token else "AccessDenied"
    message = _INVALID_TOKEN if denied.invalid_token else denied.message()
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return 403, {"Content-Type": "text/xml"}, body.encode()


ENFORCED: Mapping[str, Service] = {
    "dynamodb": Service(_dynamodb_needs, _dynamodb_refuse),
    "secretsmanager": Service(_secretsmanager_needs, _secretsmanager_refuse),
    "logs": Service(_logs_needs, _logs_refuse),
    "lambda": Service(_lambda_needs, _lambda_refuse),
    "iam": Service(_iam_needs, _iam_refuse),
}
"""The services whose calls are checked, by SigV4 signing name."""
