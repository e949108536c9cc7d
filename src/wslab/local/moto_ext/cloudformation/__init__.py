"""CloudFormation as AWS runs it, on moto's CloudFormation.

moto's CloudFormation models most resource types, but runs stacks its own way: it skips
what it doesn't model and reports success, builds resources lazily (a read after a
rollback makes them again), leaves transforms and change sets half done, and answers
some errors with an HTTP 500 page. The extension, one concern per module:

* :mod:`.template`: reading templates; what CloudFormation refuses at the API call.
* :mod:`.transforms`: ``AWS::Serverless-2016-10-31`` expanded by aws-sam-translator.
* :mod:`.names`: the names CloudFormation generates, cut to each type's limits.
* :mod:`.engine`: creating and deleting a stack's resources in dependency order, with
  events; rollback that stays rolled back.
* :mod:`.updates`, :mod:`.replacement`: updates, per condition and per property (in place
  or replacing), rolled back exactly.
* :mod:`.backend`: stacks and change sets on moto's backend.
* :mod:`.responses`, :mod:`.validate`: the API actions answered differently.
* :mod:`.errors`: CloudFormation's errors, and nothing else, out of every action.
* :mod:`.resources`: resource types moto lacks or half does (API Gateway v2, Lambda and
  its versions and aliases, DynamoDB, log groups updated in place, policy-only types).

moto caches its map of resource types on first use: :func:`install` runs before that.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install"]

_installed = False


def _action_names(response_class: type) -> list[str]:
    """The CloudFormation actions moto's response class answers (one method each)."""
    return [
        name
        for name, value in vars(response_class).items()
        if callable(value) and not name.startswith("_") and name != "cfnresponse"
    ]


def install() -> None:
    """Register the resource types and the API's behaviour. Idempotent; before the first
    stack."""
    global _installed
    if _installed:
        return
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend, Stack
    from moto.cloudformation.responses import CloudFormationResponse

    # Importing the modules defines their resource types; moto lists them on first use.
    from wslab.local.moto_ext.cloudformation import (
        backend,
        engine,
        locking,
        names,
        responses,
        validate,
    )
    from wslab.local.moto_ext.cloudformation.errors import (
        answered_in_cloudformation_format,
        cloudformation_errors_only,
    )
    from wslab.local.moto_ext.cloudformation.resources import (  # noqa: F401
        apigatewayv2,
        awslambda,
        dynamodb,
        lambda_versions,
        logs,
    )
    from wslab.local.moto_ext.cloudformation.resources import attached as resource_types

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    parsing.parse_resource = resource_types.fail_on_unknown_types(parsing.parse_resource)
    parsing.generate_resource_name = names.generated_name
    # Create, update in place and delete a resource, each under its service's lock
    # (locking.py); the positions are those of the resource's template entry in moto's
    # signatures (the seams are named in tests/test_seams.py).
    parsing.parse_and_create_resource = locking.under_service_lock(
        parsing.parse_and_create_resource, resource_json_at=1
    )
    parsing.parse_and_update_resource = locking.under_service_lock(
        parsing.parse_and_update_resource, resource_json_at=1
    )
    dynamodb.install()
    awslambda.install()
    lambda_versions.install()
    logs.install()

    resource_map: Any = parsing.ResourceMap
    resource_map.__getitem__ = engine.settled_getitem(parsing.ResourceMap.__getitem__)
    resource_map._delete_resource = locking.under_service_lock(
        parsing.ResourceMap._delete_resource, resource_json_at=2
    )
    resource_map.validate_outputs = engine.validate_outputs
    stack: Any = Stack
    stack.create_resources = engine.create
    stack.delete = engine.delete
    stack.stack_resources = property(engine.listed_resources)
    stack.outputs = engine.stable_outputs(vars(Stack)["outputs"])
    stack.exports = engine.published_exports(vars(Stack)["exports"])
    stack.stack_parameters = property(engine.parameter_values)

    cloudformation: Any = CloudFormationBackend
    for name in (
        "create_stack",
        "update_stack",
        "delete_stack",
        "create_change_set",
        "execute_change_set",
    ):
        setattr(cloudformation, name, getattr(backend, name))

    from moto.cloudformation import models

    stacks: Any = models
    stacks.get_stack_from_s3_url = backend.template_from_s3  # nested stacks' TemplateURL
    api: Any = CloudFormationResponse
    api._get_stack_from_s3_url = responses.template_from_url
    api.create_stack = responses.requiring_capabilities(
        CloudFormationResponse.create_stack, direct=True
    )
    api.update_stack = responses.requiring_capabilities(
        CloudFormationResponse.update_stack, direct=True
    )
    api.create_change_set = responses.requiring_capabilities(
        CloudFormationResponse.create_change_set, direct=False
    )
    api.get_template = responses.get_template
    api.describe_change_set = responses.describe_change_set
    api.delete_change_set = responses.delete_change_set
    api.list_change_sets = responses.list_change_sets
    api._validate_different_update = responses.changes_checked_later
    api.list_stack_resources = responses.list_stack_resources
    api.describe_stack_resources = responses.describe_stack_resources
    api.describe_stack_resource = responses.describe_stack_resource
    api.validate_template = validate.validate_template
    for name in _action_names(CloudFormationResponse):
        setattr(api, name, cloudformation_errors_only(getattr(CloudFormationResponse, name)))
    api.call_action = answered_in_cloudformation_format(CloudFormationResponse.call_action)
    _installed = True
