"""The control plane the gateway and the runtime read: moto, behind cached snapshots.

Every answer is built from moto's models once, under the service's lock, and kept until
that service's change counter moves (any call that changes API Gateway v2 or Lambda, any
CloudFormation stack operation, a reset). A message routed through a deployed stage then
costs a dictionary lookup, not a walk of every account, region and API of moto.
"""

from __future__ import annotations

import hashlib
import json
import string
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import lambda_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random as random
from moto.sts.models import sts_backends

from wslab.local.control import (
    AccessDenied,
    DeployedFunction,
    FunctionSpec,
    ServedStage,
    TemporaryCredentials,
)
from wslab.local.moto_ext.apigatewayv2.deployments import snapshot_api
from wslab.local.moto_ext.core.host import HOST, MotoHost
from wslab.local.moto_ext.iam.policy import IamAuthority

__all__ = [
    "MotoControlPlane",
    "all_apis",
    "auto_deploy",
    "find_api",
    "new_deployment_id",
    "spec_from_moto",
]

_T = TypeVar("_T")
LOG_FLUSH_INTERVAL_S = 0.5
"""How often log lines are stored when nobody reads them (CloudWatch Logs lags more)."""
# Services by their SigV4 signing names, which is how moto_app tells them apart (API
# Gateway v1 and v2 share "apigateway").
APIGATEWAYV2 = "apigateway"
LAMBDA = "lambda"
LOGS = "logs"
# How long a function's role credentials last (Lambda renews them; nothing expires locally).
CREDENTIALS_DURATION_S = 43_200


def all_apis() -> Iterator[Any]:
    """Every moto API Gateway v2 ``Api``, in every account and region."""
    for account in list(apigatewayv2_backends.values()):
        for backend in list(account.values()):
            yield from list(backend.apis.values())


def find_api(api_id: str) -> Any | None:
    """The moto ``Api`` with this id, in whatever account and region it was created."""
    for api in all_apis():
        if api.api_id == api_id:
            return api
    return None


def new_deployment_id() -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def auto_deploy(api: Any, stage: Any, host: MotoHost = HOST) -> None:
    """Deploy a stage with AutoDeploy on whenever the API changed since its last deployment.

    Done lazily, when the stage is read or connected to, which is indistinguishable from
    deploying on every change for anyone outside the process.
    """
    if not stage.auto_deploy or not api.routes:
        return
    store = host.deployments
    state = store.stage(api, stage.name)
    current = store.get(api, state.deployment_id) if state.deployment_id else None
    if current is not None and current.snapshot == snapshot_api(api):
        return
    deployment = store.create(api, new_deployment_id(), auto_deployed=True)
    state.deployment_id = deployment.deployment_id
    state.last_deployment_status_message = (
        f"Successfully deployed stage with deployment ID '{deployment.deployment_id}'"
    )


def spec_from_moto(function: Any) -> FunctionSpec:
    """What the runtime needs of a moto ``LambdaFunction``."""
    environment = function.environment_vars or {}
    reserved = function.reserved_concurrency
    code_sha = (
        getattr(function, "code_sha_256", None)
        or hashlib.sha256(getattr(function, "code_bytes", None) or b"").hexdigest()
    )
    return FunctionSpec(
        account_id=str(function.account_id),
        region=str(function.region),
        name=str(function.function_name),
        arn=str(function.function_arn),
        version=str(function.version),
        handler=str(function.handler or ""),
        runtime=str(function.run_time or ""),
        environment=tuple(sorted((str(k), str(v)) for k, v in environment.items())),
        timeout_s=float(function.timeout or 3),
        memory_mb=int(function.memory_size or 128),
        code_sha256=str(code_sha),
        reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
        role=str(function.role or ""),
        package_type=str(getattr(function, "package_type", None) or "Zip"),
    )


def _moto_function(arn: str) -> Any | None:
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    region, account, name = parts[3], parts[4], parts[6]
    qualifier = parts[7] if len(parts) > 7 else None
    try:
        return lambda_backends[account][region].get_function(name, qualifier)
    except Exception:  # moto raises its own not-found errors
        return None


class MotoControlPlane:
    """:class:`~wslab.local.control.ControlPlane` on moto's models."""

    def __init__(self, host: MotoHost = HOST) -> None:
        self._host = host
        self._stages: dict[tuple[str, str], tuple[int, ServedStage | None]] = {}
        self._websocket_apis: tuple[int, dict[str, str]] = (-1, {})
        self._functions: dict[str, tuple[int, DeployedFunction | None]] = {}
        self._credentials: dict[tuple[str, ...], tuple[int, TemporaryCredentials]] = {}
        self.iam = IamAuthority(host)
        # Log lines wait here and are stored in batches, off the event loop: storing them
        # one invocation at a time would make a thread compete with the event loop for
        # the interpreter on every message. A read of the logs stores them first.
        self._pending_logs: list[tuple[FunctionSpec, str, list[tuple[int, str]]]] = []
        self._pending_lock = threading.Lock()
        self._closed = threading.Event()
        self._log_writer = threading.Thread(
            target=self._write_periodically, name="logs-writer", daemon=True
        )
        self._log_writer.start()

    def _cached(
        self,
        cache: dict[Any, tuple[int, _T]],
        key: Any,
        service: str,
        build: Callable[[], _T],
    ) -> _T:
        generation = self._host.changes.of(service)
        hit = cache.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        with self._host.locks.of(service):
            generation = self._host.changes.of(service)
            value = build()
        if len(cache) > 10_000:
            cache.clear()
        cache[key] = (generation, value)
        return value

    # API Gateway ----------------------------------------------------------------------

    def websocket_api_regions(self) -> dict[str, str]:
        """Every WebSocket API's id -> its region."""
        generation = self._host.changes.of(APIGATEWAYV2)
        cached_at, regions = self._websocket_apis
        if cached_at != generation:
            with self._host.locks.of(APIGATEWAYV2):
                generation = self._host.changes.of(APIGATEWAYV2)
                regions = {
                    api.api_id: str(api.backend.region_name)
                    for api in all_apis()
                    if api.protocol_type == "WEBSOCKET"
                }
            self._websocket_apis = (generation, regions)
        return regions

    def is_websocket_api(self, api_id: str) -> bool:
        return api_id in self.websocket_api_regions()

    def served_stage(self, api_id: str, stage: str) -> ServedStage | None:
        return self._cached(
            self._stages, (api_id, stage), APIGATEWAYV2, lambda: self._build_stage(api_id, stage)
        )

    def _build_stage(self, api_id: str, stage_name: str) -> ServedStage | None:
        api = find_api(api_id)
        if api is None or api.protocol_type != "WEBSOCKET":
            return None
        stage = api.stages.get(stage_name)
        if stage is None:
            return None
        auto_deploy(api, stage, self._host)
        store = self._host.deployments
        state = store.stage(api, stage_name)
        deployment = store.get(api, state.deployment_id) if state.deployment_id else None
        if deployment is None:
            return None
        return ServedStage(
            api_id=api_id,
            stage=stage_name,
            deployment_id=deployment.deployment_id,
            region=str(api.backend.region_name),
            account_id=str(api.backend.account_id),
            snapshot=deployment.snapshot,
            stage_variables=dict(stage.stage_variables or {}),
        )

    # Lambda ---------------------------------------------------------------------------

    def find_function(self, arn: str) -> DeployedFunction | None:
        return self._cached(self._functions, arn, LAMBDA, lambda: self._build_function(arn))

    @staticmethod
    def _build_function(arn: str) -> DeployedFunction | None:
        function = _moto_function(arn)
        if function is None:
            return None
        statements = json.loads(json.dumps(function.policy.statements if function.policy else []))
        return DeployedFunction(spec_from_moto(function), tuple(statements))

    def function_code(self, spec: FunctionSpec) -> bytes:
        with self._host.locks.of(LAMBDA):
            function = _moto_function(spec.arn)
            code = getattr(function, "code_bytes", None) if function is not None else None
        if not code and spec.package_type == "Image":
            raise LookupError(
                f"function {spec.name} is a container image (PackageType Image): "
                "wslab local runs .zip packages only"
            )
        if not code:
            raise LookupError(f"function {spec.name} has no deployment package")
        return bytes(code)

    # IAM ------------------------------------------------------------------------------

    def function_credentials(self, spec: FunctionSpec) -> TemporaryCredentials | None:
        """``AssumeRole`` of the function's role, session named after the function, as Lambda
        does; one session per function and role, reused by its execution environments."""
        key = (spec.account_id, spec.region, spec.role, spec.name)
        generation = self._host.changes.of("*")  # a reset forgets every session
        hit = self._credentials.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        if not spec.role.startswith("arn:"):
            return None
        with self._host.locks.of("sts"), self._host.locks.of("iam"):
            assumed = sts_backends[spec.account_id]["aws"].assume_role(
                region_name=spec.region,
                role_session_name=spec.name,
                role_arn=spec.role,
                policy="",
                duration=CREDENTIALS_DURATION_S,
                external_id="",
            )
        credentials = TemporaryCredentials(
            str(assumed.access_key_id), str(assumed.secret_access_key), str(assumed.session_token)
        )
        self._credentials[key] = (generation, credentials)
        return credentials

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:
        return self.iam.authorize(access_key_id, session_token, action, resource)

    # Logs -----------------------------------------------------------------------------

    def write_logs(self, spec: FunctionSpec, stream: str, lines: list[tuple[int, str]]) -> None:
        with self._pending_lock:
            self._pending_logs.append((spec, stream, lines))

    def _write_periodically(self) -> None:
        while not self._closed.wait(LOG_FLUSH_INTERVAL_S):
            self.flush_logs()

    def flush_logs(self) -> None:
        """Store every log line written so far (before any read of the logs)."""
        with self._host.locks.of(LOGS):
            with self._pending_lock:
                pending, self._pending_logs = self._pending_logs, []
            for spec, stream, lines in pending:
                self._put_logs(spec, stream, lines)

    @staticmethod
    def _put_logs(spec: FunctionSpec, stream: str, lines: list[tuple[int, str]]) -> None:
        backend = logs_backends[spec.account_id][spec.region]
        try:
            backend.ensure_log_group(spec.log_group)
            group = backend.groups[spec.log_group]
            if stream not in group.streams:
                backend.create_log_stream(spec.log_group, stream)
            events = [{"timestamp": ms, "message": message} for ms, message in lines]
            backend.put_log_events(spec.log_group, stream, events)
        except Exception:  # a log group deleted meanwhile: the lines are lost, as on AWS
            return

    def close(self) -> None:
        self._closed.set()
        self._log_writer.join(timeout=5)
        self.flush_logs()
