"""Tests for :mod:`wslab.local.policy`: IAM's matching, decision and conditions, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from wslab.local.policy import (
    Decision,
    MalformedPolicy,
    Principal,
    Request,
    evaluate,
    parse_statement,
    parse_statements,
)

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:chat"
ROUTE = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect"
API_GATEWAY = Principal("Service", "apigateway.amazonaws.com")
ROLE_SESSION = Principal("AWS", "arn:aws:sts::123456789012:assumed-role/chat-role/chat")


def decide(statement: dict[str, Any], request: Request) -> Decision:
    return evaluate(parse_statements({"Statement": [statement]}), request)


def allow(**elements: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*", **elements}


# --- Action / NotAction -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("lambda:InvokeFunction", "lambda:InvokeFunction", True),
        ("LAMBDA:invokefunction", "lambda:InvokeFunction", True),
        ("lambda:Invoke*", "lambda:InvokeFunction", True),
        ("lambda:*", "lambda:InvokeFunction", True),
        ("*", "lambda:InvokeFunction", True),
        ("lambda:Invoke?unction", "lambda:InvokeFunction", True),
        ("lambda:Invoke?", "lambda:InvokeFunction", False),
        ("lambda:Invoke", "lambda:InvokeFunction", False),
        ("lambda:[I]nvokeFunction", "lambda:InvokeFunction", False),
        ("lambda:[I]nvokeFunction", "lambda:[I]nvokeFunction", True),
        ("lambda:Invoke.unction", "lambda:InvokeFunction", False),
        ("s3:*", "lambda:InvokeFunction", False),
    ],
)
def test_action_wildcards_and_case(pattern: str, action: str, matches: bool) -> None:
    """Actions match case-insensitively with '*' and '?' only."""
    decision = decide(allow(Action=pattern), Request(action, FUNCTION))
    assert decision.allowed is matches


@pytest.mark.parametrize(
    ("not_action", "allowed"),
    [("s3:*", True), ("lambda:*", False), (["s3:*", "LAMBDA:Invoke*"], False)],
)
def test_not_action_covers_every_other_action(not_action: Any, allowed: bool) -> None:
    statement = {"Effect": "Allow", "NotAction": not_action, "Resource": "*"}
    assert decide(statement, Request("lambda:InvokeFunction", FUNCTION)).allowed is allowed


# --- Resource / NotResource -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (ROUTE, True),
        ("*", True),
        ("arn:aws:execute-api:*", True),  # a '*' ending a segment runs past the colons
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*", True),
        ("arn:aws:execute-api:us-east-?:123456789012:abc123/prod/$connect", True),
        ("arn:aws:execute-api:us-*:123456789012:abc123/prod/$connect", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*", False),
        ("arn:aws:execute-api:us-east-*2:abc123/prod/$connect", False),  # '*' stays in its segment
        ("arn:aws:execute-api:us-east-1?123456789012:abc123/prod/$connect", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$CONNECT", False),  # case
        ("arn:aws:execute-api:us-east-1:123456789012:abc12[0-9]/prod/$connect", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/pro./$connect", False),
    ],
)
def test_resource_wildcards_and_case(pattern: str, matches: bool) -> None:
    """ARNs match case-sensitively; wildcards keep to their segment unless ending it."""
    decision = decide(
        allow(Action="execute-api:Invoke", Resource=pattern), Request("execute-api:Invoke", ROUTE)
    )
    assert decision.allowed is matches


def test_brackets_in_an_arn_are_literal() -> None:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/[abc]"
    statement = allow(Action="execute-api:Invoke", Resource=arn)
    assert decide(statement, Request("execute-api:Invoke", arn)).allowed
    other = arn.replace("[abc]", "a")
    assert not decide(statement, Request("execute-api:Invoke", other)).allowed


@pytest.mark.parametrize(("not_resource", "allowed"), [(FUNCTION, False), (FUNCTION + ":*", True)])
def test_not_resource_covers_every_other_resource(not_resource: str, allowed: bool) -> None:
    statement = {"Effect": "Allow", "Action": "lambda:*", "NotResource": not_resource}
    assert decide(statement, Request("lambda:InvokeFunction", FUNCTION)).allowed is allowed


def test_a_request_without_resource_leaves_resource_out() -> None:
    """A policy attached to its resource: Resource is not what decides."""
    statement = allow(Resource=FUNCTION + ":$LATEST")
    assert decide(statement, Request("lambda:InvokeFunction")).allowed
    assert not decide(statement, Request("lambda:InvokeFunction", FUNCTION)).allowed


# --- Principal / NotPrincipal -----------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "who", "matches"),
    [
        ("*", API_GATEWAY, True),
        ({"AWS": "*"}, API_GATEWAY, True),
        ({"Service": "apigateway.amazonaws.com"}, API_GATEWAY, True),
        ({"Service": ["s3.amazonaws.com", "apigateway.amazonaws.com"]}, API_GATEWAY, True),
        ({"Service": "s3.amazonaws.com"}, API_GATEWAY, False),
        ({"Service": "apigateway.*"}, API_GATEWAY, False),  # no partial wildcards
        ({"AWS": "123456789012"}, ROLE_SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, ROLE_SESSION, True),
        ({"AWS": "arn:aws:iam::210987654321:root"}, ROLE_SESSION, False),
        ({"AWS": ROLE_SESSION.name}, ROLE_SESSION, True),
        ({"AWS": "123456789012"}, API_GATEWAY, False),
    ],
)
def test_principals(principal: Any, who: Principal, matches: bool) -> None:
    decision = decide(allow(Principal=principal), Request("lambda:InvokeFunction", FUNCTION, who))
    assert decision.allowed is matches


def test_not_principal_covers_everyone_else() -> None:
    statement = allow(NotPrincipal={"Service": "s3.amazonaws.com"})
    assert decide(statement, Request("lambda:InvokeFunction", FUNCTION, API_GATEWAY)).allowed
    s3 = Principal("Service", "s3.amazonaws.com")
    assert not decide(statement, Request("lambda:InvokeFunction", FUNCTION, s3)).allowed


def test_an_identity_request_leaves_principal_out() -> None:
    statement = allow(Principal={"Service": "s3.amazonaws.com"})
    assert decide(statement, Request("lambda:InvokeFunction", FUNCTION)).allowed


# --- the decision -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effects", "decision"),
    [
        ([], Decision.IMPLICIT_DENY),
        (["Allow"], Decision.ALLOW),
        (["Deny"], Decision.EXPLICIT_DENY),
        (["Allow", "Deny"], Decision.EXPLICIT_DENY),
        (["Deny", "Allow"], Decision.EXPLICIT_DENY),
        (["Allow", "Allow"], Decision.ALLOW),
    ],
)
def test_explicit_deny_wins_and_no_allow_denies_implicitly(
    effects: list[str], decision: Decision
) -> None:
    statements = parse_statements(
        {"Statement": [{"Effect": effect, "Action": "*", "Resource": "*"} for effect in effects]}
    )
    assert evaluate(statements, Request("lambda:InvokeFunction", FUNCTION)) is decision


def test_a_deny_that_does_not_apply_leaves_the_allow() -> None:
    statements = parse_statements(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": FUNCTION + "-admin"},
            ]
        }
    )
    assert evaluate(statements, Request("lambda:InvokeFunction", FUNCTION)) is Decision.ALLOW


# --- Condition --------------------------------------------------------------------------

SOURCE = {"aws:SourceArn": ROUTE, "aws:SourceAccount": "123456789012"}
API = "arn:aws:execute-api:us-east-1:123456789012:abc123"


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        # String
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, SOURCE, True),
        ({"StringEquals": {"aws:SourceAccount": "210987654321"}}, SOURCE, False),
        ({"StringEquals": {"aws:SourceAccount": ["1", "123456789012"]}}, SOURCE, True),  # OR
        ({"StringNotEquals": {"aws:SourceAccount": ["1", "123456789012"]}}, SOURCE, False),  # NOR
        ({"StringNotEquals": {"aws:SourceAccount": ["1", "2"]}}, SOURCE, True),
        ({"StringEquals": {"aws:username": "John"}}, {"aws:username": "john"}, False),
        ({"StringEqualsIgnoreCase": {"aws:username": "John"}}, {"aws:username": "john"}, True),
        ({"StringNotEqualsIgnoreCase": {"aws:username": "John"}}, {"aws:username": "john"}, False),
        ({"StringLike": {"aws:username": "jo?n*"}}, {"aws:username": "john-smith"}, True),
        ({"StringLike": {"aws:username": "jo[h]n"}}, {"aws:username": "john"}, False),
        ({"StringLike": {"aws:username": "JOHN"}}, {"aws:username": "john"}, False),
        ({"StringNotLike": {"aws:username": "jo*"}}, {"aws:username": "john"}, False),
        ({"StringNotLike": {"aws:username": "ann*"}}, {"aws:username": "john"}, True),
        # key names in any case
        ({"StringEquals": {"AWS:SOURCEACCOUNT": "123456789012"}}, SOURCE, True),
        (
            {"StringEquals": {"aws:sourceaccount": "123456789012"}},
            {"AWS:SourceAccount": "123456789012"},
            True,
        ),
        # ARN: six components, each with its own wildcards
        (
            {
                "ArnLike": {
                    "aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/$connect"
                }
            },
            SOURCE,
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": f"{API}/*/sendmessage"}},
            SOURCE,
            False,
        ),
        (
            {"ArnEquals": {"aws:SourceArn": "arn:aws:execute-api:*:*:abc123/prod/$connect"}},
            SOURCE,
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:*"}},
            SOURCE,
            False,
        ),  # 5 parts
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc12[3]/*"}},
            SOURCE,
            False,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:ABC123/*"}},
            SOURCE,
            False,
        ),
        ({"ArnNotLike": {"aws:SourceArn": "arn:aws:execute-api:*:*:other/*"}}, SOURCE, True),
        ({"ArnNotEquals": {"aws:SourceArn": ROUTE}}, SOURCE, False),
        # Bool
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "TRUE"}, True),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": True}, True),
        # Numeric
        ({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, True),
        ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.0"}, False),
        ({"NumericLessThan": {"s3:max-keys": 10}}, {"s3:max-keys": "9"}, True),
        ({"NumericLessThan": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, False),
        ({"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
        ({"NumericGreaterThan": {"s3:max-keys": 10}}, {"s3:max-keys": "11"}, True),
        ({"NumericGreaterThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "9"}, False),
        ({"NumericEquals": {"s3:max-keys": "ten"}}, {"s3:max-keys": "10"}, False),
        # Date
        (
            {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-12-03T06:00:00Z"},
            True,
        ),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-12-03T06:00:00Z"},
            False,
        ),
        (
            {"DateEquals": {"aws:EpochTime": "1893456000"}},
            {"aws:EpochTime": "2030-01-01T00:00:00Z"},
            True,
        ),
        # IP address
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
        (
            {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.1"]}},
            {"aws:SourceIp": "192.0.2.1"},
            True,
        ),
        ({"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, False),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "not an address"}, False),
        # a missing key: false, negated true, IfExists true; Null tests presence
        ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, SOURCE, False),
        ({"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}, SOURCE, True),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, SOURCE, True),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}, SOURCE, True),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, SOURCE, False),
        ({"Null": {"aws:PrincipalOrgID": "true"}}, SOURCE, True),
        ({"Null": {"aws:SourceArn": "true"}}, SOURCE, False),
        ({"Null": {"aws:SourceArn": "false"}}, SOURCE, True),
        # several keys AND, several operators AND
        (
            {"StringEquals": {"aws:SourceAccount": "123456789012", "aws:username": "john"}},
            SOURCE,
            False,
        ),
        (
            {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:execute-api:*:*:abc123/*"},
            },
            SOURCE,
            True,
        ),
        (
            {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:execute-api:*:*:other/*"},
            },
            SOURCE,
            False,
        ),
        # set operators on multivalued keys
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, True),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["a", "c"]},
            False,
        ),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, True),
        (
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["c", "b"]},
            True,
        ),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["c"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
        (
            {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}},
            {"aws:TagKeys": ["a", "c"]},
            True,
        ),
        (
            {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}},
            {"aws:TagKeys": ["a", "c"]},
            False,
        ),
        (
            {"ForAnyValue:StringLike": {"aws:TagKeys": ["team-*"]}},
            {"aws:TagKeys": ["x", "team-a"]},
            True,
        ),
        # an operator outside IAM's grammar: the statement does not apply
        ({"StringMatchesRegex": {"aws:username": ".*"}}, {"aws:username": "john"}, False),
        ({"ForSomeValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["a"]}, False),
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    """An Allow with the condition allows exactly when the condition holds."""
    request = Request("lambda:InvokeFunction", FUNCTION, context=context)
    assert decide(allow(Condition=condition), request).allowed is holds


def test_a_deny_whose_condition_fails_denies_nothing() -> None:
    statements = parse_statements(
        {
            "Statement": [
                allow(),
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ]
        }
    )
    secure = Request("lambda:InvokeFunction", FUNCTION, context={"aws:SecureTransport": True})
    plain = Request("lambda:InvokeFunction", FUNCTION, context={"aws:SecureTransport": False})
    assert evaluate(statements, secure) is Decision.ALLOW
    assert evaluate(statements, plain) is Decision.EXPLICIT_DENY


# --- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "not an object",
        {"Action": "*", "Resource": "*"},
        {"Effect": "allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": 3, "Resource": "*"},
        {"Effect": "Allow", "Action": ["*", 3], "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": {"arn": "x"}},
        {"Effect": "Allow", "Action": "*", "Principal": "someone"},
        {"Effect": "Allow", "Action": "*", "Condition": ["StringEquals"]},
        {"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}},
        {"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"k": {"v": 1}}}},
    ],
)
def test_malformed_statements_are_refused(statement: Any) -> None:
    with pytest.raises(MalformedPolicy):
        parse_statement(statement)


@pytest.mark.parametrize(
    "document",
    [
        '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}',
        b'{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}},
    ],
)
def test_documents_as_text_bytes_or_objects(document: Any) -> None:
    """One statement or a list, in JSON text or bytes or parsed."""
    statements = parse_statements(document)
    assert evaluate(statements, Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.ALLOW


@pytest.mark.parametrize("document", ["{", [], {"Version": "2012-10-17"}, {"Statement": "x"}])
def test_malformed_documents_are_refused(document: Any) -> None:
    with pytest.raises(MalformedPolicy):
        parse_statements(document)
