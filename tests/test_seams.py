"""Every seam the local stack relies on in moto, aiohttp, botocore and the SDK for JavaScript.

The extensions reach into these libraries where they have no public hook: private methods
and attributes, class patches, URL tables, the attributes of their models, the list of
handlers every botocore session registers. moto and aiohttp are pinned (moto 5.2, aiohttp
3.14), the SDK for JavaScript by package-lock.json; botocore is whatever a function imports,
so its seams are the long-stable ones. This test is what makes an upgrade fail *here*, with
the seam's name and the module that uses it, rather than in some conformance test.
Add a line when an extension starts relying on something new.
"""

from __future__ import annotations

import base64
import inspect
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ACCOUNT, REGION = "123456789012", "us-east-1"


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def _attributes(instance: object, names: str) -> list[str]:
    return [name for name in names.split() if not hasattr(instance, name)]


# --- moto -------------------------------------------------------------------------------


def _moto_api() -> Any:
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    backend = ApiGatewayV2Backend(REGION, ACCOUNT)
    return backend, backend.create_api(
        api_key_selection_expression=None,
        cors_configuration=None,
        description=None,
        disable_schema_validation=None,
        disable_execute_api_endpoint=None,
        name="seams",
        protocol_type="WEBSOCKET",
        route_selection_expression="$request.body.action",
        tags={},
        version=None,
    )


def _moto_function() -> Any:
    from moto.awslambda.models import LambdaBackend

    from wslab.deploy.packaging import zip_sources

    _moto_role("seams")
    backend = LambdaBackend(REGION, ACCOUNT)
    return backend.create_function(
        {
            "FunctionName": "seams",
            "Runtime": "python3.12",
            "Role": f"arn:aws:iam::{ACCOUNT}:role/seams",
            "Handler": "app.handler",
            # As the API hands it over: base64 in the request's JSON.
            "Code": {
                "ZipFile": base64.b64encode(
                    zip_sources({"app.py": "def handler(e, c): return e\n"})
                ).decode()
            },
        }
    )


def _check_apigatewayv2_urls() -> list[str]:
    from moto.apigatewayv2 import urls
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    from wslab.local.moto_ext.apigatewayv2.models import LocalApiGatewayV2Response

    handlers = set(urls.url_paths.values())
    if not ({ApiGatewayV2Response.dispatch, LocalApiGatewayV2Response.dispatch} & handlers):
        return ["url_paths no longer maps to ApiGatewayV2Response.dispatch"]
    stages = "{0}/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage_name>[^/]+)$"
    return [] if stages in urls.url_paths else [f"no stage path {stages} in url_paths"]


def _check_apigatewayv2_response() -> list[str]:
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    missing = [
        name
        for name in ("dispatch", "create_stage", "get_stage", "get_stages", "delete_stage")
        if not hasattr(ApiGatewayV2Response, name)
    ]
    source = inspect.getsource(ApiGatewayV2Response)
    missing += [
        name for name in ("apigatewayv2_backend", "self.body", "self.path") if name not in source
    ]
    return missing


def _check_apigatewayv2_models() -> list[str]:
    backend, api = _moto_api()
    missing = _attributes(
        backend,
        "apis tagger create_route create_integration "
        "create_authorizer create_route_response create_integration_response",
    )
    missing += _attributes(
        api,
        "api_id api_endpoint arn routes integrations authorizers stages "
        "protocol_type route_selection_expression backend create_stage "
        "delete_stage get_stage delete_route delete_integration "
        "delete_authorizer",
    )
    stage = api.create_stage({"stageName": "dev"})
    missing += _attributes(
        stage,
        "name auto_deploy stage_variables to_json route_settings "
        "default_route_settings access_log_settings",
    )
    route = backend.create_route(
        api_id=api.api_id,
        api_key_required=False,
        authorization_scopes=[],
        authorization_type=None,
        authorizer_id=None,
        model_selection_expression=None,
        operation_name=None,
        request_models=None,
        request_parameters=None,
        route_key="k",
        route_response_selection_expression=None,
        target=None,
    )
    missing += _attributes(
        route,
        "route_id route_key target authorization_type authorizer_id "
        "route_response_selection_expression delete_route_response route_responses",
    )
    route_response = backend.create_route_response(
        api_id=api.api_id,
        route_id=route.route_id,
        route_response_key="$default",
        model_selection_expression=None,
        response_models=None,
    )
    missing += _attributes(route_response, "route_response_key")
    integration = backend.create_integration(
        api_id=api.api_id,
        connection_id=None,
        connection_type=None,
        content_handling_strategy=None,
        credentials_arn=None,
        description=None,
        integration_method=None,
        integration_subtype=None,
        integration_type="MOCK",
        integration_uri=None,
        passthrough_behavior=None,
        payload_format_version=None,
        request_parameters=None,
        request_templates=None,
        response_parameters=None,
        template_selection_expression=None,
        timeout_in_millis=None,
        tls_config=None,
    )
    # The snapshot of a non-proxy integration (deployments.py) reads these.
    missing += _attributes(
        integration,
        "id integration_type integration_uri integration_method credentials_arn "
        "request_templates template_selection_expression passthrough_behavior "
        "content_handling_strategy timeout_in_millis responses",
    )
    integration_response = backend.create_integration_response(
        api_id=api.api_id,
        integration_id=integration.id,
        content_handling_strategy=None,
        integration_response_key="$default",
        response_parameters=None,
        response_templates=None,
        template_selection_expression=None,
    )
    missing += _attributes(
        integration_response,
        "integration_response_key response_templates template_selection_expression "
        "content_handling_strategy",
    )
    return missing + _attributes(api.backend, "region_name account_id")


def _check_create_api_patch() -> list[str]:
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    expected = [
        "self",
        "api_key_selection_expression",
        "cors_configuration",
        "description",
        "disable_schema_validation",
        "disable_execute_api_endpoint",
        "name",
        "protocol_type",
        "route_selection_expression",
        "tags",
        "version",
    ]
    found = _parameters(ApiGatewayV2Backend.create_api)
    return [] if found in (expected, ["self", "args", "kwargs"]) else [f"create_api{found}"]


def _check_lambda() -> list[str]:
    from moto import mock_aws
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    with mock_aws():  # moto's state as it was before, after
        function = _moto_function()
    missing = _attributes(
        function,
        "code_bytes code code_size code_sha_256 code_digest "
        "package_type environment_vars reserved_concurrency function_name "
        "function_arn version handler run_time timeout memory_size "
        "account_id region role policy",
    )
    missing += _attributes(function.policy, "statements")
    invoke = _parameters(LambdaBackend.invoke)
    if invoke != ["self", "function_name", "qualifier", "body", "headers", "response_headers"]:
        missing.append(f"LambdaBackend.invoke{invoke}")
    for method in ("create_function", "delete_function", "get_function"):
        if not hasattr(LambdaBackend, method):
            missing.append(f"LambdaBackend.{method}")
    if _parameters(LambdaFunction.update_function_code) != ["self", "updated_spec"]:
        missing.append("LambdaFunction.update_function_code(self, updated_spec)")
    return missing


def _check_lambda_code_setter() -> list[str]:
    from moto.awslambda.models import LambdaFunction

    missing = []
    if _parameters(LambdaFunction._set_function_code) != ["self", "updated_spec"]:
        missing.append("LambdaFunction._set_function_code(self, updated_spec)")
    if _parameters(LambdaFunction.get_code) != ["self"]:
        missing.append("LambdaFunction.get_code(self)")
    from moto import mock_aws

    with mock_aws():
        function = _moto_function()
    # Called with the function's own code dict at creation (``updated_spec is self.code``).
    if not isinstance(function.code, dict) or "Code" not in function.get_code():
        missing.append("LambdaFunction.code (a dict), get_code()['Code']")
    return missing


def _check_logs() -> list[str]:
    from moto.logs.models import LogsBackend

    backend = LogsBackend(REGION, ACCOUNT)
    missing = _attributes(backend, "ensure_log_group groups create_log_stream put_log_events")
    backend.ensure_log_group("/aws/lambda/seams")
    return missing + _attributes(backend.groups["/aws/lambda/seams"], "streams")


def _check_cloudformation() -> list[str]:
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Stack
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.base_backend import InstanceTrackerMeta
    from moto.dynamodb.models.table import Table

    missing = [
        f"parsing.{name}.cache_clear"
        for name in ("get_model_list", "get_model_map", "get_name_type_map")
        if not hasattr(getattr(parsing, name, None), "cache_clear")
    ]
    if _parameters(parsing.parse_resource) != ["resource_json", "resources_map"]:
        missing.append("parsing.parse_resource(resource_json, resources_map)")
    # names.py replaces it; parse_resource_and_generate_name calls it by this name.
    if _parameters(parsing.generate_resource_name) != ["resource_type", "stack_name", "logical_id"]:
        missing.append("parsing.generate_resource_name(resource_type, stack_name, logical_id)")
    if "generate_resource_name(" not in inspect.getsource(parsing.parse_resource_and_generate_name):
        missing.append("parse_resource_and_generate_name calls generate_resource_name")
    # resources/awslambda.py gives layer versions their Ref, name property and delete.
    from moto.awslambda.models import LambdaBackend, LayerVersion

    missing += _attributes(LayerVersion, "arn cloudformation_name_type")
    if _parameters(LambdaBackend.delete_layer_version) != ["self", "layer_name", "layer_version"]:
        missing.append("LambdaBackend.delete_layer_version(layer_name, layer_version)")
    # limits.py checks layers exist; resources/lambda_versions.py versions and aliases.
    missing += _attributes(
        LambdaBackend, "layers_versions_by_arn publish_version delete_function get_function"
    )
    create_alias = ["self", "name", "function_name", "function_version", "description"]
    if _parameters(LambdaBackend.create_alias)[:5] != create_alias:
        missing.append(f"LambdaBackend.create_alias{create_alias[1:]}")
    if _parameters(LambdaBackend.delete_alias) != ["self", "name", "function_name"]:
        missing.append("LambdaBackend.delete_alias(name, function_name)")
    from moto.awslambda.models import LambdaAlias, LambdaVersion

    if _parameters(LambdaAlias.update) != [
        "self",
        "description",
        "function_version",
        "routing_config",
    ]:
        missing.append("LambdaAlias.update(description, function_version, routing_config)")
    if "create_from_cloudformation_json" not in vars(LambdaVersion):
        missing.append("LambdaVersion.create_from_cloudformation_json")
    missing += [
        f"Stack.{name}"
        for name in ("create_resources", "_add_stack_event")
        if not hasattr(Stack, name)
    ]
    for name in ("validate_template", "_get_param", "_get_stack_from_s3_url"):
        if not hasattr(CloudFormationResponse, name):
            missing.append(f"CloudFormationResponse.{name}")
    if _parameters(parsing.OutputMap) != ["resources", "template", "stack_id"]:
        missing.append("parsing.OutputMap(resources, template, stack_id)")
    if not hasattr(Table, "create_from_cloudformation_json"):
        missing.append("Table.create_from_cloudformation_json")
    # resources/logs.py updates a log group in place through these.
    from moto.logs.models import LogGroup

    if not hasattr(LogGroup, "set_retention_policy"):
        missing.append("LogGroup.set_retention_policy")
    update = LogGroup.update_from_cloudformation_json
    if not (
        hasattr(update, "__isabstractmethod__") or update.__module__.endswith("resources.logs")
    ):
        missing.append("LogGroup.update_from_cloudformation_json (abstract in moto)")
    # Models register under the second part of their module path (wslab.local...): local.
    if "cls.__module__.split" not in inspect.getsource(InstanceTrackerMeta):
        missing.append("InstanceTrackerMeta names services by module path")
    return missing


def _check_cloudformation_engine() -> list[str]:
    """The resource map and stack internals the engine drives (create, update, delete)."""
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Event, Stack

    stack = Stack(
        stack_id="seams",
        name="seams",
        template='{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}',
        parameters={},
        account_id=ACCOUNT,
        region_name=REGION,
    )
    resource_map = stack.resource_map
    missing = _attributes(
        resource_map,
        "_parsed_resources _resource_json_map _template _delete_resource lazy_condition_map "
        "input_parameters tags _account_id _region_name validate_outputs load_mapping "
        "load_parameters load_conditions",
    )
    missing += _attributes(
        stack,
        "template template_dict status events _create_resource_map _create_output_map "
        "_add_stack_event mark_creation_complete output_map creation_time notification_arns "
        "parameters role_arn tags description",
    )
    missing += _attributes(stack.output_map, "exports")
    for name in ("outputs", "exports", "stack_resources"):
        if not isinstance(vars(Stack).get(name), property):
            missing.append(f"Stack.{name} (a property)")
    if "__getitem__" not in vars(parsing.ResourceMap):
        missing.append("ResourceMap.__getitem__")
    event = [
        "self", "stack_id", "stack_name", "logical_resource_id", "physical_resource_id",
        "resource_type", "resource_status", "resource_status_reason", "resource_properties",
    ]  # fmt: skip
    if _parameters(Event.__init__) != event:
        missing.append(f"Event{event[1:]}")
    missing += [
        name
        for name in ("resource_class_from_type", "NULL_MODELS", "clean_json")
        if not hasattr(parsing, name)
    ]
    # updates.py calls parse_and_update_resource with these, in this order (positional).
    updating = ["logical_id", "resource_json", "resources_map", "account_id", "region_name"]
    for name in ("parse_and_update_resource", "parse_and_create_resource"):
        if _parameters(getattr(parsing, name)) != updating:
            missing.append(f"parsing.{name}{updating}")
    # Each wrapped by locking.under_service_lock, which finds the resource's template entry
    # by its position: parse_and_*(logical_id, resource_json, ...) above, and this one.
    if "parse_and_create_resource(" not in inspect.getsource(parsing.ResourceMap):
        missing.append("ResourceMap creates its resources through parse_and_create_resource")
    deleting = ["self", "parsed_resource", "resource_json"]
    if _parameters(parsing.ResourceMap._delete_resource) != deleting:
        missing.append(f"ResourceMap._delete_resource{deleting}")
    # A model that can't update in place leaves update_from_cloudformation_json abstract.
    from moto.dynamodb.models.table import Table

    if not hasattr(Table.update_from_cloudformation_json, "__isabstractmethod__"):
        missing.append("CloudFormationModel.update_from_cloudformation_json is abstract")
    if not isinstance(vars(Stack).get("stack_parameters"), property):
        missing.append("Stack.stack_parameters (a property)")
    return missing


def _check_cloudformation_api() -> list[str]:
    """The backend and response methods replaced, with the signatures moto calls them by."""
    from moto.cloudformation import exceptions, utils
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    from wslab.local.moto_ext.cloudformation import backend

    missing = [
        f"CloudFormationBackend.{name}{_parameters(getattr(CloudFormationBackend, name))}"
        for name in ("create_stack", "update_stack", "delete_stack", "create_change_set")
        if _parameters(getattr(CloudFormationBackend, name)) != _parameters(getattr(backend, name))
    ]
    if _parameters(CloudFormationBackend._resolve_update_parameters) != [
        "self", "instance", "incoming_params",
    ]:  # fmt: skip
        missing.append("CloudFormationBackend._resolve_update_parameters")
    instance = CloudFormationBackend(REGION, ACCOUNT)
    missing += _attributes(
        instance, "stacks deleted_stacks exports change_sets get_stack describe_change_set"
    )
    change_set = [
        "self", "change_set_type", "change_set_id", "change_set_name", "stack", "template",
        "parameters", "description", "notification_arns", "tags", "role_arn",
    ]  # fmt: skip
    if _parameters(ChangeSet.__init__) != change_set:
        missing.append(f"ChangeSet{change_set[1:]}")
    missing += [
        f"CloudFormationResponse.{name}"
        for name in (
            "describe_change_set", "delete_change_set", "list_change_sets",
            "_validate_different_update",
            "create_stack", "update_stack", "create_change_set", "get_template",
            "list_stack_resources", "describe_stack_resources", "describe_stack_resource",
            "validate_template", "_get_param", "_get_bool_param", "_get_stack_from_s3_url",
            "cloudformation_backend",
        )
        if not hasattr(CloudFormationResponse, name)
    ]  # fmt: skip
    missing += [
        f"utils.{name}"
        for name in ("generate_stack_id", "generate_changeset_id", "validate_create_change_set")
        if not hasattr(utils, name)
    ]
    if _parameters(exceptions.UnsupportedAttribute.__init__) != ["self", "resource", "attr"]:
        missing.append("UnsupportedAttribute(resource, attr)")
    return missing


def _check_cloudformation_targets() -> list[str]:
    """What policy resources, the SAM transform and image functions reach in other services."""
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.utils import get_backend
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.s3.models import S3Backend
    from moto.sns.models import Topic
    from moto.sqs.models import SQSBackend
    from moto.ssm.models import SimpleSystemManagerBackend

    missing = [] if aws_managed_policies_data.strip().startswith("{") else ["managed policies"]
    missing += [
        f"SQSBackend.{n}"
        for n in ("get_queue", "set_queue_attributes")
        if not hasattr(SQSBackend, n)
    ]
    missing += [
        f"S3Backend.{n}"
        for n in ("get_bucket", "put_bucket_policy", "delete_bucket_policy")
        if not hasattr(S3Backend, n)
    ]
    if not isinstance(vars(Topic).get("policy"), property) or vars(Topic)["policy"].fset is None:
        missing.append("Topic.policy (a settable property)")
    if not hasattr(SimpleSystemManagerBackend, "get_parameter"):
        missing.append("SimpleSystemManagerBackend.get_parameter")
    missing += [
        f"LambdaFunction.{name}"
        for name in ("_create_zipfile_from_plaintext_code", "update_configuration", "delete")
        if not hasattr(LambdaFunction, name)
    ]
    return missing + ([] if callable(get_backend) else ["awslambda.models.get_backend"])


def _check_bucket_policy() -> list[str]:
    """The bucket's permission check, answered in moto's PermissionResult terms."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    missing = [] if hasattr(FakeBucket, "get_permission") else ["FakeBucket.get_permission"]
    if _parameters(FakeBucket.get_permission) != ["self", "action", "resource"]:
        missing.append("FakeBucket.get_permission(self, action, resource)")
    members = {"PERMITTED", "DENIED", "NEUTRAL"}
    missing += sorted(members - set(PermissionResult.__members__))
    return missing


def _check_cloudformation_s3_and_answers() -> list[str]:
    """Where templates are read from S3, and where answers are written."""
    from moto.cloudformation import models
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import BaseResponse
    from moto.s3.models import S3Backend

    missing = [] if hasattr(models, "get_stack_from_s3_url") else ["models.get_stack_from_s3_url"]
    missing += [
        f"BaseResponse.{name}"
        for name in ("call_action", "serialized")
        if not hasattr(BaseResponse, name)
    ]
    source = inspect.getsource(BaseResponse)
    missing += [name for name in ("self.current_account", "self.partition") if name not in source]
    if "_get_stack_from_s3_url" not in vars(CloudFormationResponse):
        missing.append("CloudFormationResponse._get_stack_from_s3_url")
    return missing + ([] if hasattr(S3Backend, "get_object") else ["S3Backend.get_object"])


def _check_moto_server() -> list[str]:
    from moto.core import request
    from moto.moto_server import werkzeug_app

    missing = [
        name
        for name in ("DomainDispatcherApplication", "create_backend_app", "MotoRequestHandler")
        if not hasattr(werkzeug_app, name)
    ]
    missing += [
        name
        for name in (
            "PRESERVED_HEADER_NAMES_ENVIRON_KEY",
            "environ_key_for_header",
            "should_preserve_original_header_name",
        )
        if not hasattr(request, name)
    ]
    # MotoRequestHandler.make_environ is what moto_app.wsgi_environ reproduces.
    source = inspect.getsource(werkzeug_app.MotoRequestHandler.make_environ)
    return missing + [
        name
        for name in ("environ_key_for_header", "should_preserve_original_header_name")
        if name not in source
    ]


def _check_iam_and_sts_models() -> list[str]:
    from moto import mock_aws
    from moto.iam import models as iam_models
    from moto.sts.models import sts_backends

    missing: list[str] = []
    with mock_aws():
        role = _moto_role("seams-iam")
        backend = iam_models.iam_backends[ACCOUNT]["aws"]
        missing += _attributes(
            role,
            "arn policies managed_policies permissions_boundary_arn assume_role_policy_document",
        )
        missing += _attributes(backend, "get_roles get_role_by_arn managed_policies")
        sts = sts_backends[ACCOUNT]["aws"]
        assumed = sts.assume_role(
            region_name=REGION,
            role_session_name="seams",
            role_arn=role.arn,
            policy="",
            duration=900,
            external_id="",
        )
        missing += _attributes(
            assumed,
            "access_key_id secret_access_key session_token role_arn session_name account_id",
        )
        if assumed not in getattr(sts, "assumed_roles", ()):
            missing.append("STSBackend.assumed_roles (every session, read into a snapshot)")
        policy = backend.create_policy(
            description="",
            path="/",
            policy_document=json.dumps(_ALLOW_ALL),
            policy_name="p",
            tags=[],
        )
        missing += [] if any(v.is_default for v in policy.versions) else ["Policy.versions"]
        missing += _attributes(policy.versions[0], "document is_default")
    return missing


_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _moto_role(name: str) -> Any:
    from moto.iam.models import iam_backends

    from wslab.aws import LAMBDA_TRUST_POLICY

    return iam_backends[ACCOUNT]["global"].create_role(
        role_name=name,
        assume_role_policy_document=json.dumps(LAMBDA_TRUST_POLICY),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )


def _check_iam_models_patches() -> list[str]:
    from moto.iam import aws_managed_policies
    from moto.iam.models import AWSManagedPolicy, IAMBackend, Role

    missing = (
        [] if aws_managed_policies.aws_managed_policies_data else ["aws_managed_policies_data"]
    )
    expected = {
        IAMBackend.attach_role_policy: ["self", "policy_arn", "role_name"],
        IAMBackend.detach_role_policy: ["self", "policy_arn", "role_name"],
        IAMBackend.get_policy: ["self", "policy_arn"],
        AWSManagedPolicy.from_data: ["name", "account_id", "region_name", "data"],
        Role.put_policy: ["self", "policy_name", "policy_json"],
        Role.delete_policy: ["self", "policy_name"],
    }
    missing += [
        f"{function.__qualname__}{names}"
        for function, names in expected.items()
        if _parameters(function) != names
    ]
    for name in (
        "create_from_cloudformation_json",
        "update_from_cloudformation_json",
        "delete_from_cloudformation_json",
    ):
        if name not in Role.__dict__:
            missing.append(f"Role.{name}")
    return missing


def _check_secrets_lookup() -> list[str]:
    from moto.secretsmanager.models import SecretsStore

    return [] if hasattr(SecretsStore, "get") else ["SecretsStore.get(name or ARN)"]


def _check_apigateway_account() -> list[str]:
    from moto.apigateway.models import APIGatewayBackend

    backend = APIGatewayBackend(REGION, ACCOUNT)
    missing = _attributes(backend.account, "cloudwatch_role_arn")
    if _parameters(APIGatewayBackend.update_account) != ["self", "patch_operations"]:
        missing.append("APIGatewayBackend.update_account(self, patch_operations)")
    return missing


def _check_lambda_limits() -> list[str]:
    from moto.awslambda.models import LambdaBackend

    from wslab.local.moto_ext.awslambda import limits as lambda_limits

    expected = ["self", "function_name", "qualifier", "body"]
    found = _parameters(LambdaBackend.update_function_configuration)
    missing = [] if found == expected else [f"update_function_configuration{found}"]
    # The function name's pattern and the runtimes come from botocore's Lambda model.
    if "pattern" not in lambda_limits._NAME_SHAPE.metadata or not lambda_limits._RUNTIMES:
        missing.append("botocore lambda model: FunctionName pattern, Runtime enum")
    return missing


def _check_dynamodb_query() -> list[str]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    missing = [
        f"Table.query({name}=)"
        for name in ("hash_key", "index_name", "hash_key_conditions")
        if name not in _parameters(Table.query)
    ]
    if "self.all_items()" not in inspect.getsource(Table.query):
        missing.append("Table.query enumerates with self.all_items()")
    missing += [
        f"Table.{name}"
        for name in ("all_items", "all_indexes", "put_item", "delete_item", "get_item")
        if not hasattr(Table, name)
    ]
    if _parameters(Table.delete_item) != ["self", "hash_key", "range_key"]:
        missing.append("Table.delete_item(self, hash_key, range_key)")
    if _parameters(DynamoDBBackend.update_item)[:3] != ["self", "table_name", "key"]:
        missing.append("DynamoDBBackend.update_item(self, table_name, key, ...)")
    source = inspect.getsource(Table.__init__)
    missing += [name for name in ("self.items", "self.global_indexes") if name not in source]
    return missing + [
        name
        for name in ("get_keys_value", "tables")
        if name not in inspect.getsource(DynamoDBBackend)
    ]


def _check_dynamodb_results() -> list[str]:
    from moto.core.responses import ActionContext
    from moto.dynamodb.responses import DynamoResult

    missing = [] if hasattr(DynamoResult, "execute_result") else ["DynamoResult.execute_result"]
    if "operation_model" not in _parameters(ActionContext):
        missing.append("ActionContext(operation_model=)")
    return missing


def _check_server_lookups() -> list[str]:
    import moto.backends
    import moto.core.responses
    from moto.moto_server import werkzeug_app

    missing = [] if hasattr(moto.backends, "list_of_moto_modules") else ["list_of_moto_modules"]
    if "backends.list_of_moto_modules()" not in inspect.getsource(werkzeug_app):
        missing.append("werkzeug_app calls backends.list_of_moto_modules()")
    source = inspect.getsource(moto.core.responses)
    if "method_names_from_class(self.__class__)" not in source:
        missing.append("responses calls method_names_from_class(self.__class__)")
    return missing


def _check_mock_random() -> list[str]:
    from moto.moto_api._internal import mock_random

    return [] if hasattr(mock_random, "choice") else ["mock_random.choice"]


# --- aiohttp ----------------------------------------------------------------------------


def _check_aiohttp_websocket() -> list[str]:
    from aiohttp import web
    from aiohttp._websocket import reader

    missing = [] if hasattr(web.WebSocketResponse, "_post_start") else ["_post_start"]
    if _parameters(web.WebSocketResponse._post_start) != ["self", "request", "protocol", "writer"]:
        missing.append("_post_start(self, request, protocol, writer)")
    response = web.WebSocketResponse()
    missing += _attributes(
        response,
        "_reader _parser _max_msg_size _decode_text _heartbeat "
        "_on_data_received _loop _writer _payload_writer",
    )
    missing += [
        name for name in ("WebSocketDataQueue", "WebSocketReader") if not hasattr(reader, name)
    ]
    # Flow control: the writer's own drain threshold is lifted, and senders wait on the
    # response's payload writer's drain instead (bounded).
    from aiohttp._websocket.writer import WebSocketWriter
    from aiohttp.http_writer import StreamWriter

    if "self._limit" not in inspect.getsource(WebSocketWriter.send_frame):
        missing.append("WebSocketWriter._limit (the drain threshold of send_frame)")
    if not inspect.iscoroutinefunction(StreamWriter.drain):
        missing.append("StreamWriter.drain()")
    return missing


def _check_aiohttp_protocol() -> list[str]:
    from aiohttp.web_protocol import RequestHandler

    missing = [] if hasattr(RequestHandler, "set_parser") else ["RequestHandler.set_parser"]
    if "data_received_cb" not in _parameters(RequestHandler.set_parser):
        missing.append("set_parser(..., data_received_cb=)")
    source = inspect.getsource(RequestHandler)
    return missing + [name for name in ("_message_tail", "_payload_parser") if name not in source]


def _check_aiohttp_ws_message() -> list[str]:
    from aiohttp._websocket.models import WSMessage
    from aiohttp.http_websocket import WebSocketError

    missing = [] if len(WSMessage._fields) == 3 else ["WSMessage(type, data, extra)"]
    error = WebSocketError(1009, "Message too big")
    return missing + ([] if error.code == 1009 else ["WebSocketError(code, message).code"])


# --- botocore, in a Python worker ------------------------------------------------------


def _check_botocore_before_send() -> list[str]:
    import botocore.handlers
    import botocore.session
    from botocore.endpoint import Endpoint
    from botocore.httpsession import URLLib3Session

    missing = []
    registering = inspect.getsource(botocore.session.Session._register_builtin_handlers)
    if "BUILTIN_HANDLERS" not in registering:
        missing.append("Session._register_builtin_handlers registers BUILTIN_HANDLERS")
    if "before-send" not in inspect.getsource(Endpoint._do_get_response):
        missing.append("Endpoint._do_get_response emits before-send")
    if "request.url" not in inspect.getsource(URLLib3Session.send):
        missing.append("URLLib3Session.send sends to request.url")
    # A handler in the list is registered by every new session, for the management API's
    # requests, and sees the URL the request is about to go to.
    seen: list[str] = []

    class Seen(Exception):
        pass

    def spy(request: Any, **_: Any) -> None:
        seen.append(request.url)
        raise Seen  # sent nowhere

    event = ("before-send.apigatewaymanagementapi", spy)
    botocore.handlers.BUILTIN_HANDLERS.append(event)
    try:
        client = botocore.session.get_session().create_client(
            "apigatewaymanagementapi",
            region_name=REGION,
            endpoint_url=f"https://abcdefghij.execute-api.{REGION}.amazonaws.com/dev",
            aws_access_key_id="seams",
            aws_secret_access_key="seams",
        )
        with pytest.raises(Seen):
            client.post_to_connection(ConnectionId="seams", Data=b"x")
    finally:
        botocore.handlers.BUILTIN_HANDLERS.remove(event)
    expected = f"https://abcdefghij.execute-api.{REGION}.amazonaws.com/dev/@connections/seams"
    return missing + ([] if seen == [expected] else [f"before-send saw {seen}"])


# --- debugpy, in a Python worker under wslab local --debug -------------------------------


def _check_debugpy_path_mapping() -> list[str]:
    """Read, not imported: pydevd set up in the test's own process would trace it."""
    from importlib.util import find_spec

    spec = find_spec("debugpy")
    assert spec is not None and spec.origin is not None
    pydevd = Path(spec.origin).parent / "_vendored" / "pydevd"
    file_utils = (pydevd / "pydevd_file_utils.py").read_text()
    commands = (pydevd / "_pydevd_bundle" / "pydevd_process_net_command_json.py").read_text()
    expected = {
        "the mapping read from the environment": (
            file_utils,
            'os.environ.get("PATHS_FROM_ECLIPSE_TO_PYTHON"',
        ),
        "a client's pathMappings replace it only when it sends some": (
            commands,
            "if bool(path_mappings):",
        ),
        "remoteRoot '.' is the debugged process's working directory": (
            commands,
            'if remote_root == ".":\n            cwd = os.getcwd()',
        ),
    }
    return [what for what, (source, text) in expected.items() if text not in source]


# --- botocore, in the stack: recomputing a signature ------------------------------------


def _check_botocore_sigv4_recomputation() -> list[str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from wslab.local.sigv4 import Authorization, SignatureChecker, SignedRequest, read_authorization

    missing = []
    # The checker overrides headers_to_sign (a dict with get_all), gives the payload's hash
    # as X-Amz-Content-SHA256 and sets the timestamp the string to sign reads.
    canonical = inspect.getsource(SigV4Auth.canonical_request)
    if "headers_to_sign" not in canonical:
        missing.append("SigV4Auth.canonical_request takes its headers from headers_to_sign")
    if "'X-Amz-Content-SHA256' in request.headers" not in canonical:
        missing.append("SigV4Auth.canonical_request takes the payload hash from the header")
    if "get_all" not in inspect.getsource(SigV4Auth.canonical_headers):
        missing.append("SigV4Auth.canonical_headers reads values with get_all")
    if "request.context['timestamp']" not in inspect.getsource(SigV4Auth.string_to_sign):
        missing.append("SigV4Auth.string_to_sign reads request.context['timestamp']")
    url = "http://127.0.0.1:4577/abcdefghij/dev/@connections/seams%3D"
    request = AWSRequest(method="POST", url=url, data=b"seams")
    SigV4Auth(Credentials("seams", "secret"), "execute-api", REGION).add_auth(request)
    headers = {name: str(value) for name, value in request.headers.items()}
    authorization = read_authorization(headers["Authorization"], headers)
    assert isinstance(authorization, Authorization), authorization
    received = SignedRequest(
        "POST", "127.0.0.1:4577", "/abcdefghij/dev/@connections/seams%3D", "", headers, b"seams"
    )
    if SignatureChecker().verify([received], authorization, "secret") is not None:
        missing.append("a signature botocore made is not the one recomputed")
    return missing


# --- the AWS SDK for JavaScript v3, in a Node.js worker ---------------------------------

_SDK_PROBE = """
const https = require('node:https');
https.request = () => { throw new Error('through https.request'); };
const { ApiGatewayManagementApiClient, PostToConnectionCommand } =
  require('@aws-sdk/client-apigatewaymanagementapi');
new ApiGatewayManagementApiClient({
  endpoint: 'https://abcdefghij.execute-api.us-east-1.amazonaws.com/dev',
  region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'seams', secretAccessKey: 'seams' },
}).send(new PostToConnectionCommand({ ConnectionId: 'seams', Data: 'x' }))
  .catch((error) => console.log(error.message));
"""


def _check_sdk_https_request() -> list[str]:
    from wslab.local.runtime.node import sdk_modules

    node, sdk = shutil.which("node"), sdk_modules()
    if node is None or sdk is None:
        pytest.skip("Node.js or the AWS SDK for JavaScript v3 is not installed")
    out = subprocess.run(
        [node, "-e", _SDK_PROBE],
        cwd=Path(sdk).parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    # execute-api.cjs replaces https.request: the SDK must look it up when it sends.
    return [] if "through https.request" in out else [f"the SDK did not call https.request: {out}"]


def _check_state_backends() -> list[str]:
    import importlib
    import io
    import pickle

    from moto.core.base_backend import BackendDict

    from wslab.local.moto_ext.core.state import SERVICES, StatePickler

    broken = [
        f"{module}.{variable}"
        for module, variable in SERVICES.values()
        if not isinstance(getattr(importlib.import_module(module), variable, None), BackendDict)
    ]
    if not isinstance(getattr(BackendDict, "_instances", None), list):
        broken.append("BackendDict._instances")
    from moto.awslambda.models import LambdaBackend

    # Lambda's storage holds what plain pickle refuses (a weak-value dictionary of ARNs, a
    # defaultdict made by a lambda): the state's pickler must carry it.
    function = _moto_function()
    backend = LambdaBackend(REGION, ACCOUNT)
    backend._lambdas.put_function(function)
    stream = io.BytesIO()
    try:
        StatePickler(stream).dump(backend)
        restored = pickle.loads(stream.getvalue())
    except Exception as error:  # what moto's models hold changed: a save would fail
        return [*broken, f"a Lambda backend does not pickle: {error}"]
    kept = restored._lambdas._arns.get(function.function_arn)
    if kept is None or kept.code_bytes != function.code_bytes:
        broken.append("LambdaStorage._arns / LambdaFunction.code_bytes")
    return broken


SEAMS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "moto apigatewayv2 url_paths (deployment routes added, dispatch replaced)": (
        "local/moto_ext/apigatewayv2/models.py",
        _check_apigatewayv2_urls,
    ),
    "moto ApiGatewayV2Response (subclassed: stages, deployments, authorizers)": (
        "local/moto_ext/apigatewayv2/models.py",
        _check_apigatewayv2_response,
    ),
    "moto apigatewayv2 models (read into snapshots; CloudFormation models)": (
        "local/moto_ext/apigatewayv2/deployments.py, cloudformation/, core/control_plane.py",
        _check_apigatewayv2_models,
    ),
    "moto ApiGatewayV2Backend.create_api (patched: AWS ids, ws:// endpoints)": (
        "local/moto_ext/apigatewayv2/models.py",
        _check_create_api_patch,
    ),
    "moto Lambda (invoke replaced; create/update patched; function model read)": (
        "local/moto_ext/awslambda/backend.py, core/control_plane.py",
        _check_lambda,
    ),
    "moto LambdaFunction._set_function_code and get_code (hot reload: code from a folder)": (
        "local/moto_ext/awslambda/hot_reload.py",
        _check_lambda_code_setter,
    ),
    "moto Logs backend (function logs written)": (
        "local/moto_ext/core/control_plane.py",
        _check_logs,
    ),
    "moto CloudFormation (model discovery, parse_resource, rollback, ValidateTemplate)": (
        "local/moto_ext/cloudformation/",
        _check_cloudformation,
    ),
    "moto CloudFormation resource map and stack (created, updated, deleted by the engine)": (
        "local/moto_ext/cloudformation/engine.py, updates.py",
        _check_cloudformation_engine,
    ),
    "moto CloudFormation backend and responses (stacks, change sets, templates replaced)": (
        "local/moto_ext/cloudformation/backend.py, responses.py",
        _check_cloudformation_api,
    ),
    "moto SQS, SNS, S3, SSM, IAM and Lambda models (policy types, SAM, image functions)": (
        "local/moto_ext/cloudformation/: resources/attached.py, resources/awslambda.py, "
        "transforms.py",
        _check_cloudformation_targets,
    ),
    "moto S3 bucket permission (bucket policies decided by wslab.local.policy)": (
        "local/moto_ext/s3/bucket_policy.py",
        _check_bucket_policy,
    ),
    "moto CloudFormation TemplateURL reading and answer writing (call_action)": (
        "local/moto_ext/cloudformation/backend.py, errors.py",
        _check_cloudformation_s3_and_answers,
    ),
    "moto server app (called in-process with werkzeug's environ)": (
        "local/moto_ext/core/moto_app.py",
        _check_moto_server,
    ),
    "moto IAM and STS models (role policies, assumed roles and their keys)": (
        "local/moto_ext/iam/inputs.py, core/control_plane.py",
        _check_iam_and_sts_models,
    ),
    "moto IAM backend and CloudFormation role (patched: AWS managed policies, role updates)": (
        "local/moto_ext/iam/models.py",
        _check_iam_models_patches,
    ),
    "moto Secrets Manager store (a secret's ARN from its name)": (
        "local/moto_ext/iam/services.py",
        _check_secrets_lookup,
    ),
    "moto API Gateway account (cloudwatchRoleArn; update_account patched)": (
        "local/moto_ext/apigatewayv2/account_settings.py",
        _check_apigateway_account,
    ),
    "moto Lambda configuration (update_function_configuration patched)": (
        "local/moto_ext/awslambda/limits.py",
        _check_lambda_limits,
    ),
    "moto DynamoDB Table.query, writes and update_item (a Query reads its partition)": (
        "local/moto_ext/dynamodb/index.py",
        _check_dynamodb_query,
    ),
    "moto DynamoResult.execute_result (item answers encoded straight to JSON)": (
        "local/moto_ext/dynamodb/results.py",
        _check_dynamodb_results,
    ),
    "moto server lookups per request (module list, a class's method names)": (
        "local/moto_ext/core/lookups.py",
        _check_server_lookups,
    ),
    "moto mock_random (ids moto's reset seeds)": (
        "local/moto_ext/apigatewayv2/models.py, core/control_plane.py",
        _check_mock_random,
    ),
    "moto's BackendDicts by module, BackendDict._instances, what its models hold (a saved state)": (
        "local/moto_ext/core/state.py",
        _check_state_backends,
    ),
    "aiohttp WebSocketResponse._post_start and its private state (frame guard, flow control)": (
        "local/gateway/websocket.py",
        _check_aiohttp_websocket,
    ),
    "aiohttp RequestHandler parser hand-over (early bytes kept for the guard)": (
        "local/gateway/websocket.py",
        _check_aiohttp_protocol,
    ),
    "aiohttp WSMessage and WebSocketError (closes requested from other tasks)": (
        "local/gateway/websocket.py",
        _check_aiohttp_ws_message,
    ),
    "botocore BUILTIN_HANDLERS and before-send (management requests redirected)": (
        "local/runtime/management_redirect.py",
        _check_botocore_before_send,
    ),
    "debugpy path mapping: PATHS_FROM_ECLIPSE_TO_PYTHON, remoteRoot '.' (wslab local --debug)": (
        "local/runtime/debugging.py",
        _check_debugpy_path_mapping,
    ),
    "botocore SigV4Auth canonical request and string to sign (signatures verified)": (
        "local/sigv4.py",
        _check_botocore_sigv4_recomputation,
    ),
    "SDK for JavaScript v3 sends through https.request (management requests redirected)": (
        "local/runtime/nodejs/execute-api.cjs",
        _check_sdk_https_request,
    ),
}


@pytest.mark.parametrize("seam", list(SEAMS))
def test_seam(seam: str) -> None:
    """The seam is still there, in the shape the extension relies on."""
    where, check = SEAMS[seam]
    broken = check()
    assert not broken, f"seam {seam!r} (used by src/wslab/{where}) changed: {broken}"


def test_the_pins_are_the_versions_the_seams_were_checked_on() -> None:
    """The seams above were read off these minor versions (pyproject pins them)."""
    from importlib.metadata import version

    assert version("moto").startswith("5.2."), "moto's seams were checked on 5.2"
    assert version("aiohttp").startswith("3.14."), "aiohttp's seams were checked on 3.14"
