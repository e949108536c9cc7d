"""API Gateway's account settings: the CloudWatch Logs role that stage logging needs.

``cloudwatchRoleArn`` is one setting per account and region (``apigateway get-account`` /
``update-account``, or CloudFormation's ``AWS::ApiGateway::Account``). Until it is set, API
Gateway refuses a WebSocket API stage that would log, access logs or execution logs alike:
``BadRequestException: CloudWatch Logs role ARN must be set in account settings to enable
logging``. Setting it requires a role API Gateway may assume. moto stores the setting but
checks neither; this module adds both checks (the CloudFormation resource type is in
``cloudformation/resource_types.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.apigateway.exceptions import BadRequestException as AccountBadRequest
from moto.apigateway.models import APIGatewayBackend, apigateway_backends
from moto.apigatewayv2.exceptions import BadRequestException
from moto.iam.models import iam_backends

__all__ = [
    "LOGGING_ROLE_MISSING",
    "ROLE_NOT_TRUSTED",
    "install",
    "require_logging_role",
    "set_logging_role",
]

LOGGING_ROLE_MISSING = "CloudWatch Logs role ARN must be set in account settings to enable logging"
ROLE_NOT_TRUSTED = (
    "The role ARN does not have required permissions configured. Please grant trust "
    "permission for API Gateway and add the required role policy."
)
_LOGGING_LEVELS = ("ERROR", "INFO")


def _setting(settings: Mapping[str, Any] | None, name: str) -> Any:
    """A stage setting however it is spelled: ``loggingLevel`` (API), ``LoggingLevel`` (CFN)."""
    for key, value in (settings or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _logs(route_settings: Mapping[str, Any] | None) -> bool:
    level = str(_setting(route_settings, "loggingLevel") or "OFF").upper()
    trace = _setting(route_settings, "dataTraceEnabled")
    return level in _LOGGING_LEVELS or trace is True or str(trace).lower() == "true"


def stage_logs(stage: Mapping[str, Any]) -> bool:
    """Whether a stage's settings (as created or updated) ask API Gateway to write logs."""
    if _setting(_setting(stage, "accessLogSettings"), "destinationArn"):
        return True
    if _logs(_setting(stage, "defaultRouteSettings")):
        return True
    per_route = _setting(stage, "routeSettings") or {}
    return any(_logs(settings) for settings in per_route.values())


def logging_role(account_id: str, region: str) -> str | None:
    """The account's ``cloudwatchRoleArn`` in ``region``, or None."""
    return apigateway_backends[account_id][region].account.cloudwatch_role_arn or None


def require_logging_role(api: Any, stage: Mapping[str, Any]) -> None:
    """Refuse, as API Gateway does, a WebSocket stage that would log before the account's
    CloudWatch Logs role is set. (HTTP APIs' access logs do not need it.)"""
    if api.protocol_type != "WEBSOCKET" or not stage_logs(stage):
        return
    if logging_role(str(api.backend.account_id), str(api.backend.region_name)) is None:
        raise BadRequestException(LOGGING_ROLE_MISSING)


def _trusts_api_gateway(document: Any) -> bool:
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        services = (statement.get("Principal") or {}).get("Service", [])
        services = services if isinstance(services, list) else [services]
        if (
            statement.get("Effect") == "Allow"
            and any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions)
            and "apigateway.amazonaws.com" in services
        ):
            return True
    return False


def check_logging_role(account_id: str, role_arn: str) -> None:
    """API Gateway takes only a role it may assume (``apigateway.amazonaws.com``)."""
    try:
        role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except Exception:  # moto's NotFoundException: no such role
        raise AccountBadRequest(ROLE_NOT_TRUSTED) from None
    if not _trusts_api_gateway(role.assume_role_policy_document):
        raise AccountBadRequest(ROLE_NOT_TRUSTED)


def set_logging_role(account_id: str, region: str, role_arn: str) -> None:
    """``update-account`` of ``cloudwatchRoleArn``, as the API does it (the role checked)."""
    operation = {"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}
    apigateway_backends[account_id][region].update_account([operation])


_installed = False


def install() -> None:
    """Check the role ``update-account`` sets. Idempotent."""
    global _installed
    if _installed:
        return
    original = APIGatewayBackend.update_account

    def update_account(self: APIGatewayBackend, patch_operations: list[dict[str, Any]]) -> Any:
        for operation in patch_operations or []:
            if "/cloudwatchRoleArn" in str(operation.get("path")) and operation.get("value"):
                check_logging_role(self.account_id, str(operation["value"]))
        return original(self, patch_operations)

    APIGatewayBackend.update_account = update_account  # type: ignore[method-assign]
    _installed = True
