"""``AWS::Lambda::Version`` and ``AWS::Lambda::Alias``: what SAM's ``AutoPublishAlias`` makes.

moto publishes a version from a template but gives it no ``Ref`` (the version's ARN) and
no attributes, and has no alias resource at all. As the CloudFormation reference has them
(aws-resource-lambda-version.html, aws-resource-lambda-alias.html):

* a version's ``Ref`` is its ARN (``<function ARN>:<version>``); ``Fn::GetAtt`` gives
  ``Version`` (its number) and ``FunctionArn``. Deleting it deletes the version (SAM
  marks its versions ``DeletionPolicy: Retain``: the engine keeps those).
* an alias's ``Ref`` is its ARN (``<function ARN>:<alias>``); a new ``Name`` or
  ``FunctionName`` replaces it, anything else updates it in place.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaVersion
from moto.awslambda.utils import get_backend
from moto.core.common_models import CloudFormationModel

from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack

__all__ = ["LambdaAliasResource", "install"]


def _create_version(
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    backend = get_backend(account_id, region_name)
    published = backend.publish_version(
        properties["FunctionName"], description=properties.get("Description", "")
    )
    if published is None:  # moto: no such function
        raise UnsupportedByLocalStack(f"Function not found: {properties['FunctionName']}")
    version = LambdaVersion({"Version": published.version})  # type: ignore[abstract]
    version.__dict__.update(arn=published.function_arn, function_name=published.function_name)
    return version


def _version_attribute(version: Any, attribute_name: str) -> str:
    if attribute_name == "Version":
        return str(version.version)
    if attribute_name == "FunctionArn":
        return str(version.arn)
    raise UnsupportedByLocalStack(f"AWS::Lambda::Version has no attribute {attribute_name}")


def _delete_version(version: Any, account_id: str, region_name: str) -> None:
    get_backend(account_id, region_name).delete_function(
        version.function_name, str(version.version)
    )


class LambdaAliasResource(CloudFormationModel):
    """An alias of a function's version, made by CloudFormation."""

    def __init__(self, alias: Any) -> None:
        self.alias = alias

    @property
    def function_name(self) -> str:
        # moto's alias keeps its ARN only: arn:aws:lambda:<region>:<account>:function:<name>:<alias>
        return str(self.alias.arn).split(":")[6]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return str(self.alias.arn)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "AliasArn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name != "AliasArn":
            raise UnsupportedByLocalStack(f"AWS::Lambda::Alias has no attribute {attribute_name}")
        return str(self.alias.arn)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaAliasResource:
        properties = cloudformation_json["Properties"]
        alias = get_backend(account_id, region_name).create_alias(
            name=properties["Name"],
            function_name=properties["FunctionName"],
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LambdaAliasResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LambdaAliasResource:
        properties = cloudformation_json["Properties"]
        alias = original_resource.alias
        wanted = (properties["Name"], str(properties["FunctionName"]).split(":")[-1])
        if wanted != (alias.name, original_resource.function_name):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
        alias.update(
            description=properties.get("Description"),
            function_version=str(properties["FunctionVersion"]),
            routing_config=properties.get("RoutingConfig"),
        )
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        get_backend(account_id, region_name).delete_alias(self.alias.name, self.function_name)


def install() -> None:
    version: Any = LambdaVersion
    version.create_from_cloudformation_json = staticmethod(_create_version)
    version.physical_resource_id = property(lambda resource: resource.arn)
    version.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Version", "FunctionArn"))
    version.get_cfn_attribute = _version_attribute
    version.delete = _delete_version
