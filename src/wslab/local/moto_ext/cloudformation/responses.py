"""CloudFormation's API on moto's response class: the actions the local stack answers its way.

* ``CreateStack``, ``UpdateStack`` and ``CreateChangeSet`` refuse a template whose
  capabilities are not acknowledged (:mod:`.capabilities`), before anything else.
* ``GetTemplate`` answers ``TemplateStage`` (``Original`` or ``Processed``) and
  ``ChangeSetName``, and lists ``StagesAvailable``.
* ``ListStackResources``, ``DescribeStackResources`` and ``DescribeStackResource`` list the
  resources that exist, each with the status and time of its last event (moto: every
  resource of the template, created on the spot if it wasn't, all with the stack's status).

https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html,
API_ListStackResources.html, API_DescribeStackResources.html.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult, EmptyResult

from wslab.local.moto_ext.cloudformation import backend, capabilities
from wslab.local.moto_ext.cloudformation import template as templates
from wslab.local.moto_ext.cloudformation.backend import (
    find_change_set,
    processed_template,
    template_from_s3,
)
from wslab.local.moto_ext.cloudformation.engine import last_event, listed_resources
from wslab.local.moto_ext.cloudformation.transforms import declared, expand

__all__ = [
    "changes_checked_later",
    "delete_change_set",
    "describe_change_set",
    "describe_stack_resource",
    "describe_stack_resources",
    "get_template",
    "list_change_sets",
    "list_stack_resources",
    "requiring_capabilities",
    "template_from_url",
]

_STAGES = ["Original", "Processed"]


def _processed(self: CloudFormationResponse, template: dict[str, Any]) -> Any:
    """The template with its transforms run; None when they cannot run (the call itself
    then refuses the template, or fails its change set, saying why)."""
    if not declared(template):
        return template
    # Values given in the call (one kept with UsePreviousValue has none here: the transform
    # then sees the parameter's default, enough to tell which IAM resources it makes).
    parameters = {
        str(item["ParameterKey"]): item["ParameterValue"]
        for item in self._get_param("Parameters", [])
        if "ParameterKey" in item and "ParameterValue" in item
    }
    try:
        return expand(template, parameters, self.region)
    except CloudFormationError:
        return None


def requiring_capabilities(action: Callable[[Any], Any], *, direct: bool) -> Callable[[Any], Any]:
    """``CreateStack``/``UpdateStack`` (``direct``) and ``CreateChangeSet``:
    ``InsufficientCapabilitiesException`` for a capability the call does not acknowledge,
    before anything else."""

    def checked(self: CloudFormationResponse) -> Any:
        body = self._get_param("TemplateBody")
        url = self._get_param("TemplateURL")
        if self._get_bool_param("UsePreviousTemplate", False):
            body = self.cloudformation_backend.get_stack(self._get_param("StackName")).template
        elif url and not body:
            body = self._get_stack_from_s3_url(url)
        if isinstance(body, str) and body.strip():
            template = templates.parse(body)
            capabilities.check(
                template,
                _processed(self, template),
                self._get_param("Capabilities", []),
                direct=direct,
            )
        return action(self)

    return checked


def changes_checked_later(self: CloudFormationResponse, *arguments: Any) -> None:
    """``CloudFormationResponse._validate_different_update``: whether an update changes
    anything is the backend's to say, on the processed template. A change set without
    changes is made, ``FAILED`` ("didn't contain changes"), as ``cdk deploy`` and
    ``sam deploy`` expect; moto refused the call when the template text was the same."""


def describe_change_set(self: CloudFormationResponse) -> ActionResult:
    change_set = find_change_set(
        self.cloudformation_backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    return ActionResult(change_set)


def delete_change_set(self: CloudFormationResponse) -> EmptyResult:
    backend.delete_change_set(
        self.cloudformation_backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    return EmptyResult()


def list_change_sets(self: CloudFormationResponse) -> ActionResult:
    """The change sets of the stack named (moto: of every stack)."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    change_sets = self.cloudformation_backend.change_sets.values()
    return ActionResult({"Summaries": [c for c in change_sets if c.stack_id == stack.stack_id]})


def template_from_url(self: CloudFormationResponse, template_url: str) -> str:
    """``CloudFormationResponse._get_stack_from_s3_url``: see :func:`.backend.template_from_s3`."""
    return template_from_s3(template_url, self.current_account, self.partition)


def get_template(self: CloudFormationResponse) -> ActionResult:
    stacks = self.cloudformation_backend
    change_set_name = self._get_param("ChangeSetName")
    stage = self._get_param("TemplateStage") or "Original"
    if stage not in _STAGES:
        raise ValidationError(message=f"TemplateStage {stage} is not one of {_STAGES}")
    if change_set_name:
        source: Any = find_change_set(stacks, change_set_name, self._get_param("StackName"))
    else:
        source = stacks.get_stack(self._get_param("StackName"))
    if stage == "Processed":
        body = processed_template(source)
    else:
        body = source.template if isinstance(source.template, str) else "{}"
    return ActionResult({"TemplateBody": body, "StagesAvailable": _STAGES})


def _resource_fields(stack: Stack, resource: Any) -> dict[str, Any]:
    logical_id = str(getattr(resource, "logical_resource_id", ""))
    event = last_event(stack, logical_id)
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": str(getattr(resource, "physical_resource_id", "") or ""),
        "ResourceType": str(getattr(resource, "cf_resource_type", "")),
        "ResourceStatus": event.resource_status if event else "CREATE_COMPLETE",
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }


def _when(stack: Stack, resource: Any) -> Any:
    event = last_event(stack, str(getattr(resource, "logical_resource_id", "")))
    return event.timestamp if event else stack.creation_time


def list_stack_resources(self: CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    return ActionResult(
        {
            "StackResourceSummaries": [
                {
                    **_resource_fields(stack, resource),
                    "LastUpdatedTimestamp": _when(stack, resource),
                }
                for resource in listed_resources(stack)
            ]
        }
    )


def _stack_of_physical_id(self: CloudFormationResponse, physical_id: str) -> Stack:
    for stack in self.cloudformation_backend.stacks.values():
        for resource in listed_resources(stack):
            if getattr(resource, "physical_resource_id", None) == physical_id:
                return stack
    raise ValidationError(message=f"Stack for {physical_id} does not exist")


def describe_stack_resources(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    physical_id = self._get_param("PhysicalResourceId")
    logical_id = self._get_param("LogicalResourceId")
    if name:
        stack = self.cloudformation_backend.get_stack(name)
    elif physical_id:
        stack = _stack_of_physical_id(self, physical_id)
    else:
        raise ValidationError(message="Either StackName or PhysicalResourceId must be specified")
    resources = [
        resource
        for resource in listed_resources(stack)
        if logical_id in (None, getattr(resource, "logical_resource_id", None))
        and physical_id in (None, getattr(resource, "physical_resource_id", None))
    ]
    return ActionResult(
        {
            "StackResources": [
                {
                    "StackName": stack.name,
                    "StackId": stack.stack_id,
                    **_resource_fields(stack, resource),
                    "Timestamp": _when(stack, resource),
                }
                for resource in resources
            ]
        }
    )


def describe_stack_resource(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    logical_id = self._get_param("LogicalResourceId")
    stack = self.cloudformation_backend.get_stack(name)
    for resource in listed_resources(stack):
        if getattr(resource, "logical_resource_id", None) == logical_id:
            detail = {
                "StackName": stack.name,
                "StackId": stack.stack_id,
                **_resource_fields(stack, resource),
                "LastUpdatedTimestamp": _when(stack, resource),
            }
            return ActionResult({"StackResourceDetail": detail})
    raise ValidationError(message=f"Resource {logical_id} does not exist for stack {name}")
