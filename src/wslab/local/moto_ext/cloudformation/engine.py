"""Stack operations as CloudFormation runs them: in dependency order, with events, and a
failure that rolls back and stays rolled back.

moto builds a stack's resources lazily: any read of the stack's resource map creates what
is not there yet. So after a rollback, the next ``DescribeStacks`` (outputs),
``ListStackResources`` or ``DescribeStackResources`` made again what the rollback had
deleted. Here a stack's resources are created by the operation only (create, update,
executing a change set), each with its ``*_IN_PROGRESS`` / ``*_COMPLETE`` / ``*_FAILED``
event; when the operation ends the map is *settled*: a read finds what exists and never
makes anything.

Statuses and events follow "Stack status codes" and "Resource status codes"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html):
a failed create is ``ROLLBACK_COMPLETE`` (``ROLLBACK_FAILED`` if a resource can't be
deleted), a failed update ``UPDATE_ROLLBACK_COMPLETE``; the stack event that starts a
rollback says which resources failed, the resource's ``*_FAILED`` event says why.
Updates are :mod:`.updates`, on the helpers here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from moto.cloudformation.exceptions import UnsupportedAttribute, ValidationError
from moto.cloudformation.models import Event, Stack
from moto.cloudformation.parsing import ResourceMap, resource_class_from_type
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource

from wslab.local.moto_ext.cloudformation.errors import reason_of
from wslab.local.moto_ext.cloudformation.template import dependency_order

__all__ = [
    "STABLE_STATUSES",
    "condition_holds",
    "create",
    "created_resources",
    "delete",
    "delete_resource",
    "fail_created",
    "keep_as_given",
    "last_event",
    "listed_resources",
    "parameter_values",
    "physical_id",
    "published_exports",
    "resource_event",
    "settle",
    "settled_getitem",
    "stable_outputs",
    "validate_outputs",
]

# Stacks whose outputs and exports exist (DescribeStacks shows no Outputs otherwise).
STABLE_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)
STACK_TYPE = "AWS::CloudFormation::Stack"
_SETTLED = "_wslab_settled"


# The resource map ----------------------------------------------------------------------


def settled_getitem(original: Any) -> Any:
    """``ResourceMap.__getitem__`` that makes nothing once the stack's operation is over:
    a resource that is not there (rolled back, deleted, its condition false) is ``None``."""

    def getitem(self: ResourceMap, key: str) -> Any:
        if (
            getattr(self, _SETTLED, False)
            and key in self._resource_json_map
            and key not in self._parsed_resources
        ):
            return None
        return original(self, key)

    return getitem


def settle(resource_map: ResourceMap, settled: bool) -> None:
    setattr(resource_map, _SETTLED, settled)


def keep_as_given(resource_map: ResourceMap, template: dict[str, Any]) -> None:
    """Give the resource map a fresh copy of the template it runs: moto writes into the
    one it reads (``Properties: {}`` where there were none), which then looks like a
    change to the next change set."""
    working = copy.deepcopy(template)
    resource_map._template = working
    resource_map._resource_json_map = working.get("Resources") or {}


def created_resources(resource_map: ResourceMap) -> dict[str, Any]:
    parsed = resource_map._parsed_resources
    return {
        name: parsed[name]
        for name in resource_map._resource_json_map
        if name in parsed and parsed[name] is not None and not isinstance(parsed[name], str)
    }


def listed_resources(stack: Stack) -> list[Any]:
    """The stack's resources that exist, in template order (what every listing shows)."""
    return list(created_resources(stack.resource_map).values())


def last_event(stack: Stack, logical_id: str) -> Event | None:
    """The resource's latest event: its status, and when it got it."""
    for event in reversed(stack.events):
        if event.logical_resource_id == logical_id and event.resource_type != STACK_TYPE:
            return event
    return None


# Events ----------------------------------------------------------------------------------


def resource_event(
    stack: Stack,
    logical_id: str,
    resource_type: str,
    status: str,
    physical_id: str = "",
    reason: str | None = None,
) -> None:
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id,
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def physical_id(instance: Any) -> str:
    return str(getattr(instance, "physical_resource_id", "") or "")


def condition_holds(resource_map: ResourceMap, resource_json: dict[str, Any]) -> bool:
    condition = resource_json.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


# Create ----------------------------------------------------------------------------------


def _tag_ec2(resource_map: ResourceMap, logical_id: str, instance: Any) -> None:
    # What moto's ResourceMap.create does for EC2 resources: CloudFormation's own tags.
    if isinstance(instance, TaggedEC2Resource):
        resource_map.tags["aws:cloudformation:logical-id"] = logical_id
        backend = ec2_backends[resource_map._account_id][resource_map._region_name]
        backend.create_tags([physical_id(instance)], resource_map.tags)


def create(stack: Stack) -> None:
    """Create every resource of the stack's template (``Stack.create_resources``)."""
    resource_map = stack.resource_map
    template = stack.template_dict
    keep_as_given(resource_map, template)
    resources: dict[str, Any] = resource_map._resource_json_map
    resource_map.tags.update(
        {
            "aws:cloudformation:stack-name": stack.name,
            "aws:cloudformation:stack-id": stack.stack_id,
        }
    )
    stack.status = "CREATE_IN_PROGRESS"
    stack.description = template.get("Description")
    settle(resource_map, False)
    try:
        for logical_id in dependency_order(resources):
            resource_json = resources[logical_id]
            kind = str(resource_json.get("Type"))
            try:
                if not condition_holds(resource_map, resource_json):
                    continue
                resource_event(stack, logical_id, kind, "CREATE_IN_PROGRESS")
                instance = resource_map[logical_id]
                _tag_ec2(resource_map, logical_id, instance)
            except Exception as error:  # any resource's failure fails the stack, as on AWS
                resource_event(stack, logical_id, kind, "CREATE_FAILED", reason=reason_of(error))
                _roll_back(stack, f"The following resource(s) failed to create: [{logical_id}]. ")
                return
            resource_event(stack, logical_id, kind, "CREATE_COMPLETE", physical_id(instance))
    finally:
        settle(resource_map, True)
        keep_as_given(resource_map, template)
    if all(instance.is_created() for instance in created_resources(resource_map).values()):
        stack.mark_creation_complete()
    # else: a custom resource is waiting for its function's answer (moto's cfn-response
    # handler completes the stack then).


def fail_created(stack: Stack, reason: str) -> None:
    """Fail a stack whose resources were all created (an export another stack has):
    rolled back."""
    stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
    _roll_back(stack, reason)


def _roll_back(stack: Stack, reason: str) -> None:
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    failed = _delete_resources(stack)
    stack.status = "ROLLBACK_FAILED" if failed else "ROLLBACK_COMPLETE"
    stack._add_stack_event(
        stack.status,
        resource_status_reason=f"Failed to delete resources: [{', '.join(failed)}]"
        if failed
        else None,
    )


# Delete ----------------------------------------------------------------------------------


def _reverse_order(resource_map: ResourceMap) -> Iterator[str]:
    resources = resource_map._resource_json_map
    try:
        order = dependency_order(resources)
    except Exception:  # a cycle can't be in a created stack; keep the template's order
        order = list(resources)
    return reversed(order)


def delete_resource(
    stack: Stack,
    logical_id: str,
    resource_json: dict[str, Any],
    instance: Any,
    policy: str | None,
) -> bool:
    """Delete one resource of the stack, with its events, unless its ``policy`` attribute
    (``DeletionPolicy``, or ``UpdateReplacePolicy`` for a replaced one) is ``Retain``;
    whether it is gone from the stack (deleted or kept out of it)."""
    kind = str(resource_json.get("Type"))
    physical = physical_id(instance)
    if policy is not None and resource_json.get(policy) == "Retain":
        resource_event(stack, logical_id, kind, "DELETE_SKIPPED", physical)
        return True
    resource_event(stack, logical_id, kind, "DELETE_IN_PROGRESS", physical)
    try:
        stack.resource_map._delete_resource(instance, resource_json)
    except Exception as error:
        resource_event(stack, logical_id, kind, "DELETE_FAILED", physical, reason_of(error))
        return False
    resource_event(stack, logical_id, kind, "DELETE_COMPLETE", physical)
    return True


def _delete_resources(stack: Stack) -> list[str]:
    """Delete every resource of the stack that exists, dependents first, each with its
    events; the logical ids that could not be deleted."""
    resource_map = stack.resource_map
    created = created_resources(resource_map)
    failed: list[str] = []
    for logical_id in _reverse_order(resource_map):
        instance = created.get(logical_id)
        if instance is None:
            continue
        resource_json = resource_map._resource_json_map[logical_id]
        if delete_resource(stack, logical_id, resource_json, instance, "DeletionPolicy"):
            resource_map._parsed_resources.pop(logical_id, None)
        else:
            failed.append(logical_id)
    return failed


def delete(stack: Stack) -> None:
    """Delete the stack's resources (``Stack.delete``): ``DELETE_COMPLETE``, or
    ``DELETE_FAILED`` naming what is left."""
    stack.status = "DELETE_IN_PROGRESS"
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    settle(stack.resource_map, True)
    failed = _delete_resources(stack)
    if failed:
        stack.status = "DELETE_FAILED"
        stack._add_stack_event(
            "DELETE_FAILED",
            resource_status_reason=f"The following resource(s) failed to delete: "
            f"[{', '.join(failed)}]. ",
        )
        return
    stack.status = "DELETE_COMPLETE"
    stack._add_stack_event("DELETE_COMPLETE")


# Views of a stack ------------------------------------------------------------------------


def stable_outputs(original: property) -> property:
    """``Stack.outputs``, for a stack whose resources stand (``CREATE_COMPLETE``,
    ``UPDATE_COMPLETE``...); none otherwise, as ``DescribeStacks`` shows them."""

    def outputs(self: Stack) -> Any:
        return original.fget(self) if self.status in STABLE_STATUSES else None  # type: ignore[misc]

    return property(outputs)


def parameter_values(self: Stack) -> dict[str, Any]:
    """``Stack.stack_parameters``, which ``UsePreviousValue`` reads: the values the stack was
    given (an SSM parameter's name, not the value it resolved to, which moto gave: the
    next ``cdk deploy`` then asked SSM for a parameter named after the version number)."""
    return dict(self.parameters or {})


def published_exports(original: property) -> property:
    """``Stack.exports``: those the stack's last successful operation published (moto:
    evaluated again on every read, which created the resources they name). A stack no
    operation ran on yet (moto's own ``Stack(...)``) evaluates them as moto does."""

    def exports(self: Stack) -> Any:
        if "_wslab_exports" in self.__dict__:
            return list(self.__dict__["_wslab_exports"])
        return original.fget(self) if self.status == "CREATE_PENDING" else []  # type: ignore[misc]

    return property(exports)


def validate_outputs(self: ResourceMap) -> None:
    """``ResourceMap.validate_outputs``: an output's ``Fn::GetAtt`` must name an attribute
    its resource type has, and a resource that exists. A type moto lacks is left to fail
    when it is created (moto: ``AttributeError``, an HTTP 500)."""
    for output in (self._template.get("Outputs") or {}).values():
        if not isinstance(output, dict):
            continue
        if "Condition" in output and not self.lazy_condition_map[output["Condition"]]:
            continue
        value = output.get("Value")
        if not (isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list)):
            continue
        name, attribute = value["Fn::GetAtt"][0], value["Fn::GetAtt"][1]
        resource = self._resource_json_map.get(name) or {}
        if "Condition" in resource and not self.lazy_condition_map[resource["Condition"]]:
            raise ValidationError(
                message=f"Unresolved resource dependencies [{name}] in the Outputs block of "
                "the template"
            )
        kind = str(resource.get("Type", ""))
        model = resource_class_from_type(kind) if kind else None
        if model is not None and isinstance(attribute, str) and not model.has_cfn_attr(attribute):
            raise UnsupportedAttribute(resource=kind.rsplit(":", 1)[-1], attr=attribute)
