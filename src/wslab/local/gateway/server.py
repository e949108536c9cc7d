"""Serves deployed WebSocket API stages: connect, route messages, disconnect, @connections.

Each stage is served at ``ApiEndpoint + "/" + stage`` (``ws://127.0.0.1:<port>/<apiId>/<stage>``)
with the configuration of its last deployment, read from the local control plane, and
behaves as ``shared/spec/apigw-websocket.md`` describes API Gateway: the authorizer and
``$connect`` hold the upgrade, messages are routed by the selection expression, failures
come back as API Gateway's error frames, and ``$disconnect`` runs once, best effort.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from wslab.local.control import (
    AwsServiceCaller,
    ControlPlane,
    IntegrationSnapshot,
    Invoker,
    ServedStage,
)
from wslab.local.gateway.access_log import access_log_line
from wslab.local.gateway.authorizer import (
    UNAUTHORIZED_RESULT,
    authorizer_arn,
    evaluate_policy,
    identity_sources_present,
    route_arn,
)
from wslab.local.gateway.connections import Connection, ConnectionRegistry, ConnectionState, now_ms
from wslab.local.gateway.events import (
    ConnectionContext,
    authorizer_event,
    authorizer_request_context,
    connect_event,
    disconnect_event,
    message_event,
    new_trace_id,
)
from wslab.local.gateway.frames import (
    CLOSE_ABNORMAL,
    CLOSE_GOING_AWAY,
    CLOSE_UNSUPPORTED_DATA,
    IDLE_TIMEOUT_SECONDS,
    MAX_CONNECTION_SECONDS,
    REASON_GOING_AWAY,
    REASON_IDLE_TIMEOUT,
    REASON_MAX_DURATION,
    REASON_UNSUPPORTED_DATA,
    client_close_status,
    forbidden_frame,
    internal_error_frame,
    timeout_frame,
    unsupported_media_frame,
)
from wslab.local.gateway.handshake import HandshakeRefusal, handshake_refusal
from wslab.local.gateway.ids import new_id
from wslab.local.gateway.integrations import IntegrationFailure, IntegrationResult, call_lambda
from wslab.local.gateway.management import (
    CONNECTIONS_SEGMENT,
    ManagementApi,
    addresses_management_api,
)
from wslab.local.gateway.nonproxy import HttpBackend, call_non_proxy
from wslab.local.gateway.selection import CONNECT_ROUTE, DISCONNECT_ROUTE, route_for_message
from wslab.local.gateway.websocket import GatewayWebSocketResponse
from wslab.local.policy import ContextValue

__all__ = ["Gateway", "GatewaySettings"]

_AUTHORIZER_TIMEOUT_MS = 10_000
# A failed $connect integration: the upgrade's status and message (docs/apigw-websocket.md
# §2.1; the 415 of a refused passthrough is UNCONFIRMED, as REST APIs answer it).
_CONNECT_FAILURES = {
    IntegrationFailure.TIMEOUT: (504, "Endpoint request timed out"),
    IntegrationFailure.ERROR: (502, "Internal server error"),
    IntegrationFailure.UNSUPPORTED_MEDIA: (415, "Unsupported Media Type"),
}
_SHUTDOWN_CLOSE_WAIT_S = 0.25
_SHUTDOWN_HANDLERS_WAIT_S = 2.0


@dataclass(frozen=True)
class GatewaySettings:
    idle_timeout_s: float = IDLE_TIMEOUT_SECONDS
    max_connection_duration_s: float = MAX_CONNECTION_SECONDS
    # Under a debugger (wslab local --debug): its integrations do not time out.
    debugged_function: str | None = None


def _reject(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _headers_by_name(request: web.Request) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        found.setdefault(name.lower(), []).append(value)
    return found


def _raw_headers(request: web.Request) -> list[tuple[str, str]]:
    # As the client spelled them: events keep the client's header case.
    return [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers
    ]


def _route_arn(context: ConnectionContext, route_key: str) -> str:
    return route_arn(context.region, context.account_id, context.api_id, context.stage, route_key)


def _condition_keys(context: ConnectionContext) -> dict[str, ContextValue]:
    """The global condition keys an authorizer policy's ``Condition`` is tested against: the
    connect's source address, its time, and HTTPS (the local ``ws://`` stands for ``wss://``).
    Which keys API Gateway supplies there is [UNCONFIRMED] (docs/apigw-websocket.md §10)."""
    return {
        "aws:SourceIp": context.source_ip,
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "aws:EpochTime": int(time.time()),
        "aws:SecureTransport": True,
    }


def _authorizer_arn(context: ConnectionContext, authorizer_id: str) -> str:
    """The ARN an authorizer's function is invoked from (a Lambda permission's SourceArn)."""
    return authorizer_arn(context.region, context.account_id, context.api_id, authorizer_id)


def _header(headers: Any, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if key.lower() == name.lower() and isinstance(value, str):
            return value
    return None


class Gateway:
    """Serves the WebSocket APIs ``control`` knows, invoking functions through ``invoke``."""

    def __init__(
        self,
        invoke: Invoker,
        control: ControlPlane,
        settings: GatewaySettings,
        log: Callable[[str], None],
        services: AwsServiceCaller | None = None,
    ) -> None:
        self._invoke = invoke
        # What AWS service integrations call (DynamoDB, SQS, SNS); None: they fail.
        self._services = services
        self._control = control
        self._settings = settings
        self._log = log
        self._connections = ConnectionRegistry()
        self._management = ManagementApi(self._connections, control)
        self._http = HttpBackend()
        self._tasks: set[asyncio.Task[Any]] = set()
        # The request handlers serving open WebSockets: stopping waits for them to end.
        self._serving: set[asyncio.Task[Any]] = set()
        self._closing = False

    @property
    def connections(self) -> ConnectionRegistry:
        return self._connections

    # Dispatch ---------------------------------------------------------------------------

    def serves(self, request: web.Request) -> bool:
        parts = request.path.strip("/").split("/")
        if CONNECTIONS_SEGMENT in parts:
            return addresses_management_api(request, parts, self._control.is_websocket_api)
        # A WebSocket upgrade to an API this stack does not have (deleted, or made before
        # a restart), or without a stage, is refused here too, rather than handed to moto
        # (whose S3 would answer it).
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if len(parts) == 1:
            return upgrade and bool(parts[0])
        return len(parts) == 2 and (upgrade or self._control.is_websocket_api(parts[0]))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        if CONNECTIONS_SEGMENT in parts:
            return await self._management.handle(request, parts)
        stage = parts[1] if len(parts) == 2 else ""
        return await self._connect(request, parts[0], stage)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(
        self,
        integration: IntegrationSnapshot | None,
        event: dict[str, Any],
        served: ServedStage,
        source_arn: str,
    ) -> IntegrationResult:
        """Call a route's integration: a Lambda proxy, or one of the other types
        (docs/apigw-websocket.md §5.1)."""
        debugged = self._settings.debugged_function
        if integration is None or integration.integration_type == "AWS_PROXY":
            return await call_lambda(
                self._invoke,
                self._control,
                integration,
                event,
                served.stage_variables,
                source_arn,
                debugged_function=debugged,
            )
        return await call_non_proxy(
            self._invoke,
            self._control,
            self._services,
            self._http,
            integration,
            event,
            served.stage_variables,
            source_arn,
            debugged_function=debugged,
        )

    def _access(
        self,
        connection: ConnectionContext,
        event_type: str,
        route_key: str,
        status: int,
        request_id: str,
        result: IntegrationResult | None = None,
        error: str = "",
    ) -> None:
        self._log(
            access_log_line(
                now_ms=now_ms(),
                source_ip=connection.source_ip,
                api_id=connection.api_id,
                stage=connection.stage,
                event_type=event_type,
                route_key=route_key,
                connection_id=connection.connection_id,
                status=status,
                request_id=request_id,
                integration_latency_ms=result.latency_ms if result else None,
                error=error or (result.reason if result else ""),
            )
        )

    # $connect ---------------------------------------------------------------------------

    async def _connect(self, request: web.Request, api_id: str, stage: str) -> web.StreamResponse:
        served = self._control.served_stage(api_id, stage)
        if served is None:
            # An unknown API or stage, or one never deployed: nothing answers there on AWS
            # either. The log line says which, and that APIs live in the stack's memory.
            known = self._control.is_websocket_api(api_id)
            why = (
                f"stage {stage!r} of {api_id} is not deployed"
                if known
                else f"no WebSocket API {api_id} on this local AWS (it keeps its APIs in "
                "memory: made before a restart, or deleted?)"
            )
            self._log_refusal(request, api_id, stage, 403, why)
            return _reject(403, "Forbidden")
        version = request.version
        refusal = handshake_refusal(
            request.method, (version.major, version.minor), _headers_by_name(request)
        )
        if refusal is not None:
            return self._refuse_handshake(request, api_id, stage, refusal)
        headers = _raw_headers(request)
        query = list(request.query.items())
        connected_at = now_ms()
        context = ConnectionContext(
            connection_id=new_id(),
            api_id=api_id,
            stage=stage,
            domain_name=f"{api_id}.execute-api.{served.region}.amazonaws.com",
            region=served.region,
            account_id=served.account_id,
            connected_at_ms=connected_at,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent"),
        )
        connection = Connection(context)
        self._connections.add(connection)
        try:
            protocol = await self._authorize_and_connect(connection, served, headers, query)
            if isinstance(protocol, web.Response):
                return protocol
            ws = GatewayWebSocketResponse(protocols=(protocol,) if protocol else ())
            await ws.prepare(request)
        except ConnectionError:
            return self._left_during_connect(connection, served)
        except BaseException:
            self._connections.remove(connection)
            raise
        connection.ws = ws
        connection.transport = request.transport
        connection.state = ConnectionState.OPEN
        connection.touch()
        serving = asyncio.current_task()
        if serving is not None:
            self._serving.add(serving)
            serving.add_done_callback(self._serving.discard)
        await self._serve_messages(connection, served)
        return ws

    def _log_refusal(
        self, request: web.Request, api_id: str, stage: str, status: int, why: str
    ) -> None:
        """One access-log line for an upgrade refused before any connection existed."""
        self._log(
            access_log_line(
                now_ms=now_ms(),
                source_ip=request.remote or "-",
                api_id=api_id,
                stage=stage,
                event_type="CONNECT",
                route_key=CONNECT_ROUTE,
                connection_id="-",
                status=status,
                request_id="-",
                integration_latency_ms=None,
                error=why,
            )
        )

    def _refuse_handshake(
        self, request: web.Request, api_id: str, stage: str, refusal: HandshakeRefusal
    ) -> web.Response:
        """A malformed handshake: one log line, and its answer; nothing runs."""
        self._log_refusal(
            request, api_id, stage, refusal.status, f"handshake refused: {refusal.message}"
        )
        return web.json_response(
            {"message": refusal.message}, status=refusal.status, headers=refusal.headers
        )

    def _left_during_connect(self, connection: Connection, served: ServedStage) -> web.Response:
        """The client went away while the authorizer or $connect ran: the upgrade cannot
        be answered. $connect said yes to a connection that never opened, so $disconnect
        tells the backend it is gone (UNCONFIRMED: what API Gateway does here is not
        documented; without it the backend's item would wait for its TTL)."""
        self._connections.remove(connection)
        context = connection.context
        self._access(
            context, "CONNECT", CONNECT_ROUTE, 400, "-", error="client left during $connect"
        )
        route = served.snapshot.routes.get(CONNECT_ROUTE)
        if route is not None and route.integration_id is not None and not self._closing:
            self._spawn(self._disconnect(connection, CLOSE_ABNORMAL, "Client left during $connect"))
        return web.Response(status=400)  # nobody reads it: aiohttp drops it quietly

    async def _authorize_and_connect(
        self,
        connection: Connection,
        served: ServedStage,
        headers: list[tuple[str, str]],
        query: list[tuple[str, str]],
    ) -> str | web.Response | None:
        """Run the authorizer and $connect; a Response means the upgrade is refused."""
        context = connection.context
        request_id = new_id()
        trace_id = new_trace_id(context.connected_at_ms)
        route = served.snapshot.routes.get(CONNECT_ROUTE)
        if route is not None and route.authorization_type == "CUSTOM":
            refusal = await self._authorize(connection, served, headers, query, request_id)
            if refusal is not None:
                self._connections.remove(connection)
                self._access(context, "CONNECT", CONNECT_ROUTE, refusal.status, request_id)
                return refusal
            context = connection.context
        if route is None or route.integration_id is None:
            self._access(context, "CONNECT", CONNECT_ROUTE, 200, request_id)
            return None
        event = connect_event(
            context, headers, query, request_id, context.connected_at_ms, trace_id=trace_id
        )
        integration = served.snapshot.integration_for(route)
        result = await self._call(integration, event, served, _route_arn(context, CONNECT_ROUTE))
        if result.failure is not None:
            status, message = _CONNECT_FAILURES[result.failure]
            self._connections.remove(connection)
            self._access(context, "CONNECT", CONNECT_ROUTE, status, request_id, result)
            return _reject(status, message)
        proxy = integration is None or integration.integration_type == "AWS_PROXY"
        payload = result.payload if proxy and isinstance(result.payload, dict) else {}
        status_code = payload.get("statusCode", 200) if proxy else result.status_code
        status = status_code if isinstance(status_code, int) else 200
        if not 200 <= status < 300:
            # Any other status refuses the upgrade with that very status; the body is dropped.
            self._connections.remove(connection)
            self._access(context, "CONNECT", CONNECT_ROUTE, status, request_id, result)
            return web.Response(status=status)
        self._access(context, "CONNECT", CONNECT_ROUTE, status, request_id, result)
        # Of everything $connect returns, only the chosen subprotocol reaches the client.
        return _header(payload.get("headers"), "Sec-WebSocket-Protocol")

    async def _authorize(
        self,
        connection: Connection,
        served: ServedStage,
        headers: list[tuple[str, str]],
        query: list[tuple[str, str]],
        request_id: str,
    ) -> web.Response | None:
        context = connection.context
        route = served.snapshot.routes[CONNECT_ROUTE]
        authorizer = served.snapshot.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            return _reject(500, "Internal server error")
        if not identity_sources_present(
            authorizer.identity_source, headers, query, served.stage_variables
        ):
            return _reject(401, "Unauthorized")
        event = authorizer_event(
            context, headers, query, served.stage_variables, request_id, context.connected_at_ms
        )
        result = await call_lambda(
            self._invoke,
            self._control,
            IntegrationSnapshot(
                integration_id=authorizer.authorizer_id,
                integration_type="AWS_PROXY",
                integration_uri=authorizer.authorizer_uri,
                timeout_ms=_AUTHORIZER_TIMEOUT_MS,
                credentials_arn=authorizer.credentials_arn,
            ),
            event,
            served.stage_variables,
            _authorizer_arn(context, authorizer.authorizer_id),
            debugged_function=self._settings.debugged_function,
        )
        if result.failure is not None:
            # Failing with "Unauthorized" is the documented way for an authorizer to say 401.
            if result.error_message == UNAUTHORIZED_RESULT:
                return _reject(401, "Unauthorized")
            return _reject(500, "Internal server error")
        decision = evaluate_policy(result.payload, event["methodArn"], _condition_keys(context))
        if decision.status_code is not None:
            message = "Forbidden" if decision.status_code == 403 else "Unauthorized"
            return _reject(decision.status_code, message)
        connection.authorize(
            authorizer_request_context(
                decision.principal_id or "", decision.context, result.latency_ms
            )
        )
        return None

    # Messages ---------------------------------------------------------------------------

    async def _serve_messages(self, connection: Connection, served: ServedStage) -> None:
        ws = connection.ws
        expiry = asyncio.get_running_loop().create_task(self._expire(connection))
        frame_received = True
        client_code: int | None = None
        client_reason = ""
        try:
            while True:
                message = await ws.receive()
                if message.type is WSMsgType.TEXT:
                    connection.touch()
                    self._spawn(self._route_message(connection, message.data))
                elif message.type is WSMsgType.BINARY:
                    await connection.close_by_server(
                        CLOSE_UNSUPPORTED_DATA, REASON_UNSUPPORTED_DATA
                    )
                    break
                elif message.type is WSMsgType.CLOSE:
                    client_code, client_reason = message.data, message.extra or ""
                    break
                elif message.type is WSMsgType.ERROR:
                    error = message.data
                    if isinstance(error, WebSocketError) and not ws.closed:
                        # A close asked for by the frame filter (1009 for a frame or
                        # message over the limits) or by Connection.request_close
                        # (DeleteConnection, expiry, shutdown): done here, by the task
                        # that reads, so the handshake waits for the client's answer.
                        await connection.close_by_server(error.code, str(error))
                    elif connection.server_close is None:
                        # Any other protocol error: aiohttp closed the connection already.
                        connection.server_close = (ws.close_code or 1011, str(error))
                    break
                else:  # CLOSING, CLOSED: the peer went away without a close frame
                    frame_received = connection.server_close is not None
                    break
        finally:
            expiry.cancel()
            if self._closing:
                connection.drop(CLOSE_GOING_AWAY, REASON_GOING_AWAY)  # its close frame is out
            elif not ws.closed:
                await ws.close()
            self._connections.remove(connection)
        if connection.server_close is not None:
            code, reason = connection.server_close
        else:
            code, reason = client_close_status(
                client_code, client_reason, frame_received=frame_received
            )
        if not self._closing:
            self._spawn(self._disconnect(connection, code, reason))

    async def _expire(self, connection: Connection) -> None:
        """Close at the idle timeout or the maximum duration, whichever comes first; each
        with its own reason."""
        settings = self._settings
        while connection.is_open:
            idle_at = connection.last_active_monotonic + settings.idle_timeout_s
            ends_at = connection.opened_monotonic + settings.max_connection_duration_s
            now = time.monotonic()
            if ends_at <= now:
                connection.request_close(CLOSE_GOING_AWAY, REASON_MAX_DURATION)
                return
            if idle_at <= now:
                connection.request_close(CLOSE_GOING_AWAY, REASON_IDLE_TIMEOUT)
                return
            await asyncio.sleep(min(idle_at, ends_at) - now)

    async def _route_message(self, connection: Connection, body: str) -> None:
        context = connection.context
        request_id, message_id, received = new_id(), new_id(), now_ms()
        served = self._control.served_stage(context.api_id, context.stage)
        routes = served.snapshot.routes if served else {}
        route_key = route_for_message(
            routes.keys(), served.snapshot.route_selection_expression if served else "", body
        )
        if served is None or route_key is None:
            await connection.send(forbidden_frame(context.connection_id, request_id))
            self._access(context, "MESSAGE", route_key or "-", 403, request_id)
            return
        route = routes[route_key]
        integration = served.snapshot.integration_for(route)
        result = await self._call(
            integration,
            message_event(context, body, route_key, request_id, message_id, received),
            served,
            _route_arn(context, route_key),
        )
        if result.failure is IntegrationFailure.UNSUPPORTED_MEDIA:
            await connection.send(unsupported_media_frame(context.connection_id, request_id))
            self._access(context, "MESSAGE", route_key, 415, request_id, result)
            return
        if result.failure is IntegrationFailure.TIMEOUT:
            await connection.send(timeout_frame(context.connection_id, request_id))
            self._access(context, "MESSAGE", route_key, 504, request_id, result)
            return
        if result.failure is IntegrationFailure.ERROR:
            await connection.send(internal_error_frame(context.connection_id, request_id))
            self._access(context, "MESSAGE", route_key, 500, request_id, result)
            return
        if route.two_way and result.reply is not None:
            # A non-proxy integration's reply, as its integration response shaped it.
            await connection.send(result.reply)
        elif route.two_way and isinstance(result.payload, dict):
            reply = result.payload.get("body")
            if isinstance(reply, str) and reply:
                await connection.send(reply)
            elif reply is not None and not isinstance(reply, str):
                await connection.send(json.dumps(reply))
        self._access(context, "MESSAGE", route_key, 200, request_id, result)

    # $disconnect ------------------------------------------------------------------------

    async def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        context = connection.context
        request_id = new_id()
        served = self._control.served_stage(context.api_id, context.stage)
        route = served.snapshot.routes.get(DISCONNECT_ROUTE) if served else None
        if served is None or route is None or route.integration_id is None:
            self._access(context, "DISCONNECT", DISCONNECT_ROUTE, 200, request_id)
            return
        result = await self._call(
            served.snapshot.integration_for(route),
            disconnect_event(context, code, reason, request_id, now_ms()),
            served,
            _route_arn(context, DISCONNECT_ROUTE),
        )
        status = 200 if result.failure is None else 500
        self._access(context, "DISCONNECT", DISCONNECT_ROUTE, status, request_id, result)

    async def close(self) -> None:
        """Close every connection (1001), skipping $disconnect: the stack is going away.

        Every client is sent its close frame at once; those that answer within a moment
        end cleanly, the rest are cut off: stopping takes the same short time with ten or
        ten thousand connections, whether their clients read or not.
        """
        self._closing = True
        for connection in self._connections.all():
            connection.say_going_away(CLOSE_GOING_AWAY, REASON_GOING_AWAY)
        deadline = time.monotonic() + _SHUTDOWN_CLOSE_WAIT_S
        while len(self._connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for connection in self._connections.all():
            connection.drop(CLOSE_GOING_AWAY, REASON_GOING_AWAY)
        # Each handler now ends at once; waiting here spares aiohttp's own shutdown a
        # bounded wait per connection.
        if self._serving:
            await asyncio.wait(list(self._serving), timeout=_SHUTDOWN_HANDLERS_WAIT_S)
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.close()
