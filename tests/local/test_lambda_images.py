"""Container image functions (``PackageType: Image``) are created, updated and listed as
Lambda lists them; the local stack cannot run them, and Invoke says so in Lambda's format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.cfn_helpers import create, listed, status
from tests.local.lambda_helpers import role_arn

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/chat:{tag}"


def _create_image_function(aws: Any, name: str) -> dict[str, Any]:
    result: dict[str, Any] = aws("lambda").create_function(
        FunctionName=name,
        PackageType="Image",
        Code={"ImageUri": IMAGE.format(tag="v1")},
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        ImageConfig={"Command": ["app.handler"]},
        Timeout=10,
    )
    return result


def test_an_image_function_is_created_updated_and_listed(aws: Any, unique: str) -> None:
    """CreateFunction, UpdateFunctionCode (a new ImageUri), GetFunction and ListFunctions."""
    lam = aws("lambda")
    name = f"image-{unique}"
    created = _create_image_function(aws, name)
    assert created["PackageType"] == "Image"
    assert "Runtime" not in created and "Handler" not in created
    lam.update_function_code(FunctionName=name, ImageUri=IMAGE.format(tag="v2"))
    got = lam.get_function(FunctionName=name)
    assert got["Code"]["RepositoryType"] == "ECR"
    assert got["Code"]["ImageUri"] == IMAGE.format(tag="v2")
    assert got["Configuration"]["ImageConfigResponse"]["ImageConfig"]["Command"] == ["app.handler"]
    listed_functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert listed_functions[name]["PackageType"] == "Image"
    lam.delete_function(FunctionName=name)


def test_invoking_an_image_function_says_it_cannot_run_here(aws: Any, unique: str) -> None:
    """Invoke: Lambda's error format (code, message), naming why; the function stays."""
    lam = aws("lambda")
    name = f"image-invoke-{unique}"
    _create_image_function(aws, name)
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=name, Payload=json.dumps({}))
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidRuntimeException"
    assert "container image" in error["Message"] and "zip" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    assert lam.get_function(FunctionName=name)["Configuration"]["PackageType"] == "Image"
    lam.delete_function(FunctionName=name)


def test_a_refused_package_leaves_no_function_behind(aws: Any, unique: str) -> None:
    """A package Lambda refuses creates nothing: the same name can be created afterwards."""
    lam = aws("lambda")
    name = f"refused-{unique}"
    settings = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": role_arn(aws("iam"), "wslab-test-lambda"),
    }
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(Code={"ZipFile": b"not a zip"}, **settings)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    _create_image_function(aws, name)
    lam.delete_function(FunctionName=name)


def test_an_image_function_in_a_template(aws: Any, unique: str) -> None:
    """AWS::Lambda::Function with PackageType Image deploys, lists, and deletes."""
    cfn, lam = aws("cloudformation"), aws("lambda")
    name = f"image-stack-{unique}"
    template = {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": name,
                    "PackageType": "Image",
                    "Code": {"ImageUri": IMAGE.format(tag="v1")},
                    "Role": role_arn(aws("iam"), "wslab-test-lambda"),
                    "Architectures": ["arm64"],
                },
            }
        }
    }
    create(cfn, name, template)
    assert status(cfn, name) == "CREATE_COMPLETE"
    assert listed(cfn, name) == {"Function": "CREATE_COMPLETE"}
    configuration = lam.get_function(FunctionName=name)["Configuration"]
    assert configuration["PackageType"] == "Image"
    assert configuration["Architectures"] == ["arm64"]
    cfn.delete_stack(StackName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
