"""Transforms: ``AWS::Serverless-2016-10-31`` (SAM) expanded locally, by AWS's own translator.

CloudFormation runs the SAM transform itself when a template declares it; moto does not,
and answers a SAM template with an HTTP 500. Here the template goes through
``aws-sam-translator`` (the library CloudFormation's SAM transform is built on,
https://github.com/aws/serverless-application-model) before anything else reads it; what
comes out is the *processed* template, which ``GetTemplate(TemplateStage="Processed")``
returns, as on AWS.

A template whose code is still a local folder (``CodeUri: src/``) has not been packaged:
CloudFormation can only read code from S3, so it is refused with the step that's missing.
Any other transform (``AWS::LanguageExtensions``, ``AWS::Include`` at the top, macros) is
refused by name.

Which calls need ``CAPABILITY_AUTO_EXPAND`` for a transform: :mod:`.capabilities`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

from wslab.local.moto_ext.cloudformation.errors import TransformFailed, UnsupportedByLocalStack

__all__ = ["SERVERLESS", "declared", "expand"]

SERVERLESS = "AWS::Serverless-2016-10-31"
# Where SAM reads a package from: (resource type, property).
_CODE_LOCATIONS = (
    ("AWS::Serverless::Function", "CodeUri"),
    ("AWS::Serverless::LayerVersion", "ContentUri"),
    ("AWS::Serverless::Api", "DefinitionUri"),
    ("AWS::Serverless::HttpApi", "DefinitionUri"),
    ("AWS::Serverless::StateMachine", "DefinitionUri"),
)
_GLOBALS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::Api": "Api"}


def declared(template: Mapping[str, Any]) -> list[str]:
    """The names of the transforms a template declares."""
    value = template.get("Transform")
    items = value if isinstance(value, list) else [value] if value else []
    return [str(item.get("Name") if isinstance(item, dict) else item) for item in items]


def _local_code(template: Mapping[str, Any]) -> str | None:
    """The first package location in the template that is a local path, not S3, and that
    a resource uses: a ``Globals`` value only counts for the resources without their own
    (``sam deploy`` packages each function's ``CodeUri`` and leaves ``Globals`` as written)."""
    globals_ = template.get("Globals") or {}
    for kind, name in _CODE_LOCATIONS:
        section = globals_.get(_GLOBALS.get(kind, ""), {}) if isinstance(globals_, dict) else {}
        shared = section.get(name) if isinstance(section, dict) else None
        for logical_id, resource in (template.get("Resources") or {}).items():
            if not isinstance(resource, dict) or resource.get("Type") != kind:
                continue
            properties = resource.get("Properties") or {}
            if name in properties:
                where, value = f"{logical_id}/{name}", properties[name]
            elif "InlineCode" in properties:
                continue
            else:
                where, value = f"Globals/{_GLOBALS.get(kind)}/{name}", shared
            if isinstance(value, str) and not value.startswith("s3://"):
                return f"{where} is {value!r}"
    return None


@functools.cache
def _aws_managed_policies() -> dict[str, str]:
    """AWS managed policy name -> ARN, as the local IAM knows them (the translator's
    fallback for names its own list lacks)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {
        name: f"arn:aws:iam::aws:policy{policy.get('Path', '/')}{name}"
        for name, policy in data.items()
    }


def _translate(template: dict[str, Any], parameters: Mapping[str, Any], region: str) -> Any:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return translator.translate(
            template,
            parameter_values=dict(parameters),
            get_managed_policy_map=_aws_managed_policies,
        )
    except InvalidDocumentException as invalid:
        causes = " ".join(cause.message for cause in invalid.causes)
        raise TransformFailed(
            f"Transform {SERVERLESS} failed with: {invalid.message} {causes}".strip()
        ) from invalid


def expand(template: dict[str, Any], parameters: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The processed template: ``template`` with its transforms run (itself if it has none)."""
    names = declared(template)
    if not names:
        return template
    unsupported = [name for name in names if name != SERVERLESS]
    if unsupported:
        raise UnsupportedByLocalStack(
            f"Transform {unsupported[0]} is not supported by wslab local "
            f"(it expands {SERVERLESS} only)"
        )
    local = _local_code(template)
    if local:
        raise TransformFailed(
            f"Transform {SERVERLESS} failed with: {local}, a local path: CloudFormation reads "
            "code from S3 only. Package the template first (sam deploy, or sam package or aws "
            "cloudformation package, uploads the code to S3 and writes its s3:// URI)."
        )
    processed = _translate(copy.deepcopy(template), parameters, region)
    return dict(processed)
