"""Checking a request's SigV4 signature as AWS does: the header read, the date within five
minutes, the signature recomputed from the secret of the credentials that signed.

The canonical request and the string to sign come from botocore's own signer
(``SigV4Auth``), told to sign exactly the headers the request lists in ``SignedHeaders``;
only the signing key is derived here, so that it is derived once per secret, day, region and
service rather than four HMACs per request (``@connections`` posts are a hot path).

The algorithm: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
What API Gateway answers when a check fails (403, ``{"message": ...}``, the
``x-amzn-ErrorType`` header) and where each wording comes from: docs/apigw-websocket.md §6.2.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = [
    "ALLOWED_SKEW",
    "Authorization",
    "Refusal",
    "SignatureChecker",
    "SignedRequest",
    "check_date",
    "missing_authentication",
    "read_authorization",
    "read_query_authorization",
]

ALGORITHM: Final = "AWS4-HMAC-SHA256"
ALLOWED_SKEW: Final = timedelta(minutes=5)
"""How far a request's date may be from the server's clock (the "5 min." of AWS's message)."""
_AMZ_DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
_PARAMETER = re.compile(r"\s*([^=,\s]+)=([^,]*)")
_KEY_CACHE_LIMIT: Final = 1024
_QUERY_PARAMETERS: Final = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
)
_SIGNATURE_PARAMETER: Final = "X-Amz-Signature="
_CONTENT_SHA256: Final = "X-Amz-Content-SHA256"
_MAX_EXPIRES_S: Final = 7 * 24 * 3600  # SigV4's longest presigned URL, seven days


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: API Gateway's ``x-amzn-ErrorType`` and message (always 403)."""

    error_type: str
    message: str


def missing_authentication() -> Refusal:
    """The answer to an unsigned call; UNCONFIRMED: its type, as REST APIs send it."""
    return Refusal("MissingAuthenticationTokenException", "Missing Authentication Token")


@dataclass(frozen=True)
class Authorization:
    """A well-formed SigV4 signature (an ``Authorization`` header, or the ``X-Amz-*``
    parameters of a presigned URL, which last ``expires_s``) and the request's date."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    signed_at: datetime
    expires_s: int | None = None

    @property
    def presigned(self) -> bool:
        return self.expires_s is not None


@dataclass(frozen=True)
class SignedRequest:
    """The parts of a received request a signature covers. ``path`` as it came on the wire
    (percent-encoding untouched), ``query`` likewise, header names in any case."""

    method: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


def _request_date(headers: Mapping[str, str]) -> tuple[str, datetime] | None:
    """``X-Amz-Date`` (or ``Date``): the text as signed, and the time it says."""
    amz_date = headers.get("X-Amz-Date")
    if amz_date is not None:
        try:
            parsed = datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
        return amz_date, parsed
    date = headers.get("Date")
    if date is None:
        return None
    try:
        parsed = parsedate_to_datetime(date).astimezone(UTC)
    except (TypeError, ValueError):
        return None
    return parsed.strftime(_AMZ_DATE_FORMAT), parsed


def _authorization(
    scope: list[str],
    signed_headers: str,
    signature: str,
    dated: tuple[str, datetime],
    expires_s: int | None = None,
) -> Authorization:
    """An :class:`Authorization` from a credential scope (``key/date/region/service/...``),
    the signed headers' list and the request's date, as the header and a presigned URL
    both give them."""
    key, scope_date, region, service, _ = scope
    return Authorization(
        access_key_id=key,
        scope_date=scope_date,
        region=region,
        service=service,
        signed_headers=tuple(signed_headers.lower().split(";")),
        signature=signature,
        amz_date=dated[0],
        signed_at=dated[1],
        expires_s=expires_s,
    )


def read_authorization(header: str, headers: Mapping[str, str]) -> Authorization | Refusal:
    """The header's parts, or API Gateway's ``IncompleteSignatureException``.

    UNCONFIRMED: a part without ``=`` is worded as other services word it, and a
    ``Credential`` that is not ``key/date/region/service/aws4_request`` is taken as missing."""
    algorithm, _, rest = header.strip().partition(" ")
    parameters: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for part in rest.split(","):
            if not part.strip():
                continue
            found = _PARAMETER.fullmatch(part)
            if found is None:
                return Refusal(
                    "IncompleteSignatureException",
                    f"'{part.strip()}' not a valid key=value pair (missing equal-sign) in "
                    f"Authorization header: '{header}'.",
                )
            parameters[found.group(1)] = found.group(2).strip()
    dated = _request_date(headers)
    scope = parameters.get("Credential", "").split("/")
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parameters.get(name)
    ]
    if dated is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing or len(scope) != 5 or scope[4] != "aws4_request":
        if not missing:  # a Credential that is not key/date/region/service/aws4_request
            missing.append("Authorization header requires 'Credential' parameter.")
        return Refusal(
            "IncompleteSignatureException", " ".join(missing) + f" Authorization={header}"
        )
    assert dated is not None
    return _authorization(scope, parameters["SignedHeaders"], parameters["Signature"], dated)


def read_query_authorization(query: Mapping[str, str]) -> Authorization | Refusal:
    """A presigned URL's ``X-Amz-*`` parameters, or the refusal of an incomplete set.

    UNCONFIRMED: the wording of that refusal, and of the expiry, as other services word them
    (docs/apigw-websocket.md §6.2)."""
    incomplete = Refusal(
        "IncompleteSignatureException",
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "
        "'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string "
        "parameters.",
    )
    if any(not query.get(name) for name in _QUERY_PARAMETERS):
        return incomplete
    scope = query["X-Amz-Credential"].split("/")
    dated = _request_date({"X-Amz-Date": query["X-Amz-Date"]})
    expires = query.get("X-Amz-Expires", str(_MAX_EXPIRES_S))
    if (
        query["X-Amz-Algorithm"] != ALGORITHM
        or len(scope) != 5
        or scope[4] != "aws4_request"
        or dated is None
        or not expires.isdigit()
    ):
        return incomplete
    return _authorization(
        scope,
        query["X-Amz-SignedHeaders"],
        query["X-Amz-Signature"],
        dated,
        expires_s=min(int(expires), _MAX_EXPIRES_S),
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime(_AMZ_DATE_FORMAT)


def check_date(authorization: Authorization, now: datetime) -> Refusal | None:
    """Refused outside five minutes of ``now``, or dated otherwise than its scope
    (UNCONFIRMED: that wording, as other services send it)."""
    signed_at = authorization.signed_at
    if authorization.expires_s is not None:
        valid_until = signed_at + timedelta(seconds=authorization.expires_s)
        if valid_until < now:
            return Refusal(
                "InvalidSignatureException",
                f"Signature expired: {authorization.amz_date} is now earlier than "
                f"{_stamp(now - timedelta(seconds=authorization.expires_s))} "
                f"({_stamp(now)} - {authorization.expires_s} sec.)",
            )
    elif signed_at < now - ALLOWED_SKEW:
        return Refusal(
            "InvalidSignatureException",
            f"Signature expired: {authorization.amz_date} is now earlier than "
            f"{_stamp(now - ALLOWED_SKEW)} ({_stamp(now)} - 5 min.)",
        )
    if signed_at > now + ALLOWED_SKEW:
        return Refusal(
            "InvalidSignatureException",
            f"Signature not yet current: {authorization.amz_date} is still later than "
            f"{_stamp(now + ALLOWED_SKEW)} ({_stamp(now)} + 5 min.)",
        )
    if authorization.scope_date != authorization.amz_date[:8]:
        return Refusal(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{authorization.scope_date}' != '{authorization.amz_date[:8]}', from "
            f"'{authorization.amz_date}'.",
        )
    return None


class _SignedHeaders(dict[str, str]):
    """The signed headers, by lower-case name, in the one shape botocore's canonical
    request reads of them (iteration and ``get_all``): lighter than its ``HTTPHeaders``."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


class _Recomputation(SigV4Auth):  # type: ignore[misc]  # botocore has no type hints
    """botocore's signer, signing only the headers the request says it signed."""

    def __init__(self, authorization: Authorization, signed: _SignedHeaders) -> None:
        super().__init__(_NO_CREDENTIALS, authorization.service, authorization.region)
        self._signed = signed

    def headers_to_sign(self, request: Any) -> _SignedHeaders:
        return self._signed


_NO_CREDENTIALS: Final = Credentials("", "")  # the secret is applied by SignatureChecker


@dataclass(frozen=True)
class _Computed:
    canonical_request: str
    string_to_sign: str
    signature: str


class SignatureChecker:
    """Verifies signatures; keeps the derived signing keys it computed."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._keys: dict[tuple[str, str, str, str], bytes] = {}
        self._matched_form: dict[str, int] = {}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _signing_key(self, secret: str, authorization: Authorization) -> bytes:
        cache_key = (secret, authorization.scope_date, authorization.region, authorization.service)
        key = self._keys.get(cache_key)
        if key is None:
            key = f"AWS4{secret}".encode()
            for part in (*cache_key[1:], "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            if len(self._keys) >= _KEY_CACHE_LIMIT:
                self._keys.clear()  # keys are cheap to derive again; never a memory leak
            self._keys[cache_key] = key
        return key

    def _compute(
        self, request: SignedRequest, authorization: Authorization, secret: str
    ) -> _Computed:
        query = request.query
        if authorization.presigned:  # the signature is not part of what it signs
            pairs = query.split("&")
            query = "&".join(pair for pair in pairs if not pair.startswith(_SIGNATURE_PARAMETER))
        query = f"?{query}" if query else ""
        received = {name.lower(): value for name, value in request.headers.items()}
        received["host"] = request.host
        signed = _SignedHeaders(
            (name, received[name]) for name in authorization.signed_headers if name in received
        )
        # The payload's hash, given as botocore takes it from X-Amz-Content-SHA256 (the
        # client's, when it signed one): botocore would otherwise prepare a whole request
        # to read the body.
        content_hash = (
            signed.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
        )
        aws_request = AWSRequest(
            method=request.method,
            url=f"http://{request.host}{request.path}{query}",
            headers={_CONTENT_SHA256: content_hash},
        )
        aws_request.context["timestamp"] = authorization.amz_date
        signer = _Recomputation(authorization, signed)
        canonical = signer.canonical_request(aws_request)
        string_to_sign = signer.string_to_sign(aws_request, canonical)
        key = self._signing_key(secret, authorization)
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        return _Computed(canonical, string_to_sign, signature)

    def verify(
        self, forms: Sequence[SignedRequest], authorization: Authorization, secret: str
    ) -> Refusal | None:
        """None when the signature is that of one of ``forms`` (the request as received,
        and as it may have been signed before the stack's own redirects changed its URL);
        else the mismatch, showing what the first form should have been signed as."""
        first: _Computed | None = None
        # The form a key's signatures matched last is tried first: a function's posts are
        # all redirected, a script's all direct, so one recomputation each, not two.
        hinted = self._matched_form.get(authorization.access_key_id, 0)
        order = sorted(range(len(forms)), key=lambda index: index != hinted)
        for index in order:
            computed = self._compute(forms[index], authorization, secret)
            if hmac.compare_digest(computed.signature, authorization.signature):
                if index != hinted:
                    if len(self._matched_form) >= _KEY_CACHE_LIMIT:
                        self._matched_form.clear()
                    self._matched_form[authorization.access_key_id] = index
                return None
            first = first or computed
        assert first is not None, "at least one form of the request"
        return Refusal(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.\n\nThe Canonical String for this request should have "
            f"been\n'{first.canonical_request}'\n\nThe String-to-Sign should have been\n"
            f"'{first.string_to_sign}'\n",
        )
