"""IAM's decision on a call made with a role's temporary credentials, from moto's models.

Who is restricted: whoever signs with credentials the local STS issued by ``AssumeRole`` (each
Lambda execution environment gets its function's role that way). Any other credentials (the
notebooks', the tests', a shell's) are an administrator's: allowed everything.

What decides: the role's inline and attached policies and its permissions boundary, gathered
from moto's IAM models and evaluated by :mod:`wslab.local.policy` as IAM does for a principal
and a resource in one account: an explicit ``Deny`` wins, else an ``Allow`` is needed (and,
with a boundary, the boundary must allow too). Conditions are tested against the keys the
local stack knows of such a call: the role as ``aws:PrincipalArn`` (IAM gives the role's ARN,
not the session's), ``aws:PrincipalAccount``, ``aws:PrincipalType`` ``AssumedRole``, and
``aws:SecureTransport`` true (the local stack's plain HTTP on the loopback interface stands for
AWS's HTTPS endpoints); see
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
A condition on any other key is false, as IAM makes it for a key absent from the request.

Decisions are cached per (access key, action, resource) until IAM changes (the ``iam``
change counter), so a changed policy applies to the next call, with no redeployment, and a
repeated call costs a dictionary lookup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from wslab.local.control import AccessDenied
from wslab.local.moto_ext.core.host import HOST, MotoHost
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
    "IamAuthority",
    "RoleSession",
    "evaluate",
    "statements_of",
]

_PARTITION = "aws"
_CACHE_LIMIT = 50_000
IDENTITY_POLICY = "identity-based policy"
PERMISSIONS_BOUNDARY = "permissions boundary"


@dataclass(frozen=True)
class RoleSession:
    """A role as a session of it acts: ``arn:aws:sts::<account>:assumed-role/<role>/<session>``."""

    account_id: str
    role_arn: str
    session_name: str
    session_token: str = ""

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"


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


def _default_document(policy: Any) -> Any:
    """The document of a managed policy's default version."""
    for version in policy.versions:
        if version.is_default:
            return version.document
    return {}


def evaluate(documents: list[Any], request: Request) -> Decision:
    """One policy set's decision on ``request``."""
    return evaluate_statements(
        (statement for document in documents for statement in statements_of(document)), request
    )


def _request(session: RoleSession, action: str, resource: str) -> Request:
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": session.role_arn,
        "aws:PrincipalAccount": session.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:SecureTransport": True,
    }
    return Request(action, resource, context=context)


class _Missing(Enum):
    NOT_A_ROLE = "not a role"


class IamAuthority:
    """:class:`~wslab.local.control.AccessAuthority` on moto's IAM and STS."""

    def __init__(self, host: MotoHost = HOST) -> None:
        self._host = host
        self._sessions: dict[str, tuple[int, RoleSession | _Missing]] = {}
        self._decisions: dict[tuple[str, str, str, str], tuple[int, AccessDenied | None]] = {}

    # Who signed ---------------------------------------------------------------------------

    def session(self, access_key_id: str) -> RoleSession | None:
        """The role session behind credentials the local STS issued, or None."""
        generation = self._host.changes.of("*")  # STS forgets only on a reset
        hit = self._sessions.get(access_key_id)
        if hit is not None and hit[0] == generation:
            found = hit[1]
        else:
            found = self._find_session(access_key_id)
            if len(self._sessions) > _CACHE_LIMIT:
                self._sessions.clear()
            self._sessions[access_key_id] = (generation, found)
        return None if isinstance(found, _Missing) else found

    def _find_session(self, access_key_id: str) -> RoleSession | _Missing:
        with self._host.locks.of("sts"):
            account_id = get_account_id_from(access_key_id)
            assumed = sts_backends[account_id][_PARTITION].get_assumed_role_from_access_key(
                access_key_id
            )
        if assumed is None:
            return _Missing.NOT_A_ROLE
        return RoleSession(
            str(assumed.account_id),
            str(assumed.role_arn),
            str(assumed.session_name),
            str(assumed.session_token),
        )

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
        generation = self._host.changes.of("iam")
        key = (session.account_id, session.role_arn, action, resource)
        hit = self._decisions.get(key)
        if hit is not None and hit[0] == generation:
            denied = hit[1]
        else:
            with self._host.locks.of("iam"):
                generation = self._host.changes.of("iam")
                denied = self._evaluate(session, action, resource)
            if len(self._decisions) > _CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = (generation, denied)
        if denied is None or denied.principal_arn == session.arn:
            return denied
        return replace(denied, principal_arn=session.arn)  # another session of the role

    def _evaluate(self, session: RoleSession, action: str, resource: str) -> AccessDenied | None:
        identity, boundary = self._policies(session)
        request = _request(session, action, resource)
        verdict = evaluate(identity, request)
        if not verdict.allowed:
            explicit = verdict is Decision.EXPLICIT_DENY
            return AccessDenied(session.arn, action, resource, explicit, policy=IDENTITY_POLICY)
        if boundary is not None:
            verdict = evaluate(boundary, request)
            if not verdict.allowed:
                explicit = verdict is Decision.EXPLICIT_DENY
                return AccessDenied(
                    session.arn, action, resource, explicit, policy=PERMISSIONS_BOUNDARY
                )
        return None

    def _policies(self, session: RoleSession) -> tuple[list[Any], list[Any] | None]:
        """The role's identity policies (inline, then attached) and its boundary, if any."""
        backend = iam_backends[session.account_id][_PARTITION]
        role = next((r for r in backend.get_roles() if r.arn == session.role_arn), None)
        if role is None:
            return [], None  # a deleted role allows nothing
        identity = list(role.policies.values())
        identity += [_default_document(policy) for policy in role.managed_policies.values()]
        boundary_arn = role.permissions_boundary_arn
        if not boundary_arn:
            return identity, None
        managed = backend.managed_policies.get(boundary_arn)
        return identity, [_default_document(managed)] if managed is not None else []
