"""The names CloudFormation gives resources whose template names none.

"If you don't specify a name, CloudFormation generates a unique physical ID to name the
resource" (Name type,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html):
``<stack name>-<logical id>-<random suffix>``, cut to what the resource type takes. moto
joins the three parts whole, so a CDK stack with a long name and long logical ids got a
function name over Lambda's 64 characters, and rolled back. :func:`generated_name` owns
the rule, with a :class:`NameRule` per type.

How the parts are cut, from names AWS made (as listed in public repositories):

* Lambda functions keep 49 characters of stack name and logical id together, split
  25 + 24 when both are long (functions of Amplify's auth stacks):
  ``amplify-foretaleapplicati-UpdateRolesWithIDPFuncti-huPwKhw8QOI3``, and with an older
  13-character suffix ``amplify-my-request-dev-13-UpdateRolesWithIDPFuncti-150M0V1TK1Q98``.
  A short stack name stays whole, the logical id takes the rest:
  ``AppStack-CustomCDKBucketDeployment8693BB64968944B6-GQdSBL5N4uaZ``. The stack name is
  cut even where that leaves a hyphen at its end: ``amplify-myamplifyapp-dev--Update...``.
* IAM roles keep 50, split 25 + 25:
  ``ci-spreadsheets-HoldingSt-CustomCDKBucketDeployment-SB165e1Tlgud``; with a
  13-character suffix, 49: ``CdkStack-CustomS3AutoDeleteObjectsCustomResourcePr-1T2P22ECUHKM7``.
* S3 buckets are lowercase and keep 49, split 25 + 24:
  ``ci-spreadsheets-holdingst-cispreadsheetsholdingori-nowwxddiuuer``.
* Lambda layers are named by their logical id alone (the layer ARN quoted in
  aws/aws-cdk#25526).

The suffix: 12 characters, mixed case for Lambda functions and IAM roles and lowercase for
buckets in the names above (older names have 12 or 13 uppercase characters). For the other
types the room left and the suffix's alphabet are [UNCONFIRMED]: the type's limit less a
13-character suffix, uppercase, as CloudFormation's older names are.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace

from moto.cloudformation import parsing
from moto.moto_api._internal import mock_random as random

__all__ = ["RULES", "NameRule", "generated_name"]

_UPPER = string.ascii_uppercase + string.digits
_MIXED = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits
_SUFFIX_LENGTH = 12


@dataclass(frozen=True)
class NameRule:
    """How CloudFormation names a resource type: ``room`` characters for the stack name
    and logical id together (the hyphens and suffix aside), the suffix's ``alphabet``,
    ``lowercase`` for types that take no capitals, ``with_stack`` False for types named
    after the logical id alone, ``suffixed`` False for those without a random part."""

    room: int
    alphabet: str = _UPPER
    lowercase: bool = False
    with_stack: bool = True
    suffixed: bool = True


def _within(limit: int) -> NameRule:
    """A type whose names take ``limit`` characters, cut as described above [UNCONFIRMED]."""
    return NameRule(room=limit - 2 - 13)


RULES: dict[str, NameRule] = {
    "AWS::Lambda::Function": NameRule(room=49, alphabet=_MIXED),
    "AWS::IAM::Role": NameRule(room=50, alphabet=_MIXED),
    "AWS::S3::Bucket": NameRule(room=49, alphabet=_LOWER, lowercase=True),
    # moto's rule, kept: an inline policy's physical id is short [UNCONFIRMED].
    "AWS::IAM::Policy": NameRule(room=9),
    # Limits from each service's API reference (CreateUser, CreateInstanceProfile,
    # CreatePolicy, CreateTable, CreateLogGroup, CreateQueue, CreateTopic, CreateStream,
    # PutRule, CreateEventBus, CreateStateMachine, CreateRepository, CreateCluster).
    "AWS::IAM::User": _within(64),
    "AWS::IAM::InstanceProfile": _within(128),
    "AWS::IAM::ManagedPolicy": _within(128),
    "AWS::DynamoDB::Table": _within(255),
    "AWS::Logs::LogGroup": _within(512),
    "AWS::SQS::Queue": _within(80),
    "AWS::SNS::Topic": _within(256),
    "AWS::Kinesis::Stream": _within(128),
    "AWS::Events::Rule": _within(64),
    "AWS::Events::EventBus": _within(256),
    "AWS::ECR::Repository": replace(_within(256), alphabet=_LOWER, lowercase=True),
    "AWS::ECS::Cluster": _within(255),
    # A nested stack: <parent>-<logical id>-<suffix>, within a stack name's 128 characters.
    "AWS::CloudFormation::Stack": _within(128),
    # A state machine's name is its logical id and a suffix (AWS SAM's Step Functions
    # sample: StockTradingStateMachine-...) [UNCONFIRMED for its length].
    "AWS::StepFunctions::StateMachine": NameRule(room=80 - 1 - 13, with_stack=False),
    "AWS::Lambda::LayerVersion": NameRule(room=140, with_stack=False, suffixed=False),
}
# Types no rule names: the parts whole, as before (no limit known to cut them to).
_UNCUT = NameRule(room=10**6)
# Load balancers and target groups (32 characters): moto's own rule, ``<stack>-<logical
# id>`` cut to 19 characters and a 12-character suffix, which its tests expect; no name AWS
# made was found to check it against [UNCONFIRMED].
_MOTO_RULED = frozenset(
    {"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"}
)
_moto_generated_name = parsing.generate_resource_name


def _split(stack_name: str, logical_id: str, room: int) -> tuple[str, str]:
    """The stack name keeps at most half the room (rounded up), or all the logical id
    leaves; the logical id takes what remains."""
    stack_keeps = min(len(stack_name), max(room - len(logical_id), (room + 1) // 2))
    return stack_name[:stack_keeps], logical_id[: room - stack_keeps]


def generated_name(resource_type: str, stack_name: str, logical_id: str) -> str:
    """The name CloudFormation gives a ``resource_type`` resource with no name of its own
    (moto's ``generate_resource_name``)."""
    if resource_type in _MOTO_RULED:
        return _moto_generated_name(resource_type, stack_name, logical_id)
    rule = RULES.get(resource_type, _UNCUT)
    if rule.with_stack:
        parts = list(_split(stack_name, logical_id, rule.room))
    else:
        parts = [logical_id[: rule.room]]
    if rule.suffixed:
        parts.append("".join(random.choice(rule.alphabet) for _ in range(_SUFFIX_LENGTH)))
    name = "-".join(parts)
    return name.lower() if rule.lowercase else name
