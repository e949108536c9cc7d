"""boto3 clients for the local stack or for AWS, chosen by one setting."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

__all__ = ["LAMBDA_TRUST_POLICY", "LOCAL_CREDENTIALS", "client", "resource"]

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

# The local stack accepts any credentials; these make boto3 sign without a profile.
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def client(
    service: str,
    endpoint_url: str | None,
    region: str = "us-east-1",
    **config: Any,
) -> Any:
    """A boto3 client: the local stack at ``endpoint_url``, or AWS itself when it is None."""
    options = _options(endpoint_url, region)
    if config:
        options["config"] = Config(**config)
    return boto3.client(service, **options)


def resource(service: str, endpoint_url: str | None, region: str = "us-east-1") -> Any:
    """A boto3 resource (``resource("dynamodb").Table(name)``), chosen as ``client`` is."""
    return boto3.resource(service, **_options(endpoint_url, region))


def _options(endpoint_url: str | None, region: str) -> dict[str, Any]:
    options: dict[str, Any] = {"region_name": region}
    if endpoint_url is not None:
        options.update(endpoint_url=endpoint_url, **LOCAL_CREDENTIALS)
    return options
