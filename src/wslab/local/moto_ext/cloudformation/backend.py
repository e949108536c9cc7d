"""moto's CloudFormation backend, with stacks and change sets as CloudFormation handles them.

Every template goes the same way, whether a stack is created, updated, or a change set
made: parsed, its transforms run (:mod:`.transforms`), checked (:mod:`.template`): what
CloudFormation refuses at the call is refused there, before any stack exists. The
processed template is what moto's resource map reads; the original is kept for
``GetTemplate``.

Change sets (how ``sam deploy`` and ``cdk deploy`` work): creating one for a new stack
makes the stack in ``REVIEW_IN_PROGRESS`` (one stack, whatever the number of change sets);
a transform that fails makes the change set ``FAILED`` with the transform's reason, as
``sam deploy`` then prints it; its changes are those the update would make
(:mod:`.changes`); executing creates or updates the stack as ``CreateStack``
and ``UpdateStack`` do (events, outputs, rollback), then deletes the stack's other change
sets. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-execute.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from moto.cloudformation.exceptions import (
    AlreadyExistsException,
    CloudFormationError,
    ValidationError,
)
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.utils import (
    generate_changeset_id,
    generate_stack_id,
    validate_create_change_set,
)

from wslab.local.moto_ext.cloudformation import template as templates
from wslab.local.moto_ext.cloudformation import updates
from wslab.local.moto_ext.cloudformation.changes import planned_changes
from wslab.local.moto_ext.cloudformation.engine import STABLE_STATUSES, fail_created
from wslab.local.moto_ext.cloudformation.errors import TransformFailed, reason_of
from wslab.local.moto_ext.cloudformation.transforms import declared, expand

__all__ = [
    "Prepared",
    "create_change_set",
    "create_stack",
    "delete_change_set",
    "delete_stack",
    "execute_change_set",
    "find_change_set",
    "prepare",
    "processed_template",
    "template_from_s3",
    "update_stack",
]


class ChangeSetNotFound(CloudFormationError):
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html
    (Errors: ChangeSetNotFound, HTTP 404)."""

    code = "ChangeSetNotFound"

    def __init__(self, name: str) -> None:
        super().__init__(f"ChangeSet [{name}] does not exist")


class InvalidChangeSetStatus(ValidationError):
    code = "InvalidChangeSetStatus"

    def __init__(self, change_set_id: str, status: str) -> None:
        super().__init__(
            message=f"ChangeSet [{change_set_id}] cannot be executed in its current status of "
            f"[{status}]"
        )


@dataclass(frozen=True)
class Prepared:
    """A template as received, as the stack runs it (its transforms done), and the value
    of each of its parameters (given or default)."""

    original: str
    processed: dict[str, Any]
    parameters: dict[str, Any]

    @property
    def body(self) -> str:
        return templates.dumps(self.processed)


# A virtual-hosted S3 URL: <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com,
# <bucket>.s3-<region>.amazonaws.com. Any other host is path-style: <host>/<bucket>/<key>
# (s3.amazonaws.com, s3.<region>.amazonaws.com, or the local stack's own address).
_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$")


def template_from_s3(template_url: str, account_id: str, partition: str) -> str:
    """The template a ``TemplateURL`` points at, in the local S3 (moto: a path-style URL
    on any host but ``localhost`` and ``*.amazonaws.com`` read its host as the bucket,
    so the URL ``sam deploy`` builds from ``AWS_ENDPOINT_URL`` found no bucket)."""
    from moto.s3.models import s3_backends

    parts = urlparse(template_url)
    path = unquote(parts.path).lstrip("/")
    virtual = _VIRTUAL_HOSTED.match(parts.hostname or "")
    bucket, _, key = (virtual["bucket"], "", path) if virtual else path.partition("/")
    try:
        found = s3_backends[account_id][partition].get_object(bucket, key)
    except Exception:  # no such bucket or key: what CloudFormation says of both
        found = None
    if found is None:
        # As reported from CreateStack (aws-samples/aws-hybrid-storage-workshop#3).
        raise ValidationError(
            message="S3 error: Access Denied For more information check "
            "http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html"
        )
    return bytes(found.value).decode("utf-8")


def _check_ssm_parameters(
    backend: CloudFormationBackend, template: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """A parameter of an ``AWS::SSM::Parameter::Value<...>`` type names an SSM parameter,
    which must exist: CloudFormation refuses the call otherwise, with this message
    (reported from CreateChangeSet in aws/aws-cdk#18453, awslabs/aws-deployment-framework#339)."""
    from moto.ssm.models import ssm_backends

    store = ssm_backends[backend.account_id][backend.region_name]
    missing = []
    for name, spec in (template.get("Parameters") or {}).items():
        if isinstance(spec, dict) and str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::"):
            value = parameters.get(name, spec.get("Default"))
            if value is not None and store.get_parameter(str(value)) is None:
                missing.append(str(value))
    if missing:
        raise ValidationError(
            message=f"Unable to fetch parameters [{','.join(missing)}] from parameter store for "
            "this account."
        )


def prepare(
    backend: CloudFormationBackend, body: str | None, parameters: dict[str, Any]
) -> Prepared:
    """Parse, expand and check a template for ``backend``'s region; ``ValidationError``
    for anything CloudFormation refuses at the call."""
    if not body:
        raise ValidationError(message="Either Template URL or Template Body must be specified.")
    parsed = templates.parse(body)
    templates.check_shape(parsed)
    processed = expand(parsed, parameters, backend.region_name)
    templates.check(processed, parameters, set(backend.exports), backend.region_name)
    _check_ssm_parameters(backend, processed, parameters)
    return Prepared(body, processed, templates.effective_parameters(processed, parameters))


def processed_template(source: Stack | ChangeSet) -> str:
    """What ``GetTemplate(TemplateStage="Processed")`` returns: the template with its
    transforms run (the template itself if it has none)."""
    original = source.template if isinstance(source.template, str) else "{}"
    if original.strip() in ("", "{}") or not declared(templates.parse(original)):
        return original
    return templates.dumps(source.template_dict)


def _find(backend: CloudFormationBackend, name_or_id: str) -> Stack | None:
    for stack in backend.stacks.values():
        if name_or_id in (stack.name, stack.stack_id):
            return stack
    return None


def _publish_exports(backend: CloudFormationBackend, stack: Stack) -> str | None:
    """Make the stack's exports importable; a reason if another stack has one already."""
    exports = stack.output_map.exports
    for export in exports:
        owner = backend.exports.get(export.name)
        if owner is not None and owner.exporting_stack_id != stack.stack_id:
            return (
                f"Export with name {export.name} is already exported by stack "
                f"{owner.exporting_stack_id.split('/')[1]}"
            )
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del backend.exports[name]
    for export in exports:
        backend.exports[export.name] = export
    stack.__dict__["_wslab_exports"] = list(exports)
    return None


def _finish_create(backend: CloudFormationBackend, stack: Stack) -> None:
    stack.create_resources()
    if stack.status in STABLE_STATUSES:
        conflict = _publish_exports(backend, stack)
        if conflict:
            fail_created(stack, conflict)


def create_stack(
    self: CloudFormationBackend,
    name: str,
    template: str,
    parameters: dict[str, Any],
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
    enable_termination_protection: bool | None = False,
    timeout_in_mins: int | None = None,
    stack_policy_body: str | None = None,
) -> Stack:
    """``CloudFormationBackend.create_stack``: refused at the call, or created (rolled
    back on a resource's failure)."""
    if _find(self, name) is not None:
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    prepared = prepare(self, template, parameters)
    stack = Stack(  # type: ignore[abstract]
        stack_id=generate_stack_id(name, self.region_name, self.account_id),
        name=name,
        template=prepared.body,
        parameters=prepared.parameters,
        account_id=self.account_id,
        region_name=self.region_name,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
        cross_stack_resources=self.exports,
        enable_termination_protection=enable_termination_protection,
        timeout_in_mins=timeout_in_mins,
        stack_policy_body=stack_policy_body,
    )
    stack.template = prepared.original
    self.stacks[stack.stack_id] = stack
    stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    _finish_create(self, stack)
    return stack


def _check_updatable(stack: Stack) -> None:
    if stack.status.endswith("_IN_PROGRESS") or stack.status in (
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "DELETE_FAILED",
        "CREATE_FAILED",
    ):
        raise ValidationError(
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )


def _finish_update(
    backend: CloudFormationBackend,
    stack: Stack,
    prepared: Prepared,
    role_arn: str | None,
    tags: dict[str, str] | None,
) -> None:
    updates.update(
        stack, prepared.original, prepared.processed, prepared.parameters, role_arn, tags
    )
    if stack.status == "UPDATE_COMPLETE":
        _publish_exports(backend, stack)


def _unchanged(stack: Stack, prepared: Prepared) -> bool:
    return prepared.processed == stack.template_dict and prepared.parameters == stack.parameters


def update_stack(
    self: CloudFormationBackend,
    name: str,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> Stack:
    """``CloudFormationBackend.update_stack``."""
    stack = self.get_stack(name)
    _check_updatable(stack)
    resolved = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
    prepared = prepare(self, template, resolved)
    if _unchanged(stack, prepared) and tags in (None, stack.tags):
        raise ValidationError(message="No updates are to be performed.")
    _finish_update(self, stack, prepared, role_arn, tags)
    return stack


def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    """``CloudFormationBackend.delete_stack``: a stack whose resources can't all be deleted
    stays, ``DELETE_FAILED``; a name no stack has is no error, as on AWS."""
    stack = _find(self, name_or_stack_id)
    if stack is None:
        return
    stack.delete()
    if stack.status != "DELETE_COMPLETE":
        return
    self.stacks.pop(stack.stack_id, None)
    self.deleted_stacks[stack.stack_id] = stack
    for name, export in list(self.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del self.exports[name]
    for change_set_id, change_set in list(self.change_sets.items()):
        if change_set.stack_id == stack.stack_id:
            del self.change_sets[change_set_id]


# Change sets ---------------------------------------------------------------------------


def _review_stack(
    backend: CloudFormationBackend, name: str, change_set_name: str, **options: Any
) -> Stack:
    existing = _find(backend, name)
    if existing is not None:
        if existing.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(
                message=f"Stack [{name}] already exists and cannot be created again with the "
                f"changeSet [{change_set_name}]."
            )
        return existing
    stack = Stack(  # type: ignore[abstract]
        stack_id=generate_stack_id(name, backend.region_name, backend.account_id),
        name=name,
        template={},
        parameters={},
        account_id=backend.account_id,
        region_name=backend.region_name,
        **options,
    )
    backend.stacks[stack.stack_id] = stack
    stack.status = "REVIEW_IN_PROGRESS"
    stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
    return stack


def create_change_set(
    self: CloudFormationBackend,
    stack_name: str,
    change_set_name: str,
    template: str,
    parameters: dict[str, str],
    description: str,
    change_set_type: str,
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
) -> tuple[str, str]:
    """``CloudFormationBackend.create_change_set``."""
    validate_create_change_set(change_set_name)
    failure: str | None = None
    if change_set_type == "UPDATE":
        stack = _find(self, stack_name)
        if stack is None:
            raise ValidationError(message=f"Stack [{stack_name}] does not exist")
        _check_updatable(stack)
    elif change_set_type == "CREATE":
        stack = _review_stack(
            self,
            stack_name,
            change_set_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
    else:
        raise ValidationError(message=f"ChangeSetType {change_set_type} is not supported")
    try:
        prepared = prepare(self, template, parameters)
    except TransformFailed as error:
        # A transform's failure is the change set's, as CloudFormation reports it.
        failure = error.message
        prepared = Prepared(str(template), templates.parse(str(template)), parameters)
    change_set = ChangeSet(
        change_set_type=change_set_type,
        change_set_id=generate_changeset_id(change_set_name, self.region_name, self.account_id),
        change_set_name=change_set_name,
        stack=stack,
        template=prepared.body,
        parameters=prepared.parameters,
        description=description,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
    )
    change_set.template = prepared.original
    if not failure:
        change_set.changes = planned_changes(stack, prepared.processed, prepared.parameters)
    unchanged = change_set_type == "UPDATE" and _unchanged(stack, prepared)
    if failure or unchanged:
        change_set.status = "FAILED"
        change_set.execution_status = "UNAVAILABLE"
        change_set.status_reason = failure or (
            "The submitted information didn't contain changes. Submit different information "
            "to create a change set."
        )
    else:
        change_set.status = "CREATE_COMPLETE"
        change_set.execution_status = "AVAILABLE"
    self.change_sets[change_set.change_set_id] = change_set
    return change_set.change_set_id, stack.stack_id


def find_change_set(
    backend: CloudFormationBackend, name_or_id: str, stack_name: str | None
) -> ChangeSet:
    """A change set by ARN, or by name within the stack named (by name or id):
    ``ChangeSetNotFound`` otherwise (moto: "Stack with id <change set> does not exist",
    which ``cdk deploy`` can't tell from a real error)."""
    found = backend.change_sets.get(name_or_id)
    if found is None:
        stack = _find(backend, stack_name) if stack_name else None
        for change_set in backend.change_sets.values():
            if change_set.change_set_name == name_or_id and (
                stack is None or change_set.stack_id == stack.stack_id
            ):
                found = change_set
    if found is None:
        raise ChangeSetNotFound(name_or_id)
    return found


def delete_change_set(backend: CloudFormationBackend, name_or_id: str, stack_name: str) -> None:
    """Delete a change set; one that is not there is already deleted (``cdk deploy``
    deletes its change set's name before it makes one)."""
    try:
        change_set = find_change_set(backend, name_or_id, stack_name)
    except ChangeSetNotFound:
        return
    backend.change_sets.pop(change_set.change_set_id, None)


def execute_change_set(
    self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None
) -> None:
    """``CloudFormationBackend.execute_change_set``."""
    change_set = find_change_set(self, change_set_name, stack_name)
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(change_set.change_set_id, str(change_set.execution_status))
    stack = self.stacks[change_set.stack_id]
    prepared = Prepared(change_set.template, change_set.template_dict, change_set.parameters)
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    try:
        if change_set.change_set_type == "CREATE":
            stack.template, stack.template_dict = prepared.original, prepared.processed
            stack.parameters = change_set.parameters
            stack.resource_map = stack._create_resource_map()
            stack.output_map = stack._create_output_map()
            stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
            _finish_create(self, stack)
        else:
            _finish_update(self, stack, prepared, change_set.role_arn, change_set.tags)
    except ValidationError:
        change_set.execution_status = "AVAILABLE"
        raise
    except Exception as error:
        change_set.execution_status = "EXECUTE_FAILED"
        raise ValidationError(message=reason_of(error)) from error
    succeeded = stack.status in STABLE_STATUSES and stack.status != "UPDATE_ROLLBACK_COMPLETE"
    change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
    for other_id, other in list(self.change_sets.items()):
        if other.stack_id == stack.stack_id and other is not change_set:
            del self.change_sets[other_id]
