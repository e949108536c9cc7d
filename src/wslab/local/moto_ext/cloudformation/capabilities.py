"""The capabilities a template needs, and the calls that refuse it without them.

https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
(Capabilities):

- ``CAPABILITY_IAM`` or ``CAPABILITY_NAMED_IAM`` for a template with IAM resources of the
  listed types; ``CAPABILITY_NAMED_IAM`` when one of them has a name of its own. Without
  it, ``CreateStack``, ``UpdateStack`` and ``CreateChangeSet`` answer
  ``InsufficientCapabilitiesException`` "Requires capabilities : [CAPABILITY_IAM]"
  (reported from CreateStack in cloudtools/troposphere#291, from CreateChangeSet in
  molecule-man/stack-assembly#4). The IAM resources counted are those of the processed
  template: a SAM function's implicit role counts.
- ``CAPABILITY_AUTO_EXPAND`` for a transform, when a stack is created or updated directly
  from the template; a change set needs none (its review is the acknowledgement).

moto checks none of them: a template that deploys here without its capabilities would be
refused on AWS.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from wslab.local.moto_ext.cloudformation.errors import InsufficientCapabilities
from wslab.local.moto_ext.cloudformation.transforms import declared

__all__ = ["AUTO_EXPAND", "IAM", "NAMED_IAM", "check", "iam_capability", "iam_types"]

IAM = "CAPABILITY_IAM"
NAMED_IAM = "CAPABILITY_NAMED_IAM"
AUTO_EXPAND = "CAPABILITY_AUTO_EXPAND"
# The resource types the Capabilities parameter lists for CAPABILITY_IAM.
_IAM_TYPES = frozenset(
    {
        "AWS::IAM::AccessKey",
        "AWS::IAM::Group",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::IAM::User",
        "AWS::IAM::UserToGroupAddition",
    }
)
# Resource properties that give an IAM resource a name of its own: CAPABILITY_NAMED_IAM.
_NAME_PROPERTIES = (
    "RoleName",
    "UserName",
    "GroupName",
    "ManagedPolicyName",
    "InstanceProfileName",
)


def _resources(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return []
    return [resource for resource in resources.values() if isinstance(resource, Mapping)]


def iam_types(template: Mapping[str, Any]) -> list[str]:
    """The IAM resource types in ``template`` that need an IAM capability, sorted."""
    return sorted({str(r.get("Type")) for r in _resources(template) if r.get("Type") in _IAM_TYPES})


def iam_capability(template: Mapping[str, Any]) -> str | None:
    """``CAPABILITY_NAMED_IAM``, ``CAPABILITY_IAM`` or None: what ``template`` needs."""
    iam = [r for r in _resources(template) if r.get("Type") in _IAM_TYPES]
    if not iam:
        return None
    named = any(
        isinstance(r.get("Properties"), Mapping)
        and any(name in r["Properties"] for name in _NAME_PROPERTIES)
        for r in iam
    )
    return NAMED_IAM if named else IAM


def check(
    original: Mapping[str, Any],
    processed: Mapping[str, Any] | None,
    acknowledged: Collection[str],
    *,
    direct: bool,
) -> None:
    """``InsufficientCapabilitiesException`` for a capability the call does not acknowledge.

    ``processed`` is the template with its transforms run (None when they cannot run: the
    call itself then says why); ``direct`` is True for CreateStack and UpdateStack."""
    if direct and declared(original) and AUTO_EXPAND not in acknowledged:
        raise InsufficientCapabilities([AUTO_EXPAND])
    needed = iam_capability(processed) if processed is not None else None
    if needed is None or needed in acknowledged:
        return
    if needed == IAM and NAMED_IAM in acknowledged:
        return
    raise InsufficientCapabilities([needed])
