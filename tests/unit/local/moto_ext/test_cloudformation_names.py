"""The generated-name rule reproduces the shapes of names AWS made (names.py cites them)."""

from __future__ import annotations

import re

import pytest

from wslab.local.moto_ext.cloudformation.names import RULES, generated_name


@pytest.mark.parametrize(
    ("kind", "stack", "logical_id", "expected"),
    [
        # amplify-foretaleapplicati-UpdateRolesWithIDPFuncti-huPwKhw8QOI3
        (
            "AWS::Lambda::Function",
            "amplify-foretaleapplication-dev-12345",
            "UpdateRolesWithIDPFunction",
            "amplify-foretaleapplicati-UpdateRolesWithIDPFuncti-",
        ),
        # AppStack-CustomCDKBucketDeployment8693BB64968944B6-GQdSBL5N4uaZ
        (
            "AWS::Lambda::Function",
            "AppStack",
            "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C",
            "AppStack-CustomCDKBucketDeployment8693BB64968944B6-",
        ),
        # The stack name is cut where it is, a hyphen and all.
        (
            "AWS::Lambda::Function",
            "amplify-myamplifyapp-dev-151100",
            "UpdateRolesWithIDPFunction",
            "amplify-myamplifyapp-dev--UpdateRolesWithIDPFuncti-",
        ),
        # ci-spreadsheets-HoldingSt-CustomCDKBucketDeployment-SB165e1Tlgud
        (
            "AWS::IAM::Role",
            "ci-spreadsheets-HoldingStack-ABCDEF",
            "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRole89A01265",
            "ci-spreadsheets-HoldingSt-CustomCDKBucketDeployment-",
        ),
        # ci-spreadsheets-holdingst-cispreadsheetsholdingori-nowwxddiuuer
        (
            "AWS::S3::Bucket",
            "ci-spreadsheets-HoldingStack",
            "ciSpreadsheetsHoldingOriginBucket12345678",
            "ci-spreadsheets-holdingst-cispreadsheetsholdingori-",
        ),
    ],
)
def test_names_are_cut_as_aws_cuts_them(
    kind: str, stack: str, logical_id: str, expected: str
) -> None:
    name = generated_name(kind, stack, logical_id)
    alphabet = "a-z0-9" if kind == "AWS::S3::Bucket" else "A-Za-z0-9"
    assert re.fullmatch(re.escape(expected) + f"[{alphabet}]{{12}}", name), name


def test_a_short_stack_and_logical_id_stay_whole() -> None:
    name = generated_name("AWS::Lambda::Function", "sam-app", "HelloWorldFunction")
    assert re.fullmatch(r"sam-app-HelloWorldFunction-[A-Za-z0-9]{12}", name)


@pytest.mark.parametrize("kind", sorted(RULES))
def test_the_longest_parts_fit_every_type(kind: str) -> None:
    """A 128-character stack name and a 255-character logical id (CloudFormation's
    longest) give a name within the room the rule leaves."""
    rule = RULES[kind]
    name = generated_name(kind, "s" * 128, "L" * 255)
    assert len(name) <= rule.room + (2 if rule.with_stack else 1) + 12


def test_a_layer_is_named_after_its_logical_id() -> None:
    assert generated_name("AWS::Lambda::LayerVersion", "stack", "SharedLayer1A2B3C4D") == (
        "SharedLayer1A2B3C4D"
    )


def test_the_suffix_differs_between_names() -> None:
    names = {generated_name("AWS::SQS::Queue", "stack", "Queue") for _ in range(20)}
    assert len(names) == 20


@pytest.mark.parametrize(
    "resource_type",
    ["AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"],
)
def test_load_balancers_and_target_groups_keep_motos_rule_within_32(resource_type: str) -> None:
    """<stack>-<logical id> cut to 19 characters, a 12-character suffix: the stack's name
    starts the name (moto's own tests rely on it), and the name fits ELB's 32."""
    name = generated_name(resource_type, "test-stack", "testGroup1")
    assert name.startswith("test-stack-testGrou-") and len(name) == 32
    assert len(generated_name(resource_type, "s" * 128, "L" * 255)) <= 32
