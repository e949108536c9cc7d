"""Every seam the local stack relies on in moto and aiohttp, named one by one.

The extensions reach into both libraries where they have no public hook: private methods
and attributes, class patches, URL tables, the attributes of their models. The versions
are pinned (moto 5.2, aiohttp 3.14); this test is what makes an upgrade fail *here*, with
the seam's name and the module that uses it, rather than in some conformance test.
Add a line when an extension starts relying on something new.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable
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
    from moto.iam.models import iam_backends

    from wslab.aws import LAMBDA_TRUST_POLICY
    from wslab.packaging import zip_sources

    iam_backends[ACCOUNT]["global"].create_role(
        role_name="seams",
        assume_role_policy_document=json.dumps(LAMBDA_TRUST_POLICY),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )
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

    from wslab.local.moto_ext.apigatewayv2 import LocalApiGatewayV2Response

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
        "route_response_selection_expression delete_route_response",
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
    missing += [
        f"Stack.{name}"
        for name in ("create_resources", "_add_stack_event")
        if not hasattr(Stack, name)
    ]
    for name in ("validate_template", "_get_param", "_get_stack_from_s3_url"):
        if not hasattr(CloudFormationResponse, name):
            missing.append(f"CloudFormationResponse.{name}")
    if not hasattr(Table, "create_from_cloudformation_json"):
        missing.append("Table.create_from_cloudformation_json")
    # Models register under the second part of their module path (wslab.local...): local.
    if "cls.__module__.split" not in inspect.getsource(InstanceTrackerMeta):
        missing.append("InstanceTrackerMeta names services by module path")
    return missing


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


SEAMS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "moto apigatewayv2 url_paths (deployment routes added, dispatch replaced)": (
        "local/moto_ext/apigatewayv2.py",
        _check_apigatewayv2_urls,
    ),
    "moto ApiGatewayV2Response (subclassed: stages, deployments, authorizers)": (
        "local/moto_ext/apigatewayv2.py",
        _check_apigatewayv2_response,
    ),
    "moto apigatewayv2 models (read into snapshots; CloudFormation models)": (
        "local/moto_ext/deployments.py, cloudformation.py, control_plane.py",
        _check_apigatewayv2_models,
    ),
    "moto ApiGatewayV2Backend.create_api (patched: AWS ids, ws:// endpoints)": (
        "local/moto_ext/apigatewayv2.py",
        _check_create_api_patch,
    ),
    "moto Lambda (invoke replaced; create/update patched; function model read)": (
        "local/moto_ext/lambda_backend.py, control_plane.py",
        _check_lambda,
    ),
    "moto Logs backend (function logs written)": (
        "local/moto_ext/control_plane.py",
        _check_logs,
    ),
    "moto CloudFormation (model discovery, parse_resource, rollback, ValidateTemplate)": (
        "local/moto_ext/cloudformation.py",
        _check_cloudformation,
    ),
    "moto server app (called in-process with werkzeug's environ)": (
        "local/moto_ext/moto_app.py",
        _check_moto_server,
    ),
    "moto DynamoDB Table.query, writes and update_item (a Query reads its partition)": (
        "local/moto_ext/dynamodb_index.py",
        _check_dynamodb_query,
    ),
    "moto DynamoResult.execute_result (item answers encoded straight to JSON)": (
        "local/moto_ext/dynamodb_results.py",
        _check_dynamodb_results,
    ),
    "moto server lookups per request (module list, a class's method names)": (
        "local/moto_ext/lookups.py",
        _check_server_lookups,
    ),
    "moto mock_random (ids moto's reset seeds)": (
        "local/moto_ext/apigatewayv2.py, control_plane.py",
        _check_mock_random,
    ),
    "aiohttp WebSocketResponse._post_start and its private state (frame guard)": (
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
