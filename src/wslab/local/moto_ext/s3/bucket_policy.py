"""Bucket policies with their conditions evaluated, over a local stack that stands for HTTPS.

moto denies an object request when the bucket's policy has a matching ``Deny`` statement,
but it ignores condition operators it does not implement (``Bool`` among them): the
statement every ``sam deploy`` bucket carries, *deny when ``aws:SecureTransport`` is
false*, then denies everything, and the upload of the code fails with 403. Here a
statement applies only when its ``Condition`` holds, as IAM evaluates it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html:
a key absent from the request makes the condition false, unless the operator ends in
``IfExists`` or is ``Null``).

The request context has one key: ``aws:SecureTransport`` is true. The local stack speaks
plain HTTP on the loopback interface, standing in for AWS's HTTPS endpoints, as its
``ws://`` endpoints stand for ``wss://``.
"""

from __future__ import annotations

from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from wslab.local.moto_ext.iam.policy import evaluate, statements_of

__all__ = ["condition_holds", "install"]

_CONTEXT = {"aws:securetransport": "true"}


def _holds(operator: str, actual: str | None, expected: list[str]) -> bool:
    base = operator.removesuffix("IfExists")
    if base == "Null":
        return (actual is None) == (expected[0].lower() == "true")
    if actual is None:
        return operator.endswith("IfExists")
    if base in ("Bool", "StringEqualsIgnoreCase"):
        return actual.lower() in [value.lower() for value in expected]
    if base == "StringEquals":
        return actual in expected
    if base == "StringNotEquals":
        return actual not in expected
    # [UNCONFIRMED] how best to treat an operator the local stack does not evaluate: the
    # statement does not apply.
    return False


def condition_holds(condition: dict[str, Any]) -> bool:
    """Whether a statement's ``Condition`` block holds for a request to the local stack."""
    for operator, entries in condition.items():
        for key, expected in (entries or {}).items():
            values = expected if isinstance(expected, list) else [expected]
            actual = _CONTEXT.get(str(key).lower())
            if not _holds(str(operator), actual, [str(value) for value in values]):
                return False
    return True


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """``FakeBucket.get_permission``: the statements whose conditions hold, evaluated as an
    identity policy's are (:func:`..iam.policy.evaluate`)."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    applying = [
        {key: value for key, value in statement.items() if key != "Condition"}
        for statement in statements_of(self.policy)
        if isinstance(statement, dict) and condition_holds(statement.get("Condition") or {})
    ]
    return evaluate([{"Statement": applying}], action, resource)


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        bucket: Any = FakeBucket
        bucket.get_permission = get_permission
        _installed = True
