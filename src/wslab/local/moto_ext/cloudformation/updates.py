"""Updating a stack as CloudFormation does, and rolling a failed update back exactly.

The resources a stack should have are those of its new template whose condition holds for
the new parameter values ("Conditions" and ``Fn::If``:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html;
an ``Fn::If`` evaluates the branch its condition picks, only). In dependency order, each is
then: created if it did not exist; left alone if its properties, evaluated for the new
parameters and the new physical ids of what it refers to, are what they were; otherwise
updated in place or replaced, per property (:mod:`.replacement`). Resources the stack no
longer has (gone from the template, or their condition now false) and the old resources
of replacements are deleted last, in ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html,
"Stack status codes" in view-stack-events.html).

A resource that fails fails the update: what it changed in place is changed back, the old
resources of replacements are the stack's again, what it created is deleted; the stack is
``UPDATE_ROLLBACK_COMPLETE`` with the resources, parameters and outputs it had.

moto's own ``ResourceMap.update`` reads conditions once per template, not per parameter
values, and evaluates every resource whose parameters changed, condition false or not: a
code-only update of a stack without its conditional resources failed on a ``Fn::GetAtt``
to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap, clean_json

from wslab.local.moto_ext.cloudformation.engine import (
    condition_holds,
    created_resources,
    delete_resource,
    keep_as_given,
    physical_id,
    resource_event,
    settle,
)
from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack, reason_of
from wslab.local.moto_ext.cloudformation.replacement import (
    can_update_in_place,
    changed_properties,
    named_replacement,
    requires_replacement,
)
from wslab.local.moto_ext.cloudformation.template import dependency_order

__all__ = ["properties_as_made", "update"]


@dataclass(frozen=True)
class _Before:
    """The stack as the update found it: what a rollback returns it to."""

    template: Any
    template_dict: dict[str, Any]
    parameters: dict[str, Any]
    instances: dict[str, Any]  # logical id -> the resource
    properties: dict[str, Any]  # logical id -> its properties, evaluated

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.template_dict.get("Resources") or {})


@dataclass
class _Progress:
    """What the update has done so far: what a rollback undoes."""

    added: list[str] = field(default_factory=list)
    replaced: dict[str, Any] = field(default_factory=dict)  # logical id -> the old resource
    changed_in_place: list[str] = field(default_factory=list)


class _ResourceFailed(Exception):
    """A resource failed: the update rolls back with this reason (the resource's own is in
    its ``*_FAILED`` event)."""


def _evaluated(resource_map: ResourceMap, resource_json: dict[str, Any]) -> Any:
    """The resource's properties with every intrinsic function evaluated: what tells
    whether it changes."""
    return clean_json(resource_json.get("Properties") or {}, resource_map)


def _load(resource_map: ResourceMap, template: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Point the resource map at ``template`` with these parameter values, its conditions
    evaluated for them."""
    keep_as_given(resource_map, template)
    resource_map.input_parameters = dict(parameters)
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()


def _snapshot(stack: Stack) -> _Before:
    resource_map = stack.resource_map
    instances = created_resources(resource_map)
    resources = resource_map._resource_json_map
    return _Before(
        template=stack.template,
        template_dict=stack.template_dict,
        parameters=dict(stack.parameters or {}),
        instances=instances,
        properties={name: properties_as_made(resource_map, resources[name]) for name in instances},
    )


def properties_as_made(resource_map: ResourceMap, resource_json: dict[str, Any]) -> Any:
    """The resource's properties evaluated, or None (which any value differs from) where
    they can't be: a ``Fn::GetAtt`` of a resource not made yet."""
    try:
        return _evaluated(resource_map, resource_json)
    except Exception:
        return None


# Each resource ---------------------------------------------------------------------------


def _replace(
    resource_map: ResourceMap, logical_id: str, kind: str, old: Any, new: Any, progress: _Progress
) -> Any:
    name = named_replacement(kind, old, new)
    if name is not None:
        raise ValidationError(
            message="CloudFormation cannot update a stack when a custom-named resource "
            f"requires replacing. Rename {name} and update the stack again."
        )
    progress.replaced[logical_id] = resource_map._parsed_resources.pop(logical_id)
    return resource_map[logical_id]


def _change_in_place(
    resource_map: ResourceMap, logical_id: str, kind: str, old: Any, new: Any, progress: _Progress
) -> Any:
    if not can_update_in_place(kind):
        # CloudFormation changes it in place; the local model can only make a new one.
        name = named_replacement(kind, old, new)
        if name is not None:
            raise UnsupportedByLocalStack(
                f"wslab local can't update a {kind} in place "
                f"({', '.join(sorted(changed_properties(old, new)))} changed), and replacing "
                f"it needs a new name ({name!r}): rename it, or delete the stack and create "
                "it again"
            )
        return _replace(resource_map, logical_id, kind, old, new, progress)
    progress.changed_in_place.append(logical_id)  # before: a half-made change is undone too
    return _update_resource(resource_map, logical_id)


def _update_resource(resource_map: ResourceMap, logical_id: str) -> Any:
    # parsing's, as installed: under the resource's service lock.
    instance = parsing.parse_and_update_resource(
        logical_id,
        resource_map._resource_json_map[logical_id],
        resource_map,
        resource_map._account_id,
        resource_map._region_name,
    )
    resource_map._parsed_resources[logical_id] = instance
    return instance


def _failed(
    stack: Stack, logical_id: str, kind: str, action: str, physical: str, error: Exception
) -> _ResourceFailed:
    """The resource's ``*_FAILED`` event, saying why; the update's reason to roll back."""
    resource_event(stack, logical_id, kind, f"{action}_FAILED", physical, reason_of(error))
    verb = action.lower()
    return _ResourceFailed(f"The following resource(s) failed to {verb}: [{logical_id}]. ")


def _apply(stack: Stack, logical_id: str, before: _Before, progress: _Progress) -> None:
    """Bring one resource to the new template: created, changed, replaced or left alone."""
    resource_map = stack.resource_map
    resource_json = resource_map._resource_json_map[logical_id]
    if not condition_holds(resource_map, resource_json):
        return  # deleted in the clean-up, if it was there
    kind = str(resource_json.get("Type"))
    if logical_id not in before.instances:
        resource_event(stack, logical_id, kind, "CREATE_IN_PROGRESS")
        try:
            instance = resource_map[logical_id]
        except Exception as error:
            raise _failed(stack, logical_id, kind, "CREATE", "", error) from error
        progress.added.append(logical_id)
        resource_event(stack, logical_id, kind, "CREATE_COMPLETE", physical_id(instance))
        return
    physical = physical_id(before.instances[logical_id])
    try:
        new = _evaluated(resource_map, resource_json)
    except Exception as error:
        raise _failed(stack, logical_id, kind, "UPDATE", physical, error) from error
    old_kind = str(before.resources[logical_id].get("Type"))
    old = before.properties[logical_id]
    if kind == old_kind and new == old:
        return
    replacing = kind != old_kind or requires_replacement(kind, changed_properties(old, new))
    resource_event(stack, logical_id, kind, "UPDATE_IN_PROGRESS", physical)
    try:
        change = _replace if replacing else _change_in_place
        instance = change(resource_map, logical_id, kind, old, new, progress)
    except Exception as error:
        raise _failed(stack, logical_id, kind, "UPDATE", physical, error) from error
    resource_event(stack, logical_id, kind, "UPDATE_COMPLETE", physical_id(instance))


# The stack -------------------------------------------------------------------------------


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
    before = _snapshot(stack)
    progress = _Progress()
    stack.status = "UPDATE_IN_PROGRESS"
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    settle(resource_map, False)
    try:
        _load(resource_map, processed, parameters)
        resource_map.validate_outputs()
        for logical_id in dependency_order(resource_map._resource_json_map):
            _apply(stack, logical_id, before, progress)
    except Exception as error:
        settle(resource_map, True)
        reason = str(error) if isinstance(error, _ResourceFailed) else reason_of(error)
        _roll_back(stack, before, progress, reason)
        return
    settle(resource_map, True)
    stack.template, stack.template_dict, stack.parameters = original, processed, parameters
    stack.output_map = stack._create_output_map()
    stack.description = processed.get("Description")
    stack.role_arn = role_arn
    if tags is not None:
        stack.tags = tags
    stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    stack._add_stack_event(stack.status)
    _clean_up(stack, before, progress)
    stack.status = "UPDATE_COMPLETE"
    stack._add_stack_event("UPDATE_COMPLETE")


def _clean_up(stack: Stack, before: _Before, progress: _Progress) -> None:
    """Delete the replaced resources and those the stack no longer has, dependents first.
    A resource that can't be deleted is left, with its ``DELETE_FAILED`` event: the update
    stays complete."""
    resource_map = stack.resource_map
    resources = resource_map._resource_json_map
    for logical_id in reversed(dependency_order(before.resources)):
        old_json = before.resources[logical_id]
        if logical_id in progress.replaced:
            old = progress.replaced[logical_id]
            delete_resource(stack, logical_id, old_json, old, "UpdateReplacePolicy")
        elif logical_id in before.instances and not (
            logical_id in resources and condition_holds(resource_map, resources[logical_id])
        ):
            instance = before.instances[logical_id]
            if delete_resource(stack, logical_id, old_json, instance, "DeletionPolicy"):
                resource_map._parsed_resources.pop(logical_id, None)


def _roll_back(stack: Stack, before: _Before, progress: _Progress, reason: str) -> None:
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(stack.status, resource_status_reason=reason)
    resource_map = stack.resource_map
    new_resources = resource_map._resource_json_map
    made = {
        name: resource_map._parsed_resources.get(name)
        for name in [*progress.added, *progress.replaced]
    }
    failed: list[str] = []
    settle(resource_map, False)
    try:
        _load(resource_map, before.template_dict, before.parameters)
        for logical_id in progress.added:
            resource_map._parsed_resources.pop(logical_id, None)
        resource_map._parsed_resources.update(progress.replaced)
        for logical_id in dependency_order(before.resources):
            if logical_id in progress.changed_in_place:
                failed += _change_back(stack, logical_id, before)
    finally:
        settle(resource_map, True)
    stack.template, stack.template_dict, stack.parameters = (
        before.template,
        before.template_dict,
        before.parameters,
    )
    stack.output_map = stack._create_output_map()
    stack.status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
    stack._add_stack_event(stack.status)
    for logical_id in reversed(dependency_order(new_resources)):
        instance = made.get(logical_id)
        if instance is not None and not delete_resource(
            stack, logical_id, new_resources[logical_id], instance, policy=None
        ):
            failed.append(logical_id)
    stack.status = "UPDATE_ROLLBACK_FAILED" if failed else "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(
        stack.status,
        resource_status_reason=f"Failed to roll back resources: [{', '.join(failed)}]"
        if failed
        else None,
    )


def _change_back(stack: Stack, logical_id: str, before: _Before) -> list[str]:
    """Update a resource changed in place back to its old properties; [logical_id] if it
    can't be."""
    kind = str(before.resources[logical_id].get("Type"))
    physical = physical_id(before.instances[logical_id])
    resource_event(stack, logical_id, kind, "UPDATE_IN_PROGRESS", physical)
    try:
        _update_resource(stack.resource_map, logical_id)
    except Exception as error:
        resource_event(stack, logical_id, kind, "UPDATE_FAILED", physical, reason_of(error))
        return [logical_id]
    resource_event(stack, logical_id, kind, "UPDATE_COMPLETE", physical)
    return []
