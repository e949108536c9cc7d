"""WSLAB_PREFIX: attendees sharing one AWS account name, list and clean up only their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import REGION
from wslab.deploy.stack import delete_bucket
from wslab.notebook import tutorial
from wslab.notebook.tutorial import Target, TutorialError


def test_the_default_prefix() -> None:
    assert tutorial.prefix_from_environment({}) == "wslab-tutorial"
    assert tutorial.prefix_from_environment({"WSLAB_PREFIX": "  "}) == "wslab-tutorial"
    assert tutorial.prefix_from_environment({"WSLAB_PREFIX": "wslab-alice2"}) == "wslab-alice2"


@pytest.mark.parametrize(
    "value",
    ["alice", "wslab-alice-2", "Wslab-alice", "wslab_alice", "wslab-", "-alice", "2wslab-alice",
     "wslab-" + "a" * 19, "wslab-alïce"],
)  # fmt: skip
def test_a_prefix_that_could_pass_for_another_is_refused(value: str) -> None:
    """One hyphen exactly: "wslab-alice-2-..." would otherwise also look like wslab-alice's."""
    with pytest.raises(TutorialError, match="two words of lowercase letters and digits"):
        tutorial.prefix_from_environment({"WSLAB_PREFIX": value})


def _names_under(prefix: str) -> dict[str, Any]:
    """The tutorial's constants as a fresh interpreter sees them with WSLAB_PREFIX set."""
    probe = (
        "import json; from wslab.notebook import tutorial as t; "
        "print(json.dumps({'prefix': t.PREFIX, "
        "'names': [t.CONNECTIONS_TABLE, t.HISTORY_TABLE, t.API_NAME, t.STACK_NAME, "
        "*t.CHAT_FUNCTIONS.values()], 'tags': t.TAGS}))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "WSLAB_PREFIX": prefix},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(shown.stdout)
    return result


def test_every_name_comes_from_the_prefix() -> None:
    shown = _names_under("wslab-alice")
    assert shown["prefix"] == "wslab-alice"
    assert shown["tags"] == {"project": "wslab-alice"}
    assert shown["names"] == [
        "wslab-alice-connections", "wslab-alice-history", "wslab-alice-chat", "wslab-alice-stack",
        "wslab-alice-on-connect", "wslab-alice-on-disconnect", "wslab-alice-on-sendmessage",
        "wslab-alice-on-joinroom", "wslab-alice-on-default", "wslab-alice-on-history",
    ]  # fmt: skip


def test_the_longest_prefix_still_makes_valid_names() -> None:
    """IAM role and Lambda function names stop at 64 characters: the longest derived names
    (a function's role; the template's functions, named from the stack) fit."""
    prefix = "wslab-" + "x" * 18
    shown = _names_under(prefix)
    assert len(prefix) == 24 and shown["prefix"] == prefix
    longest = [f"{name}-role" for name in shown["names"]]
    longest += [f"{prefix}-stack-sendmessage", f"{prefix}-faults-post-role"]
    assert max(len(name) for name in longest) <= 64


def test_a_bad_prefix_is_one_clear_error_in_the_first_cell() -> None:
    """Importing reads nothing; the first cell (``tutorial.start()``) refuses a bad prefix
    before it looks for a stack or makes anything."""
    importing = subprocess.run(
        [sys.executable, "-c", "from wslab.notebook import tutorial"],
        env={**os.environ, "WSLAB_PREFIX": "wslab alice"},
        capture_output=True,
        text=True,
    )
    assert importing.returncode == 0, importing.stderr
    result = subprocess.run(
        [sys.executable, "-c", "from wslab.notebook import tutorial; tutorial.start()"],
        env={**os.environ, "WSLAB_PREFIX": "wslab alice"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "TutorialError: WSLAB_PREFIX='wslab alice' is not a usable prefix" in result.stderr


def test_owns_is_exact_at_the_hyphen() -> None:
    assert tutorial.owns("wslab-alice-connections", "wslab-alice")
    assert tutorial.owns("/aws/lambda/wslab-alice-connect", "wslab-alice")
    assert tutorial.owns("/aws/apigateway/wslab-alice-stack-access", "wslab-alice")
    assert not tutorial.owns("wslab-alicebob-connections", "wslab-alice")
    assert not tutorial.owns("wslab-alice", "wslab-alice")
    assert not tutorial.owns("/aws/lambda/wslab-alicebob-connect", "wslab-alice")


@pytest.fixture
def made(aws: Callable[..., Any]) -> Iterator[Callable[[str], None]]:
    """``make(prefix)``: a table, a role, a function's log group, an API, a bucket and a
    secret named from ``prefix``, as the notebooks make them; all deleted afterwards."""
    prefixes: list[str] = []

    def make(prefix: str) -> None:
        prefixes.append(prefix)
        aws("dynamodb").create_table(
            TableName=f"{prefix}-connections",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws("iam").create_role(RoleName=f"{prefix}-connect-role", AssumeRolePolicyDocument="{}")
        aws("logs").create_log_group(logGroupName=f"/aws/lambda/{prefix}-connect")
        aws("apigatewayv2").create_api(
            Name=f"{prefix}-chat",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
        )
        aws("s3").create_bucket(Bucket=f"{prefix}-stack-artifacts")
        aws("secretsmanager").create_secret(Name=f"{prefix}-stack/token-secret", SecretString="x")

    yield make
    for prefix in prefixes:
        aws("dynamodb").delete_table(TableName=f"{prefix}-connections")
        aws("iam").delete_role(RoleName=f"{prefix}-connect-role")
        aws("logs").delete_log_group(logGroupName=f"/aws/lambda/{prefix}-connect")
        for api in aws("apigatewayv2").get_apis()["Items"]:
            if api["Name"] == f"{prefix}-chat":
                aws("apigatewayv2").delete_api(ApiId=api["ApiId"])
        delete_bucket(aws("s3"), f"{prefix}-stack-artifacts")
        aws("secretsmanager").delete_secret(
            SecretId=f"{prefix}-stack/token-secret", ForceDeleteWithoutRecovery=True
        )


def test_two_prefixes_do_not_see_each_other(
    made: Callable[[str], None], endpoint_url: str, unique: str
) -> None:
    """Alice's leftovers are hers alone, Bob's his, though one name starts like the other."""
    alice, bob = f"w{unique}-alice", f"w{unique}-alicebob"
    target = Target(endpoint_url, REGION)
    made(alice)
    assert tutorial.leftovers(target, bob) == {}
    made(bob)

    def expected(prefix: str) -> dict[str, list[str]]:
        return {
            "apigatewayv2 apis": [f"{prefix}-chat"],
            "iam roles": [f"{prefix}-connect-role"],
            "dynamodb tables": [f"{prefix}-connections"],
            "s3 buckets": [f"{prefix}-stack-artifacts"],
            "secretsmanager secrets": [f"{prefix}-stack/token-secret"],
            "logs log groups": [f"/aws/lambda/{prefix}-connect"],
        }

    assert tutorial.leftovers(target, alice) == expected(alice)
    assert tutorial.leftovers(target, bob) == expected(bob)
    assert tutorial.find_api(target, f"{alice}-chat") is not None
