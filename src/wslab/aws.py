"""Where AWS calls go: the local stack or an AWS account, as one :class:`Target`.

Everything that makes boto3 clients (the tutorial, ``wslab deploy``, the demo, the tests)
goes through a ``Target``: an endpoint (``None`` for AWS itself), a region, credentials,
and the clients made for them, made once each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

__all__ = [
    "LAMBDA_TRUST_POLICY",
    "LOCAL_CREDENTIALS",
    "LOCAL_REGION",
    "Target",
    "TargetError",
    "client",
    "resource",
]

LAMBDA_TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
"""Who may assume a Lambda execution role: the Lambda service."""

LOCAL_CREDENTIALS: Mapping[str, str] = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
"""The local stack accepts any credentials; these make boto3 sign without a profile."""

LOCAL_REGION = "us-east-1"


class TargetError(RuntimeError):
    """The target can't be used as configured; the message says what to set."""


def _configured_region() -> str | None:
    # boto3 reads AWS_DEFAULT_REGION and the profile; the AWS CLI v2 and the other SDKs
    # also read AWS_REGION, which is what most people set.
    return (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or boto3.session.Session().region_name
    )


@dataclass(frozen=True)
class Target:
    """The local stack at ``endpoint_url``, or AWS itself when it is None."""

    endpoint_url: str | None
    region: str = LOCAL_REGION
    _clients: dict[tuple[str, str | None], Any] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def local(cls, endpoint_url: str, region: str = LOCAL_REGION) -> Target:
        return cls(endpoint_url.rstrip("/"), region)

    @classmethod
    def aws(cls, region: str | None = None) -> Target:
        """Your AWS account: credentials and region from your usual AWS configuration
        (``AWS_PROFILE``, ``AWS_REGION``, ``~/.aws/config``, ...)."""
        chosen = region or _configured_region()
        if not chosen:
            raise TargetError(
                "no AWS region is configured: set AWS_REGION (or AWS_DEFAULT_REGION, or a "
                "region in your AWS profile)"
            )
        return cls(None, chosen)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def _options(self, endpoint_url: str | None, config: Mapping[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {"region_name": self.region}
        if endpoint_url is not None:
            options["endpoint_url"] = endpoint_url
        if self.is_local:
            options.update(LOCAL_CREDENTIALS)
        if config:
            options["config"] = Config(**config)
        return options

    def client(self, service: str, **config: Any) -> Any:
        """``boto3.client(service)`` on this target; one per service (without ``config``)."""
        if config:
            return boto3.client(service, **self._options(self.endpoint_url, config))
        key = (service, None)
        if key not in self._clients:
            self._clients[key] = boto3.client(service, **self._options(self.endpoint_url, {}))
        return self._clients[key]

    def client_at(self, service: str, endpoint_url: str, **config: Any) -> Any:
        """``boto3.client(service, endpoint_url=...)``: the ``@connections`` API of a stage
        (``apigatewaymanagementapi``) has no endpoint of its own, only the stage's URL."""
        if config:
            return boto3.client(service, **self._options(endpoint_url, config))
        key = (service, endpoint_url)
        if key not in self._clients:
            self._clients[key] = boto3.client(service, **self._options(endpoint_url, {}))
        return self._clients[key]

    def resource(self, service: str) -> Any:
        """``boto3.resource(service)`` on this target (``resource("dynamodb").Table(name)``)."""
        return boto3.resource(service, **self._options(self.endpoint_url, {}))

    @property
    def default_wait_s(self) -> float:
        """How long to wait for something asynchronous: longer on AWS, where logs lag
        (``WSLAB_TEST_TIMEOUT_SCALE`` stretches it on a slow machine)."""
        scale = float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))
        return (5.0 if self.is_local else 30.0) * scale

    @property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    def describe(self) -> str:
        if self.is_local:
            return f"the local AWS at {self.endpoint_url} (region {self.region})"
        return f"AWS account {self.account_id}, region {self.region}"


def client(
    service: str, endpoint_url: str | None, region: str = LOCAL_REGION, **config: Any
) -> Any:
    """A boto3 client: the local stack at ``endpoint_url``, or AWS itself when it is None."""
    return Target(endpoint_url, region).client(service, **config)


def resource(service: str, endpoint_url: str | None, region: str = LOCAL_REGION) -> Any:
    """A boto3 resource, chosen as :func:`client` is."""
    return Target(endpoint_url, region).resource(service)
