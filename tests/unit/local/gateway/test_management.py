"""The @connections API's answers to endpoints that miss part of the stage's URL, to calls
IAM refuses, and to calls not signed or signed with a key the stack issued but not with its
secret."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiohttp.test_utils import make_mocked_request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wslab.local.control import AccessDenied, IssuedKey
from wslab.local.gateway.connections import Connection, ConnectionRegistry, ConnectionState
from wslab.local.gateway.events import ConnectionContext
from wslab.local.gateway.ids import new_id
from wslab.local.gateway.management import ManagementApi

API_ID = "a1b2c3d4e5"
ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/fn-role/fn"
NOW = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _signed_by(key: str) -> dict[str, str]:
    """Well-formed SigV4 headers of ``key`` dated now; the signature is checked only when the
    control plane knows the key's secret."""
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{NOW[:8]}/us-east-1/execute-api/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        "X-Amz-Date": NOW,
    }


SIGNED = {**_signed_by("ASIAEXAMPLE"), "X-Amz-Security-Token": "token"}
ADMIN = _signed_by("testing")


class Iam:
    """A control plane that only decides: denies what ``deny`` says, records what it's asked."""

    def __init__(
        self, deny: bool = False, explicit: bool = False, issued: dict[str, IssuedKey] | None = None
    ) -> None:
        self.deny, self.explicit = deny, explicit
        self.issued = issued or {}
        self.asked: list[tuple[str, str | None, str, str]] = []

    def served_stage(self, api_id: str, stage: str) -> Any:
        # The API's stage "prod", in eu-west-1 (only its region is read here).
        if (api_id, stage) != (API_ID, "prod"):
            return None
        return SimpleNamespace(region="eu-west-1", account_id="123456789012")

    def is_websocket_api(self, api_id: str) -> bool:
        return api_id == API_ID

    def issued_key(self, access_key_id: str) -> IssuedKey | None:
        return self.issued.get(access_key_id)

    def authorize(
        self, access_key_id: str, session_token: str | None, action: str, resource: str
    ) -> AccessDenied | None:
        self.asked.append((access_key_id, session_token, action, resource))
        if not self.deny:
            return None
        return AccessDenied(ROLE_SESSION, action, resource, explicit=self.explicit)


def _open_connection(registry: ConnectionRegistry) -> str:
    context = ConnectionContext(
        connection_id=new_id(),
        api_id=API_ID,
        stage="prod",
        domain_name=f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        region="us-east-1",
        account_id="123456789012",
        connected_at_ms=1_700_000_000_000,
        source_ip="127.0.0.1",
    )
    connection = Connection(context, state=ConnectionState.OPEN)
    registry.add(connection)
    return context.connection_id


def _get(
    registry: ConnectionRegistry,
    path: str,
    iam: Iam | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    request = make_mocked_request(method, path, headers=ADMIN if headers is None else headers)
    parts = request.path.strip("/").split("/")  # decoded, as the server splits it
    response = asyncio.run(ManagementApi(registry, iam or Iam()).handle(request, parts))  # type: ignore[arg-type]
    body = response.body if isinstance(response.body, bytes) else b""
    return response.status, response.headers.get("x-amzn-ErrorType", ""), body


def test_stage_left_out_is_forbidden_not_gone() -> None:
    """/{apiId}/@connections/{id}: 403 Forbidden, as AWS answers an endpoint without stage."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, error_type, body = _get(registry, f"/{API_ID}/@connections/{connection_id}")
    assert (status, error_type) == (403, "ForbiddenException")
    assert json.loads(body) == {"message": "Forbidden"}


def test_full_stage_url_finds_the_connection() -> None:
    """/{apiId}/{stage}/@connections/{id} describes the open connection."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, _, body = _get(registry, f"/{API_ID}/prod/@connections/{connection_id}")
    assert status == 200
    assert json.loads(body)["identity"]["sourceIp"] == "127.0.0.1"


def test_wrong_stage_is_gone() -> None:
    """Another stage of the API does not hold the connection: 410."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, error_type, _ = _get(registry, f"/{API_ID}/dev/@connections/{connection_id}")
    assert (status, error_type) == (410, "GoneException")


def test_a_signed_call_is_put_to_iam_with_the_stage_arn() -> None:
    """Under the root, the connection names the API and stage of the resource ARN; the id is
    written as it appears in the path (``=`` percent-encoded)."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    iam = Iam()
    status, _, _ = _get(registry, f"/@connections/{connection_id}", iam, headers=SIGNED)
    assert status == 200
    encoded = connection_id.replace("=", "%3D")
    assert iam.asked == [
        (
            "ASIAEXAMPLE",
            "token",
            "execute-api:ManageConnections",
            f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/prod/GET/@connections/{encoded}",
        )
    ]


def test_a_refused_call_is_403_access_denied_in_api_gateways_words() -> None:
    """403, x-amzn-ErrorType AccessDeniedException, the message under "Message", no reason."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    status, error_type, body = _get(
        registry, f"/prod/@connections/{connection_id}", Iam(deny=True), "DELETE", SIGNED
    )
    assert (status, error_type) == (403, "AccessDeniedException")
    message = json.loads(body)["Message"]
    assert message.startswith(f"User: {ROLE_SESSION} is not authorized to perform: ")
    assert message.endswith(f"{API_ID}/prod/DELETE/@connections/{connection_id[:-1]}%3D")
    assert registry.get(connection_id) is not None  # nothing was closed


def test_an_explicit_deny_says_so() -> None:
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    _, _, body = _get(
        registry, f"/@connections/{connection_id}", Iam(deny=True, explicit=True), "GET", SIGNED
    )
    assert json.loads(body)["Message"].endswith(" with an explicit deny")


def test_unsigned_calls_and_unknown_ids_are_not_put_to_iam() -> None:
    """No SigV4 signature: 403 Missing Authentication Token, before IAM; an id no connection
    had names no API: 410."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    iam = Iam(deny=True)
    status, error_type, body = _get(registry, f"/@connections/{connection_id}", iam, headers={})
    assert (status, error_type) == (403, "MissingAuthenticationTokenException")
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert _get(registry, f"/@connections/{new_id()}", iam, headers=SIGNED)[0] == 410
    assert iam.asked == []


def test_a_key_the_stack_issued_is_verified_and_an_inactive_one_refused() -> None:
    """Signed with an issued key but not with its secret: InvalidSignatureException; an
    inactive key: the security token is invalid; the same headers with a key the stack
    never issued are the administrator's."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    path = f"/@connections/{connection_id}"
    iam = Iam(issued={"AKIAUSER": IssuedKey("secret"), "AKIAOLD": IssuedKey("x", active=False)})
    status, error_type, body = _get(registry, path, iam, headers=_signed_by("AKIAUSER"))
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"].startswith("The request signature we calculated")
    status, error_type, body = _get(registry, path, iam, headers=_signed_by("AKIAOLD"))
    assert (status, error_type) == (403, "UnrecognizedClientException")
    assert json.loads(body) == {"message": "The security token included in the request is invalid."}
    assert _get(registry, path, iam, headers=_signed_by("AKIANEVERISSUED"))[0] == 200


def test_an_empty_segment_before_connections_is_dropped() -> None:
    """``/{apiId}/{stage}//@connections/{id}`` (an endpoint ending in ``/``, through the SDK for
    JavaScript) is ``/{apiId}/{stage}/@connections/{id}``."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    assert _get(registry, f"/{API_ID}/prod//@connections/{connection_id}")[0] == 200


def test_a_closed_connection_still_names_its_stage() -> None:
    """After the connection closed, a signed post is still judged against its stage's ARN."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    connection = registry.get(connection_id)
    assert connection is not None
    registry.remove(connection)
    iam = Iam(deny=True)
    status, error_type, _ = _get(registry, f"/@connections/{connection_id}", iam, "POST", SIGNED)
    assert (status, error_type) == (403, "AccessDeniedException")
    assert f"{API_ID}/prod/POST/@connections/" in iam.asked[0][3]


def test_a_redirected_post_is_verified_for_its_apis_host_in_the_apis_region() -> None:
    """A worker in us-east-1 signs for ``{apiId}.execute-api.eu-west-1.amazonaws.com/prod``
    (the event's domainName); its redirect sends it to ``/{apiId}/prod/...`` here, with the
    stack's host: it verifies as it was signed."""
    registry = ConnectionRegistry()
    connection_id = _open_connection(registry)
    path = f"/prod/@connections/{connection_id.replace('=', '%3D')}"
    signed = AWSRequest(
        method="GET", url=f"https://{API_ID}.execute-api.eu-west-1.amazonaws.com{path}"
    )
    SigV4Auth(Credentials("ASIAWORKER", "secret"), "execute-api", "us-east-1").add_auth(signed)
    headers = {name: str(value) for name, value in signed.headers.items()}
    iam = Iam(issued={"ASIAWORKER": IssuedKey("secret")})
    assert _get(registry, f"/{API_ID}{path}", iam, headers=headers)[0] == 200
    iam = Iam(issued={"ASIAWORKER": IssuedKey("another secret")})
    assert _get(registry, f"/{API_ID}{path}", iam, headers=headers)[1] == (
        "InvalidSignatureException"
    )
