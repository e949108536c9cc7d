"""Tests for :mod:`wslab.local.gateway.authorizer`."""

from __future__ import annotations

from typing import Any

import pytest

from wslab.local.gateway.authorizer import (
    AuthorizerDecision,
    DecisionKind,
    authorizer_arn,
    evaluate_policy,
    identity_sources_present,
    route_arn,
)
from wslab.local.policy import resource_matches

CONNECT_ARN = route_arn("us-east-1", "123456789012", "abcdef123", "prod", "$connect")


def policy(*statements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An authorizer result with the given statements."""
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        **extra,
    }


def allow(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Action": action, "Effect": "Allow", "Resource": resource}


def deny(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Action": action, "Effect": "Deny", "Resource": resource}


# --- identity sources -------------------------------------------------------------------


def test_route_arn_format() -> None:
    """The $connect method ARN has no HTTP verb."""
    assert CONNECT_ARN == "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connect"


def test_authorizer_arn_names_the_api_and_authorizer_without_a_stage() -> None:
    """The source an authorizer's function is invoked from (a permission's SourceArn)."""
    arn = authorizer_arn("us-east-1", "123456789012", "abcdef123", "auth42")
    assert arn == "arn:aws:execute-api:us-east-1:123456789012:abcdef123/authorizers/auth42"


def test_header_source_is_case_insensitive() -> None:
    """route.request.header.Auth finds an "auth" header."""
    assert identity_sources_present(["route.request.header.Auth"], [("auth", "x")], [], {})
    assert identity_sources_present(
        ["route.request.header.authorization"], [("Authorization", "t")], [], {}
    )


def test_missing_or_empty_header_source() -> None:
    """A missing or empty identity source means 401 without calling the authorizer."""
    assert not identity_sources_present(["route.request.header.Auth"], [("Other", "x")], [], {})
    assert not identity_sources_present(["route.request.header.Auth"], [("Auth", "")], [], {})


def test_query_source_is_case_sensitive() -> None:
    """Query string names must match exactly."""
    sources = ["route.request.querystring.token"]
    assert identity_sources_present(sources, [], [("token", "t")], {})
    assert not identity_sources_present(sources, [], [("Token", "t")], {})
    assert not identity_sources_present(sources, [], [("token", "")], {})


def test_stage_variable_and_context_sources() -> None:
    """stageVariables.x needs the variable; context.x is always available."""
    assert identity_sources_present(["stageVariables.env"], [], [], {"env": "dev"})
    assert not identity_sources_present(["stageVariables.env"], [], [], {})
    assert identity_sources_present(["context.identity.sourceIp"], [], [], {})


def test_every_source_is_required() -> None:
    """All configured sources must be present, not just one."""
    sources = ["route.request.header.Auth", "route.request.querystring.room"]
    assert identity_sources_present(sources, [("Auth", "a")], [("room", "r")], {})
    assert not identity_sources_present(sources, [("Auth", "a")], [], {})


def test_no_sources_and_comma_separated_sources() -> None:
    """No source means always call; a comma-separated string is split."""
    assert identity_sources_present([], [], [], {})
    joined = ["route.request.header.Auth, route.request.querystring.room"]
    assert not identity_sources_present(joined, [("Auth", "a")], [], {})
    assert identity_sources_present(joined, [("Auth", "a")], [("room", "1")], {})


def test_unknown_source_syntax_is_never_present() -> None:
    """A source in another syntax cannot be satisfied."""
    assert not identity_sources_present(["method.request.header.Auth"], [("Auth", "a")], [], {})


# --- ARN matching -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        CONNECT_ARN,
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/*",
        "arn:aws:execute-api:us-east-1:123456789012:*/prod/$connect",
        "arn:aws:execute-api:*:*:abcdef123/prod/$connect",
        "arn:aws:execute-api:us-east-?:123456789012:abcdef123/prod/$connect",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/pro?/$connect",
        "arn:aws:execute-api:*",
    ],
)
def test_resource_patterns_that_cover_connect(pattern: str) -> None:
    """'*' and '?' wildcards match the $connect ARN."""
    assert resource_matches(pattern, CONNECT_ARN)


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*/*",  # REST style
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/$connect",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/*",
        "arn:aws:execute-api:us-west-2:123456789012:abcdef123/prod/$connect",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$CONNECT",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connec",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/pro??/$connect",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef12/prod/$connect",
    ],
)
def test_resource_patterns_that_miss_connect(pattern: str) -> None:
    """A REST-style .../prod/*/* and other near misses do not match."""
    assert not resource_matches(pattern, CONNECT_ARN)


def test_wildcard_inside_a_segment_stays_inside_it() -> None:
    """Only a '*' that ends its segment may run across colons; '?' never does."""
    # "us-east-*2" would otherwise swallow "1:12345678901" and match.
    assert not resource_matches(
        "arn:aws:execute-api:us-east-*2:abcdef123/prod/$connect", CONNECT_ARN
    )
    assert not resource_matches(
        "arn:aws:execute-api:us-east-1?123456789012:abcdef123/prod/$connect", CONNECT_ARN
    )
    assert resource_matches(
        "arn:aws:execute-api:us-*:123456789012:abcdef123/prod/$connect", CONNECT_ARN
    )


# --- decisions --------------------------------------------------------------------------


def test_allow_carries_principal_and_context() -> None:
    """An Allow covering $connect lets the connection in with its principal and context."""
    result = policy(
        allow(CONNECT_ARN),
        context={"user": "ann", "level": 3, "admin": False, "score": 1.5},
        usageIdentifierKey="key-1",
    )
    decision = evaluate_policy(result, CONNECT_ARN)
    assert decision == AuthorizerDecision(
        DecisionKind.ALLOW,
        principal_id="user-1",
        context={"user": "ann", "level": 3, "admin": False, "score": 1.5},
        usage_identifier_key="key-1",
    )
    assert decision.status_code is None


def test_rest_style_resource_is_denied() -> None:
    """An Allow on .../prod/*/* (REST shape) does not cover $connect: 403."""
    resource = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*/*"
    decision = evaluate_policy(policy(allow(resource)), CONNECT_ARN)
    assert decision.kind is DecisionKind.DENY
    assert decision.status_code == 403


def test_explicit_deny_wins() -> None:
    """A matching Deny beats any Allow, in either order."""
    assert evaluate_policy(policy(allow("*"), deny(CONNECT_ARN)), CONNECT_ARN).kind is (
        DecisionKind.DENY
    )
    assert evaluate_policy(policy(deny("*"), allow(CONNECT_ARN)), CONNECT_ARN).kind is (
        DecisionKind.DENY
    )


def test_deny_elsewhere_does_not_block() -> None:
    """A Deny on another resource leaves the Allow in force."""
    other = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/*"
    assert evaluate_policy(policy(allow("*"), deny(other)), CONNECT_ARN).kind is DecisionKind.ALLOW


def test_deny_effect_is_forbidden() -> None:
    """A policy that only denies gives 403."""
    decision = evaluate_policy(policy(deny(CONNECT_ARN)), CONNECT_ARN)
    assert (decision.kind, decision.status_code) == (DecisionKind.DENY, 403)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("execute-api:Invoke", DecisionKind.ALLOW),
        ("execute-api:invoke", DecisionKind.ALLOW),
        ("execute-api:*", DecisionKind.ALLOW),
        ("*", DecisionKind.ALLOW),
        (["s3:GetObject", "execute-api:Invoke"], DecisionKind.ALLOW),
        ("execute-api:ManageConnections", DecisionKind.DENY),
        ("s3:*", DecisionKind.DENY),
    ],
)
def test_action_matching(action: Any, kind: DecisionKind) -> None:
    """Only statements whose action covers execute-api:Invoke count."""
    assert evaluate_policy(policy(allow(CONNECT_ARN, action)), CONNECT_ARN).kind is kind


def test_statement_as_object_and_resource_list() -> None:
    """Statement may be a single object; Resource may be a list."""
    result = {
        "principalId": "p",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": allow(["arn:aws:execute-api:us-east-1:1:other/prod/*", CONNECT_ARN]),
        },
    }
    assert evaluate_policy(result, CONNECT_ARN).kind is DecisionKind.ALLOW


def test_not_resource() -> None:
    """NotResource applies to everything except the listed resources."""
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "NotResource": CONNECT_ARN}
    assert evaluate_policy(policy(statement), CONNECT_ARN).kind is DecisionKind.DENY
    statement["NotResource"] = "arn:aws:execute-api:*:*:other/*"
    assert evaluate_policy(policy(statement), CONNECT_ARN).kind is DecisionKind.ALLOW


@pytest.mark.parametrize(
    "result",
    [
        "Unauthorized",
        None,
        {},
        [],
        "Allow",
        {"principalId": "p"},
        {"policyDocument": {"Statement": [allow("*")]}},
        {"principalId": 5, "policyDocument": {"Statement": [allow("*")]}},
        policy(),
        policy({"Effect": "Maybe", "Action": "execute-api:Invoke", "Resource": "*"}),
        policy({"Effect": "Allow", "Resource": "*"}),
        policy({"Effect": "Allow", "Action": "execute-api:Invoke"}),
        policy({"Effect": "Allow", "Action": 3, "Resource": "*"}),
        policy(allow("*"), context={"nested": {"a": 1}}),
        policy(allow("*"), context={"list": [1]}),
        policy(allow("*"), context="not a map"),
        policy(allow("*"), usageIdentifierKey=12),
    ],
)
def test_invalid_results_are_unauthorized(result: object) -> None:
    """The string Unauthorized and any invalid authorizer response give 401."""
    decision = evaluate_policy(result, CONNECT_ARN)
    assert (decision.kind, decision.status_code) == (DecisionKind.UNAUTHORIZED, 401)


def test_null_context_values_are_dropped() -> None:
    """A null context value is left out instead of failing the connect."""
    decision = evaluate_policy(policy(allow("*"), context={"a": None, "b": "x"}), CONNECT_ARN)
    assert decision.kind is DecisionKind.ALLOW
    assert decision.context == {"b": "x"}


def test_no_matching_statement_is_forbidden() -> None:
    """With no statement covering the ARN the default is deny (403)."""
    other = "arn:aws:execute-api:us-east-1:123456789012:zzz/prod/$connect"
    assert evaluate_policy(policy(allow(other)), CONNECT_ARN).status_code == 403


def test_brackets_in_a_resource_are_literal() -> None:
    """'[...]' is no character class: '.../pro[d]/$connect' does not cover '.../prod/...'."""
    bracketed = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/pro[d]/$connect"
    assert evaluate_policy(policy(allow(bracketed)), CONNECT_ARN).kind is DecisionKind.DENY


def test_conditions_are_tested_against_the_request_context() -> None:
    """An Allow whose condition holds allows; one whose key is absent or differs does not;
    a Deny whose condition holds wins."""
    local = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    allowed = policy({**allow(CONNECT_ARN), "Condition": local})
    assert evaluate_policy(allowed, CONNECT_ARN, {"aws:SourceIp": "127.0.0.1"}).kind is (
        DecisionKind.ALLOW
    )
    assert evaluate_policy(allowed, CONNECT_ARN, {"aws:SourceIp": "192.0.2.1"}).kind is (
        DecisionKind.DENY
    )
    assert evaluate_policy(allowed, CONNECT_ARN).kind is DecisionKind.DENY

    denied = policy(allow("*"), {**deny(CONNECT_ARN), "Condition": local})
    assert evaluate_policy(denied, CONNECT_ARN, {"aws:SourceIp": "127.0.0.1"}).kind is (
        DecisionKind.DENY
    )
    assert evaluate_policy(denied, CONNECT_ARN, {"aws:SourceIp": "192.0.2.1"}).kind is (
        DecisionKind.ALLOW
    )


def test_a_malformed_condition_is_unauthorized() -> None:
    """A Condition outside IAM's grammar makes the response invalid: 401."""
    result = policy({**allow("*"), "Condition": {"StringEquals": "not a map"}})
    assert evaluate_policy(result, CONNECT_ARN).kind is DecisionKind.UNAUTHORIZED
