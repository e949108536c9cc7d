"""Resource types moto's CloudFormation lacks that AWS apps deploy, and loud failure for the
rest.

* Policy-only types (``AWS::SQS::QueuePolicy``, ``AWS::SNS::TopicPolicy``,
  ``AWS::S3::BucketPolicy`` and their inline forms) carry a policy for resources of
  other types. The policy goes where moto keeps it (a queue's ``Policy`` attribute, a
  topic's policy, a bucket policy), and deleting the resource takes it away again.
* ``AWS::ApiGateway::Account`` sets the account's CloudWatch Logs role for API Gateway;
  deleting the stack leaves it set, as the CloudFormation reference says.
* ``AWS::CDK::Metadata``, which every CDK app synthesizes, is accepted and does nothing,
  as on AWS (it records the CDK version for AWS's own statistics).
* A type moto does not model would be skipped with a warning while the stack reports
  success: it fails the resource instead, naming the type.

moto finds resource types among the *direct* subclasses of ``CloudFormationModel``: each
class below names it among its bases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from moto.cloudformation.parsing import NULL_MODELS
from moto.core.common_models import CloudFormationModel

from wslab.local.moto_ext.apigatewayv2.account_settings import set_logging_role
from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack
from wslab.local.moto_ext.core.host import HOST

__all__ = [
    "ApiGatewayAccount",
    "BucketPolicy",
    "CdkMetadata",
    "QueueInlinePolicy",
    "QueuePolicy",
    "TopicInlinePolicy",
    "TopicPolicy",
    "fail_on_unknown_types",
]


class _Attached:
    """A resource that only puts something on other resources: its id is the name
    CloudFormation generates; updating it puts the new value on; deleting it takes it off."""

    TYPE: ClassVar[str]
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, properties: dict[str, Any], account_id: str, region: str):
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region = region
        self.previous: dict[str, Any] = {}

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name != "Id":
            raise UnsupportedByLocalStack(f"{self.TYPE} has no attribute {attribute_name}")
        return self.name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        missing = [name for name in cls.REQUIRED if name not in properties]
        if missing:
            raise UnsupportedByLocalStack(f"{cls.TYPE}: required property {missing[0]} is missing")
        resource = cls(resource_name, properties, account_id, region_name)
        resource.attach()
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.detach()
        return cls.create_from_cloudformation_json(
            original_resource.name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        """Unused: moto calls ``delete`` on the resource itself."""

    def delete(self, account_id: str, region_name: str) -> None:
        self.detach()

    def attach(self) -> None:
        for target in self.targets():
            self.previous[target] = self.put(target, self.document())

    def detach(self) -> None:
        for target, previous in self.previous.items():
            self.put(target, previous)
        self.previous = {}

    def document(self) -> str:
        policy = self.properties.get("PolicyDocument")
        return policy if isinstance(policy, str) else json.dumps(policy)

    def targets(self) -> list[str]:
        raise NotImplementedError

    def put(self, target: str, policy: str | None) -> str | None:
        """Set ``target``'s policy (``None``: none); the policy it had."""
        raise NotImplementedError


class ApiGatewayAccount(_Attached, CloudFormationModel):
    """``AWS::ApiGateway::Account``: one setting of the account, ``cloudwatchRoleArn``."""

    TYPE = "AWS::ApiGateway::Account"

    @staticmethod
    def cloudformation_type() -> str:
        return ApiGatewayAccount.TYPE

    def targets(self) -> list[str]:
        return ["cloudwatchRoleArn"]

    def document(self) -> str:
        return str(self.properties.get("CloudWatchRoleArn") or "")

    def put(self, target: str, policy: str | None) -> str | None:
        set_logging_role(self.account_id, self.region, policy or "")
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        """The setting outlives the stack, as on AWS."""


def _listed(value: Any) -> list[str]:
    return [str(item) for item in (value if isinstance(value, list) else [value])]


class _OnQueues(_Attached):
    def put(self, target: str, policy: str | None) -> str | None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[self.account_id][self.region]
        name = target.rstrip("/").rsplit("/", 1)[-1]  # Ref of a queue is its URL
        previous = backend.get_queue(name).attributes.get("Policy")
        backend.set_queue_attributes(name, {"Policy": policy or ""})
        return str(previous) if previous else None


class QueuePolicy(_OnQueues, CloudFormationModel):
    TYPE = "AWS::SQS::QueuePolicy"
    REQUIRED = ("PolicyDocument", "Queues")

    @staticmethod
    def cloudformation_type() -> str:
        return QueuePolicy.TYPE

    def targets(self) -> list[str]:
        return _listed(self.properties["Queues"])


class QueueInlinePolicy(_OnQueues, CloudFormationModel):
    TYPE = "AWS::SQS::QueueInlinePolicy"
    REQUIRED = ("PolicyDocument", "Queue")

    @staticmethod
    def cloudformation_type() -> str:
        return QueueInlinePolicy.TYPE

    def targets(self) -> list[str]:
        return _listed(self.properties["Queue"])


class _OnTopics(_Attached):
    def put(self, target: str, policy: str | None) -> str | None:
        from moto.sns.models import sns_backends

        topic = sns_backends[self.account_id][self.region].get_topic(target)
        previous = str(topic.policy)
        if policy:
            topic.policy = policy
        return previous


class TopicPolicy(_OnTopics, CloudFormationModel):
    TYPE = "AWS::SNS::TopicPolicy"
    REQUIRED = ("PolicyDocument", "Topics")

    @staticmethod
    def cloudformation_type() -> str:
        return TopicPolicy.TYPE

    def targets(self) -> list[str]:
        return _listed(self.properties["Topics"])


class TopicInlinePolicy(_OnTopics, CloudFormationModel):
    TYPE = "AWS::SNS::TopicInlinePolicy"
    REQUIRED = ("PolicyDocument", "TopicArn")

    @staticmethod
    def cloudformation_type() -> str:
        return TopicInlinePolicy.TYPE

    def targets(self) -> list[str]:
        return _listed(self.properties["TopicArn"])


class BucketPolicy(_Attached, CloudFormationModel):
    TYPE = "AWS::S3::BucketPolicy"
    REQUIRED = ("Bucket", "PolicyDocument")

    @staticmethod
    def cloudformation_type() -> str:
        return BucketPolicy.TYPE

    def targets(self) -> list[str]:
        return _listed(self.properties["Bucket"])

    def put(self, target: str, policy: str | None) -> str | None:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        backend = s3_backends[self.account_id][get_partition(self.region)]
        previous = backend.get_bucket(target).policy
        if policy:
            backend.put_bucket_policy(target, policy.encode("utf-8"))
        else:
            backend.delete_bucket_policy(target)
        return previous.decode("utf-8") if isinstance(previous, bytes) else previous


class CdkMetadata(_Attached, CloudFormationModel):
    """``AWS::CDK::Metadata``: the CDK version and construct list, for AWS's statistics."""

    TYPE = "AWS::CDK::Metadata"

    @staticmethod
    def cloudformation_type() -> str:
        return CdkMetadata.TYPE

    def targets(self) -> list[str]:
        return []


def fail_on_unknown_types(original: Callable[..., Any]) -> Callable[..., Any]:
    """``parsing.parse_resource`` that fails on a type moto doesn't model (moto: skips it),
    and, in a running local stack, on a custom resource: moto would hand its event to a
    Docker container, and no answer would ever come (the stack would wait forever)."""

    def parse_resource(resource_json: dict[str, Any], resources_map: Any) -> Any:
        kind = str(resource_json.get("Type"))
        if HOST.runtime is not None and (
            kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource"
        ):
            raise UnsupportedByLocalStack(
                f"Custom resource type {kind} is not supported by wslab local (CloudFormation "
                "would call its function and wait for its answer)"
            )
        parsed = original(resource_json, resources_map)
        # moto's NULL_MODELS (wait conditions) are deliberately nothing: left so.
        if parsed is None and resource_json.get("Type") not in NULL_MODELS:
            raise UnsupportedByLocalStack(
                f"Resource type {resource_json.get('Type')} is not supported by wslab local"
            )
        return parsed

    return parse_resource
