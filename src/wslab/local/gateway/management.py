"""The @connections management API: post to, describe and close live connections.

Served under the ``http://`` form of ``ApiEndpoint + "/" + stage`` (what
``https://{domainName}/{stage}`` is on AWS) and, for handlers configured through
``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, under the stack's root as
``/@connections/{id}`` or ``/{stage}/@connections/{id}``: connection ids are unique across
the whole stack, so the id alone finds the connection.

``/{apiId}/@connections/{id}``, the stage left out of the endpoint, is answered as AWS
answers ``https://{apiId}.execute-api.{region}.amazonaws.com/@connections/{id}``: 403
``{"message": "Forbidden"}``, not 410, so the mistake is not taken for a closed connection.

Every call must be signed (SigV4, service ``execute-api``), as AWS requires: an unsigned one
is answered 403 ``Missing Authentication Token``; a malformed ``Authorization`` header, a date
more than five minutes off, a signature that does not match are refused in API Gateway's
words (``local/sigv4.py``; docs/apigw-websocket.md §6.2). The signature is verified against
the secret of the key when the stack issued the key (an IAM user's access key, temporary
credentials from STS, such as a function's); any other key is the account administrator's
(the dummy ``testing`` keys, LocalStack's ``test``), accepted with any secret. A worker's
request whose URL the stack's redirect changed after signing (``https://{apiId}.execute-api
...`` into ``/{apiId}/...`` here) is verified as it was signed.

Empty segments before ``@connections`` are dropped: an endpoint that ends in ``/`` makes the
SDK for JavaScript send ``/{stage}//@connections/{id}`` (botocore drops the second ``/``
itself). [UNCONFIRMED] what API Gateway answers to that path; it is served as
``/{stage}/@connections/{id}``, so such an app works (docs/apigw-websocket.md §10).

A call signed with a role's temporary credentials (a handler's) needs
``execute-api:ManageConnections`` on
``arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id}``; the API
and stage come from the path or, under the root, from the connection (open or recently
closed). An id that no connection ever had, posted to under the root, names no API: nothing
to check it against, it is answered 410 as before.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web

from wslab.local.api_hosts import host_of, parse_host
from wslab.local.control import ControlPlane
from wslab.local.gateway.connections import Connection, ConnectionRegistry, SendOutcome
from wslab.local.gateway.events import iso8601_ms
from wslab.local.gateway.frames import (
    CLOSE_NORMAL,
    MAX_POST_TO_CONNECTION_BYTES,
    REASON_NORMAL,
    SEND_BUFFER_LIMIT_BYTES,
)
from wslab.local.gateway.ids import is_valid_connection_id
from wslab.local.headers import SECURITY_TOKEN, sigv4_credential
from wslab.local.sigv4 import (
    Authorization,
    Refusal,
    SignatureChecker,
    SignedRequest,
    check_date,
    missing_authentication,
    read_authorization,
    read_query_authorization,
)

__all__ = ["CONNECTIONS_SEGMENT", "ManagementApi", "addresses_management_api"]

CONNECTIONS_SEGMENT = "@connections"
"""The path segment of the management API: ``.../{stage}/@connections/{id}``."""

EXECUTE_API_SERVICE = "execute-api"  # the management API's SigV4 signing name
PRESIGNED_CREDENTIAL = "X-Amz-Credential"  # a presigned URL's parameters
PRESIGNED_SIGNATURE = "X-Amz-Signature"


def addresses_management_api(
    request: web.Request, parts: list[str], is_websocket_api: Callable[[str], bool]
) -> bool:
    """Whether a request whose path holds :data:`CONNECTIONS_SEGMENT` is for this API.

    Its shapes: under an API the stack has (``/{apiId}/{stage}/@connections/{id}``, and the
    mistakes answered as AWS answers them), or under the stack's root (``/@connections/{id}``,
    ``/{stage}/@connections/{id}``). A request signed for another service is not, whatever
    its path: path-style S3 puts the bucket first, and a key may hold the segment
    (``/{bucket}/@connections/x``)."""
    if _signed_for(request) not in (None, EXECUTE_API_SERVICE):
        return False
    parts = without_empty_segments(parts)
    return parts.index(CONNECTIONS_SEGMENT) <= 1 or is_websocket_api(parts[0])


def without_empty_segments(parts: list[str]) -> list[str]:
    """``/{stage}//@connections/{id}`` read as ``/{stage}/@connections/{id}``."""
    index = parts.index(CONNECTIONS_SEGMENT)
    return [part for part in parts[:index] if part] + parts[index:]


def _signed_for(request: web.Request) -> str | None:
    """The service a SigV4 signature is scoped to (header or presigned URL), if any."""
    credential = sigv4_credential(request.headers.get("Authorization"))
    if credential is not None:
        return credential.service
    scope = request.query.get(PRESIGNED_CREDENTIAL, "").split("/")
    return scope[3] if len(scope) == 5 else None


def _error(status: int, error_type: str, message: str | None) -> web.Response:
    # The SDKs read the error type from this header; AWS sends GoneException's body empty.
    body = b"" if message is None else web.json_response({"message": message}).body
    return web.Response(
        status=status,
        body=body,
        headers={"x-amzn-ErrorType": error_type},
        content_type="application/json",
    )


def _refused(refusal: Refusal) -> web.Response:
    return _error(403, refusal.error_type, refusal.message)


def _gone() -> web.Response:
    return _error(410, "GoneException", None)


MANAGE_CONNECTIONS = "execute-api:ManageConnections"
_INVALID_TOKEN = "The security token included in the request is invalid."


def _too_large(size: int | None) -> web.Response:
    told = f"{size} bytes" if size is not None else "more bytes than that"
    return _error(
        413,
        "PayloadTooLargeException",
        f"Request size {told} exceeds the limit of {MAX_POST_TO_CONNECTION_BYTES} bytes",
    )


def _client_too_slow() -> web.Response:
    # LimitExceededException is what the API documents for "the WebSocket client side
    # buffer is full" (botocore's model of PostToConnection).
    return _error(
        429,
        "LimitExceededException",
        f"The client is not reading: over {SEND_BUFFER_LIMIT_BYTES} bytes wait for it",
    )


async def _body_within_limit(request: web.Request) -> bytes | None:
    """The POST's body, or None once it is known to be over the limit: from its
    Content-Length, or as soon as it streams past. What is over is never kept (aiohttp
    reads and drops the rest, so the caller still gets its 413 cleanly)."""
    declared = request.content_length
    if declared is not None and declared > MAX_POST_TO_CONNECTION_BYTES:
        return None
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > MAX_POST_TO_CONNECTION_BYTES:
            return None
    return bytes(body)


def _message(data: bytes) -> str | bytes:
    """A text message for UTF-8 data; otherwise the bytes, as one binary message.

    UNCONFIRMED: which frame API Gateway sends for ``Data`` that is not UTF-8 is not
    documented (docs/apigw-websocket.md §6.1). RFC 6455 §5.6 forbids invalid UTF-8 in a
    text frame (the client would fail the connection, RFC 6455 §8.1), so the bytes go out
    unchanged in a binary frame
    rather than altered into replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


class ManagementApi:
    """POST, GET and DELETE on ``@connections/{id}``, after the signature.

    UNCONFIRMED: the signature is checked before the path, as a front door authenticates
    before the service routes, so a bad path answers an unsigned call 403
    ``Missing Authentication Token``; a body over 128 KB is answered 413 before its
    signature, which covers the body, is checked (docs/apigw-websocket.md §6.2)."""

    def __init__(
        self,
        connections: ConnectionRegistry,
        control: ControlPlane,
        signatures: SignatureChecker | None = None,
    ) -> None:
        self._connections = connections
        self._control = control
        self._signatures = signatures or SignatureChecker()

    def _authorization(self, request: web.Request) -> Authorization | web.Response:
        """The request's well-formed, current SigV4 signature (its ``Authorization`` header,
        else a presigned URL's parameters), or the refusal."""
        header = request.headers.get("Authorization")
        if header is not None:
            authorization = read_authorization(header, request.headers)
        elif PRESIGNED_SIGNATURE in request.query or PRESIGNED_CREDENTIAL in request.query:
            authorization = read_query_authorization(request.query)
        else:
            return _refused(missing_authentication())
        if isinstance(authorization, Refusal):
            return _refused(authorization)
        stale = check_date(authorization, self._signatures.now())
        return authorization if stale is None else _refused(stale)

    def _signed_forms(
        self, request: web.Request, authorization: Authorization, body: bytes
    ) -> list[SignedRequest]:
        """The request as it may have been signed: first as a worker signed it for
        ``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/...`` before the stack's
        redirect sent it to ``/{apiId}/{stage}/...`` here (the SDK for JavaScript keeps the
        signed ``Host``; botocore's comes from the new URL), then as received."""
        path, _, query = request.raw_path.partition("?")
        received = SignedRequest(request.method, request.host, path, query, request.headers, body)
        api_id = path.split("/", 2)[1]
        if not self._control.is_websocket_api(api_id):
            return [received]
        signed_host = request.host
        if parse_host(signed_host) is None:
            # The host of the API's region, which a client in another region signs too.
            stage = path.split("/")[2]
            served = self._control.served_stage(api_id, stage)
            signed_host = host_of(api_id, served.region if served else authorization.region)
        redirected = SignedRequest(
            request.method, signed_host, path[len(api_id) + 1 :], query, request.headers, body
        )
        return [redirected, received]

    def _unverified(
        self, request: web.Request, authorization: Authorization, body: bytes
    ) -> web.Response | None:
        """The refusal of a signature that the key's secret did not make, if the stack
        issued the key; keys it did not issue are the administrator's. UNCONFIRMED: an
        inactive key is answered as an unknown one is (docs/apigw-websocket.md §6.2)."""
        issued = self._control.issued_key(authorization.access_key_id)
        if issued is None:
            return None
        if not issued.active:
            return _error(403, "UnrecognizedClientException", _INVALID_TOKEN)
        forms = self._signed_forms(request, authorization, body)
        refusal = self._signatures.verify(forms, authorization, issued.secret_access_key)
        return None if refusal is None else _refused(refusal)

    def _resource_arn(self, method: str, parts: list[str], connection_id: str) -> str | None:
        """IAM's resource for this call, or None when no API can be named."""
        prefix = parts[: parts.index(CONNECTIONS_SEGMENT)]
        context = self._connections.context_of(connection_id)
        if len(prefix) == 2:
            api_id, stage = prefix
            served = self._control.served_stage(api_id, stage)
            if served is None:
                return None
            region, account = served.region, served.account_id
        elif context is None or (prefix and prefix[0] != context.stage):
            return None
        else:
            api_id, stage = context.api_id, context.stage
            region, account = context.region, context.account_id
        path = f"{api_id}/{stage}/{method}/{CONNECTIONS_SEGMENT}/{quote(connection_id, safe='')}"
        return f"arn:aws:execute-api:{region}:{account}:{path}"

    def _refusal(
        self,
        request: web.Request,
        authorization: Authorization,
        parts: list[str],
        connection_id: str,
    ) -> web.Response | None:
        resource = self._resource_arn(request.method, parts, connection_id)
        if resource is None:
            return None
        token = request.headers.get(SECURITY_TOKEN) or request.query.get(SECURITY_TOKEN)
        denied = self._control.authorize(
            authorization.access_key_id, token, MANAGE_CONNECTIONS, resource
        )
        if denied is None:
            return None
        if denied.invalid_token:
            return _error(403, "UnrecognizedClientException", _INVALID_TOKEN)
        # API Gateway's own wording: the message under "Message", no "because ..." clause.
        return web.json_response(
            {"Message": denied.message(reason=False)},
            status=403,
            headers={"x-amzn-ErrorType": "AccessDeniedException"},
        )

    def _stage_left_out(self, parts: list[str], connection_id: str) -> bool:
        """``/{apiId}/@connections/{id}``: the API's id where its stage should be."""
        prefix = parts[: parts.index(CONNECTIONS_SEGMENT)]
        connection = self._connections.get(connection_id)
        if len(prefix) != 1 or connection is None:
            return False
        return prefix[0] == connection.context.api_id != connection.context.stage

    def _find(self, parts: list[str], connection_id: str) -> Connection | None:
        connection = self._connections.get(connection_id)
        if connection is None or not connection.is_open:
            return None
        prefix = parts[: parts.index(CONNECTIONS_SEGMENT)]
        context = connection.context
        # /{apiId}/{stage}/..., /{stage}/... or nothing: what is given must match.
        if len(prefix) == 2 and prefix != [context.api_id, context.stage]:
            return None
        if len(prefix) == 1 and prefix[0] != context.stage:
            return None
        return connection

    async def handle(self, request: web.Request, parts: list[str]) -> web.Response:
        authorization = self._authorization(request)
        if isinstance(authorization, web.Response):
            return authorization
        data = await _body_within_limit(request)
        if data is None:
            return _too_large(request.content_length)
        unverified = self._unverified(request, authorization, data)
        if unverified is not None:
            return unverified
        parts = without_empty_segments(parts)
        index = parts.index(CONNECTIONS_SEGMENT)
        if len(parts) != index + 2 or index > 2 or not parts[index + 1]:
            return _error(
                403, "ForbiddenException", f"No method found matching route {request.path}"
            )
        connection_id = parts[index + 1]
        if not is_valid_connection_id(connection_id):
            return _error(400, "BadRequestException", f"Invalid connectionId: {connection_id}")
        if self._stage_left_out(parts, connection_id):
            return _error(403, "ForbiddenException", "Forbidden")
        refused = self._refusal(request, authorization, parts, connection_id)
        if refused is not None:
            return refused
        if request.method == "POST":
            connection = self._find(parts, connection_id)
            outcome = await connection.send(_message(data)) if connection else SendOutcome.GONE
            if outcome is SendOutcome.TOO_SLOW:
                return _client_too_slow()
            if outcome is SendOutcome.GONE:
                return _gone()
            return web.Response(status=200)
        connection = self._find(parts, connection_id)
        if connection is None:
            return _gone()
        if request.method == "GET":
            context = connection.context
            return web.json_response(
                {
                    "connectedAt": iso8601_ms(context.connected_at_ms),
                    "identity": {"sourceIp": context.source_ip, "userAgent": context.user_agent},
                    "lastActiveAt": iso8601_ms(connection.last_active_ms),
                }
            )
        if request.method == "DELETE":
            # 204 at once; the closing handshake with the client goes on without the caller.
            connection.request_close(CLOSE_NORMAL, REASON_NORMAL)
            return web.Response(status=204)
        return _error(
            403,
            "ForbiddenException",
            f"No method found matching route {request.path} for http method {request.method}.",
        )
