"""@connections as AWS guards it: SigV4 required, and signatures made with keys the stack
issued verified against their secrets, from boto3, the SDK for JavaScript v3 and raw HTTP.

Behaviour: docs/apigw-websocket.md §6.2."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conformance.support import WAIT, connect, connection_id_of, wire
from tests.local.iam_helpers import allow, create_role, role_credentials
from tests.local.lambda_helpers import requires_node_sdk
from tests.support import REGION, scaled
from wslab.deploy.wiring import WiredApi
from wslab.local.runtime.node import sdk_modules

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
DUMMY = Credentials("test", "test")


@pytest.fixture(scope="module")
def api(aws: Any, behave: str) -> WiredApi:
    return wire(aws, behave, ["$default"], two_way=["$default"])


@pytest.fixture
def ws(api: WiredApi) -> Any:
    socket = connect(api.url)
    yield socket
    socket.close()


# What an IAM user needs to post: the stack checks a user's own policies, as IAM does.
MANAGE_CONNECTIONS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"}
        ],
    }
)


@pytest.fixture(scope="module")
def user_key(aws: Any) -> Credentials:
    """An IAM user's access key, created in the stack's IAM, allowed to manage connections."""
    name = f"poster-{uuid.uuid4().hex[:8]}"
    aws("iam").create_user(UserName=name)
    aws("iam").put_user_policy(UserName=name, PolicyName="post", PolicyDocument=MANAGE_CONNECTIONS)
    key = aws("iam").create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def poster(api: WiredApi, credentials: Credentials, endpoint: str | None = None) -> Any:
    """boto3's management client on the stage, signing with ``credentials``; no retries."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint or api.management_url,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


def url_of(api: WiredApi, connection_id: str) -> str:
    return f"{api.management_url}/@connections/{quote(connection_id, safe='')}"


def send(
    url: str, method: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP call, exactly as given: status, headers (lower-case names), body."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=scaled(WAIT)) as response:
            answer = response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        answer = error.code, dict(error.headers.items()), error.read()
    status, head, payload = answer
    return status, {name.lower(): value for name, value in head.items()}, payload


def sigv4_headers(
    url: str, body: bytes, credentials: Credentials, at: datetime | None = None
) -> dict[str, str]:
    """botocore's SigV4 headers for a POST, dated now or ``at`` (botocore signs with the
    current time: the dated form is signed with its own steps and that time)."""
    request = AWSRequest(method="POST", url=url, data=body)
    signer = SigV4Auth(credentials, "execute-api", REGION)
    if at is None:
        signer.add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    request.headers["X-Amz-Date"] = stamp
    request.context["timestamp"] = stamp
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signed = signer.signed_headers(signer.headers_to_sign(request))
    scope = signer.credential_scope(request)
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return {"X-Amz-Date": stamp, "Authorization": authorization}


def assert_not_delivered(api: WiredApi, ws: Any) -> None:
    """The next message the client gets is a later, accepted post: the refused one never came."""
    poster(api, DUMMY).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"next")
    assert ws.recv() == "next"


# --- unsigned and malformed ---------------------------------------------------------------


def test_an_unsigned_post_is_missing_authentication_token(api: WiredApi, ws: Any) -> None:
    """403 ``{"message": "Missing Authentication Token"}``, typed
    MissingAuthenticationTokenException; nothing delivered."""
    status, headers, body = send(url_of(api, connection_id_of(ws)), "POST", b"unsigned", {})
    assert status == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert headers["content-type"].startswith("application/json")
    assert_not_delivered(api, ws)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unsigned_get_and_delete_are_refused_too(api: WiredApi, ws: Any, method: str) -> None:
    """An unsigned DELETE closes nothing; an unsigned GET describes nothing."""
    status, _, body = send(url_of(api, connection_id_of(ws)), method, None, {})
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert_not_delivered(api, ws)  # still open


def test_a_malformed_authorization_header_is_an_incomplete_signature(
    api: WiredApi, ws: Any
) -> None:
    """A bearer token where SigV4 belongs: API Gateway lists what the header lacks."""
    headers = {"Authorization": "Bearer abc.def"}
    status, head, body = send(url_of(api, connection_id_of(ws)), "POST", b"x", headers)
    assert status == 403
    assert head["x-amzn-errortype"] == "IncompleteSignatureException"
    assert json.loads(body)["message"] == (
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=Bearer abc.def"
    )
    assert_not_delivered(api, ws)


@pytest.mark.parametrize(
    ("offset", "wording"),
    [(-timedelta(minutes=10), "Signature expired: "), (timedelta(minutes=10), "not yet current")],
)
def test_a_date_ten_minutes_off_is_refused(
    api: WiredApi, ws: Any, offset: timedelta, wording: str
) -> None:
    """Even with the administrator's dummy keys: the date must be within five minutes."""
    url = url_of(api, connection_id_of(ws))
    headers = sigv4_headers(url, b"x", DUMMY, at=datetime.now(UTC) + offset)
    status, head, body = send(url, "POST", b"x", headers)
    assert (status, head["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert wording in json.loads(body)["message"]
    assert_not_delivered(api, ws)


# --- keys the stack issued: verified --------------------------------------------------------


def test_an_iam_users_key_signs_a_post(api: WiredApi, ws: Any, user_key: Credentials) -> None:
    """``iam.create_access_key``'s key and secret: boto3's post is delivered."""
    poster(api, user_key).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"user")
    assert ws.recv() == "user"


def test_an_iam_user_without_the_right_is_refused(aws: Any, api: WiredApi, ws: Any) -> None:
    """A well-signed post by a user whose policies allow no execute-api:ManageConnections:
    403 AccessDeniedException naming the user, nothing delivered."""
    name = f"reader-{uuid.uuid4().hex[:8]}"
    aws("iam").create_user(UserName=name)
    key = aws("iam").create_access_key(UserName=name)["AccessKey"]
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        poster(api, credentials).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"x")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert (
        f":user/{name} is not authorized to perform: execute-api:ManageConnections"
        in (raised.value.response["Error"]["Message"])
    )


def test_an_iam_users_key_with_another_secret_is_signature_does_not_match(
    api: WiredApi, ws: Any, user_key: Credentials
) -> None:
    """The key the stack issued, signed with a secret that is not its own: 403
    InvalidSignatureException in API Gateway's words, nothing delivered."""
    wrong = Credentials(user_key.access_key, "not-" + user_key.secret_key)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        poster(api, wrong).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"x")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["Error"]["Message"].startswith(SIGNATURE_MISMATCH)
    assert (
        "\n\nThe Canonical String for this request should have been\n'POST\n"
        in (error["Error"]["Message"])
    )
    assert_not_delivered(api, ws)


def test_a_tampered_signature_or_body_is_refused(
    api: WiredApi, ws: Any, user_key: Credentials
) -> None:
    """A signature one digit off, or a body other than the one signed: both refused."""
    url = url_of(api, connection_id_of(ws))
    headers = sigv4_headers(url, b"signed", user_key)
    last = headers["Authorization"][-1]
    tampered = {**headers, "Authorization": headers["Authorization"][:-1] + "01"[last == "0"]}
    for body, head in ((b"signed", tampered), (b"swapped", headers)):
        status, answer, payload = send(url, "POST", body, head)
        assert (status, answer["x-amzn-errortype"]) == (403, "InvalidSignatureException")
        assert json.loads(payload)["message"].startswith(SIGNATURE_MISMATCH)
    assert send(url, "POST", b"signed", headers)[0] == 200
    assert ws.recv() == "signed"


def test_an_inactive_key_is_refused(aws: Any, api: WiredApi, ws: Any) -> None:
    """A key made inactive signs nothing: the security token is invalid."""
    name = f"inactive-{uuid.uuid4().hex[:8]}"
    aws("iam").create_user(UserName=name)
    key = aws("iam").create_access_key(UserName=name)["AccessKey"]
    aws("iam").update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        poster(api, credentials).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"x")
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert raised.value.response["Error"]["Message"] == (
        "The security token included in the request is invalid."
    )


def test_assumed_role_credentials_are_verified(aws: Any, api: WiredApi, ws: Any) -> None:
    """STS ``AssumeRole`` credentials (what a function's workers get): their own secret
    posts (the role may ManageConnections), another secret is refused before IAM is asked."""
    role = create_role(
        aws("iam"),
        f"poster-{uuid.uuid4().hex[:8]}",
        allow("execute-api:ManageConnections", "*"),
    )
    issued = role_credentials(aws, role, "poster")
    connection_id = connection_id_of(ws)
    poster(api, issued).post_to_connection(ConnectionId=connection_id, Data=b"role")
    assert ws.recv() == "role"
    wrong = Credentials(issued.access_key, issued.secret_key[::-1], issued.token)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        poster(api, wrong).post_to_connection(ConnectionId=connection_id, Data=b"x")
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_session_token_credentials_are_verified(aws: Any, api: WiredApi, ws: Any) -> None:
    """STS ``GetSessionToken``'s credentials sign with their secret, and only with it."""
    issued = aws("sts").get_session_token()["Credentials"]
    good = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    poster(api, good).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"session")
    assert ws.recv() == "session"
    wrong = Credentials(good.access_key, "wrong", good.token)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        poster(api, wrong).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"x")
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_presigned_url_is_verified(api: WiredApi, ws: Any, user_key: Credentials) -> None:
    """boto3's ``generate_presigned_url`` for GetConnection: the URL alone describes the
    connection; the same URL with its signature changed is refused."""
    url = poster(api, user_key).generate_presigned_url(
        "get_connection", Params={"ConnectionId": connection_id_of(ws)}, ExpiresIn=60
    )
    status, _, body = send(url, "GET", None, {})
    assert status == 200
    assert json.loads(body)["identity"]["sourceIp"] == "127.0.0.1"
    tampered = url[:-1] + "01"[url.endswith("0")]
    status, head, body = send(tampered, "GET", None, {})
    assert (status, head["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"].startswith(SIGNATURE_MISMATCH)


# --- keys the stack never issued: the administrator's ------------------------------------------


@pytest.mark.parametrize(
    "credentials", [Credentials("test", "test"), Credentials("testing", "any secret at all")]
)
def test_dummy_keys_are_the_administrators(
    api: WiredApi, ws: Any, credentials: Credentials
) -> None:
    """Keys no IAM user or STS session has (LocalStack's ``test``/``test``, the notebooks'
    ``testing``) post with any secret, as an app run against a local AWS expects."""
    poster(api, credentials).post_to_connection(ConnectionId=connection_id_of(ws), Data=b"hi")
    assert ws.recv() == "hi"


# --- endpoints ending in "/" ---------------------------------------------------------------


def test_boto3_with_an_endpoint_ending_in_a_slash(
    api: WiredApi, ws: Any, user_key: Credentials
) -> None:
    """botocore drops the extra ``/`` itself; the post is delivered and verified."""
    management = poster(api, user_key, endpoint=api.management_url + "/")
    management.post_to_connection(ConnectionId=connection_id_of(ws), Data=b"slash")
    assert ws.recv() == "slash"


# --- the SDK for JavaScript v3 --------------------------------------------------------------

_JS_POST = """
const { ApiGatewayManagementApiClient, PostToConnectionCommand } =
  require('@aws-sdk/client-apigatewaymanagementapi');
const [endpoint, ConnectionId, accessKeyId, secretAccessKey] = process.argv.slice(1);
new ApiGatewayManagementApiClient({
  endpoint, region: process.env.REGION, maxAttempts: 1,
  credentials: { accessKeyId, secretAccessKey },
}).send(new PostToConnectionCommand({ ConnectionId, Data: 'from node' }))
  .then(() => console.log('ok'), (error) => console.log(`${error.name}: ${error.message}`));
"""


def post_from_node(endpoint: str, connection_id: str, credentials: Credentials) -> str:
    """What PostToConnection from a Node.js process (outside the stack) gave."""
    sdk = sdk_modules()
    assert sdk is not None
    done = subprocess.run(
        [
            "node",
            "-e",
            _JS_POST,
            endpoint,
            connection_id,
            credentials.access_key,
            credentials.secret_key,
        ],
        cwd=Path(sdk).parent,
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
        env={"PATH": os.environ["PATH"], "REGION": REGION},
    )
    return done.stdout.strip()


@requires_node_sdk
@pytest.mark.parametrize("suffix", ["", "/"], ids=["stage", "stage-slash"])
def test_the_sdk_for_javascript_signs_with_an_issued_key(
    api: WiredApi, ws: Any, user_key: Credentials, suffix: str
) -> None:
    """The SDK v3's signature verifies; with an endpoint ending in ``/`` it sends
    ``/{stage}//@connections/{id}``, which is served as ``/{stage}/@connections/{id}``."""
    assert post_from_node(api.management_url + suffix, connection_id_of(ws), user_key) == "ok"
    assert ws.recv() == "from node"


@requires_node_sdk
def test_the_sdk_for_javascript_with_another_secret_is_refused(
    api: WiredApi, ws: Any, user_key: Credentials
) -> None:
    wrong = Credentials(user_key.access_key, "wrong")
    result = post_from_node(api.management_url, connection_id_of(ws), wrong)
    assert result.startswith(f"InvalidSignatureException: {SIGNATURE_MISMATCH}")
    assert_not_delivered(api, ws)
