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

Policy evaluation follows IAM for the parts an authorizer policy uses: a statement applies
when one of its actions matches ``execute-api:Invoke`` and one of its resources matches the
method ARN; an applicable ``Deny`` wins over any ``Allow``; with no applicable ``Allow`` the
request is denied. The method ARN of a WebSocket connect ends in ``/$connect`` with no HTTP
verb, so a REST-style resource such as ``.../prod/*/*`` does not match it
(docs/apigw-websocket.md §2.4).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

__all__ = [
    "INVOKE_ACTION",
    "UNAUTHORIZED_RESULT",
    "AuthorizerDecision",
    "ContextValue",
    "DecisionKind",
    "arn_matches",
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


@lru_cache(maxsize=512)
def _arn_pattern(pattern: str) -> re.Pattern[str]:
    # IAM: "*" and "?" work within one colon-separated segment, except that a "*" ending a
    # segment may also run across colons. "?" is exactly one character.
    parts: list[str] = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif char == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """Match an IAM ``Resource`` pattern (``*`` and ``?`` wildcards) against an ARN."""
    return _arn_pattern(pattern).fullmatch(arn) is not None


def _action_matches(pattern: str) -> bool:
    # Action names are case-insensitive in IAM and take the same wildcards.
    expression = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(expression, INVOKE_ACTION, re.IGNORECASE | re.DOTALL) is not None


def _as_string_list(value: object) -> list[str] | None:
    """A policy element holding one string or a list of strings; None if malformed."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


class _Malformed(Exception):
    """The authorizer's result is not a valid authorizer response."""


def _statement_applies(statement: object, method_arn: str) -> tuple[str, bool]:
    """Return the statement's effect and whether it covers invoking ``method_arn``."""
    if not isinstance(statement, dict):
        raise _Malformed("statement is not an object")
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _Malformed("Effect must be Allow or Deny")

    if "Action" in statement:
        actions = _as_string_list(statement["Action"])
        if actions is None:
            raise _Malformed("Action")
        action_ok = any(_action_matches(action) for action in actions)
    elif "NotAction" in statement:
        actions = _as_string_list(statement["NotAction"])
        if actions is None:
            raise _Malformed("NotAction")
        action_ok = not any(_action_matches(action) for action in actions)
    else:
        raise _Malformed("statement without Action")

    if "Resource" in statement:
        resources = _as_string_list(statement["Resource"])
        if resources is None:
            raise _Malformed("Resource")
        resource_ok = any(arn_matches(resource, method_arn) for resource in resources)
    elif "NotResource" in statement:
        resources = _as_string_list(statement["NotResource"])
        if resources is None:
            raise _Malformed("NotResource")
        resource_ok = not any(arn_matches(resource, method_arn) for resource in resources)
    else:
        raise _Malformed("statement without Resource")

    # A Condition block is not evaluated: authorizer policies have no request context to
    # test it against, so the statement is taken as written.
    return str(effect), action_ok and resource_ok


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


def evaluate_policy(result: object, method_arn: str) -> AuthorizerDecision:
    """Decide on a connect from the parsed JSON an authorizer Lambda returned.

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
        verdicts = [_statement_applies(statement, method_arn) for statement in statements]
    except _Malformed:
        return _UNAUTHORIZED

    if any(applies for effect, applies in verdicts if effect == "Deny"):
        return AuthorizerDecision(DecisionKind.DENY, principal_id=principal_id)
    if any(applies for effect, applies in verdicts if effect == "Allow"):
        return AuthorizerDecision(
            DecisionKind.ALLOW,
            principal_id=principal_id,
            context=context,
            usage_identifier_key=usage_key,
        )
    return AuthorizerDecision(DecisionKind.DENY, principal_id=principal_id)
