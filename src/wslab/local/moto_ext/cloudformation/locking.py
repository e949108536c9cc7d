"""Each resource a stack creates, updates or deletes, under its own service's lock.

A stack's resources are made in other services' backends (a DynamoDB table, a Lambda
function, a route) by the CloudFormation request's thread, while those services' own
requests run on theirs. moto's backends are not safe under concurrent use
(:class:`..host.ServiceLocks`): without the service's lock, a table could appear in the
middle of a ``ListTables``, or a function change under the gateway's lookup of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from wslab.local.moto_ext.core.host import HOST

__all__ = ["service_of", "under_service_lock"]

_F = TypeVar("_F", bound=Callable[..., Any])

# A resource type's namespace (AWS::<Namespace>::...) -> the service's signing name, which
# names its lock, where the two differ; elsewhere it is the namespace in lower case.
_SIGNING_NAMES = {
    "ApiGatewayV2": "apigateway",
    "CertificateManager": "acm",
    "CloudWatch": "monitoring",
    "Cognito": "cognito-idp",
    "ElasticLoadBalancing": "elasticloadbalancing",
    "ElasticLoadBalancingV2": "elasticloadbalancing",
    "KinesisFirehose": "firehose",
    "StepFunctions": "states",
}


def service_of(resource_type: str) -> str | None:
    """The service whose backend holds resources of ``resource_type``; None for a type
    outside AWS's namespaces (``Custom::...``)."""
    parts = resource_type.split("::")
    if len(parts) != 3 or parts[0] != "AWS":
        return None
    return _SIGNING_NAMES.get(parts[1], parts[1].lower())


def under_service_lock(original: _F, resource_json_at: int) -> _F:
    """``original``, called with the lock of the service of the resource whose template
    entry is its positional argument ``resource_json_at``."""

    @functools.wraps(original)
    def locked(*args: Any, **kwargs: Any) -> Any:
        resource_json = args[resource_json_at] if len(args) > resource_json_at else None
        kind = resource_json.get("Type") if isinstance(resource_json, Mapping) else None
        service = service_of(kind) if isinstance(kind, str) else None
        if service is None:
            return original(*args, **kwargs)
        with HOST.locks.of(service):
            return original(*args, **kwargs)

    return locked  # type: ignore[return-value]
