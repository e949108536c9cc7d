"""The `$connect` REQUEST authorizer and the tokens it checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import boto3
import pytest
from chat import handlers
from chat.tokens import TokenError, mint_token, verify_token
from moto import mock_aws

from .support import REGION, load_event, log_records

SECRET = "s" * 32 + "-only-for-tests"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/$connect"


def authorizer_event(token: str | None) -> dict[str, Any]:
    """The golden authorizer event with `token` in the query string (or none at all)."""
    event = load_event("wslab__authorizer-request.json")
    for query in (event["queryStringParameters"], event["multiValueQueryStringParameters"]):
        query.pop("token")
        if token is not None:
            query["token"] = token if query is event["queryStringParameters"] else [token]
    return event


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def effect(result: dict[str, Any]) -> str:
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    # The $connect ARN exactly: a REST-style ".../*/*" would not match and AWS gives 403.
    assert statement["Resource"] == METHOD_ARN
    assert result["policyDocument"]["Version"] == "2012-10-17"
    return str(statement["Effect"])


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    return SECRET


def test_valid_token_is_allowed_with_the_user_in_context(secret: str) -> None:
    """Allow, principalId and context.user are the token's subject."""
    result = handlers.authorize(authorizer_event(mint_token(secret, "alice", 300)), None)
    assert effect(result) == "Allow"
    assert result["principalId"] == "alice"
    assert result["context"] == {"user": "alice"}


def test_token_at_the_longest_allowed_lifetime_is_allowed(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TOKEN_MAX_TTL_SECONDS is inclusive."""
    monkeypatch.setenv("TOKEN_MAX_TTL_SECONDS", "600")
    result = handlers.authorize(authorizer_event(mint_token(secret, "alice", 600)), None)
    assert effect(result) == "Allow"


def _forged() -> str:
    return mint_token("f" * 40, "alice", 300)


def _tampered() -> str:
    header, _, signature = mint_token(SECRET, "alice", 300).split(".")
    now = int(time.time())
    return f"{header}.{b64({'sub': 'admin', 'iat': now, 'exp': now + 300})}.{signature}"


def _alg_none() -> str:
    now = int(time.time())
    return f"{b64({'alg': 'none'})}.{b64({'sub': 'alice', 'iat': now, 'exp': now + 60})}."


def _signed_claims(claims: Any) -> str:
    """A correctly signed token carrying arbitrary claims."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    digest = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


DENIED = [
    pytest.param(lambda: None, "missing_token", id="missing"),
    pytest.param(lambda: "", "malformed", id="empty"),
    pytest.param(lambda: "not-a-token", "malformed", id="garbage"),
    pytest.param(lambda: "a.b.c", "malformed", id="three-junk-parts"),
    pytest.param(lambda: "x" * 5000, "malformed", id="huge"),
    pytest.param(_forged, "bad_signature", id="forged"),
    pytest.param(_tampered, "bad_signature", id="tampered-claims"),
    pytest.param(_alg_none, "unsupported_algorithm", id="alg-none"),
    pytest.param(
        lambda: mint_token(SECRET, "alice", 60, now=time.time() - 3600), "expired", id="expired"
    ),
    pytest.param(lambda: mint_token(SECRET, "alice", 3600), "lifetime_too_long", id="long-lived"),
    pytest.param(
        lambda: mint_token(SECRET, "alice", 60, now=time.time() + 600),
        "not_yet_valid",
        id="from-the-future",
    ),
    pytest.param(
        lambda: _signed_claims({"sub": "alice", "iat": True, "exp": True}),
        "missing_times",
        id="boolean-times",
    ),
    pytest.param(lambda: _signed_claims({"sub": "alice"}), "missing_times", id="no-times"),
    pytest.param(
        lambda: _signed_claims({"sub": "", "iat": int(time.time()), "exp": int(time.time()) + 9}),
        "invalid_subject",
        id="empty-subject",
    ),
    pytest.param(
        lambda: _signed_claims({"sub": 7, "iat": int(time.time()), "exp": int(time.time()) + 9}),
        "invalid_subject",
        id="numeric-subject",
    ),
    pytest.param(lambda: _signed_claims(["alice"]), "malformed", id="claims-not-object"),
]


@pytest.mark.parametrize(("make_token", "reason"), DENIED)
def test_bad_tokens_are_denied_and_never_logged(
    secret: str, capsys: pytest.CaptureFixture[str], make_token: Any, reason: str
) -> None:
    """Deny on the $connect ARN; the log says why but holds no part of the token."""
    token = make_token()
    result = handlers.authorize(authorizer_event(token), None)

    assert effect(result) == "Deny"
    assert "context" not in result
    captured = capsys.readouterr()
    (record,) = log_records(captured.out)
    assert (record["event"], record["outcome"], record["reason"]) == ("authorize", "deny", reason)
    for part in (token or "").split("."):
        if len(part) >= 8:
            assert part not in captured.out + captured.err


def test_valid_token_is_never_logged(secret: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Allowed connections log the user, not the token or any part of it."""
    token = mint_token(secret, "alice", 300)
    handlers.authorize(authorizer_event(token), None)
    captured = capsys.readouterr()
    (record,) = log_records(captured.out)
    assert (record["outcome"], record["user"], record["reason"]) == (
        "allow",
        "alice",
        "valid_token",
    )
    for part in token.split("."):
        assert part not in captured.out + captured.err


def test_real_aws_authorizer_capture_without_token_is_denied(secret: str) -> None:
    """The powertools capture (empty query string) is denied, not crashed on."""
    event = load_event("powertools-python__apiGatewayAuthorizerWebSocketEvent.json")
    result = handlers.authorize(event, None)
    (statement,) = result["policyDocument"]["Statement"]
    assert (statement["Effect"], statement["Resource"]) == ("Deny", event["methodArn"])


def test_no_secret_configured_denies_everyone(capsys: pytest.CaptureFixture[str]) -> None:
    """Without TOKEN_SECRET or TOKEN_SECRET_ARN nothing is allowed, and it is an ERROR."""
    token = mint_token(SECRET, "alice", 300)
    assert effect(handlers.authorize(authorizer_event(token), None)) == "Deny"
    (record,) = log_records(capsys.readouterr().out)
    assert (record["level"], record["reason"]) == ("ERROR", "secret_not_configured")


def test_short_secret_denies_everyone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secret under 32 bytes is a deployment mistake, not something to sign with."""
    monkeypatch.setenv("TOKEN_SECRET", "short")
    token = mint_token(SECRET, "alice", 300)
    assert effect(handlers.authorize(authorizer_event(token), None)) == "Deny"
    (record,) = log_records(capsys.readouterr().out)
    assert (record["level"], record["reason"]) == ("ERROR", "secret_too_short")


def test_secret_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """TOKEN_SECRET_ARN is read from Secrets Manager once and then reused."""
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name=REGION)
        arn = secrets.create_secret(Name="wslab/token", SecretString=SECRET)["ARN"]
        monkeypatch.setenv("TOKEN_SECRET_ARN", arn)
        monkeypatch.setenv("TOKEN_SECRET", "z" * 40)  # the ARN wins

        first = handlers.authorize(authorizer_event(mint_token(SECRET, "alice", 300)), None)
        secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        second = handlers.authorize(authorizer_event(mint_token(SECRET, "bob", 300)), None)

    assert effect(first) == effect(second) == "Allow"


def test_unreadable_secret_denies(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing secret or a missing permission denies, logged as an ERROR."""
    with mock_aws():
        monkeypatch.setenv("TOKEN_SECRET_ARN", "wslab/does-not-exist")
        result = handlers.authorize(authorizer_event(mint_token(SECRET, "alice", 300)), None)
    assert effect(result) == "Deny"
    (record,) = log_records(capsys.readouterr().out)
    assert record["level"] == "ERROR"
    assert record["reason"].startswith("secret_unavailable")


def test_mint_token_is_a_standard_hs256_jwt() -> None:
    """Header {"alg":"HS256","typ":"JWT"}, claims sub/iat/exp, URL-safe unpadded base64."""
    token = mint_token(SECRET, "alice", 120, now=1_700_000_000)
    header, claims, signature = token.split(".")
    assert "=" not in token

    def decode(part: str) -> Any:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    assert decode(header) == {"alg": "HS256", "typ": "JWT"}
    assert decode(claims) == {"sub": "alice", "iat": 1_700_000_000, "exp": 1_700_000_120}
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32


def test_verify_round_trip_and_clock_leeway() -> None:
    """A token verifies until 30 s past its expiry (clock skew), then not."""
    token = mint_token(SECRET, "alice", 60, now=1_700_000_000)
    assert verify_token(SECRET, token, max_ttl_seconds=900, now=1_700_000_000) == "alice"
    assert verify_token(SECRET, token, max_ttl_seconds=900, now=1_700_000_089) == "alice"
    with pytest.raises(TokenError) as caught:
        verify_token(SECRET, token, max_ttl_seconds=900, now=1_700_000_090)
    assert caught.value.reason == "expired"
    assert token not in str(caught.value)


@pytest.mark.parametrize(
    ("secret", "user", "ttl"),
    [
        ("short", "alice", 60),
        (SECRET, "", 60),
        (SECRET, "a" * 65, 60),
        (SECRET, "a\nb", 60),
        (SECRET, "alice", 0),
    ],
)
def test_mint_token_refuses_bad_arguments(secret: str, user: str, ttl: int) -> None:
    """Short secrets, bad user names and non-positive lifetimes are programming errors."""
    with pytest.raises(ValueError):
        mint_token(secret, user, ttl)
