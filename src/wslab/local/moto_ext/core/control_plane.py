"""The control plane the gateway and the runtime read: moto, behind immutable snapshots.

What the data plane reads (each WebSocket API's served stages, the functions integrations
name, IAM's inputs) is built from moto's models under the service's lock by the thread that
changed the service, after the change (``core/snapshots.py``), and read on the event loop
without any lock: a slow CloudFormation stack or IAM call holding a lane delays no socket.
A message routed through a deployed stage costs a dictionary lookup, not a walk of every
account, region and API of moto. Stages with ``AutoDeploy`` are deployed in that rebuild,
after the change, so reading a stage never writes one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import string
import threading
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import lambda_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random as random
from moto.sts.models import sts_backends

from wslab.local.control import (
    AccessDenied,
    DeployedFunction,
    FunctionSpec,
    IssuedKey,
    ServedStage,
    TemporaryCredentials,
)
from wslab.local.moto_ext.apigatewayv2.deployments import serves_the_same, snapshot_api
from wslab.local.moto_ext.awslambda.hot_reload import code_folder
from wslab.local.moto_ext.core.host import HOST, MotoHost
from wslab.local.moto_ext.core.snapshots import Snapshot
from wslab.local.moto_ext.iam.inputs import (
    RolePolicies,
    RoleSession,
    UserKeys,
    read_access_keys,
    read_role_policies,
    read_sessions,
)
from wslab.local.moto_ext.iam.policy import IamAuthority

__all__ = [
    "EVERY_SERVICE",
    "ApiGatewayView",
    "FunctionDirectory",
    "MotoControlPlane",
    "all_apis",
    "auto_deploy",
    "find_api",
    "new_deployment_id",
    "spec_from_moto",
]

LOG_FLUSH_INTERVAL_S = 0.5
"""How often log lines are stored when nobody reads them (CloudWatch Logs lags more)."""
# Services by their SigV4 signing names, which is how moto_app tells them apart (API
# Gateway v1 and v2 share "apigateway").
APIGATEWAYV2 = "apigateway"
LAMBDA = "lambda"
LOGS = "logs"
IAM = "iam"
STS = "sts"
EVERY_SERVICE = "*"
"""What :meth:`MotoControlPlane.refresh_after` takes for a change that may reach every
service (a CloudFormation stack, a reset)."""
_FUNCTION_CACHE_LIMIT = 10_000
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
    """Deploy a stage with AutoDeploy on whenever what it would serve changed since its
    last deployment (an integration no route uses yet changes nothing served).

    Done after each change to API Gateway or by CloudFormation
    (:meth:`MotoControlPlane.refresh_after`), and within CreateStage and UpdateStage, whose
    answers show it; reads (GetStage, a WebSocket connect) never deploy. The caller holds
    API Gateway's lock.
    """
    if not stage.auto_deploy or not api.routes:
        return
    store = host.deployments
    state = store.stage(api, stage.name)
    current = store.get(api, state.deployment_id) if state.deployment_id else None
    if current is not None and serves_the_same(current.snapshot, snapshot_api(api)):
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
        code_folder=code_folder(function),
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


def _same_function(old: DeployedFunction | None, new: DeployedFunction | None) -> bool:
    if old is None or new is None:
        return old is new
    return old.spec == new.spec and old.policy_statements == new.policy_statements


def _build_function(arn: str) -> DeployedFunction | None:
    function = _moto_function(arn)
    if function is None:
        return None
    statements = json.loads(json.dumps(function.policy.statements if function.policy else []))
    return DeployedFunction(spec_from_moto(function), tuple(statements))


class FunctionDirectory:
    """The functions integrations name, by ARN, as of Lambda's last change.

    Filled as ARNs are asked for (off the loop), and rebuilt for every ARN it knows after
    each change to Lambda, by the thread that made it: the loop finds what it asked for
    before, without a lock. A function whose spec and policy did not change keeps its
    snapshot object, so what is cached against it stays valid.
    """

    def __init__(self, host: MotoHost) -> None:
        self._host = host
        self._entries: tuple[int, Mapping[str, DeployedFunction | None]] = (-1, {})
        self._swap = threading.Lock()  # only ever taken off the loop
        # Look-ups under way, by ARN and Lambda's change counter: a thousand messages
        # arriving together for a function not looked up yet wait for one look-up, not for
        # a thousand in a row. Only the loop touches it.
        self._loading: dict[tuple[str, int], asyncio.Future[DeployedFunction | None]] = {}

    async def find(self, arn: str) -> DeployedFunction | None:
        generation, entries = self._entries
        current = self._host.changes.of(LAMBDA)
        if generation == current and arn in entries:
            return entries[arn]
        key = (arn, current)
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(asyncio.to_thread(self.load, arn))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        # Shielded: a caller that stops waiting does not cancel the others' look-up.
        return await asyncio.shield(loading)

    def load(self, arn: str) -> DeployedFunction | None:
        """Look ``arn`` up in moto, under Lambda's lock; never on the loop."""
        with self._host.locks.of(LAMBDA):
            generation = self._host.changes.of(LAMBDA)
            found = _build_function(arn)
        self._store(generation, {arn: found})
        return found

    def rebuild(self) -> None:
        """Look every known ARN up again, after a change to Lambda; never on the loop."""
        _, known = self._entries
        with self._host.locks.of(LAMBDA):
            generation = self._host.changes.of(LAMBDA)
            fresh = {arn: _build_function(arn) for arn in list(known)}
        self._store(
            generation,
            {
                arn: known[arn] if _same_function(known.get(arn), found) else found
                for arn, found in fresh.items()
            },
        )

    def _store(self, generation: int, found: Mapping[str, DeployedFunction | None]) -> None:
        with self._swap:
            current, entries = self._entries
            if generation < current:
                return  # built before a change another thread has already seen
            # Copied, never changed in place: the loop may be reading the old mapping.
            merged = dict(entries) if generation == current else {}
            if len(merged) > _FUNCTION_CACHE_LIMIT:
                merged.clear()
            merged.update(found)
            self._entries = (generation, merged)


@dataclass(frozen=True)
class ApiGatewayView:
    """Every WebSocket API's region, and every deployed stage's served configuration."""

    websocket_apis: Mapping[str, str]
    stages: Mapping[tuple[str, str], ServedStage]


def _served_stage(api: Any, stage: Any, host: MotoHost) -> ServedStage | None:
    state = host.deployments.stage(api, stage.name)
    deployment = host.deployments.get(api, state.deployment_id) if state.deployment_id else None
    if deployment is None:
        return None
    return ServedStage(
        api_id=str(api.api_id),
        stage=str(stage.name),
        deployment_id=deployment.deployment_id,
        region=str(api.backend.region_name),
        account_id=str(api.backend.account_id),
        snapshot=deployment.snapshot,
        stage_variables=dict(stage.stage_variables or {}),
    )


def read_api_gateway(host: MotoHost = HOST) -> ApiGatewayView:
    """The view of every WebSocket API, auto-deploying the stages that ask for it (the
    caller holds API Gateway's lock)."""
    regions: dict[str, str] = {}
    stages: dict[tuple[str, str], ServedStage] = {}
    for api in all_apis():
        if api.protocol_type != "WEBSOCKET":
            continue
        regions[str(api.api_id)] = str(api.backend.region_name)
        for stage in list(api.stages.values()):
            auto_deploy(api, stage, host)
            served = _served_stage(api, stage, host)
            if served is not None:
                stages[(served.api_id, served.stage)] = served
    return ApiGatewayView(regions, stages)


class MotoControlPlane:
    """:class:`~wslab.local.control.ControlPlane` on moto's models."""

    def __init__(self, host: MotoHost = HOST) -> None:
        self._host = host
        self._api_gateway = Snapshot(
            host, APIGATEWAYV2, lambda: read_api_gateway(host), ApiGatewayView({}, {})
        )
        self._sessions: Snapshot[Mapping[str, RoleSession]] = Snapshot(host, STS, read_sessions, {})
        self._user_keys: Snapshot[Mapping[str, RoleSession]] = Snapshot(host, IAM, UserKeys(), {})
        self._role_policies: Snapshot[Mapping[str, RolePolicies]] = Snapshot(
            host, IAM, read_role_policies, {}
        )
        self._access_keys: Snapshot[Mapping[str, IssuedKey]] = Snapshot(
            host, IAM, read_access_keys, {}
        )
        self._snapshots: tuple[Snapshot[Any], ...] = (
            self._api_gateway,
            self._sessions,
            self._user_keys,
            self._role_policies,
            self._access_keys,
        )
        self._functions = FunctionDirectory(host)
        self._function_listeners: list[Callable[[], None]] = []
        self._credentials: dict[tuple[str, ...], tuple[int, TemporaryCredentials]] = {}
        self.iam = IamAuthority(self)
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

    # Snapshots ------------------------------------------------------------------------

    async def ready(self) -> None:
        """Build every snapshot (off the loop) before the gateway first reads them."""
        for snapshot in self._snapshots:
            await snapshot.ready()

    def refresh_after(self, service: str) -> None:
        """Rebuild what a change to ``service`` (:data:`EVERY_SERVICE`: to any) may have
        changed. Called by the thread that made the change, after it, before its answer
        goes out: never on the loop."""
        everything = service == EVERY_SERVICE
        for snapshot in self._snapshots:
            if everything or snapshot.service == service:
                snapshot.rebuild()
        if everything or service == LAMBDA:
            self._functions.rebuild()
            for listener in self._function_listeners:
                listener()

    def on_functions_changed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the changing thread) after each change to Lambda, once
        :meth:`find_function` answers with it (the runtime retires what changed)."""
        self._function_listeners.append(listener)

    # API Gateway ----------------------------------------------------------------------

    def websocket_api_regions(self) -> dict[str, str]:
        """Every WebSocket API's id -> its region."""
        return dict(self._api_gateway.read().websocket_apis)

    def is_websocket_api(self, api_id: str) -> bool:
        return api_id in self._api_gateway.read().websocket_apis

    def served_stage(self, api_id: str, stage: str) -> ServedStage | None:
        return self._api_gateway.read().stages.get((api_id, stage))

    # Lambda ---------------------------------------------------------------------------

    async def find_function(self, arn: str) -> DeployedFunction | None:
        return await self._functions.find(arn)

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

    def sessions(self) -> Mapping[str, RoleSession]:
        # Looked up, never changed: a view over both snapshots, no copy on the hot path.
        sessions, user_keys = self._sessions.read(), self._user_keys.read()
        return ChainMap(
            cast(dict[str, RoleSession], sessions), cast(dict[str, RoleSession], user_keys)
        )

    def role_policies(self) -> Mapping[str, RolePolicies]:
        return self._role_policies.read()

    def function_credentials(self, spec: FunctionSpec) -> TemporaryCredentials | None:
        """``AssumeRole`` of the function's role, session named after the function, as Lambda
        does; one session per function and role, reused by its execution environments."""
        return self.role_credentials(spec.account_id, spec.region, spec.role, spec.name)

    def role_credentials(
        self, account_id: str, region: str, role_arn: str, session_name: str
    ) -> TemporaryCredentials | None:
        """``AssumeRole`` of ``role_arn`` (a function's role, an integration's
        ``CredentialsArn``); one session per role and name, reused. Never on the loop."""
        key = (account_id, region, role_arn, session_name)
        generation = self._host.changes.of("*")  # a reset forgets every session
        hit = self._credentials.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        if not role_arn.startswith("arn:"):
            return None
        with self._host.locks.holding(STS, IAM):
            assumed = sts_backends[account_id]["aws"].assume_role(
                region_name=region,
                role_session_name=session_name,
                role_arn=role_arn,
                policy="",
                duration=CREDENTIALS_DURATION_S,
                external_id="",
            )
            self._host.changes.bump(STS)
        # Calls are signed with these at once: IAM must know the session.
        self.refresh_after(STS)
        credentials = TemporaryCredentials(
            str(assumed.access_key_id), str(assumed.secret_access_key), str(assumed.session_token)
        )
        self._credentials[key] = (generation, credentials)
        return credentials

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:
        return self.iam.authorize(access_key_id, session_token, action, resource)

    def issued_key(self, access_key_id: str) -> IssuedKey | None:
        session = self._sessions.read().get(access_key_id)
        if session is not None:
            return IssuedKey(session.secret_access_key)
        return self._access_keys.read().get(access_key_id)

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
            if pending:
                self._host.changes.bump(LOGS)  # a saved state keeps them (core/state.py)

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
