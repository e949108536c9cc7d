"""A bucket policy decides on object requests as IAM would: conditions evaluated (the local
stack stands for HTTPS), ``*`` and ``?`` its only wildcards, a ``Deny`` answered with 403."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _deny_put(bucket: str, resource: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": resource,
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def bucket(aws: Any, unique: str) -> str:
    name = f"policy-{unique}"
    aws("s3").create_bucket(Bucket=name)
    return name


def _put_refused(aws: Any, bucket: str, key: str) -> bool:
    try:
        aws("s3").put_object(Bucket=bucket, Key=key, Body=b"x")
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        return True
    return False


def test_the_https_only_statement_lets_uploads_through(aws: Any, bucket: str) -> None:
    """``sam deploy``'s bucket denies plain HTTP; the local stack stands for HTTPS."""
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    policy = _deny_put(bucket, f"arn:aws:s3:::{bucket}/*", insecure)
    aws("s3").put_bucket_policy(Bucket=bucket, Policy=policy)
    assert not _put_refused(aws, bucket, "code.zip")

    secure = {"Bool": {"aws:SecureTransport": "true"}}
    policy = _deny_put(bucket, f"arn:aws:s3:::{bucket}/*", secure)
    aws("s3").put_bucket_policy(Bucket=bucket, Policy=policy)
    assert _put_refused(aws, bucket, "code.zip")


def test_wildcards_in_a_bucket_policy(aws: Any, bucket: str) -> None:
    """``?`` is one character; ``[...]`` is literal text, not a character class."""
    aws("s3").put_bucket_policy(
        Bucket=bucket, Policy=_deny_put(bucket, f"arn:aws:s3:::{bucket}/key-?")
    )
    assert _put_refused(aws, bucket, "key-1")
    assert not _put_refused(aws, bucket, "key-10")

    aws("s3").put_bucket_policy(
        Bucket=bucket, Policy=_deny_put(bucket, f"arn:aws:s3:::{bucket}/[k]ey")
    )
    assert not _put_refused(aws, bucket, "key")
    assert _put_refused(aws, bucket, "[k]ey")
