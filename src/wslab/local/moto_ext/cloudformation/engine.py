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
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnsupportedAttribute, ValidationError
from moto.cloudformation.models import Event, Stack
from moto.cloudformation.parsing import ResourceMap, resource_class_from_type
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource

from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack, reason_of
from wslab.local.moto_ext.cloudformation.template import dependency_order

__all__ = [
    "STABLE_STATUSES",
    "create",
    "delete",
    "fail_created",
    "last_event",
    "listed_resources",
    "parameter_values",
    "published_exports",
    "replacing",
    "settled_getitem",
    "stable_outputs",
    "update",
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


def _settle(resource_map: ResourceMap, settled: bool) -> None:
    setattr(resource_map, _SETTLED, settled)


def _keep_as_given(resource_map: ResourceMap, template: dict[str, Any]) -> None:
    """Give the resource map a fresh copy of the template it runs: moto writes into the
    one it reads (``Properties: {}`` where there were none), which then looks like a
    change to the next change set."""
    working = copy.deepcopy(template)
    resource_map._template = working
    resource_map._resource_json_map = working.get("Resources") or {}


def _created(resource_map: ResourceMap) -> dict[str, Any]:
    parsed = resource_map._parsed_resources
    return {
        name: parsed[name]
        for name in resource_map._resource_json_map
        if name in parsed and parsed[name] is not None and not isinstance(parsed[name], str)
    }


def listed_resources(stack: Stack) -> list[Any]:
    """The stack's resources that exist, in template order (what every listing shows)."""
    return list(_created(stack.resource_map).values())


def last_event(stack: Stack, logical_id: str) -> Event | None:
    """The resource's latest event: its status, and when it got it."""
    for event in reversed(stack.events):
        if event.logical_resource_id == logical_id and event.resource_type != STACK_TYPE:
            return event
    return None


# Events ----------------------------------------------------------------------------------


def _event(
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


def _physical_id(instance: Any) -> str:
    return str(getattr(instance, "physical_resource_id", "") or "")


def _condition_holds(resource_map: ResourceMap, resource_json: dict[str, Any]) -> bool:
    condition = resource_json.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


# Create ----------------------------------------------------------------------------------


def _tag_ec2(resource_map: ResourceMap, logical_id: str, instance: Any) -> None:
    # What moto's ResourceMap.create does for EC2 resources: CloudFormation's own tags.
    if isinstance(instance, TaggedEC2Resource):
        resource_map.tags["aws:cloudformation:logical-id"] = logical_id
        backend = ec2_backends[resource_map._account_id][resource_map._region_name]
        backend.create_tags([_physical_id(instance)], resource_map.tags)


def create(stack: Stack) -> None:
    """Create every resource of the stack's template (``Stack.create_resources``)."""
    resource_map = stack.resource_map
    template = stack.template_dict
    _keep_as_given(resource_map, template)
    resources: dict[str, Any] = resource_map._resource_json_map
    resource_map.tags.update(
        {
            "aws:cloudformation:stack-name": stack.name,
            "aws:cloudformation:stack-id": stack.stack_id,
        }
    )
    stack.status = "CREATE_IN_PROGRESS"
    stack.description = template.get("Description")
    _settle(resource_map, False)
    try:
        for logical_id in dependency_order(resources):
            resource_json = resources[logical_id]
            kind = str(resource_json.get("Type"))
            try:
                if not _condition_holds(resource_map, resource_json):
                    continue
                _event(stack, logical_id, kind, "CREATE_IN_PROGRESS")
                instance = resource_map[logical_id]
                _tag_ec2(resource_map, logical_id, instance)
            except Exception as error:  # any resource's failure fails the stack, as on AWS
                _event(stack, logical_id, kind, "CREATE_FAILED", reason=reason_of(error))
                _roll_back(stack, f"The following resource(s) failed to create: [{logical_id}]. ")
                return
            _event(stack, logical_id, kind, "CREATE_COMPLETE", _physical_id(instance))
    finally:
        _settle(resource_map, True)
        _keep_as_given(resource_map, template)
    if all(instance.is_created() for instance in _created(resource_map).values()):
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


def _delete_resources(stack: Stack) -> list[str]:
    """Delete every resource of the stack that exists, dependents first, each with its
    events; the logical ids that could not be deleted."""
    resource_map = stack.resource_map
    created = _created(resource_map)
    failed: list[str] = []
    for logical_id in _reverse_order(resource_map):
        instance = created.get(logical_id)
        if instance is None:
            continue
        resource_json = resource_map._resource_json_map[logical_id]
        kind = str(resource_json.get("Type"))
        physical = _physical_id(instance)
        if resource_json.get("DeletionPolicy") == "Retain":
            _event(stack, logical_id, kind, "DELETE_SKIPPED", physical)
            resource_map._parsed_resources.pop(logical_id, None)
            continue
        _event(stack, logical_id, kind, "DELETE_IN_PROGRESS", physical)
        try:
            resource_map._delete_resource(instance, resource_json)
        except Exception as error:
            _event(stack, logical_id, kind, "DELETE_FAILED", physical, reason_of(error))
            failed.append(logical_id)
            continue
        resource_map._parsed_resources.pop(logical_id, None)
        _event(stack, logical_id, kind, "DELETE_COMPLETE", physical)
    return failed


def delete(stack: Stack) -> None:
    """Delete the stack's resources (``Stack.delete``): ``DELETE_COMPLETE``, or
    ``DELETE_FAILED`` naming what is left."""
    stack.status = "DELETE_IN_PROGRESS"
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    _settle(stack.resource_map, True)
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


# Update ----------------------------------------------------------------------------------


def _update_events(stack: Stack, before: dict[str, Any], diff: dict[str, list[str]]) -> None:
    resources = stack.resource_map._resource_json_map
    created = _created(stack.resource_map)
    for action, started, done in (
        ("Remove", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"),
        ("Add", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"),
        ("Modify", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"),
    ):
        for logical_id in diff[action]:
            source = before if action == "Remove" else resources
            kind = str((source.get(logical_id) or {}).get("Type"))
            physical = _physical_id(created.get(logical_id))
            if action != "Remove" and logical_id not in created:
                continue  # its condition is false: nothing was made
            _event(stack, logical_id, kind, started, physical)
            _event(stack, logical_id, kind, done, physical)


def _updates_in_place(model: Any) -> bool:
    return not hasattr(model.update_from_cloudformation_json, "__isabstractmethod__")


def _check_updatable(stack: Stack, before: dict[str, Any], changed: list[str]) -> None:
    """Fail, before anything changes, the update of a resource that moto can't update in
    place and that can't be replaced either, because it has a name of its own (the new one
    would take the same name)."""
    resources = stack.template_dict.get("Resources") or {}
    for logical_id in changed:
        kind = str(resources[logical_id].get("Type"))
        model = resource_class_from_type(kind)
        if model is None or _updates_in_place(model):
            continue
        name = model.cloudformation_name_type()
        named = [
            (template.get(logical_id) or {}).get("Properties", {}).get(name)
            for template in (before, resources)
        ]
        if name and named[0] is not None and named[0] == named[1]:
            reason = (
                f"wslab local can't update a {kind} in place, and replacing it needs a new "
                f"name ({name} is {named[0]!r}): rename it, or delete the stack and create it "
                "again"
            )
            _event(stack, logical_id, kind, "UPDATE_FAILED", reason=reason)
            raise UnsupportedByLocalStack(f"{logical_id}: {reason}")


def replacing(original: Any) -> Any:
    """``parsing.parse_and_update_resource`` that replaces a resource moto can't update in
    place: the new one is created, then the old one deleted, as CloudFormation replaces
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
    moto instead drops it from the stack and leaves it behind."""

    def parse_and_update_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: ResourceMap,
        account_id: str,
        region_name: str,
    ) -> Any:
        model = resource_class_from_type(str(resource_json.get("Type")))
        if model is None or _updates_in_place(model):
            return original(logical_id, resource_json, resources_map, account_id, region_name)
        old = resources_map[logical_id]
        new = parsing.parse_and_create_resource(  # as installed: under its service's lock
            logical_id, resource_json, resources_map, account_id, region_name
        )
        if old is not None:
            resources_map._delete_resource(old, resource_json)
        return new

    return parse_and_update_resource


def update(
    stack: Stack,
    original: str,
    processed: dict[str, Any],
    parameters: dict[str, Any],
    role_arn: str | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Update the stack to a template (received as ``original``, run as ``processed``);
    on failure, back to where it was: ``UPDATE_ROLLBACK_COMPLETE`` (or ``..._FAILED``)."""
    resource_map = stack.resource_map
    previous = (stack.template, stack.template_dict, dict(stack.parameters or {}))
    before: dict[str, Any] = stack.template_dict.get("Resources") or {}
    stack.status = "UPDATE_IN_PROGRESS"
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    resource_map._resource_json_map = copy.deepcopy(before)
    resource_map.input_parameters = dict(stack.parameters or {})  # what the diff compares with
    diff = resource_map.build_resource_diff(processed, parameters)
    stack.template_dict = processed
    _settle(resource_map, False)
    try:
        _check_updatable(stack, before, diff["Modify"])
        resource_map.update(copy.deepcopy(processed), parameters)
    except Exception as error:
        _settle(resource_map, True)
        _roll_back_update(stack, previous, reason_of(error))
        return
    _settle(resource_map, True)
    _keep_as_given(resource_map, processed)
    _update_events(stack, before, diff)
    stack.template = original
    stack.output_map = stack._create_output_map()
    stack.description = processed.get("Description")
    stack.role_arn = role_arn
    stack.parameters = parameters
    if tags is not None:
        stack.tags = tags
    stack.status = "UPDATE_COMPLETE"
    stack._add_stack_event("UPDATE_COMPLETE")


def _roll_back_update(
    stack: Stack, previous: tuple[Any, dict[str, Any], dict[str, Any]], reason: str
) -> None:
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    stack.template, stack.template_dict, parameters = previous
    resource_map = stack.resource_map
    _settle(resource_map, False)
    try:
        resource_map.update(copy.deepcopy(stack.template_dict), parameters)
    except Exception as error:
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event(stack.status, resource_status_reason=reason_of(error))
        return
    finally:
        _settle(resource_map, True)
        _keep_as_given(resource_map, stack.template_dict)
    stack.output_map = stack._create_output_map()
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(stack.status)


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
