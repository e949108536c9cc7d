"""``ValidateTemplate`` as CloudFormation answers it.

CloudFormation checks the template's format and structure and lists its parameters, the
capabilities it needs and the transforms it declares
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ValidateTemplate.html);
it does not lint property values (a runtime, a memory size). moto instead runs cfn-lint's
every rule when it can import it, and reports the first finding, even a warning, as
``Stack with id <finding> does not exist``. Here the checks are those of
:func:`.template.check_structure`, and the answer lists parameters and capabilities, which
moto leaves empty.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult

from wslab.local.moto_ext.cloudformation import template as templates
from wslab.local.moto_ext.cloudformation.capabilities import AUTO_EXPAND, iam_capability, iam_types
from wslab.local.moto_ext.cloudformation.transforms import declared

__all__ = ["validate_template", "validation_summary"]


def _parameters(template: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = []
    for key, spec in (template.get("Parameters") or {}).items():
        parameter: dict[str, Any] = {"ParameterKey": key, "NoEcho": False}
        if isinstance(spec, dict):
            if "Default" in spec:
                parameter["DefaultValue"] = str(spec["Default"])
            parameter["NoEcho"] = str(spec.get("NoEcho", "false")).lower() == "true"
            if "Description" in spec:
                parameter["Description"] = str(spec["Description"])
        parameters.append(parameter)
    return parameters


def validation_summary(template: dict[str, Any]) -> dict[str, Any]:
    """What ValidateTemplate says of a template besides its description: its parameters
    (``ParameterKey``, ``DefaultValue``, ``NoEcho``, ``Description``), the capabilities it
    needs and why, and its transforms."""
    transforms = declared(template)
    needing = iam_types(template)
    iam = iam_capability(template)
    capabilities: list[str] = [iam] if iam else []
    if transforms:
        # [UNCONFIRMED] that the reason names the transforms as it names IAM types.
        capabilities.append(AUTO_EXPAND)
        needing.extend(transforms)
    summary: dict[str, Any] = {
        "Parameters": _parameters(template),
        "Capabilities": capabilities,
        "DeclaredTransforms": transforms,
    }
    if needing:
        summary["CapabilitiesReason"] = (
            f"The following resource(s) require capabilities: [{', '.join(needing)}]"
        )
    return summary


def validate_template(self: CloudFormationResponse) -> ActionResult:
    body = self._get_param("TemplateBody")
    url = self._get_param("TemplateURL")
    if url:
        body = self._get_stack_from_s3_url(url)
    if not body:
        raise ValidationError(message="Either Template URL or Template Body must be specified.")
    template = templates.parse(body)
    if declared(template):
        templates.check_shape(template)  # its resources are what the transform will make
    else:
        templates.check_structure(template, self.region)
    description = template.get("Description")
    return ActionResult(
        {
            **({"Description": str(description)} if description is not None else {}),
            **validation_summary(template),
        }
    )
