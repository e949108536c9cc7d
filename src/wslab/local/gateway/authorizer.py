"""Lambda REQUEST authorizers on ``$connect``: identity sources and policies.

Behaviour: docs/apigw-websocket.md §2.4.

The gateway calls :func:`identity_sources_present` before invoking the authorizer (a
missing source answers 401 without calling it), then hands the function's result to
:func:`evaluate_policy`::

    decision = evaluate_policy(result, route_arn(region, account, api_id, stage, "$connect"))
    if decision.kind is DecisionKind.ALLOW:
        ...  # decision.principal_id and decision.context go into every later event
    else:
        ...  # reject the upgrade with decision.status_code (401 or 403)

The policy is evaluated by :mod:`wslab.local.policy`, as IAM evaluates one: a statement
applies when one of its actions matches ``execute-api:Invoke``, one of its resources matches
the method ARN and its ``Condition`` holds; an applicable ``Deny`` wins over any ``Allow``;
with no applicable ``Allow`` the request is denied. The method ARN of a WebSocket connect
ends in ``/$connect`` with no HTTP verb, and a wildcard stays within its ARN segment, so a
REST-style resource such as ``.../prod/*/*`` does not match it (docs/apigw-websocket.md
§2.4). AWS's own authorizer types carry a ``Condition`` element (aws-lambda-dotnet PR #1779,
after the blueprints in awslabs/aws-apigateway-lambda-authorizer-blueprints); which condition
keys API Gateway supplies when it evaluates one is [UNCONFIRMED]: the caller passes them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from wslab.local.policy import (
    Context,
    Decision,
    MalformedPolicy,
    Request,
    Statement,
    evaluate,
    parse_statement,
)

__all__ = [
    "INVOKE_ACTION",
    "UNAUTHORIZED_RESULT",
    "AuthorizerDecision",
    "ContextValue",
    "DecisionKind",
    "authorizer_arn",
    "evaluate_policy",
    "identity_sources_present",
    "route_arn",
]

INVOKE_ACTION: Final = "execute-api:Invoke"

UNAUTHORIZED_RESULT: Final = "Unauthorized"
"""What an authorizer returns (or fails with) to get a 401 instead of a 403."""

ContextValue = str | int | float | bool
"""The only value types allowed in an authorizer's ``context`` map."""


def _api_arn(region: str, account_id: str, api_id: str) -> str:
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}"


def route_arn(region: str, account_id: str, api_id: str, stage: str, route_key: str) -> str:
    """ARN of a route; with ``$connect`` it is the ``methodArn`` of an authorizer event."""
    return f"{_api_arn(region, account_id, api_id)}/{stage}/{route_key}"


def authorizer_arn(region: str, account_id: str, api_id: str, authorizer_id: str) -> str:
    """ARN of an API's authorizer: the source an authorizer's function is invoked from."""
    return f"{_api_arn(region, account_id, api_id)}/authorizers/{authorizer_id}"


# --- identity sources -------------------------------------------------------------------

_HEADER_PREFIX: Final = "route.request.header."
_QUERY_PREFIX: Final = "route.request.querystring."
_STAGE_VARIABLE_PREFIX: Final = "stageVariables."
_CONTEXT_PREFIX: Final = "context."


def _split_sources(identity_source: Iterable[str]) -> list[str]:
    # The API takes a list, but CloudFormation users often write one comma-separated string.
    return [part.strip() for item in identity_source for part in item.split(",") if part.strip()]


def identity_sources_present(
    identity_source: Sequence[str],
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    stage_variables: Mapping[str, str],
) -> bool:
    """Tell whether every configured identity source has a non-empty value.

    Sources are ``route.request.header.<Name>`` (header names compare case-insensitively),
    ``route.request.querystring.<name>`` (case-sensitive), ``stageVariables.<name>`` and
    ``context.<name>``. Context variables always exist during a connect, so they count as
    present. An empty value counts as missing, as for REST REQUEST authorizers. A source in
    any other syntax can never be satisfied (AWS refuses to create such an authorizer).
    With no identity source configured the authorizer is always called.
    """
    header_values: dict[str, list[str]] = {}
    for name, value in headers:
        header_values.setdefault(name.lower(), []).append(value)
    query_values: dict[str, list[str]] = {}
    for name, value in query:
        query_values.setdefault(name, []).append(value)

    for source in _split_sources(identity_source):
        if source.startswith(_HEADER_PREFIX):
            values = header_values.get(source[len(_HEADER_PREFIX) :].lower(), [])
        elif source.startswith(_QUERY_PREFIX):
            values = query_values.get(source[len(_QUERY_PREFIX) :], [])
        elif source.startswith(_STAGE_VARIABLE_PREFIX):
            variable = stage_variables.get(source[len(_STAGE_VARIABLE_PREFIX) :])
            values = [] if variable is None else [variable]
        elif source.startswith(_CONTEXT_PREFIX):
            continue
        else:
            return False
        if not any(values):
            return False
    return True


# --- policy evaluation ------------------------------------------------------------------


class DecisionKind(enum.Enum):
    """Outcome of an authorizer call."""

    ALLOW = "allow"
    DENY = "deny"
    UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True)
class AuthorizerDecision:
    """What the gateway does with an authorizer's result."""

    kind: DecisionKind
    principal_id: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    usage_identifier_key: str | None = None

    @property
    def status_code(self) -> int | None:
        """HTTP status that rejects the upgrade: 403 for a deny, 401 otherwise; None to allow."""
        if self.kind is DecisionKind.ALLOW:
            return None
        return 403 if self.kind is DecisionKind.DENY else 401


_UNAUTHORIZED: Final = AuthorizerDecision(DecisionKind.UNAUTHORIZED)


class _Malformed(Exception):
    """The authorizer's result is not a valid authorizer response."""


def _statements(raw: list[object]) -> list[Statement]:
    statements = []
    for item in raw:
        # An authorizer's statement names its resources (REST's output format requires it).
        if not isinstance(item, dict) or not ({"Resource", "NotResource"} & item.keys()):
            raise _Malformed("statement without Resource")
        try:
            statements.append(parse_statement(item))
        except MalformedPolicy as error:
            raise _Malformed(str(error)) from None
    return statements


def _valid_context(context: object) -> dict[str, ContextValue]:
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise _Malformed("context is not an object")
    valid: dict[str, ContextValue] = {}
    for key, value in context.items():
        if value is None:
            # JSON null is tolerated and dropped, as an undefined value would be.
            continue
        if not isinstance(value, str | int | float | bool):
            # Nested objects and arrays are refused by AWS (AuthorizerConfigurationException).
            raise _Malformed(f"context value of {key!r} is not a string, number or boolean")
        valid[key] = value
    return valid


def evaluate_policy(
    result: object, method_arn: str, request_context: Context | None = None
) -> AuthorizerDecision:
    """Decide on a connect from the parsed JSON an authorizer Lambda returned.

    ``request_context`` holds the condition keys of the connect (``aws:SourceIp``, ...)
    that the policy's ``Condition`` blocks are tested against; a key left out makes a
    condition on it false, as IAM does for a key absent from the request.

    * ``ALLOW`` when the policy allows ``execute-api:Invoke`` on ``method_arn`` and no
      statement denies it; carries ``principalId``, ``context`` and ``usageIdentifierKey``.
    * ``DENY`` (403) when a statement denies it, or none allows it.
    * ``UNAUTHORIZED`` (401) when the result is the string ``"Unauthorized"`` or is not a
      valid authorizer response: no string ``principalId``, no ``policyDocument`` with
      statements, a malformed statement, or a ``context`` value that is not a string,
      number or boolean. (REST APIs answer a malformed response with 500
      ``AuthorizerConfigurationException``; for WebSocket this is UNCONFIRMED and the
      local gateway refuses such a connect with 401.)
    """
    if not isinstance(result, dict):
        return _UNAUTHORIZED
    principal_id = result.get("principalId")
    document = result.get("policyDocument")
    if not isinstance(principal_id, str) or not isinstance(document, dict):
        return _UNAUTHORIZED
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return _UNAUTHORIZED
    usage_key = result.get("usageIdentifierKey")
    if usage_key is not None and not isinstance(usage_key, str):
        return _UNAUTHORIZED

    try:
        context = _valid_context(result.get("context"))
        parsed = _statements(statements)
    except _Malformed:
        return _UNAUTHORIZED

    request = Request(INVOKE_ACTION, method_arn, context=request_context or {})
    if evaluate(parsed, request) is Decision.ALLOW:
        return AuthorizerDecision(
            DecisionKind.ALLOW,
            principal_id=principal_id,
            context=context,
            usage_identifier_key=usage_key,
        )
    return AuthorizerDecision(DecisionKind.DENY, principal_id=principal_id)
