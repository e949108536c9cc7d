"""What IAM's decisions read of moto, copied out of it: who each set of temporary
credentials (and each IAM user's access key) is, and each role's and user's policies.

Decisions are made on the event loop (``@connections`` calls signed by a handler) and on
the service lanes (``iam.enforcement``): neither may wait for IAM's or STS's lock, which a
slow call can hold. The control plane keeps these copies as snapshots, rebuilt after each
change to IAM or STS (``core/snapshots.py``); each reader below runs under its service's lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from wslab.local.control import IssuedKey

__all__ = [
    "REVOKED",
    "STS_EXAMPLE_KEY",
    "IamInputs",
    "RolePolicies",
    "RoleSession",
    "UserKeys",
    "read_access_keys",
    "read_role_policies",
    "read_sessions",
]

STS_EXAMPLE_KEY: Final = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
"""The access key and secret moto's STS answers every ``GetSessionToken`` and
``GetFederationToken`` with (``moto/sts/responses.py``): issued by the stack, so verified."""
USER = "User"
ASSUMED_ROLE = "AssumedRole"


@dataclass(frozen=True)
class RoleSession:
    """A role as a session of it acts: ``arn:aws:sts::<account>:assumed-role/<role>/<session>``;
    or (``principal_type`` ``User``) an IAM user signing with a long-term access key, whose
    ``role_arn`` is the user's ARN (the holder of the policies) and who has no session token."""

    account_id: str
    role_arn: str
    session_name: str
    session_token: str = ""
    secret_access_key: str = ""
    principal_type: str = ASSUMED_ROLE

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        if self.principal_type == USER:
            return self.role_arn
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"


@dataclass(frozen=True)
class RolePolicies:
    """A role's identity-based policies (inline, then attached) and its permissions boundary
    (None without one; empty when it names a policy that does not exist)."""

    identity: tuple[Any, ...]
    boundary: tuple[Any, ...] | None


class IamInputs(Protocol):
    """Where decisions find their inputs: the current snapshots."""

    def sessions(self) -> Mapping[str, RoleSession]:  # pragma: no cover - a protocol
        """Every role session the local STS issued and every active access key of an IAM
        user, by access key id."""

    def role_policies(self) -> Mapping[str, RolePolicies]:  # pragma: no cover - a protocol
        """Every role's and every user's policies, by ARN."""


def _frozen(document: Any) -> Any:
    # A document stored as a dict could change under a reader: keep its JSON text.
    return document if isinstance(document, (str, bytes)) else json.dumps(document)


def _default_document(policy: Any) -> Any:
    """The document of a managed policy's default version."""
    for version in policy.versions:
        if version.is_default:
            return _frozen(version.document)
    return "{}"


def read_sessions() -> dict[str, RoleSession]:
    """Every session of every account's STS (the caller holds STS's lock)."""
    sessions: dict[str, RoleSession] = {}
    for account in list(sts_backends.values()):
        for backend in list(account.values()):
            for assumed in list(backend.assumed_roles):
                sessions[str(assumed.access_key_id)] = RoleSession(
                    str(assumed.account_id),
                    str(assumed.role_arn),
                    str(assumed.session_name),
                    str(assumed.session_token),
                    str(assumed.secret_access_key),
                )
    return sessions


REVOKED = "\x00revoked"
"""The session token of a user's key that is inactive or deleted: no request carries it, so
the key is refused as AWS refuses it ("The security token included in the request is
invalid"), not taken for an administrator's."""


class UserKeys:
    """Reads every IAM user's access keys, in every account (the caller holds IAM's lock),
    and remembers the keys it has seen: one deactivated or deleted since stays a user's,
    refused, rather than becoming unknown credentials, which pass as an administrator's."""

    def __init__(self) -> None:
        self._seen: dict[str, RoleSession] = {}

    def __call__(self) -> dict[str, RoleSession]:
        keys: dict[str, RoleSession] = {}
        for account in list(iam_backends.values()):
            for backend in list(account.values()):
                for user in list(backend.users.values()):
                    for key in list(user.access_keys):
                        token = "" if key.status == "Active" else REVOKED
                        keys[str(key.access_key_id)] = RoleSession(
                            str(backend.account_id), str(user.arn), "", token, principal_type=USER
                        )
        for key_id, session in self._seen.items():
            keys.setdefault(key_id, replace(session, session_token=REVOKED))
        self._seen.update(keys)
        return keys


def _user_policies(backend: Any, user: Any) -> RolePolicies:
    """A user's inline and attached policies and those of its groups."""
    holders = [user, *backend.get_groups_for_user(user.name)]
    identity = [_frozen(document) for holder in holders for document in holder.policies.values()]
    identity += [
        _default_document(policy)
        for holder in holders
        for policy in holder.managed_policies.values()
    ]
    return RolePolicies(tuple(identity), None)


def read_role_policies() -> dict[str, RolePolicies]:
    """Every role's and every user's policies, in every account (the caller holds IAM's
    lock)."""
    roles: dict[str, RolePolicies] = {}
    for account in list(iam_backends.values()):
        for backend in list(account.values()):
            for user in list(backend.users.values()):
                roles[str(user.arn)] = _user_policies(backend, user)
            for role in list(backend.get_roles()):
                identity = [_frozen(document) for document in role.policies.values()]
                identity += [_default_document(p) for p in role.managed_policies.values()]
                boundary: tuple[Any, ...] | None = None
                if role.permissions_boundary_arn:
                    managed = backend.managed_policies.get(role.permissions_boundary_arn)
                    boundary = (_default_document(managed),) if managed is not None else ()
                roles[str(role.arn)] = RolePolicies(tuple(identity), boundary)
    return roles


def read_access_keys() -> dict[str, IssuedKey]:
    """Every IAM user's access key, in every account, and STS's example key (the caller holds
    IAM's lock). Temporary credentials from ``AssumeRole`` are in :func:`read_sessions`."""
    keys = {STS_EXAMPLE_KEY[0]: IssuedKey(STS_EXAMPLE_KEY[1])}
    for account in list(iam_backends.values()):
        for backend in list(account.values()):
            for user in list(backend.users.values()):
                for key in list(user.access_keys):
                    keys[str(key.access_key_id)] = IssuedKey(
                        str(key.secret_access_key), active=key.status == "Active"
                    )
    return keys
