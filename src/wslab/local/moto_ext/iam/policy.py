"""IAM's decision on a call made with a role's temporary credentials, from moto's models.

Who is restricted: whoever signs with credentials the local STS issued by ``AssumeRole`` (each
Lambda execution environment gets its function's role that way). Any other credentials (the
notebooks', the tests', a shell's) are an administrator's: allowed everything.

What decides: the role's inline and attached policies and its permissions boundary, evaluated
as IAM does for a principal and a resource in one account: an explicit ``Deny`` wins, else an
``Allow`` is needed (and, with a boundary, the boundary must allow too). Each statement is
evaluated by moto's :class:`~moto.iam.access_control.IAMPolicyStatement`; its matching is
replaced where it departs from IAM's (``?`` wildcards, regex characters taken literally, action
names case-insensitive, ``NotResource``, an ``Allow`` whose condition fails counting as
"not applicable" rather than as a deny). Conditions are evaluated as moto does: only
``StringEquals`` on keys the request supplies, and none are supplied, so a condition is
treated as met.

Decisions read their inputs (sessions, role policies) from snapshots that the control plane
rebuilds after each change to IAM or STS (``iam.inputs``): no lock is taken here, so a
decision on the event loop never waits for a slow IAM call. Decisions are cached per (role,
action, resource) until the role policies' snapshot is replaced, so a changed policy applies
to the next call, with no redeployment, and a repeated call costs a dictionary lookup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from wslab.local.control import AccessDenied
from wslab.local.moto_ext.iam.inputs import IamInputs, RolePolicies, RoleSession

__all__ = [
    "IDENTITY_POLICY",
    "PERMISSIONS_BOUNDARY",
    "IamAuthority",
    "RoleSession",
    "evaluate",
    "statements_of",
]

_CACHE_LIMIT = 50_000
IDENTITY_POLICY = "identity-based policy"
PERMISSIONS_BOUNDARY = "permissions boundary"


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, fold_case: bool) -> re.Pattern[str]:
    # IAM's wildcards: * any run of characters, ? one character; nothing else is special.
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(body, re.IGNORECASE | re.DOTALL if fold_case else re.DOTALL)


class _Statement(IAMPolicyStatement):
    """moto's statement evaluation with IAM's matching rules."""

    def _check_element_matches(self, statement_element: Any, value: str) -> bool:
        patterns = self._statement[statement_element]
        if not isinstance(patterns, list):
            patterns = [patterns]
        fold_case = statement_element in ("Action", "NotAction")  # action names ignore case
        return any(_wildcard(str(pattern), fold_case).fullmatch(value) for pattern in patterns)

    def is_action_permitted(
        self,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        statement = self._statement
        if "NotResource" in statement and "Resource" not in statement:
            if self._check_element_matches("NotResource", resource):
                return PermissionResult.NEUTRAL
            # Every other resource is covered: as "Resource": "*" for moto.
            covered = {key: value for key, value in statement.items() if key != "NotResource"}
            return _Statement({**covered, "Resource": "*"}).is_action_permitted(action, resource)
        result = super().is_action_permitted(action, resource, principal, incoming_condition_values)
        if result is PermissionResult.DENIED and statement.get("Effect") != "Deny":
            return PermissionResult.NEUTRAL  # an Allow that does not apply denies nothing
        return result


def statements_of(document: Any) -> list[Any]:
    """A policy document's statements (JSON text or bytes, or a dict; one statement or a
    list)."""
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return statements if isinstance(statements, list) else [statements]


def evaluate(documents: list[Any], action: str, resource: str) -> PermissionResult:
    """One policy set's verdict: DENIED (an explicit Deny), PERMITTED, or NEUTRAL."""
    permitted = False
    for document in documents:
        for statement in statements_of(document):
            if not isinstance(statement, dict):
                continue
            result = _Statement(statement).is_action_permitted(action, resource)
            if result is PermissionResult.DENIED:
                return result
            permitted = permitted or result is PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


class IamAuthority:
    """:class:`~wslab.local.control.AccessAuthority` on snapshots of moto's IAM and STS."""

    def __init__(self, inputs: IamInputs) -> None:
        self._inputs = inputs
        # Decisions, with the role policies they were made from: replaced together, so a
        # decision made from older policies never lands among newer ones.
        self._decisions: tuple[
            Mapping[str, RolePolicies], dict[tuple[str, str, str], AccessDenied | None]
        ] = ({}, {})

    # Who signed ---------------------------------------------------------------------------

    def session(self, access_key_id: str) -> RoleSession | None:
        """The role session behind credentials the local STS issued, or None."""
        return self._inputs.sessions().get(access_key_id)

    # What it may do -----------------------------------------------------------------------

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:
        session = self.session(access_key_id)
        if session is None:
            return None  # not a role's credentials: an administrator's
        if session_token != session.session_token:
            return AccessDenied(session.arn, action, resource, invalid_token=True)
        return self.decide(session, action, resource)

    def decide(self, session: RoleSession, action: str, resource: str) -> AccessDenied | None:
        """IAM's answer for the role of ``session``, cached until IAM changes."""
        roles = self._inputs.role_policies()
        decided_for, decisions = self._decisions
        if decided_for is not roles:
            decisions = {}
            self._decisions = (roles, decisions)
        key = (session.role_arn, action, resource)
        if key in decisions:
            denied = decisions[key]
        else:
            denied = self._evaluate(session, action, resource, roles.get(session.role_arn))
            if len(decisions) > _CACHE_LIMIT:
                decisions.clear()
            decisions[key] = denied
        if denied is None or denied.principal_arn == session.arn:
            return denied
        return replace(denied, principal_arn=session.arn)  # another session of the role

    @staticmethod
    def _evaluate(
        session: RoleSession, action: str, resource: str, policies: RolePolicies | None
    ) -> AccessDenied | None:
        # A deleted role allows nothing.
        identity = list(policies.identity) if policies is not None else []
        boundary = policies.boundary if policies is not None else None
        verdict = evaluate(identity, action, resource)
        if verdict is not PermissionResult.PERMITTED:
            explicit = verdict is PermissionResult.DENIED
            return AccessDenied(session.arn, action, resource, explicit, policy=IDENTITY_POLICY)
        if boundary is not None:
            verdict = evaluate(list(boundary), action, resource)
            if verdict is not PermissionResult.PERMITTED:
                explicit = verdict is PermissionResult.DENIED
                return AccessDenied(
                    session.arn, action, resource, explicit, policy=PERMISSIONS_BOUNDARY
                )
        return None
