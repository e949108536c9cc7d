"""Whether a resource's change is made in place or by replacing it.

Each property of a resource type says how it updates ("Update requires: No interruption /
Some interruptions / Replacement" in the resource's page of the template reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
A change to any property that requires replacement makes a new resource (created first,
the old one deleted once the whole stack is updated); every other change is made to the
resource as it is.

A custom-named resource can't be replaced: the new one would need the old one's name.
CloudFormation fails the resource with the message of :func:`named_replacement`
(reported from UpdateStack in convox/rack#2941, cloudtools/stacker#96) and rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.cloudformation.parsing import resource_class_from_type

__all__ = ["can_update_in_place", "changed_properties", "named_replacement", "requires_replacement"]

# The properties that require replacement, per type, from each type's reference page:
# aws-resource-dynamodb-table.html, aws-resource-lambda-function.html,
# aws-resource-logs-loggroup.html, aws-resource-iam-role.html, aws-resource-sqs-queue.html.
# The API Gateway v2 models declare theirs (``REPLACE_ON``, after the
# aws-resource-apigatewayv2-*.html pages).
_REPLACED_ON: Mapping[str, frozenset[str]] = {
    "AWS::DynamoDB::Table": frozenset(
        {"KeySchema", "LocalSecondaryIndexes", "TableName", "ImportSourceSpecification"}
    ),
    "AWS::Lambda::Function": frozenset({"FunctionName", "PackageType"}),
    "AWS::Logs::LogGroup": frozenset({"LogGroupName"}),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::SQS::Queue": frozenset({"QueueName", "FifoQueue"}),
    # Every property of a permission requires replacement (aws-resource-lambda-permission.html).
    "AWS::Lambda::Permission": frozenset(
        {
            "Action",
            "EventSourceToken",
            "FunctionName",
            "FunctionUrlAuthType",
            "Principal",
            "PrincipalOrgID",
            "SourceAccount",
            "SourceArn",
        }
    ),
}


def can_update_in_place(resource_type: str) -> bool:
    """Whether the local model of ``resource_type`` can change an existing resource."""
    model = resource_class_from_type(resource_type)
    return model is not None and not hasattr(
        model.update_from_cloudformation_json, "__isabstractmethod__"
    )


def changed_properties(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    return {name for name in {*old, *new} if old.get(name) != new.get(name)}


def requires_replacement(resource_type: str, changed: set[str]) -> bool:
    """Whether changing ``changed`` properties of a ``resource_type`` replaces it. A type
    with no list here is replaced when its local model can't update it in place."""
    replaced_on = _REPLACED_ON.get(resource_type)
    if replaced_on is None:
        model = resource_class_from_type(resource_type)
        declared = getattr(model, "REPLACE_ON", None)
        if declared is None:
            return not can_update_in_place(resource_type)
        replaced_on = frozenset(declared)
    return bool(changed & replaced_on)


def named_replacement(
    resource_type: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> str | None:
    """The name a replacement would have to take from the resource it replaces (the update
    must fail then), or None."""
    model = resource_class_from_type(resource_type)
    name_property = model.cloudformation_name_type() if model is not None else None
    if not name_property or new.get(name_property) is None:
        return None
    name = new[name_property]
    return str(name) if name == old.get(name_property) else None
