"""IAM in front of moto: a call signed with a role's temporary credentials, or with an IAM
user's access key, runs only if the role (or user) may make it.

:class:`IamEnforcement` looks at each request before moto runs it (``moto_app`` asks): the
SigV4 ``Credential`` says who signed and for which service; credentials the local STS did
not issue pass untouched; for an enforced service (``iam_services``) each permission the call
needs is put to the role's policies (``iam.policy``), and the first refusal is answered in the
service's own error shape, before moto sees the call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wslab.local.control import AccessDenied
from wslab.local.headers import sigv4_credential
from wslab.local.moto_ext.iam.policy import IamAuthority
from wslab.local.moto_ext.iam.services import ENFORCED, Call, Refusal

__all__ = ["IamEnforcement"]


class IamEnforcement:
    def __init__(self, authority: IamAuthority) -> None:
        self._authority = authority

    def refusal(self, environ: dict[str, Any]) -> Refusal | None:
        """The answer to a request IAM refuses (in its service's shape), or None."""
        credential = sigv4_credential(environ.get("HTTP_AUTHORIZATION"))
        if credential is None:
            return None
        service = ENFORCED.get(credential.service)
        if service is None:
            return None
        session = self._authority.session(credential.access_key_id)
        if session is None:
            return None  # not a role's or a user's credentials: an administrator's
        if (environ.get("HTTP_X_AMZ_SECURITY_TOKEN") or "") != session.session_token:
            return service.refuse(AccessDenied(session.arn, "", "", invalid_token=True))
        call = Call(
            method=environ["REQUEST_METHOD"],
            path=environ["PATH_INFO"],
            query=environ.get("QUERY_STRING", ""),
            target=environ.get("HTTP_X_AMZ_TARGET", ""),
            body=environ["wsgi.input"].getvalue(),
            region=credential.region,
            account_id=session.account_id,
        )
        for needed in service.needs(call):
            denied = self._authority.decide(session, needed.action, needed.resource, needed.context)
            if denied is not None:
                if needed.shown is not None:
                    denied = replace(denied, resource=needed.shown)
                return service.refuse(denied)
        return None
