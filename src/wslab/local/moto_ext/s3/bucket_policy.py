"""Bucket policies decided by :mod:`wslab.local.policy`, over a local stack that stands for HTTPS.

moto denies an object request when the bucket's policy has a matching ``Deny`` statement,
but it ignores condition operators it does not implement (``Bool`` among them): the
statement every ``sam deploy`` bucket carries, *deny when ``aws:SecureTransport`` is
false*, then denies everything, and the upload of the code fails with 403. Here the policy
is evaluated as IAM evaluates it, conditions included
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).

The request context has one key: ``aws:SecureTransport`` is true. The local stack speaks
plain HTTP on the loopback interface, standing in for AWS's HTTPS endpoints, as its
``ws://`` endpoints stand for ``wss://``. moto asks without a principal, so a statement's
``Principal`` is not what decides (moto's own matching does not decide on it either).
"""

from __future__ import annotations

from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from wslab.local.moto_ext.iam.policy import evaluate
from wslab.local.policy import Decision, Request

__all__ = ["get_permission", "install"]

_CONTEXT = {"aws:SecureTransport": True}
_MOTO_RESULT = {
    Decision.ALLOW: PermissionResult.PERMITTED,
    Decision.EXPLICIT_DENY: PermissionResult.DENIED,
    Decision.IMPLICIT_DENY: PermissionResult.NEUTRAL,
}


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """``FakeBucket.get_permission``: the bucket policy's decision, in moto's terms (NEUTRAL
    where no statement applies, so the caller's identity policy decides)."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return _MOTO_RESULT[evaluate([self.policy], Request(action, resource, context=_CONTEXT))]


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        bucket: Any = FakeBucket
        bucket.get_permission = get_permission
        _installed = True
