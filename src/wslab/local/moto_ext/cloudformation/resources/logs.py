"""``AWS::Logs::LogGroup`` updated in place.

moto's log group has no CloudFormation update, so a new ``RetentionInDays`` (the
template's ``LogRetentionDays``) could only replace the group, which its
``LogGroupName`` forbids. ``RetentionInDays`` and ``KmsKeyId`` update with "No
interruption" (aws-resource-logs-loggroup.html): here they are set on the group as it is;
a new ``LogGroupName`` replaces it (:mod:`..replacement`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["install"]


def update(
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json.get("Properties") or {}
    # None: no retention policy, which is "never expire" (PutRetentionPolicy's absence).
    original_resource.set_retention_policy(properties.get("RetentionInDays"))
    original_resource.kms_key_id = properties.get("KmsKeyId")
    return original_resource


def install() -> None:
    from moto.logs.models import LogGroup

    group: Any = LogGroup
    group.update_from_cloudformation_json = staticmethod(update)
