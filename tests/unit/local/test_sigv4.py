"""SigV4 checks of ``local/sigv4.py`` on requests signed by botocore: the header read, the
date's five minutes, the signature recomputed (and the signing key derived once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wslab.local.sigv4 import (
    Authorization,
    Refusal,
    SignatureChecker,
    SignedRequest,
    check_date,
    read_authorization,
    read_query_authorization,
)

KEY, SECRET = "AKIAEXAMPLEKEY000001", "s3cr3t"
URL = "http://127.0.0.1:4577/a1b2c3d4e5/prod/@connections/AbC%3D"


def signed(url: str = URL, body: bytes = b"hello", secret: str = SECRET) -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=body)
    SigV4Auth(Credentials(KEY, secret), "execute-api", "us-east-1").add_auth(request)
    return request


def received(request: AWSRequest) -> SignedRequest:
    """The request as the gateway reads it off the wire."""
    parts = urlsplit(request.url)
    headers = {
        name: str(value, "ascii") if isinstance(value, bytes) else value
        for name, value in request.headers.items()
    }
    return SignedRequest(
        request.method, parts.netloc, parts.path, parts.query, headers, request.body or b""
    )


def authorization_of(request: SignedRequest) -> Authorization:
    authorization = read_authorization(request.headers["Authorization"], request.headers)
    assert isinstance(authorization, Authorization), authorization
    return authorization


def test_a_botocore_signature_verifies_with_the_secret() -> None:
    """The signature botocore made is the one recomputed with the same secret."""
    request = received(signed())
    assert SignatureChecker().verify([request], authorization_of(request), SECRET) is None


def test_another_secret_is_signature_does_not_match_with_the_canonical_string() -> None:
    """Signed with another secret: API Gateway's message, with the canonical request and the
    string to sign it expected (the path encoded once more, as AWS shows it)."""
    request = received(signed(secret="not-the-secret"))
    refusal = SignatureChecker().verify([request], authorization_of(request), SECRET)
    assert refusal is not None and refusal.error_type == "InvalidSignatureException"
    assert refusal.message.startswith(
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.\n\nThe Canonical String for this request should have "
        "been\n'POST\n/a1b2c3d4e5/prod/%40connections/AbC%253D\n"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in refusal.message


def test_a_changed_body_or_path_no_longer_verifies() -> None:
    """The body and the path are covered by the signature."""
    request = received(signed())
    authorization = authorization_of(request)
    checker = SignatureChecker()
    other_body = SignedRequest(
        request.method, request.host, request.path, "", request.headers, b"other"
    )
    other_path = SignedRequest(
        request.method, request.host, request.path + "x", "", request.headers, request.body
    )
    assert checker.verify([request], authorization, SECRET) is None
    assert checker.verify([other_body], authorization, SECRET) is not None
    assert checker.verify([other_path], authorization, SECRET) is not None


def test_any_of_the_forms_may_carry_the_signature() -> None:
    """A request signed for the API's AWS host, then sent to the stack's URL, verifies when
    its signed form is among those tried."""
    original = received(
        signed(
            url="https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/@connections/AbC%3D"
        )
    )
    moved = SignedRequest(
        original.method,
        "127.0.0.1:4577",
        "/a1b2c3d4e5" + original.path,
        "",
        original.headers,
        original.body,
    )
    checker = SignatureChecker()
    assert checker.verify([moved], authorization_of(original), SECRET) is not None
    assert checker.verify([moved, original], authorization_of(original), SECRET) is None


def test_a_double_slash_signs_as_one() -> None:
    """``/prod//@connections`` (an endpoint ending in ``/``, as the SDK for JavaScript sends
    it) is signed with the empty segment dropped; botocore's canonical path drops it too."""
    request = received(signed(url=URL.replace("/prod/", "/prod//")))
    assert SignatureChecker().verify([request], authorization_of(request), SECRET) is None


def test_the_signing_key_is_derived_once_per_secret_and_day() -> None:
    """A second verification reuses the derived key (the hot path of a broadcast)."""
    checker = SignatureChecker()
    for _ in range(3):
        request = received(signed())
        assert checker.verify([request], authorization_of(request), SECRET) is None
    assert len(checker._keys) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Bearer eyJhbGciOi",
            "Authorization header requires 'Credential' parameter. Authorization header "
            "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
            "parameter. Authorization=Bearer eyJhbGciOi",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/execute-api/aws4_request, "
            "SignedHeaders=host",
            "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
            "Credential=AKIA/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host",
        ),
        (
            "AWS4-HMAC-SHA256 Credential AKIA/20260101/us-east-1/execute-api/aws4_request",
            "'Credential AKIA/20260101/us-east-1/execute-api/aws4_request' not a valid key=value "
            "pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential "
            "AKIA/20260101/us-east-1/execute-api/aws4_request'.",
        ),
    ],
)
def test_a_malformed_header_is_an_incomplete_signature(header: str, expected: str) -> None:
    """API Gateway's IncompleteSignatureException wordings."""
    refusal = read_authorization(header, {"X-Amz-Date": "20260101T000000Z"})
    assert refusal == Refusal("IncompleteSignatureException", expected)


def test_no_date_header_is_named() -> None:
    """Without X-Amz-Date or Date the message says so."""
    header = str(signed().headers["Authorization"])
    refusal = read_authorization(header, {})
    assert isinstance(refusal, Refusal)
    assert refusal.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def _dated(amz_date: str) -> Authorization:
    header = (
        f"AWS4-HMAC-SHA256 Credential={KEY}/{amz_date[:8]}/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00"
    )
    authorization = read_authorization(header, {"X-Amz-Date": amz_date})
    assert isinstance(authorization, Authorization)
    return authorization


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_five_minutes_either_way_are_accepted() -> None:
    for offset in (-300, 0, 300):
        moment = (NOW + timedelta(seconds=offset)).strftime("%Y%m%dT%H%M%SZ")
        assert check_date(_dated(moment), NOW) is None


def test_older_than_five_minutes_is_signature_expired() -> None:
    """AWS's wording: the date, the earliest accepted, and now minus 5 min."""
    refusal = check_date(_dated("20260101T115459Z"), NOW)
    assert refusal == Refusal(
        "InvalidSignatureException",
        "Signature expired: 20260101T115459Z is now earlier than 20260101T115500Z "
        "(20260101T120000Z - 5 min.)",
    )


def test_later_than_five_minutes_is_not_yet_current() -> None:
    refusal = check_date(_dated("20260101T120501Z"), NOW)
    assert refusal == Refusal(
        "InvalidSignatureException",
        "Signature not yet current: 20260101T120501Z is still later than 20260101T120500Z "
        "(20260101T120000Z + 5 min.)",
    )


def presigned(expires: int = 60, secret: str = SECRET) -> SignedRequest:
    """A GET botocore presigned (its SigV4QueryAuth), as the gateway receives it."""
    request = AWSRequest(method="GET", url=URL)
    SigV4QueryAuth(Credentials(KEY, secret), "execute-api", "us-east-1", expires).add_auth(request)
    parts = urlsplit(request.url)
    return SignedRequest("GET", parts.netloc, parts.path, parts.query, {}, b"")


def query_authorization_of(request: SignedRequest) -> Authorization:
    authorization = read_query_authorization(dict(parse_qsl(request.query)))
    assert isinstance(authorization, Authorization), authorization
    return authorization


def test_a_presigned_url_verifies_and_only_with_its_secret() -> None:
    """Query-string signing: the X-Amz-* parameters, the signature left out of what it signs."""
    request = presigned()
    authorization = query_authorization_of(request)
    assert authorization.presigned and authorization.expires_s == 60
    checker = SignatureChecker()
    assert checker.verify([request], authorization, SECRET) is None
    wrong = presigned(secret="other")
    assert checker.verify([wrong], query_authorization_of(wrong), SECRET) is not None


def test_a_presigned_url_lasts_its_expiry_not_five_minutes() -> None:
    authorization = query_authorization_of(presigned(expires=3600))
    signed_at = authorization.signed_at
    assert check_date(authorization, signed_at + timedelta(minutes=30)) is None
    refusal = check_date(authorization, signed_at + timedelta(seconds=3601))
    assert refusal is not None and refusal.message.startswith("Signature expired: ")


def test_an_incomplete_presigned_url_is_refused() -> None:
    parameters = dict(parse_qsl(presigned().query))
    del parameters["X-Amz-SignedHeaders"]
    refusal = read_query_authorization(parameters)
    assert isinstance(refusal, Refusal)
    assert refusal.error_type == "IncompleteSignatureException"


def test_the_form_a_key_matched_is_tried_first_next_time() -> None:
    """Two forms, the second the signed one: after the first match, one recomputation."""
    original = received(signed())
    moved = SignedRequest(
        original.method, "elsewhere:1", original.path, "", original.headers, original.body
    )
    checker = SignatureChecker()
    computed: list[SignedRequest] = []
    compute = checker._compute

    def counting(form: SignedRequest, *rest: object) -> object:
        computed.append(form)
        return compute(form, *rest)  # type: ignore[arg-type]

    checker._compute = counting  # type: ignore[method-assign]
    assert checker.verify([moved, original], authorization_of(original), SECRET) is None
    assert computed == [moved, original]
    computed.clear()
    assert checker.verify([moved, original], authorization_of(original), SECRET) is None
    assert computed == [original]
