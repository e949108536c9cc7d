"""moto's API Gateway v2, extended with deployments, UpdateStage and local endpoints.

moto 5.2 answers 404 to CreateDeployment/GetDeployment(s)/DeleteDeployment, has no
UpdateStage, GetAuthorizers nor GetRouteResponses, and gives WebSocket APIs an ``https://``
endpoint nothing serves. The extension goes through moto's own seams: a subclass of its
response class serves the extra operations (moto dispatches by the botocore operation name),
its URL table gains the deployment paths, and ``create_api`` is wrapped to give WebSocket APIs
the local ``ws://`` endpoint.
"""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import unquote

from moto.apigatewayv2 import urls as moto_urls
from moto.apigatewayv2.exceptions import (
    APIGatewayV2Error,
    BadRequestException,
    RouteNotFound,
    StageNotFound,
)
from moto.apigatewayv2.models import ApiGatewayV2Backend
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.moto_api._internal import mock_random as random

from wslab.local.moto_ext.apigatewayv2.account_settings import require_logging_role
from wslab.local.moto_ext.apigatewayv2.deployments import Deployment
from wslab.local.moto_ext.core.control_plane import all_apis, auto_deploy, new_deployment_id
from wslab.local.moto_ext.core.host import HOST

__all__ = ["LocalApiGatewayV2Response", "install", "localise_endpoints"]

DEPLOYMENTS = HOST.deployments


class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str) -> None:
        super().__init__(
            "NotFoundException", f"Invalid Deployment identifier specified {deployment_id}"
        )


def localise_endpoints() -> None:
    """Point every WebSocket API's ApiEndpoint at where the stack now listens."""
    for api in all_apis():
        _localise_endpoint(api)


def _localise_endpoint(api: Any) -> None:
    host_port = HOST.public_host_port
    if api.protocol_type == "WEBSOCKET" and host_port:
        # ApiEndpoint + "/" + stage is the client URL, as on AWS; the http:// form of the
        # same URL is the base of the management API (@connections).
        api.api_endpoint = f"ws://{host_port}/{api.api_id}"


_API_ID_ALPHABET = string.ascii_lowercase + string.digits
_API_ID_LENGTH = 10


def _give_aws_api_id(backend: Any, api: Any) -> None:
    """Replace moto's 8-letter API id with one shaped like AWS's: 10 lowercase alphanumerics.

    The id shows in every event (``apiId``, ``domainName``), in ARNs and in URLs, so code and
    notebooks that print or check it see what they would see on AWS.
    """
    old_id = api.api_id
    new_id = old_id
    while new_id == old_id or new_id in backend.apis:
        new_id = "".join(random.choice(_API_ID_ALPHABET) for _ in range(_API_ID_LENGTH))
    old_arn = api.arn
    tags = backend.tagger.get_tag_dict_for_resource(old_arn)
    backend.tagger.delete_all_tags_for_resource(old_arn)
    backend.apis.pop(old_id, None)
    api.api_id = new_id
    api.api_endpoint = api.api_endpoint.replace(old_id, new_id)
    api.arn = old_arn.replace(f"/apis/{old_id}", f"/apis/{new_id}")
    backend.apis[new_id] = api
    if tags:
        backend.tag_resource(api.arn, tags)


class LocalApiGatewayV2Response(ApiGatewayV2Response):
    """moto's API Gateway v2 responses plus deployments, UpdateStage, GetAuthorizers and
    GetRouteResponses."""

    def _api(self) -> Any:
        return self.apigatewayv2_backend.get_api(self._path_part(3))

    def _path_part(self, index: int) -> str:
        # /v2/apis/{apiId}/stages/{stageName}: index 3 is the API id.
        return unquote(self.path.split("?")[0].split("/")[index])

    def _stage_json(self, api: Any, stage: Any) -> dict[str, Any]:
        body: dict[str, Any] = stage.to_json()
        state = DEPLOYMENTS.stage(api, stage.name)
        if state.deployment_id:
            body["deploymentId"] = state.deployment_id
        if state.last_deployment_status_message:
            body["lastDeploymentStatusMessage"] = state.last_deployment_status_message
        return body

    def _bind_stage(self, api: Any, stage_name: str, deployment_id: str | None) -> None:
        if deployment_id is None:
            return
        if DEPLOYMENTS.get(api, deployment_id) is None:
            raise BadRequestException(f"Invalid deployment identifier specified {deployment_id}")
        DEPLOYMENTS.stage(api, stage_name).deployment_id = deployment_id

    def create_stage(self) -> Any:
        api = self._api()
        config = json.loads(self.body)
        stage_name = config.get("stageName", "")
        if stage_name in api.stages:
            raise BadRequestException(f"Stage already exist: {stage_name}")
        require_logging_role(api, config)
        self._bind_stage(api, stage_name, config.get("deploymentId"))
        stage = api.create_stage(config)
        auto_deploy(api, stage)  # its answer shows the deployment, as later reads will
        return 201, {}, json.dumps(self._stage_json(api, stage))

    def get_stage(self) -> Any:
        api = self._api()
        stage = api.get_stage(self._path_part(5))
        return 200, {}, json.dumps(self._stage_json(api, stage))

    def get_stages(self) -> Any:
        api = self._api()
        items = [self._stage_json(api, stage) for stage in api.stages.values()]
        return 200, {}, json.dumps({"items": items})

    def delete_stage(self) -> Any:
        api = self._api()
        stage_name = self._path_part(5)
        api.get_stage(stage_name)
        api.delete_stage(stage_name)
        DEPLOYMENTS.forget_stage(api, stage_name)
        return 204, {}, ""

    def update_stage(self) -> Any:
        api = self._api()
        stage = api.get_stage(self._path_part(5))
        params = json.loads(self.body or "{}")
        require_logging_role(api, params)
        self._bind_stage(api, stage.name, params.get("deploymentId"))
        simple = {
            "autoDeploy": "auto_deploy",
            "description": "description",
            "stageVariables": "stage_variables",
            "routeSettings": "route_settings",
            "accessLogSettings": "access_log_settings",
            "clientCertificateId": "client_certificate_id",
        }
        for wire_name, attribute in simple.items():
            if wire_name in params:
                setattr(stage, attribute, params[wire_name])
        if "defaultRouteSettings" in params:
            stage.default_route_settings = {
                **stage.default_route_settings,
                **params["defaultRouteSettings"],
            }
        auto_deploy(api, stage)
        return 200, {}, json.dumps(self._stage_json(api, stage))

    def get_authorizers(self) -> Any:
        api = self._api()
        items = [authorizer.to_json() for authorizer in api.authorizers.values()]
        return 200, {}, json.dumps({"items": items})

    def get_route_responses(self) -> Any:
        """GetRouteResponses, which moto routes but does not answer."""
        api = self._api()
        route = api.routes.get(self._path_part(5))
        if route is None:
            raise RouteNotFound(self._path_part(5))
        items = [response.to_json() for response in route.route_responses.values()]
        return 200, {}, json.dumps({"items": items})

    def create_deployment(self) -> Any:
        api = self._api()
        params = json.loads(self.body or "{}")
        stage_name = params.get("stageName")
        stage = api.stages.get(stage_name) if stage_name else None
        if stage_name and stage is None:
            raise StageNotFound()
        if not api.routes:
            raise BadRequestException("At least one route is required before deploying the Api.")
        deployment = DEPLOYMENTS.create(api, new_deployment_id(), params.get("description"))
        if stage is not None:
            DEPLOYMENTS.stage(api, stage.name).deployment_id = deployment.deployment_id
        return 201, {}, json.dumps(deployment.to_json())

    def _deployment(self) -> tuple[Any, Deployment]:
        api = self._api()
        deployment_id = self._path_part(5)
        deployment = DEPLOYMENTS.get(api, deployment_id)
        if deployment is None:
            raise DeploymentNotFound(deployment_id)
        return api, deployment

    def get_deployment(self) -> Any:
        _, deployment = self._deployment()
        return 200, {}, json.dumps(deployment.to_json())

    def get_deployments(self) -> Any:
        api = self._api()
        items = [deployment.to_json() for deployment in DEPLOYMENTS.all(api)]
        return 200, {}, json.dumps({"items": items})

    def update_deployment(self) -> Any:
        _, deployment = self._deployment()
        params = json.loads(self.body or "{}")
        if "description" in params:
            deployment.description = params["description"]
        return 200, {}, json.dumps(deployment.to_json())

    def delete_deployment(self) -> Any:
        api, deployment = self._deployment()
        if DEPLOYMENTS.stages_using(api, deployment.deployment_id):
            raise BadRequestException(
                "Active stages pointing to this deployment must be moved or deleted"
            )
        DEPLOYMENTS.delete(api, deployment.deployment_id)
        return 204, {}, ""


_DEPLOYMENT_PATHS = {
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments$": LocalApiGatewayV2Response.dispatch,
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$": (
        LocalApiGatewayV2Response.dispatch
    ),
}

_installed = False


def install() -> None:
    """Route moto's API Gateway v2 URLs to the extended responses. Idempotent.

    Must run before moto builds its API Gateway v2 app (on the first request it serves).
    """
    global _installed
    if _installed:
        return
    for path, handler in list(moto_urls.url_paths.items()):
        if handler == ApiGatewayV2Response.dispatch:
            moto_urls.url_paths[path] = LocalApiGatewayV2Response.dispatch
    moto_urls.url_paths.update(_DEPLOYMENT_PATHS)

    original_create_api = ApiGatewayV2Backend.create_api

    def create_api(self: ApiGatewayV2Backend, *args: Any, **kwargs: Any) -> Any:
        api = original_create_api(self, *args, **kwargs)
        _give_aws_api_id(self, api)
        _localise_endpoint(api)
        return api

    ApiGatewayV2Backend.create_api = create_api  # type: ignore[method-assign]
    _installed = True
