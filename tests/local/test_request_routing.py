"""One port, several services: a path with an ``@connections`` segment is the gateway's only
in the shapes the management API has, so S3 keys may hold that segment too.

On AWS the host name says which service a request is for; locally the stack's one port
serves them all, so the path and the request's signature decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from tests.support import REGION
from wslab.aws import client


@pytest.mark.parametrize("key", ["@connections/x", "prod/@connections/AAAAAAAAAAAAAAA="])
def test_s3_keys_with_an_at_connections_segment_are_s3s(
    aws: Callable[..., Any], unique: str, key: str
) -> None:
    """Path-style addressing puts the bucket first: ``/{bucket}/@connections/x`` is a key."""
    s3 = aws("s3", s3={"addressing_style": "path"})
    bucket = f"routing-{unique}"
    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=b"kept by S3")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"kept by S3"
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="")["Contents"]
        assert [item["Key"] for item in listed] == [key]
    finally:
        s3.delete_object(Bucket=bucket, Key=key)
        s3.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize("stage_path", ["", "/prod"])
def test_the_management_api_under_the_stacks_root_still_answers(
    endpoint_url: str, stage_path: str
) -> None:
    """``/@connections/{id}`` and ``/{stage}/@connections/{id}`` (the root forms handlers
    get from ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``): an id no connection has is
    GoneException, not an S3 error."""
    management = client("apigatewaymanagementapi", endpoint_url + stage_path, REGION)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        management.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert raised.value.response["Error"]["Code"] == "GoneException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
