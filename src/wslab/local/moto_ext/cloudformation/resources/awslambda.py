"""``AWS::Lambda::Function`` with the properties CreateFunction takes.

moto's model passes seven properties on and drops the rest: a container image function
(``PackageType: Image``) became a zip function without a package, and failed. It also
updates inline code (``Code.ZipFile``) without packaging it. Here every property
CloudFormation and CreateFunction share goes to Lambda, inline code is packaged on update
as on create, as the ``index`` file of the function's language (the handler is
``index.<function>``, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html),
and a new ``FunctionName`` replaces the function.

``AWS::Lambda::LayerVersion``: moto reads its name from a property it calls
``LayerVersion`` (the template's ``LayerName`` was ignored) and gives no ``Ref``, which is
the layer version's ARN
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-layerversion.html),
nor deletes it with the stack.
"""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

from moto.awslambda.models import LambdaFunction, LayerVersion
from moto.awslambda.utils import get_backend

__all__ = ["install"]

# CloudFormation's AWS::Lambda::Function properties that CreateFunction takes as they are.
_PASSED_ON = (
    "Architectures",
    "CodeSigningConfigArn",
    "DeadLetterConfig",
    "Description",
    "Environment",
    "EphemeralStorage",
    "FileSystemConfigs",
    "ImageConfig",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "MemorySize",
    "PackageType",
    "ReservedConcurrentExecutions",
    "Timeout",
    "TracingConfig",
    "VpcConfig",
)


def _zip(name: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(name, source)
    return buffer.getvalue()


def _package(properties: dict[str, Any]) -> dict[str, Any]:
    code = dict(properties.get("Code") or {})
    if "ZipFile" in code:
        runtime = str(properties.get("Runtime") or "")
        if runtime.startswith("nodejs"):
            package = _zip("index.js", str(code["ZipFile"]))
        else:  # with moto's cfnresponse module, as CloudFormation gives Python inline code
            package = LambdaFunction._create_zipfile_from_plaintext_code(str(code["ZipFile"]))
        code["ZipFile"] = base64.b64encode(package)
    return code


def create(
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    spec: dict[str, Any] = {
        "Code": _package(properties),
        "FunctionName": resource_name,
        "Handler": properties.get("Handler"),
        "Role": properties["Role"],
        "Runtime": properties.get("Runtime"),
        **{name: properties[name] for name in _PASSED_ON if name in properties},
    }
    if properties.get("Tags"):
        spec["Tags"] = {tag["Key"]: tag["Value"] for tag in properties["Tags"]}
    return get_backend(account_id, region_name).create_function(spec)


def update(
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json["Properties"]
    if properties.get("FunctionName", original_resource.function_name) != (
        original_resource.function_name
    ):
        original_resource.delete(account_id, region_name)
        return create(new_resource_name, cloudformation_json, account_id, region_name)
    original_resource.update_configuration(properties)
    original_resource.update_function_code(_package(properties))
    return original_resource


def _delete_layer_version(version: Any, account_id: str, region_name: str) -> None:
    get_backend(account_id, region_name).delete_layer_version(version.name, str(version.version))


def install() -> None:
    function: Any = LambdaFunction
    function.create_from_cloudformation_json = staticmethod(create)
    function.update_from_cloudformation_json = staticmethod(update)
    layer: Any = LayerVersion
    layer.cloudformation_name_type = staticmethod(lambda: "LayerName")
    layer.physical_resource_id = property(lambda version: version.arn)
    layer.delete = _delete_layer_version
