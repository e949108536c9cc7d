"""What an update would do, as a change set lists it (``DescribeChangeSet``'s ``Changes``).

The same rules as :mod:`.updates` runs, without running them: the resources whose
condition holds for the new parameters, each ``Add``, ``Modify`` or (for those the stack
would no longer have) ``Remove``; a ``Modify`` says whether it replaces the resource
(``Replacement``: ``True``, ``False``, or ``Conditional`` when it depends on a resource
that is itself new or replaced, whose ids are known only once it is made). Resource change
fields: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html.

moto listed the template's differences alone: no change for a new parameter value (a new
code version), none for a condition that flips, an ``Add`` for a resource whose condition
is false.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.cloudformation.models import Change, Stack
from moto.cloudformation.parsing import ResourceMap

from wslab.local.moto_ext.cloudformation.engine import (
    condition_holds,
    created_resources,
    physical_id,
    settle,
)
from wslab.local.moto_ext.cloudformation.replacement import (
    changed_properties,
    requires_replacement,
)
from wslab.local.moto_ext.cloudformation.template import dependency_order, references
from wslab.local.moto_ext.cloudformation.updates import properties_as_made

__all__ = ["planned_changes"]


def _change(
    action: str,
    logical_id: str,
    kind: str,
    physical: str | None = None,
    replacement: str | None = None,
) -> Change:
    """One entry of a change set's ``Changes``: moto's, with the fields it lacks."""
    change = Change(action=action, logical_resource_id=logical_id, resource_type=kind)
    change.physical_resource_id = physical  # type: ignore[attr-defined]
    change.replacement = replacement  # type: ignore[attr-defined]
    return change


def _preview_map(stack: Stack, template: dict[str, Any], parameters: dict[str, Any]) -> ResourceMap:
    """A resource map of the new template and parameters, with the stack's resources in
    it, that never makes anything."""
    preview = ResourceMap(
        stack.stack_id,
        stack.name,
        dict(parameters),
        {},
        stack.region_name,
        stack.account_id,
        copy.deepcopy(template),
        stack.cross_stack_resources,
    )
    preview.load_mapping()
    preview.load_parameters()
    preview.load_conditions()
    settle(preview, True)
    return preview


def planned_changes(
    stack: Stack, template: dict[str, Any], parameters: dict[str, Any]
) -> list[Change]:
    """The changes updating ``stack`` to ``template`` with ``parameters`` would make."""
    current = stack.resource_map
    existing = created_resources(current)
    old_resources = current._resource_json_map
    preview = _preview_map(stack, template, parameters)
    resources = preview._resource_json_map
    wanted = [
        name for name in dependency_order(resources) if condition_holds(preview, resources[name])
    ]
    for name in wanted:
        if name in existing:
            preview._parsed_resources[name] = existing[name]
    changes: list[Change] = []
    pending: set[str] = set()  # added or replaced: their ids known once made
    for name in wanted:
        kind = str(resources[name].get("Type"))
        if name not in existing:
            changes.append(_change("Add", name, kind))
            pending.add(name)
            continue
        old = properties_as_made(current, old_resources[name])
        new = properties_as_made(preview, resources[name])
        old_kind = str(old_resources[name].get("Type"))
        depends_on_pending = bool(references(resources[name].get("Properties")) & pending)
        if new == old and kind == old_kind and not depends_on_pending:
            continue
        if kind != old_kind:
            replacement = "True"
        elif depends_on_pending or new is None or old is None:
            replacement = "Conditional"
        else:
            replaced = requires_replacement(kind, changed_properties(old, new))
            replacement = "True" if replaced else "False"
        if replacement != "False":
            pending.add(name)
        changes.append(_change("Modify", name, kind, physical_id(existing[name]), replacement))
    for name in existing:
        if name not in wanted:
            kind = str(old_resources[name].get("Type"))
            changes.append(_change("Remove", name, kind, physical_id(existing[name])))
    return changes
