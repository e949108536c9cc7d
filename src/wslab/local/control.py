"""The control plane as the data plane and the Lambda runtime see it.

The gateway (``local/gateway``) and the runtime (``local/runtime``) never touch moto: they
take a :class:`ControlPlane` and read immutable snapshots from it. ``local/moto_ext`` is
the one implementation (moto behind it); tests pass fakes. Arrows run one way::

    local.stack ──> gateway ──┐
         │     └──> runtime ──┴──> control (this module) <── moto_ext ──> moto
         └──────────────────────────────────────────────────────┘

Everything here is a frozen value or a ``Protocol``: no I/O, no moto, no aiohttp.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Protocol

__all__ = [
    "DEFAULT_INTEGRATION_TIMEOUT_MS",
    "LOG_TAIL_BYTES",
    "AccessAuthority",
    "AccessDenied",
    "ApiSnapshot",
    "AuthorizerSnapshot",
    "AwsServiceCaller",
    "ControlPlane",
    "CredentialIssuer",
    "DeployedFunction",
    "FunctionSpec",
    "FunctionThrottled",
    "IntegrationResponseSnapshot",
    "IntegrationSnapshot",
    "InvocationNotStarted",
    "InvocationResult",
    "Invoker",
    "IssuedKey",
    "LogSink",
    "RouteSnapshot",
    "SecretKeeper",
    "ServedStage",
    "TemporaryCredentials",
]

DEFAULT_INTEGRATION_TIMEOUT_MS: Final = 29_000
"""``TimeoutInMillis`` of an integration that does not set it (its maximum too)."""

LOG_TAIL_BYTES: Final = 4096
"""What ``Invoke`` with ``LogType=Tail`` returns of an invocation's log: its last 4 KB."""


# --- API Gateway: what a deployed stage serves ---------------------------------------------


@dataclass(frozen=True)
class IntegrationResponseSnapshot:
    """How a non-proxy integration's output becomes the reply: ``key`` is ``$default`` or a
    ``/regex/``; ``templates`` are (selection key, VTL template) pairs."""

    key: str
    templates: tuple[tuple[str, str], ...] = ()
    template_selection_expression: str | None = None
    content_handling: str | None = None


@dataclass(frozen=True)
class IntegrationSnapshot:
    integration_id: str
    integration_type: str
    integration_uri: str | None
    timeout_ms: int
    credentials_arn: str | None = None
    # Non-proxy integrations only (AWS, HTTP, MOCK; HTTP_PROXY uses the method and content
    # handling): what the request becomes and how the output comes back.
    integration_method: str | None = None
    request_templates: tuple[tuple[str, str], ...] = ()
    request_parameters: tuple[tuple[str, str], ...] = ()
    template_selection_expression: str | None = None
    passthrough_behavior: str | None = None
    content_handling: str | None = None
    responses: tuple[IntegrationResponseSnapshot, ...] = ()


@dataclass(frozen=True)
class AuthorizerSnapshot:
    authorizer_id: str
    name: str
    authorizer_type: str
    authorizer_uri: str | None
    identity_source: tuple[str, ...]
    credentials_arn: str | None = None


@dataclass(frozen=True)
class RouteSnapshot:
    route_id: str
    route_key: str
    integration_id: str | None
    authorization_type: str
    authorizer_id: str | None
    two_way: bool


@dataclass(frozen=True)
class ApiSnapshot:
    """What a deployment froze: the parts of an API's configuration the data plane reads."""

    api_id: str
    route_selection_expression: str
    routes: Mapping[str, RouteSnapshot]
    integrations: Mapping[str, IntegrationSnapshot]
    authorizers: Mapping[str, AuthorizerSnapshot]

    def integration_for(self, route: RouteSnapshot) -> IntegrationSnapshot | None:
        if route.integration_id is None:
            return None
        return self.integrations.get(route.integration_id)


@dataclass(frozen=True)
class ServedStage:
    """A deployed stage: its API's snapshot as of the stage's deployment, and the stage's
    own settings (which, unlike routes, apply without a new deployment)."""

    api_id: str
    stage: str
    deployment_id: str
    region: str
    account_id: str
    snapshot: ApiSnapshot
    stage_variables: Mapping[str, str] = field(default_factory=dict)


# --- Lambda: what the runtime needs of a function -------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """An immutable view of one function version; a change of any field means new workers."""

    account_id: str
    region: str
    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    environment: tuple[tuple[str, str], ...]
    timeout_s: float
    memory_mb: int
    code_sha256: str
    reserved_concurrency: int | None
    role: str = ""
    package_type: str = "Zip"
    # Hot reload: the absolute folder that is the function's code (no package), else "".
    code_folder: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.name)

    @cached_property
    def fingerprint(self) -> str:
        """Identifies code and configuration: warm workers serve only their own fingerprint."""
        return _fingerprint(self)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


def _fingerprint(spec: FunctionSpec) -> str:
    parts = [
        spec.handler,
        spec.runtime,
        json.dumps(spec.environment),
        str(spec.timeout_s),
        str(spec.memory_mb),
        spec.code_sha256,
        spec.role,
        spec.code_folder,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class DeployedFunction:
    """A function as API Gateway finds it: its spec and its resource policy's statements.

    Compared and hashed by identity: each is a snapshot, replaced when the function or its
    policy changes, so what is derived from one can be cached against it."""

    spec: FunctionSpec
    policy_statements: tuple[Mapping[str, Any], ...] = ()


class FunctionThrottled(Exception):
    """Reserved concurrency 0: Lambda refuses every invocation of the function."""


class InvocationNotStarted(Exception):
    """No execution environment of the function became free before the caller's deadline
    (``start_by``): the invocation was dropped without running. Locally, invocations wait
    for one of a function's few environments where Lambda would start more; this is what
    keeps that wait from outlasting the caller."""


@dataclass(frozen=True)
class InvocationResult:
    request_id: str
    payload: bytes
    function_error: str | None
    log: str
    duration_ms: float

    @property
    def log_tail_base64(self) -> str:
        tail = self.log.encode("utf-8")[-LOG_TAIL_BYTES:]
        return base64.b64encode(tail).decode("ascii")


# --- IAM: who code in a function is, and what it may do --------------------------------------


@dataclass(frozen=True)
class TemporaryCredentials:
    """What STS ``AssumeRole`` hands Lambda for a function's execution role; the worker gets
    them as ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    def as_environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass(frozen=True)
class IssuedKey:
    """The secret of an access key the local stack issued (an IAM user's key, or temporary
    credentials from STS), against which a signature made with the key is verified; an
    inactive key signs nothing."""

    secret_access_key: str
    active: bool = True


@dataclass(frozen=True)
class AccessDenied:
    """IAM refused ``action`` on ``resource`` to ``principal_arn``: no statement of ``policy``
    (the role's identity-based policies, or its permissions boundary) allowed it, or
    (``explicit``) a ``Deny`` statement matched; or (``invalid_token``) the credentials' session
    token was not theirs. Each service words a refusal its own way, from these parts."""

    principal_arn: str
    action: str
    resource: str
    explicit: bool = False
    invalid_token: bool = False
    policy: str = "identity-based policy"

    def message(self, *, reason: bool = True) -> str:
        """``User: <arn> is not authorized to perform: <action> on resource: <arn>`` and, with
        ``reason``, why, as IAM now says it (without, as API Gateway's execute-api does)."""
        text = f"User: {self.principal_arn} is not authorized to perform: {self.action}"
        if self.resource != "*":
            text += f" on resource: {self.resource}"
        if not reason:
            return text + (" with an explicit deny" if self.explicit else "")
        if self.explicit:
            article = "an" if self.policy[0] in "aeiou" else "a"
            return f"{text} with an explicit deny in {article} {self.policy}"
        return f"{text} because no {self.policy} allows the {self.action} action"


# --- the interfaces -------------------------------------------------------------------------


class LogSink(Protocol):
    """Where a function's log lines go (CloudWatch Logs on the local stack)."""

    def write_logs(
        self, spec: FunctionSpec, stream: str, lines: list[tuple[int, str]]
    ) -> None:  # pragma: no cover - a protocol
        """Append ``(epoch ms, message)`` lines to ``stream`` of the function's log group;
        returns at once (the write may complete later, before the next read of the logs)."""


class CredentialIssuer(Protocol):
    """Assumes a function's execution role, as Lambda does for each execution environment."""

    def function_credentials(
        self, spec: FunctionSpec
    ) -> TemporaryCredentials | None:  # pragma: no cover - a protocol
        """Temporary credentials of ``spec.role``; None if the role can't be assumed."""


class AccessAuthority(Protocol):
    """IAM's decision on one call signed with some credentials (``@connections`` asks)."""

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:  # pragma: no cover - a protocol
        """None when the call may go ahead: credentials that are not a role's temporary
        credentials are an administrator's, allowed everything."""


class SecretKeeper(Protocol):
    """Who holds the secrets of the access keys the stack issued (``@connections`` asks, to
    verify a signature)."""

    def issued_key(self, access_key_id: str) -> IssuedKey | None:  # pragma: no cover - a protocol
        """The key's secret, or None for a key the stack never issued: the account's
        administrator's (such as the dummy ``testing`` keys), accepted with any secret."""


class ControlPlane(LogSink, CredentialIssuer, AccessAuthority, SecretKeeper, Protocol):
    """What the data plane and the runtime read of the control plane; each answer is an
    immutable snapshot, cheap to ask for again (implementations cache until a change).

    The gateway calls these on its event loop, which carries every WebSocket frame: an
    implementation never waits there for a lock or I/O (the moto one reads snapshots
    rebuilt after each change, by the thread that made it)."""

    def served_stage(
        self, api_id: str, stage: str
    ) -> ServedStage | None:  # pragma: no cover - a protocol
        """The configuration ``stage`` of ``api_id`` serves, or None: no such WebSocket
        API, no such stage, or a stage never deployed."""

    def is_websocket_api(self, api_id: str) -> bool:  # pragma: no cover - a protocol
        """Whether a WebSocket API with this id exists (in any account and region)."""

    async def find_function(
        self, arn: str
    ) -> DeployedFunction | None:  # pragma: no cover - a protocol
        """The function an ARN (``arn:aws:lambda:region:account:function:name[:qualifier]``)
        names, or None; awaited, since an ARN not looked up since Lambda last changed is
        looked up off the event loop."""

    def function_code(self, spec: FunctionSpec) -> bytes:  # pragma: no cover - a protocol
        """The deployment package (a zip) of ``spec``'s version."""


class AwsServiceCaller(Protocol):
    """Calls an AWS service's action for an API Gateway ``AWS`` integration
    (``arn:aws:apigateway:{region}:{service}:action/{Action}``), signed as the integration's
    ``CredentialsArn`` role; answers (HTTP status, body). Raises ``LookupError`` for a service
    it cannot call or a role it cannot assume."""

    def __call__(
        self, region: str, service: str, action: str, body: bytes, credentials_arn: str | None
    ) -> Awaitable[tuple[int, bytes]]:  # pragma: no cover - a protocol
        ...


class Invoker(Protocol):
    """Runs a function once: the runtime, as the control plane's ``Invoke`` reaches it.

    ``start_by`` (a ``time.monotonic()`` time): when no execution environment is free by
    then, the invocation fails with :class:`InvocationNotStarted` instead of running late.
    """

    def __call__(
        self, spec: FunctionSpec, payload: bytes, start_by: float | None = None
    ) -> Awaitable[InvocationResult]:  # pragma: no cover - a protocol
        ...
