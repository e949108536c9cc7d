"""docs/workshop.md's commands, run as printed: the instructor's check of every prefix."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import scaled

WORKSHOP = Path(__file__).resolve().parents[2] / "docs" / "workshop.md"


def test_the_cleanup_check_lists_what_each_prefix_left(
    aws: Callable[..., Any], endpoint_url: str
) -> None:
    """Alice left a table; Bob left nothing. The snippet, run as the page prints it (on the
    local AWS instead of WSLAB_TARGET=aws), says so."""
    (snippet,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", WORKSHOP.read_text(), flags=re.S)
        if "leftovers" in block
    ]
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="wslab-alice-connections",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        env = {**os.environ, "WSLAB_ENDPOINT_URL": endpoint_url}
        env.pop("WSLAB_TARGET", None)
        printed = subprocess.run(
            [sys.executable, "-c", snippet],
            env=env,
            capture_output=True,
            text=True,
            timeout=scaled(60),
            check=True,
        ).stdout
    finally:
        dynamodb.delete_table(TableName="wslab-alice-connections")
    assert printed.splitlines() == [
        "wslab-alice {'dynamodb tables': ['wslab-alice-connections']}",
        "wslab-bob nothing left",
    ]


def test_the_attendee_policy_is_handed_out_as_printed(
    aws: Callable[..., Any], endpoint_url: str
) -> None:
    """The administrator's commands, run by the AWS CLI in bash on the local AWS: the stack,
    two attendees with the policy and a key each, and the boundary to hand out."""
    if shutil.which("aws") is None or shutil.which("bash") is None:
        pytest.skip("no AWS CLI (pip install awscli) or no bash")
    (snippet,) = [
        block
        for block in re.findall(r"```sh\n(.*?)```", WORKSHOP.read_text(), flags=re.S)
        if "attendees.yaml" in block
    ]
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    printed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet],
        cwd=WORKSHOP.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines[:2]] == ["alice", "bob"]
    outputs = aws("cloudformation").describe_stacks(StackName="classroom")["Stacks"][0]["Outputs"]
    arns = {output["OutputKey"]: output["OutputValue"] for output in outputs}
    assert (
        lines[2]
        == f"every attendee sets WSLAB_PERMISSIONS_BOUNDARY={arns['PermissionsBoundaryArn']}"
    )
    for name, line in zip(("alice", "bob"), lines, strict=False):
        attached = aws("iam").list_attached_user_policies(UserName=name)["AttachedPolicies"]
        assert [policy["PolicyArn"] for policy in attached] == [arns["AttendeePolicyArn"]]
        key = aws("iam").list_access_keys(UserName=name)["AccessKeyMetadata"]
        assert [each["AccessKeyId"] for each in key] == [line.split("\t")[1]]
