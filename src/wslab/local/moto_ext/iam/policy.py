"""IAM's decision on a call made with a role's temporary credentials or an IAM user's access
key, from moto's models.

Who is restricted: whoever signs with credentials the local STS issued by ``AssumeRole`` (each
Lambda execution environment gets its function's role that way), or with an access key the
local IAM issued to a user (``CreateAccessKey``: an attendee's, say). Any other credentials
(the notebooks' and the tests' dummy keys, a shell's) are an administrator's: allowed
everything.

What decides: the role's inline and attached policies and its permissions boundary, gathered
from moto's IAM models and evaluated by :mod:`wslab.local.policy` as IAM does for a principal
and a resource in one account: an explicit ``Deny`` wins, else an ``Allow`` is needed (and,
with a boundary, the boundary must allow too). Conditions are tested against the keys the
local stack knows of such a call: the role as ``aws:PrincipalArn`` (IAM gives the role's ARN,
not the session's) or the user's, ``aws:PrincipalAccount``, ``aws:PrincipalType``
(``AssumedRole`` or ``User``), the keys a service's call brings (``iam:PermissionsBoundary``
on IAM's role calls, see ``iam.services``), and
``aws:SecureTransport`` true (the local stack's plain HTTP on the loopback interface stands for
AWS's HTTPS endpoints); see
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
A condition on any other key is false, as IAM makes it for a key absent from the request.

Decisions read their inputs (sessions, role policies) from snapshots that the control plane
rebuilds after each change to IAM or STS (``iam.inputs``): no lock is taken here, so a
decision on the event loop never waits for a slow IAM call. Decisions are cached per (role,
action, resource) until the role policies' snapshot is replaced, so a changed policy applies
to the next call, with no redeployment, and a repeated call costs a dictionary lookup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from wslab.local.control import AccessDenied
from wslab.local.moto_ext.iam.inputs import IamInputs, RolePolicies, RoleSession
from wslab.local.policy import (
    ContextValue,
    Decision,
    MalformedPolicy,
    Request,
    Statement,
    parse_statement,
)
from wslab.local.policy import evaluate as evaluate_statements

__all__ = [
    "IDENTITY_POLICY",
    "PERMISSIONS_BOUNDARY",
    "Context",
    "IamAuthority",
    "RoleSession",
    "evaluate",
    "statements_of",
]

_CACHE_LIMIT = 50_000
IDENTITY_POLICY = "identity-based policy"
PERMISSIONS_BOUNDARY = "permissions boundary"


def statements_of(document: Any) -> list[Statement]:
    """A stored policy document's statements (JSON text or bytes, or a dict; one statement
    or a list). A statement outside IAM's grammar, which IAM would not have stored, is left
    out."""
    if isinstance(document, str | bytes):
        document = json.loads(document)
    raw = document.get("Statement", []) if isinstance(document, dict) else []
    statements = []
    for statement in raw if isinstance(raw, list) else [raw]:
        try:
            statements.append(parse_statement(statement))
        except MalformedPolicy:
            continue
    return statements


def evaluate(documents: list[Any], request: Request) -> Decision:
    """One policy set's decision on ``request``."""
    return evaluate_statements(
        (statement for document in documents for statement in statements_of(document)), request
    )


Context = tuple[tuple[str, ContextValue], ...]
"""Condition keys a call brings, besides the principal's: part of a decision's cache key."""


def _request(session: RoleSession, action: str, resource: str, extra: Context) -> Request:
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": session.role_arn,
        "aws:PrincipalAccount": session.account_id,
        "aws:PrincipalType": session.principal_type,
        "aws:SecureTransport": True,
        **dict(extra),
    }
    return Request(action, resource, context=context)


class IamAuthority:
    """:class:`~wslab.local.control.AccessAuthority` on snapshots of moto's IAM and STS."""

    def __init__(self, inputs: IamInputs) -> None:
        self._inputs = inputs
        # Decisions, with the role policies they were made from: replaced together, so a
        # decision made from older policies never lands among newer ones.
        self._decisions: tuple[
            Mapping[str, RolePolicies], dict[tuple[str, str, str, Context], AccessDenied | None]
        ] = ({}, {})

    # Who signed ---------------------------------------------------------------------------

    def session(self, access_key_id: str) -> RoleSession | None:
        """The role session behind credentials the local STS issued, the user behind an
        access key the local IAM issued, or None."""
        return self._inputs.sessions().get(access_key_id)

    # What it may do -----------------------------------------------------------------------

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:
        session = self.session(access_key_id)
        if session is None:
            return None  # not a role's or a user's credentials: an administrator's
        if (session_token or "") != session.session_token:
            return AccessDenied(session.arn, action, resource, invalid_token=True)
        return self.decide(session, action, resource)

    def decide(
        self, session: RoleSession, action: str, resource: str, context: Context = ()
    ) -> AccessDenied | None:
        """IAM's answer for the role (or user) of ``session``, the call bringing the condition
        keys ``context``; cached until IAM changes."""
        roles = self._inputs.role_policies()
        decided_for, decisions = self._decisions
        if decided_for is not roles:
            decisions = {}
            self._decisions = (roles, decisions)
        key = (session.role_arn, action, resource, context)
        if key in decisions:
            denied = decisions[key]
        else:
            policies = roles.get(session.role_arn)
            denied = self._evaluate(session, action, resource, context, policies)
            if len(decisions) > _CACHE_LIMIT:
                decisions.clear()
            decisions[key] = denied
        if denied is None or denied.principal_arn == session.arn:
            return denied
        return replace(denied, principal_arn=session.arn)  # another session of the role

    @staticmethod
    def _evaluate(
        session: RoleSession,
        action: str,
        resource: str,
        context: Context,
        policies: RolePolicies | None,
    ) -> AccessDenied | None:
        # A deleted role (or user) allows nothing.
        identity = list(policies.identity) if policies is not None else []
        boundary = policies.boundary if policies is not None else None
        request = _request(session, action, resource, context)
        verdict = evaluate(identity, request)
        if not verdict.allowed:
            explicit = verdict is Decision.EXPLICIT_DENY
            return AccessDenied(session.arn, action, resource, explicit, policy=IDENTITY_POLICY)
        if boundary is not None:
            verdict = evaluate(list(boundary), request)
            if not verdict.allowed:
                explicit = verdict is Decision.EXPLICIT_DENY
                return AccessDenied(
                    session.arn, action, resource, explicit, policy=PERMISSIONS_BOUNDARY
                )
        return None
