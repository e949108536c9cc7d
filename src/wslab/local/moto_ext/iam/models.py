"""moto's IAM, completed where enforcing IAM needs it.

* **AWS managed policies** (``arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole``
  and the rest): moto knows their documents but loads them into an account only when told to
  load all of them (``MOTO_IAM_LOAD_MANAGED_POLICIES``, some 1,600 per account). Here one is
  loaded into the account the first time it is attached or read.
* **CloudFormation's AWS::IAM::Role**: moto's model ignores ``ManagedPolicyArns`` and, on a
  stack update, leaves ``Policies`` and ``ManagedPolicyArns`` as they were. Both are applied,
  so a role deployed by a template allows what it says, before and after an update.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend, Role, iam_backends

__all__ = ["install"]

_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy(?P<path>/(?:.+/)?)(?P<name>[^/]+)$")


@cache
def _aws_managed_documents() -> dict[str, Any]:
    """moto's copy of AWS's managed policies, by name: parsed once, on first use."""
    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


def _load_aws_managed(backend: IAMBackend, policy_arn: str) -> None:
    """Put the AWS managed policy ``policy_arn`` into the account, if it is one and not there."""
    match = _AWS_MANAGED.match(policy_arn or "")
    if match is None or policy_arn in backend.managed_policies:
        return
    data = _aws_managed_documents().get(match.group("name"))
    if data is None or data.get("Path", "/") != match.group("path"):
        return  # no such AWS managed policy: moto's own "does not exist" answers
    policy = AWSManagedPolicy.from_data(
        match.group("name"), backend.account_id, backend.region_name, data
    )
    backend.managed_policies[policy.arn] = policy


def _sync_role(backend: IAMBackend, role: Any, properties: dict[str, Any]) -> None:
    """Make the role's inline and managed policies those of the template's ``properties``."""
    inline = {str(p["PolicyName"]): p["PolicyDocument"] for p in properties.get("Policies") or []}
    for name in set(role.policies) - set(inline):
        role.delete_policy(name)
    for name, document in inline.items():
        role.put_policy(name, document)
    wanted: Iterable[str] = properties.get("ManagedPolicyArns") or []
    for arn in set(role.managed_policies) - set(wanted):
        backend.detach_role_policy(arn, role.name)
    for arn in wanted:
        if arn not in role.managed_policies:
            backend.attach_role_policy(arn, role.name)


_installed = False


def install() -> None:
    """Patch moto's IAM backend and CloudFormation role model. Idempotent."""
    global _installed
    if _installed:
        return
    attach, get_policy = IAMBackend.attach_role_policy, IAMBackend.get_policy
    create_role = Role.create_from_cloudformation_json
    update_role = Role.update_from_cloudformation_json
    delete_role = Role.delete_from_cloudformation_json

    def attach_role_policy(self: IAMBackend, policy_arn: str, role_name: str) -> None:
        _load_aws_managed(self, policy_arn)
        attach(self, policy_arn, role_name)

    def get_managed_policy(self: IAMBackend, policy_arn: str) -> Any:
        _load_aws_managed(self, policy_arn)
        return get_policy(self, policy_arn)

    def create_from_cloudformation_json(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Role:
        role = create_role(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id]["aws"]
        for arn in cloudformation_json["Properties"].get("ManagedPolicyArns") or []:
            backend.attach_role_policy(arn, role.name)
        return role

    def update_from_cloudformation_json(
        original_resource: Role,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Role:
        role = update_role(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        properties = cloudformation_json.get("Properties") or {}
        _sync_role(iam_backends[account_id]["aws"], role, properties)
        return role

    def delete_from_cloudformation_json(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        # The stack attached the role's managed policies: it detaches them, as CloudFormation
        # does, before IAM would refuse the deletion (DeleteConflict).
        backend = iam_backends[account_id]["aws"]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        delete_role(resource_name, cloudformation_json, account_id, region_name)

    IAMBackend.attach_role_policy = attach_role_policy  # type: ignore[method-assign]
    IAMBackend.get_policy = get_managed_policy  # type: ignore[method-assign]
    Role.create_from_cloudformation_json = staticmethod(create_from_cloudformation_json)  # type: ignore[method-assign]
    Role.update_from_cloudformation_json = staticmethod(update_from_cloudformation_json)  # type: ignore[method-assign]
    Role.delete_from_cloudformation_json = staticmethod(delete_from_cloudformation_json)  # type: ignore[method-assign]
    _installed = True
