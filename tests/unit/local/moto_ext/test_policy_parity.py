"""Parity of :mod:`wslab.local.policy` with moto's ``IAMPolicyStatement``.

A corpus of single statements and requests runs through both, in moto's terms (PERMITTED: an
Allow applies; DENIED: a Deny applies; NEUTRAL: the statement does not apply). They must agree
wherever moto implements the feature: ``Action``/``NotAction`` and ``Resource`` with ``*``
wildcards, ``Effect``, and ``StringEquals`` conditions that hold on keys the request has.

Where they differ on purpose, the difference is listed in :data:`DIFFERENCES` with what AWS
documents, and the test checks that they still differ, so the list stays true when moto
changes.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from wslab.local.policy import Decision, Request, evaluate, parse_statements

PERMITTED, DENIED, NEUTRAL = (
    PermissionResult.PERMITTED,
    PermissionResult.DENIED,
    (PermissionResult.NEUTRAL),
)
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/chat"
IAM_DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"

_IN_MOTOS_TERMS = {
    Decision.ALLOW: PERMITTED,
    Decision.EXPLICIT_DENY: DENIED,
    Decision.IMPLICIT_DENY: NEUTRAL,
}


def ours(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> Any:
    request = Request(action, resource, context=context)
    return _IN_MOTOS_TERMS[evaluate(parse_statements({"Statement": [statement]}), request)]


def motos(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> Any:
    return IAMPolicyStatement(statement).is_action_permitted(
        action, resource, incoming_condition_values=context or None
    )


# --- where moto implements the feature: the two agree ------------------------------------

ACTION_PATTERNS = ["dynamodb:GetItem", "dynamodb:Get*", "dynamodb:*", "*", "s3:*"]
RESOURCE_PATTERNS = [
    TABLE,
    "*",
    "arn:aws:dynamodb:*",
    "arn:aws:dynamodb:*:*:table/chat",
    "arn:aws:dynamodb:us-east-1:123456789012:table/*",
    "arn:aws:dynamodb:us-east-1:123456789012:table/chat*",
]
REQUESTS = [
    ("dynamodb:GetItem", TABLE),
    ("dynamodb:PutItem", TABLE),
    ("dynamodb:GetItem", TABLE + "/index/room"),
    ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/other"),
    ("s3:GetObject", "arn:aws:s3:::bucket/key"),
]
CORPUS = [
    ({"Effect": effect, element: action_pattern, "Resource": resource_pattern}, request, {})
    for effect, element, action_pattern, resource_pattern, request in itertools.product(
        ["Allow", "Deny"], ["Action", "NotAction"], ACTION_PATTERNS, RESOURCE_PATTERNS, REQUESTS
    )
] + [
    (
        {
            "Effect": effect,
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": ["ann", "bob"]}},
        },
        ("dynamodb:GetItem", TABLE),
        {"aws:username": "bob"},
    )
    for effect in ("Allow", "Deny")
]


@pytest.mark.parametrize(("statement", "request_", "context"), CORPUS)
def test_agrees_with_moto(
    statement: dict[str, Any], request_: tuple[str, str], context: dict[str, str]
) -> None:
    action, resource = request_
    assert ours(statement, action, resource, context) is motos(statement, action, resource, context)


def test_the_corpus_sees_every_outcome() -> None:
    """Not vacuous: the corpus has statements that allow, deny and do not apply."""
    outcomes = {ours(statement, *request, context) for statement, request, context in CORPUS}
    assert outcomes == {PERMITTED, DENIED, NEUTRAL}


# --- where they differ on purpose ---------------------------------------------------------

# (what differs, statement, request, context, ours, moto's, AWS's documentation)
DIFFERENCES = [
    (
        "'?' is one character (moto reads it as a regex quantifier)",
        {"Effect": "Allow", "Action": "dynamodb:GetIte?", "Resource": "*"},
        ("dynamodb:GetItem", TABLE),
        {},
        PERMITTED,
        NEUTRAL,
        IAM_DOCS + "reference_policies_elements_action.html",
    ),
    (
        "action names are case-insensitive",
        {"Effect": "Allow", "Action": "DynamoDB:getitem", "Resource": "*"},
        ("dynamodb:GetItem", TABLE),
        {},
        PERMITTED,
        NEUTRAL,
        IAM_DOCS + "reference_policies_elements_action.html",
    ),
    (
        "'.' is a dot (moto: any character)",
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::my.bucket/*"},
        ("s3:GetObject", "arn:aws:s3:::myxbucket/key"),
        {},
        NEUTRAL,
        DENIED,
        IAM_DOCS + "reference_policies_elements_resource.html",
    ),
    (
        "'[...]' is literal text (moto: a character class)",
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/[ab]"},
        ("s3:GetObject", "arn:aws:s3:::bucket/a"),
        {},
        NEUTRAL,
        DENIED,
        IAM_DOCS + "reference_policies_elements_resource.html",
    ),
    (
        "a '*' inside an ARN segment stays in it (moto: it runs across colons)",
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "arn:aws:dynamodb:us-*2:table/chat",
        },
        ("dynamodb:GetItem", TABLE),
        {},
        NEUTRAL,
        PERMITTED,
        IAM_DOCS + "reference_policies_elements_resource.html",
    ),
    (
        "NotResource: a Deny covers every other resource (moto: permits, as with no Resource)",
        {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE + "/index/*"},
        ("dynamodb:GetItem", TABLE),
        {},
        DENIED,
        PERMITTED,
        IAM_DOCS + "reference_policies_elements_notresource.html",
    ),
    (
        "an Allow whose condition fails does not apply (moto: denies)",
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": "ann"}},
        },
        ("dynamodb:GetItem", TABLE),
        {"aws:username": "bob"},
        NEUTRAL,
        DENIED,
        IAM_DOCS + "reference_policies_evaluation-logic.html",
    ),
    (
        "a condition on a key the request lacks is false (moto: met)",
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
        },
        ("dynamodb:GetItem", TABLE),
        {},
        NEUTRAL,
        PERMITTED,
        IAM_DOCS + "reference_policies_elements_condition_operators.html",
    ),
    (
        "condition key names are case-insensitive (moto: looked up as written)",
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"AWS:UserName": "ann"}},
        },
        ("dynamodb:GetItem", TABLE),
        {"aws:username": "bob"},
        NEUTRAL,
        PERMITTED,
        IAM_DOCS + "reference_policies_elements_condition.html",
    ),
    (
        "operators besides StringEquals are evaluated (moto: any other operator is met)",
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        ("s3:PutObject", "arn:aws:s3:::bucket/key"),
        {"aws:SecureTransport": "true"},
        NEUTRAL,
        DENIED,
        IAM_DOCS + "reference_policies_elements_condition_operators.html",
    ),
]


@pytest.mark.parametrize(
    ("what", "statement", "request_", "context", "expected", "moto_says", "source"),
    DIFFERENCES,
    ids=[difference[0] for difference in DIFFERENCES],
)
def test_differs_from_moto_where_aws_says_so(
    what: str,
    statement: dict[str, Any],
    request_: tuple[str, str],
    context: dict[str, str],
    expected: Any,
    moto_says: Any,
    source: str,
) -> None:
    action, resource = request_
    assert source.startswith("https://docs.aws.amazon.com/")
    assert ours(statement, action, resource, context) is expected, what
    assert motos(statement, action, resource, context) is moto_says, f"moto changed: {what}"
