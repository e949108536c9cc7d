"""API Gateway v2 deployments: immutable snapshots of an API's configuration.

moto keeps the *current* configuration of an API but has no deployments, so every stage
would serve whatever was last edited. API Gateway serves, on each stage, the configuration
as of the stage's last deployment: a route added afterwards is not live until the API is
redeployed. This module holds those snapshots beside moto's models, keyed by moto's own
``Api`` objects, so deleting an API (or resetting moto) drops its deployments too.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wslab.local.control import (
    DEFAULT_INTEGRATION_TIMEOUT_MS,
    ApiSnapshot,
    AuthorizerSnapshot,
    IntegrationResponseSnapshot,
    IntegrationSnapshot,
    RouteSnapshot,
)

__all__ = ["Deployment", "DeploymentStore", "StageState", "serves_the_same", "snapshot_api"]


@dataclass
class Deployment:
    deployment_id: str
    snapshot: ApiSnapshot
    description: str | None = None
    auto_deployed: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "autoDeployed": self.auto_deployed,
            "createdDate": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "deploymentId": self.deployment_id,
            "deploymentStatus": "DEPLOYED",
        }
        if self.description:
            body["description"] = self.description
        return body


@dataclass
class StageState:
    deployment_id: str | None = None
    last_deployment_status_message: str | None = None


@dataclass
class _ApiDeployments:
    deployments: dict[str, Deployment] = field(default_factory=dict)
    stages: dict[str, StageState] = field(default_factory=dict)


def _integration_id_from_target(target: str | None) -> str | None:
    # Route targets are written "integrations/{IntegrationId}".
    if not target:
        return None
    prefix = "integrations/"
    return target[len(prefix) :] if target.startswith(prefix) else None


def _identity_sources(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(part) for part in value)


def _pairs(mapping: Any) -> tuple[tuple[str, str], ...]:
    """A template map (selection key -> template) as sorted pairs: frozen and comparable."""
    if not isinstance(mapping, dict):
        return ()
    return tuple(sorted((str(key), str(value)) for key, value in mapping.items()))


def _two_way(route: Any) -> bool:
    """A route answers its client only with a ``$default`` route response; a
    ``RouteResponseSelectionExpression`` other than ``$default`` (none is allowed) leaves it
    one-way, and none at all does not (docs/apigw-websocket.md §5)."""
    if route.route_response_selection_expression not in (None, "", "$default"):
        return False
    responses = getattr(route, "route_responses", {}) or {}
    return any(response.route_response_key == "$default" for response in responses.values())


def _integration_responses(integration: Any) -> tuple[IntegrationResponseSnapshot, ...]:
    responses = getattr(integration, "responses", {}) or {}
    return tuple(
        IntegrationResponseSnapshot(
            key=str(response.integration_response_key),
            templates=_pairs(response.response_templates),
            template_selection_expression=response.template_selection_expression,
            content_handling=response.content_handling_strategy,
        )
        for response in responses.values()
    )


def _integration(integration: Any) -> IntegrationSnapshot:
    return IntegrationSnapshot(
        integration_id=integration.id,
        integration_type=integration.integration_type,
        integration_uri=integration.integration_uri,
        timeout_ms=integration.timeout_in_millis or DEFAULT_INTEGRATION_TIMEOUT_MS,
        credentials_arn=integration.credentials_arn,
        integration_method=integration.integration_method,
        request_templates=_pairs(integration.request_templates),
        request_parameters=_pairs(integration.request_parameters),
        template_selection_expression=integration.template_selection_expression,
        passthrough_behavior=integration.passthrough_behavior,
        content_handling=integration.content_handling_strategy,
        responses=_integration_responses(integration),
    )


def snapshot_api(api: Any) -> ApiSnapshot:
    """Copy the data-plane view of a moto ``Api`` so later edits don't leak into it."""
    routes = {
        route.route_key: RouteSnapshot(
            route_id=route.route_id,
            route_key=route.route_key,
            integration_id=_integration_id_from_target(route.target),
            authorization_type=route.authorization_type or "NONE",
            authorizer_id=route.authorizer_id,
            two_way=_two_way(route),
        )
        for route in api.routes.values()
    }
    integrations = {
        integration.id: _integration(integration) for integration in api.integrations.values()
    }
    authorizers = {
        authorizer.id: AuthorizerSnapshot(
            authorizer_id=authorizer.id,
            name=authorizer.name,
            authorizer_type=authorizer.authorizer_type,
            authorizer_uri=authorizer.authorizer_uri,
            identity_source=_identity_sources(authorizer.identity_source),
            credentials_arn=authorizer.auth_creds_arn,
        )
        for authorizer in api.authorizers.values()
    }
    return ApiSnapshot(
        api_id=api.api_id,
        route_selection_expression=api.route_selection_expression,
        routes=routes,
        integrations=integrations,
        authorizers=authorizers,
    )


def _served_part(snapshot: ApiSnapshot) -> tuple[Any, ...]:
    """What a stage serving ``snapshot`` answers with: its routes and what they use."""
    routes = snapshot.routes
    used_integrations = {route.integration_id for route in routes.values()}
    used_authorizers = {route.authorizer_id for route in routes.values()}
    return (
        snapshot.route_selection_expression,
        dict(routes),
        {key: value for key, value in snapshot.integrations.items() if key in used_integrations},
        {key: value for key, value in snapshot.authorizers.items() if key in used_authorizers},
    )


def serves_the_same(deployed: ApiSnapshot, current: ApiSnapshot) -> bool:
    """Whether a new deployment of ``current`` would serve what ``deployed`` serves: an
    integration or authorizer no route uses yet makes no difference."""
    return _served_part(deployed) == _served_part(current)


class DeploymentStore:
    """Deployments and stage bindings of every API, safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_api: weakref.WeakKeyDictionary[Any, _ApiDeployments] = weakref.WeakKeyDictionary()

    def _of(self, api: Any) -> _ApiDeployments:
        state = self._by_api.get(api)
        if state is None:
            state = self._by_api[api] = _ApiDeployments()
        return state

    def create(
        self,
        api: Any,
        deployment_id: str,
        description: str | None = None,
        auto_deployed: bool = False,
    ) -> Deployment:
        deployment = Deployment(
            deployment_id=deployment_id,
            snapshot=snapshot_api(api),
            description=description,
            auto_deployed=auto_deployed,
        )
        with self._lock:
            self._of(api).deployments[deployment_id] = deployment
        return deployment

    def get(self, api: Any, deployment_id: str) -> Deployment | None:
        with self._lock:
            return self._of(api).deployments.get(deployment_id)

    def all(self, api: Any) -> list[Deployment]:
        with self._lock:
            return sorted(self._of(api).deployments.values(), key=lambda d: d.created)

    def delete(self, api: Any, deployment_id: str) -> bool:
        with self._lock:
            return self._of(api).deployments.pop(deployment_id, None) is not None

    def stage(self, api: Any, stage_name: str) -> StageState:
        with self._lock:
            return self._of(api).stages.setdefault(stage_name, StageState())

    def forget_stage(self, api: Any, stage_name: str) -> None:
        with self._lock:
            self._of(api).stages.pop(stage_name, None)

    def stages_using(self, api: Any, deployment_id: str) -> list[str]:
        with self._lock:
            return [
                name
                for name, state in self._of(api).stages.items()
                if state.deployment_id == deployment_id
            ]

    def export(self) -> list[tuple[Any, _ApiDeployments]]:
        """Every API's deployments and stages, for a saved state (pickled with the APIs)."""
        with self._lock:
            return list(self._by_api.items())

    def restore(self, saved: list[tuple[Any, _ApiDeployments]]) -> None:
        """Replace every API's deployments and stages with those of a saved state."""
        with self._lock:
            self._by_api.clear()
            for api, state in saved:
                self._by_api[api] = state
