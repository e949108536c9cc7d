"""CloudFormation for API Gateway v2 on the local stack.

moto 5.2's CloudFormation skips every ``AWS::ApiGatewayV2::*`` resource with a warning and
still reports ``CREATE_COMPLETE``. These models create them for real, through moto's own
extension point (every direct subclass of ``CloudFormationModel`` is a resource type).
``Ref`` and ``Fn::GetAtt`` answer as the CloudFormation reference says; a property these
models don't handle fails the resource, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from moto.apigatewayv2.exceptions import BadRequestException, StageNotFound
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.core.common_models import CloudFormationModel

from wslab.local.moto_ext.apigatewayv2.account_settings import require_logging_role
from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack
from wslab.local.moto_ext.core.control_plane import new_deployment_id
from wslab.local.moto_ext.core.host import HOST

DEPLOYMENTS = HOST.deployments

__all__ = [
    "WebSocketApi",
    "WebSocketAuthorizer",
    "WebSocketDeployment",
    "WebSocketIntegration",
    "WebSocketIntegrationResponse",
    "WebSocketRoute",
    "WebSocketRouteResponse",
    "WebSocketStage",
]


def _camel(value: Any) -> Any:
    """CloudFormation spells settings in PascalCase, the API (and moto) in camelCase."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(item) for key, item in value.items()}
    return value


# A property: (moto attribute, value when the template leaves it out).
Properties = Mapping[str, tuple[str, Any]]


class _Resource:
    """What every API Gateway v2 resource shares: validation, Ref, GetAtt, update, delete.

    Each concrete class also subclasses ``CloudFormationModel`` directly, which is how moto
    finds resource types. ``create`` makes the moto object with its id; ``PROPERTIES`` are
    then applied to it, on creation and on every update, so an update that leaves a
    property out resets it as CloudFormation does.
    """

    TYPE: ClassVar[str]
    REQUIRED: ClassVar[tuple[str, ...]] = ("ApiId",)
    PROPERTIES: ClassVar[Properties] = {}
    # Allowed, but used by ``create`` or an overridden ``apply`` rather than set as is.
    OTHER_PROPERTIES: ClassVar[tuple[str, ...]] = ()
    # Properties that can't change in place: a new value replaces the resource.
    REPLACE_ON: ClassVar[tuple[str, ...]] = ("ApiId",)
    REF: ClassVar[str]
    ATTRIBUTES: ClassVar[Mapping[str, str]] = {}

    def __init__(self, backend: Any, api_id: str, model: Any, properties: dict[str, Any]) -> None:
        self.backend = backend
        self.api_id = api_id
        self.model = model
        self.properties = properties

    # moto's hooks ------------------------------------------------------------------------

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnsupportedByLocalStack(
                f"{self.TYPE} has no attribute {attribute_name} "
                f"(it has: {', '.join(self.ATTRIBUTES) or 'none'})"
            )
        return getattr(self, self.ATTRIBUTES[attribute_name])

    @property
    def physical_resource_id(self) -> str:
        return str(getattr(self, self.REF))

    def is_created(self) -> bool:
        return True

    @classmethod
    def _checked(cls, cloudformation_json: dict[str, Any]) -> dict[str, Any]:
        properties: dict[str, Any] = cloudformation_json.get("Properties") or {}
        supported = {*cls.REQUIRED, *cls.PROPERTIES, *cls.OTHER_PROPERTIES, "ApiId"}
        unknown = sorted(set(properties) - supported)
        if unknown:
            raise UnsupportedByLocalStack(
                f"{cls.TYPE}: property {', '.join(unknown)} is not supported by wslab local "
                f"(supported: {', '.join(sorted(supported))})"
            )
        missing = [name for name in cls.REQUIRED if name not in properties]
        if missing:
            raise UnsupportedByLocalStack(f"{cls.TYPE}: required property {missing[0]} is missing")
        return properties

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cls._checked(cloudformation_json)
        backend = apigatewayv2_backends[account_id][region_name]
        api_id = str(properties.get("ApiId", ""))
        resource = cls(backend, api_id, cls.create(backend, properties), properties)
        resource.apply(properties)
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cls._checked(cloudformation_json)
        if any(
            properties.get(name) != original_resource.properties.get(name)
            for name in cls.REPLACE_ON
        ):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
        original_resource.properties = properties
        original_resource.apply(properties)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        """Unused: moto calls ``delete`` on the resource itself."""

    # Per type ----------------------------------------------------------------------------

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        raise NotImplementedError

    def apply(self, properties: dict[str, Any]) -> None:
        for name, (attribute, default) in self.PROPERTIES.items():
            setattr(self.model, attribute, properties.get(name, default))

    def delete(self, account_id: str, region_name: str) -> None:
        # Deleting the API deletes what hangs off it: nothing is left to do then.
        api = self.backend.apis.get(self.api_id)
        if api is not None:
            self.remove(api)

    def remove(self, api: Any) -> None:
        raise NotImplementedError

    @property
    def api(self) -> Any:
        return self.backend.get_api(self.api_id)


class WebSocketApi(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Api"
    REQUIRED = ("Name", "ProtocolType")
    REPLACE_ON = ("ProtocolType",)
    OTHER_PROPERTIES = ("Tags",)
    PROPERTIES = {
        "Name": ("name", None),
        "RouteSelectionExpression": ("route_selection_expression", None),
        "ApiKeySelectionExpression": ("api_key_selection_expression", "$request.header.x-api-key"),
        "Description": ("description", None),
        "DisableSchemaValidation": ("disable_schema_validation", None),
        "DisableExecuteApiEndpoint": ("disable_execute_api_endpoint", False),
        "Version": ("version", None),
    }
    REF = "api_id"
    ATTRIBUTES = {"ApiId": "api_id", "ApiEndpoint": "api_endpoint"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketApi.TYPE

    @classmethod
    def _checked(cls, cloudformation_json: dict[str, Any]) -> dict[str, Any]:
        properties = super()._checked(cloudformation_json)
        if properties.get("ProtocolType") not in ("WEBSOCKET", "HTTP"):
            raise UnsupportedByLocalStack(f"{cls.TYPE}: ProtocolType must be WEBSOCKET or HTTP")
        return properties

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_api(
            api_key_selection_expression=None,
            cors_configuration=None,
            description=None,
            disable_schema_validation=None,
            disable_execute_api_endpoint=None,
            name=properties["Name"],
            protocol_type=properties["ProtocolType"],
            route_selection_expression=properties.get("RouteSelectionExpression"),
            tags=properties.get("Tags") or {},
            version=None,
        )

    def apply(self, properties: dict[str, Any]) -> None:
        super().apply(properties)
        self.api_id = self.model.api_id

    @property
    def api_endpoint(self) -> str:
        return str(self.model.api_endpoint)

    def remove(self, api: Any) -> None:
        self.backend.delete_api(api.api_id)


class WebSocketRoute(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Route"
    REQUIRED = ("ApiId", "RouteKey")
    PROPERTIES = {
        "RouteKey": ("route_key", None),
        "Target": ("target", None),
        "AuthorizationType": ("authorization_type", "NONE"),
        "AuthorizerId": ("authorizer_id", None),
        "RouteResponseSelectionExpression": ("route_response_selection_expression", None),
        "OperationName": ("operation_name", None),
        "ApiKeyRequired": ("api_key_required", False),
        "ModelSelectionExpression": ("model_selection_expression", None),
        "RequestModels": ("request_models", None),
        "RequestParameters": ("request_parameters", None),
        "AuthorizationScopes": ("authorization_scopes", None),
    }
    REF = "route_id"
    ATTRIBUTES = {"RouteId": "route_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketRoute.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_route(
            api_id=properties["ApiId"],
            api_key_required=False,
            authorization_scopes=[],
            authorization_type=None,
            authorizer_id=None,
            model_selection_expression=None,
            operation_name=None,
            request_models=None,
            request_parameters=None,
            route_key=properties["RouteKey"],
            route_response_selection_expression=None,
            target=None,
        )

    @property
    def route_id(self) -> str:
        return str(self.model.route_id)

    def remove(self, api: Any) -> None:
        api.delete_route(self.model.route_id)


class WebSocketRouteResponse(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::RouteResponse"
    REQUIRED = ("ApiId", "RouteId", "RouteResponseKey")
    REPLACE_ON = ("ApiId", "RouteId")
    PROPERTIES = {
        "RouteResponseKey": ("route_response_key", None),
        "ModelSelectionExpression": ("model_selection_expression", None),
        "ResponseModels": ("response_models", None),
        "ResponseParameters": ("response_parameters", None),
    }
    REF = "route_response_id"
    ATTRIBUTES = {"RouteResponseId": "route_response_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketRouteResponse.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_route_response(
            api_id=properties["ApiId"],
            route_id=properties["RouteId"],
            route_response_key=properties["RouteResponseKey"],
            model_selection_expression=None,
            response_models=None,
        )

    @property
    def route_response_id(self) -> str:
        return str(self.model.id)

    def remove(self, api: Any) -> None:
        route = api.routes.get(self.properties["RouteId"])
        if route is not None:
            route.delete_route_response(self.model.id)


class WebSocketIntegration(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Integration"
    REQUIRED = ("ApiId", "IntegrationType")
    PROPERTIES = {
        "IntegrationType": ("integration_type", None),
        "IntegrationUri": ("integration_uri", None),
        "IntegrationMethod": ("integration_method", None),
        "CredentialsArn": ("credentials_arn", None),
        "Description": ("description", None),
        "ContentHandlingStrategy": ("content_handling_strategy", None),
        "PassthroughBehavior": ("passthrough_behavior", None),
        "PayloadFormatVersion": ("payload_format_version", None),
        "RequestParameters": ("request_parameters", None),
        "RequestTemplates": ("request_templates", None),
        "TemplateSelectionExpression": ("template_selection_expression", None),
        "ConnectionType": ("connection_type", None),
        "TimeoutInMillis": ("timeout_in_millis", None),
    }
    REF = "integration_id"
    ATTRIBUTES = {"IntegrationId": "integration_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketIntegration.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_integration(
            api_id=properties["ApiId"],
            connection_id=None,
            connection_type=None,
            content_handling_strategy=None,
            credentials_arn=None,
            description=None,
            integration_method=None,
            integration_subtype=None,
            integration_type=properties["IntegrationType"],
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

    def apply(self, properties: dict[str, Any]) -> None:
        timeout = properties.get("TimeoutInMillis")
        if timeout is not None and not 50 <= int(timeout) <= 29000:
            raise UnsupportedByLocalStack(
                f"{self.TYPE}: TimeoutInMillis must be between 50 and 29000, got {timeout}"
            )
        super().apply(properties)
        self.model.timeout_in_millis = int(timeout) if timeout is not None else None

    @property
    def integration_id(self) -> str:
        return str(self.model.id)

    def remove(self, api: Any) -> None:
        api.delete_integration(self.model.id)


class WebSocketIntegrationResponse(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::IntegrationResponse"
    REQUIRED = ("ApiId", "IntegrationId", "IntegrationResponseKey")
    REPLACE_ON = ("ApiId", "IntegrationId")
    PROPERTIES = {
        "IntegrationResponseKey": ("integration_response_key", None),
        "ContentHandlingStrategy": ("content_handling_strategy", None),
        "ResponseParameters": ("response_parameters", None),
        "ResponseTemplates": ("response_templates", None),
        "TemplateSelectionExpression": ("template_selection_expression", None),
    }
    REF = "integration_response_id"
    ATTRIBUTES = {"IntegrationResponseId": "integration_response_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketIntegrationResponse.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_integration_response(
            api_id=properties["ApiId"],
            integration_id=properties["IntegrationId"],
            content_handling_strategy=None,
            integration_response_key=properties["IntegrationResponseKey"],
            response_parameters=None,
            response_templates=None,
            template_selection_expression=None,
        )

    @property
    def integration_response_id(self) -> str:
        return str(self.model.id)

    def remove(self, api: Any) -> None:
        integration = api.integrations.get(self.properties["IntegrationId"])
        if integration is not None:
            integration.delete_response(self.model.id)


class WebSocketAuthorizer(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Authorizer"
    REQUIRED = ("ApiId", "AuthorizerType", "Name")
    PROPERTIES = {
        "Name": ("name", None),
        "AuthorizerType": ("authorizer_type", None),
        "AuthorizerUri": ("authorizer_uri", None),
        "IdentitySource": ("identity_source", None),
        "AuthorizerCredentialsArn": ("auth_creds_arn", None),
        "IdentityValidationExpression": ("identity_validation_expr", None),
    }
    REF = "authorizer_id"
    ATTRIBUTES = {"AuthorizerId": "authorizer_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketAuthorizer.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        return backend.create_authorizer(
            api_id=properties["ApiId"],
            auth_creds_arn=None,
            auth_payload_format_version=None,
            auth_result_ttl=None,
            authorizer_uri=None,
            authorizer_type=properties["AuthorizerType"],
            enable_simple_response=None,
            identity_source=None,
            identity_validation_expr=None,
            jwt_config=None,
            name=properties["Name"],
        )

    @property
    def authorizer_id(self) -> str:
        return str(self.model.id)

    def remove(self, api: Any) -> None:
        api.delete_authorizer(self.model.id)


class WebSocketDeployment(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Deployment"
    PROPERTIES = {"Description": ("description", None), "StageName": ("stage_name", None)}
    REF = "deployment_id"
    ATTRIBUTES = {"DeploymentId": "deployment_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketDeployment.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        api = backend.get_api(properties["ApiId"])
        if not api.routes:
            raise BadRequestException("At least one route is required before deploying the Api.")
        return DEPLOYMENTS.create(api, new_deployment_id(), properties.get("Description"))

    def apply(self, properties: dict[str, Any]) -> None:
        self.model.description = properties.get("Description")
        stage_name = properties.get("StageName")
        if stage_name:
            if stage_name not in self.api.stages:
                raise StageNotFound()
            DEPLOYMENTS.stage(self.api, stage_name).deployment_id = self.deployment_id

    @property
    def deployment_id(self) -> str:
        return str(self.model.deployment_id)

    def remove(self, api: Any) -> None:
        # No in-use check here, unlike DeleteDeployment: moto removes the old Deployment of
        # an update before it points the Stage at the new one, which CloudFormation does
        # the other way round. The Stage's next update rebinds it.
        DEPLOYMENTS.delete(api, self.deployment_id)


class WebSocketStage(_Resource, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Stage"
    REQUIRED = ("ApiId", "StageName")
    REPLACE_ON = ("ApiId", "StageName")
    PROPERTIES = {
        "Description": ("description", None),
        "AutoDeploy": ("auto_deploy", None),
        "StageVariables": ("stage_variables", None),
        "ClientCertificateId": ("client_certificate_id", None),
    }
    OTHER_PROPERTIES = (
        "DeploymentId",
        "DefaultRouteSettings",
        "RouteSettings",
        "AccessLogSettings",
        "Tags",
    )
    REF = "stage_name"

    @staticmethod
    def cloudformation_type() -> str:
        return WebSocketStage.TYPE

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any]) -> Any:
        api = backend.get_api(properties["ApiId"])
        if properties["StageName"] in api.stages:
            raise BadRequestException(f"Stage already exist: {properties['StageName']}")
        return api.create_stage(
            {"stageName": properties["StageName"], "tags": properties.get("Tags") or {}}
        )

    def apply(self, properties: dict[str, Any]) -> None:
        require_logging_role(self.api, properties)
        super().apply(properties)
        self.model.stage_variables = properties.get("StageVariables") or {}
        defaults = _camel(properties.get("DefaultRouteSettings") or {})
        self.model.default_route_settings = {
            "dataTraceEnabled": False,
            "detailedMetricsEnabled": False,
            "loggingLevel": "OFF",
            **defaults,
        }
        self.model.route_settings = _camel(properties.get("RouteSettings") or {})
        self.model.access_log_settings = _camel(properties.get("AccessLogSettings"))
        deployment_id = properties.get("DeploymentId")
        if deployment_id:
            if DEPLOYMENTS.get(self.api, deployment_id) is None:
                raise BadRequestException(
                    f"Invalid deployment identifier specified {deployment_id}"
                )
            DEPLOYMENTS.stage(self.api, self.model.name).deployment_id = deployment_id

    @property
    def stage_name(self) -> str:
        return str(self.model.name)

    def remove(self, api: Any) -> None:
        api.delete_stage(self.model.name)
        DEPLOYMENTS.forget_stage(api, self.model.name)
