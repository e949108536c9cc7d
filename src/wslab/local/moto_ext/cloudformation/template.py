"""Reading a template, and refusing at the API call what CloudFormation refuses there.

CloudFormation checks a template before it creates anything: a ``Ref`` or ``Fn::GetAtt``
to nothing, an import of an export no stack makes, a missing parameter value, a circular
dependency are answered with ``ValidationError`` by ``CreateStack``, ``UpdateStack`` and
``CreateChangeSet``, and no stack is made (moto creates the stack and rolls it back, or
lets the resource go without the value). :func:`check` does those checks; the messages are
CloudFormation's (template anatomy and intrinsic function reference pages,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html).

An intrinsic function moto cannot evaluate would reach a resource as a literal dict; it is
refused here, by name, instead.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import yaml  # type: ignore[import-untyped]
from moto.cloudformation.exceptions import ValidationError

from wslab.local.cfn_yaml import load as load_yaml
from wslab.local.moto_ext.cloudformation.errors import UnsupportedByLocalStack
from wslab.local.moto_ext.cloudformation.transforms import SERVERLESS, declared

__all__ = [
    "PSEUDO_PARAMETERS",
    "check",
    "check_shape",
    "check_structure",
    "dependency_order",
    "dumps",
    "effective_parameters",
    "parse",
    "references",
]

SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Conditions",
        "Description",
        "Hooks",
        "Mappings",
        "Metadata",
        "Outputs",
        "Parameters",
        "Resources",
        "Rules",
        "Transform",
    }
)
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
# What moto's CloudFormation evaluates (moto.cloudformation.parsing.clean_json).
FUNCTIONS = frozenset(
    {
        "Fn::Base64",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::ToJsonString",
    }
)
CONDITION_FUNCTIONS = frozenset({"Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or"})
_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


# Reading ---------------------------------------------------------------------------------


def _normalized(node: Any) -> Any:
    """The one spelling moto evaluates: ``Fn::GetAtt`` as ``[resource, attribute]`` (YAML's
    ``!GetAtt A.B.C`` and JSON's ``"A.B"`` too), dates back to the text they were."""
    if isinstance(node, dict):
        if len(node) == 1 and "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            if isinstance(target, str):
                target = target.split(".", 1)
            if isinstance(target, list) and len(target) > 2:
                target = [target[0], ".".join(str(part) for part in target[1:])]
            return {"Fn::GetAtt": [_normalized(part) for part in target]}
        return {str(key): _normalized(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_normalized(item) for item in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def parse(body: str) -> dict[str, Any]:
    """The template in ``body`` (JSON or YAML), normalized; ``ValidationError`` if it is not
    one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        try:
            parsed = load_yaml(body)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ValidationError(
                message=f"Template format error: YAML not well-formed.{where}"
            ) from error
    if not isinstance(parsed, dict):
        raise ValidationError(message="Template format error: JSON not well-formed.")
    return dict(_normalized(parsed))


def dumps(template: Mapping[str, Any]) -> str:
    """The template as the JSON text moto parses (and ``GetTemplate`` returns)."""
    return json.dumps(template, indent=2, default=str)


# References --------------------------------------------------------------------------------


def _sub_names(argument: Any) -> tuple[list[str], Mapping[str, Any]]:
    text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
    if not isinstance(text, str):
        return [], variables if isinstance(variables, dict) else {}
    names = [name.strip() for name in _SUB_NAME.findall(text)]
    own = variables if isinstance(variables, dict) else {}
    return [name for name in names if name.split(".", 1)[0] not in own], own


def _intrinsics(node: Any) -> Iterator[tuple[str, Any]]:
    """Every intrinsic function call in ``node``, outermost first: (name, argument)."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                yield key, value
        for value in node.values():
            yield from _intrinsics(value)
    elif isinstance(node, list):
        for item in node:
            yield from _intrinsics(item)


def references(node: Any) -> set[str]:
    """The names ``node`` refers to: ``Ref``, ``Fn::GetAtt`` and ``${...}`` of ``Fn::Sub``
    (every branch of an ``Fn::If``)."""
    found: set[str] = set()
    for name, argument in _intrinsics(node):
        if name == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif name == "Fn::GetAtt" and isinstance(argument, list) and argument:
            if isinstance(argument[0], str):
                found.add(argument[0])
        elif name == "Fn::Sub":
            found.update(sub.split(".", 1)[0] for sub in _sub_names(argument)[0])
    return found


def _depends_on(resource: Mapping[str, Any]) -> list[str]:
    declared = resource.get("DependsOn") or []
    return [declared] if isinstance(declared, str) else [str(name) for name in declared]


# Created last among resources ready at the same time: an API deployment snapshots the
# routes, route responses and integrations there are, and CloudFormation creates resources
# that don't depend on each other in parallel. Public templates name only the routes in a
# deployment's DependsOn (serverless-patterns' apigw-websocket-api-connection-dynamodb: its
# route response is not, and its README shows the route answering): a deployment created
# before its siblings would serve less than such templates get on AWS [UNCONFIRMED].
_LAST_AMONG_EQUALS = frozenset({"AWS::ApiGatewayV2::Deployment"})


def dependency_order(resources: Mapping[str, Any]) -> list[str]:
    """The resources' logical ids, each after everything it refers to or depends on (the
    template's order among equals, API deployments last among them); ``ValidationError`` on
    a cycle."""
    names = list(resources)
    needs = {
        name: (
            (references(resources[name].get("Properties")) | set(_depends_on(resources[name])))
            & set(names)
        )
        - {name}
        for name in names
    }
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(names):
        ready = [name for name in names if name not in done and needs[name] <= done]
        if not ready:
            cycle = sorted(name for name in names if name not in done)
            raise ValidationError(
                message="Circular dependency between resources: [" + ", ".join(cycle) + "]"
            )
        ready.sort(key=lambda name: _type_of(resources[name]) in _LAST_AMONG_EQUALS)
        order.extend(ready)
        done.update(ready)
    return order


def _type_of(resource: Any) -> str:
    return str(resource.get("Type", "")) if isinstance(resource, Mapping) else ""


# Checks ------------------------------------------------------------------------------------


def _check_shape(
    template: Mapping[str, Any], sections: frozenset[str] = SECTIONS
) -> Mapping[str, Any]:
    unknown = sorted(set(template) - sections)
    if unknown:
        raise ValidationError(
            message=f"Template format error: Invalid template property or properties "
            f"[{', '.join(unknown)}]"
        )
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise ValidationError(
            message="Template format error: At least one Resources member must be defined."
        )
    for name, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise ValidationError(
                message=f"Template format error: [/Resources/{name}] Every Resources object "
                "must contain a Type member."
            )
    return resources


def _check_parameters(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValidationError(
            message=f"Parameters: [{', '.join(unknown)}] do not exist in the template"
        )
    missing = [
        name
        for name, spec in declared.items()
        if name not in given and not (isinstance(spec, dict) and "Default" in spec)
    ]
    if missing:
        raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")
    for name, spec in declared.items():
        if isinstance(spec, dict):
            value = given.get(name, spec.get("Default"))
            _check_constraints(name, spec, value)


def _text(value: Any) -> str:
    """A parameter value as CloudFormation compares it: text (YAML's ``true`` is "true")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _violation(spec: Mapping[str, Any], value: str) -> str | None:
    """How ``value`` breaks the parameter's constraints (``None``: it doesn't)."""
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and value not in [_text(item) for item in allowed]:
        return "must be one of AllowedValues"
    pattern = spec.get("AllowedPattern")
    # The pattern must match the whole value (ParameterConstraints, AWS API reference).
    if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
        return f"must match pattern {pattern}"
    # [UNCONFIRMED] wording of the length constraints' messages.
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"must contain at least {spec['MinLength']} characters"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"must contain at most {spec['MaxLength']} characters"
    return None


def _check_constraints(name: str, spec: Mapping[str, Any], value: Any) -> None:
    """``Parameter 'Name' must match pattern ...`` (the wording a public report measured on
    CloudFormation, ministackorg/ministack#1648), the parameter's ``ConstraintDescription``
    in place of the reason when it has one (the ``ConstraintDescription`` reference:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html)."""
    kind = str(spec.get("Type", "String"))
    if value is None or kind.startswith(("AWS::SSM::", "List<", "CommaDelimitedList")):
        return
    violation = _violation(spec, _text(value))
    if violation is not None:
        reason = spec.get("ConstraintDescription") or violation
        raise ValidationError(message=f"Parameter '{name}' {reason}")


def _check_functions(node: Any, allowed: Collection[str]) -> None:
    for name, _ in _intrinsics(node):
        if name != "Ref" and name not in allowed:
            raise UnsupportedByLocalStack(
                f"Template error: the intrinsic function {name} is not supported by wslab local"
            )


def _check_references(
    node: Any,
    block: str,
    resources: Collection[str],
    known: Collection[str],
    conditions: Collection[str],
) -> None:
    unresolved: list[str] = []
    for name, argument in _intrinsics(node):
        if name == "Ref" and argument not in known:
            unresolved.append(str(argument))
        elif name == "Fn::GetAtt":
            if not isinstance(argument, list) or len(argument) != 2:
                raise ValidationError(
                    message="Template error: every Fn::GetAtt object requires two non-empty "
                    "parameters"
                )
            if isinstance(argument[0], str) and argument[0] not in resources:
                raise ValidationError(
                    message="Template error: instance of Fn::GetAtt references undefined "
                    f"resource {argument[0]}"
                )
        elif name == "Fn::Sub":
            for sub in _sub_names(argument)[0]:
                target = sub.split(".", 1)[0]
                if target not in (resources if "." in sub else known):
                    unresolved.append(target)
        elif name == "Fn::If":
            condition = argument[0] if isinstance(argument, list) and argument else None
            if condition not in conditions:
                raise ValidationError(
                    message=f"Template error: unresolved condition dependency {condition} in Fn::If"
                )
    if unresolved:
        raise ValidationError(
            message="Template format error: Unresolved resource dependencies "
            f"[{', '.join(dict.fromkeys(unresolved))}] in the {block} block of the template"
        )


def _check_imports(node: Any, exports: Collection[str]) -> None:
    for name, argument in _intrinsics(node):
        if name == "Fn::ImportValue" and isinstance(argument, str) and argument not in exports:
            raise ValidationError(message=f"No export named {argument} found.")


def _known_types(region: str) -> frozenset[str] | None:
    """The resource types CloudFormation has in ``region``, from cfn-lint's copy of its
    resource specification (``None`` without cfn-lint: no check)."""
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    except ImportError:  # pragma: no cover - cfn-lint comes with moto[server]
        return None
    return frozenset(PROVIDER_SCHEMA_MANAGER.get_resource_types(region))


def _check_types(resources: Mapping[str, Any], region: str) -> None:
    known = _known_types(region)
    if known is None:
        return
    unknown = sorted(
        {
            str(resource["Type"])
            for resource in resources.values()
            if resource["Type"] not in known and not str(resource["Type"]).startswith("Custom::")
        }
    )
    if unknown:
        raise ValidationError(
            message=f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]"
        )


def check_structure(template: Mapping[str, Any], region: str) -> None:
    """What CloudFormation checks of a template alone (``ValidateTemplate``): its sections,
    resource types, references, intrinsic functions and dependencies."""
    resources = _check_shape(template)
    _check_types(resources, region)
    conditions = set(template.get("Conditions") or {})
    known = set(resources) | set(template.get("Parameters") or {}) | PSEUDO_PARAMETERS
    for condition in (template.get("Conditions") or {}).values():
        _check_functions(condition, FUNCTIONS | CONDITION_FUNCTIONS)
    for name, item in [*resources.items(), *(template.get("Outputs") or {}).items()]:
        undefined = [needed for needed in _depends_on(item) if needed not in resources]
        if undefined:
            raise ValidationError(
                message="Template format error: Unresolved resource dependencies "
                f"[{', '.join(undefined)}] in the Resources block of the template"
            )
        if isinstance(item, dict) and "Condition" in item and item["Condition"] not in conditions:
            # [UNCONFIRMED] wording: a condition no Conditions entry defines.
            raise ValidationError(
                message=f"Template format error: Unresolved condition dependency "
                f"{item['Condition']} in {name}"
            )
    for block in ("Resources", "Outputs"):
        section = template.get(block) or {}
        _check_functions(section, FUNCTIONS)
        _check_references(section, block, resources, known, conditions)
    dependency_order(resources)


def check(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    exports: Collection[str],
    region: str,
) -> None:
    """Refuse, as CloudFormation does before creating anything, a template it can't run
    with these parameters, or whose imports no export answers (a processed template: its
    transforms have run)."""
    check_structure(template, region)
    _check_parameters(template, parameters)
    for block in ("Resources", "Outputs"):
        _check_imports(template.get(block) or {}, exports)


def effective_parameters(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter's value: the one given, else its ``Default`` (what tells an
    update whether a parameter changed, however its value was passed)."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in given:
            values[name] = given[name]
        elif isinstance(spec, dict) and "Default" in spec:
            values[name] = spec["Default"]
    return values


def check_shape(template: Mapping[str, Any]) -> None:
    """What can be checked of a template before its transforms run: its sections, and a
    type on every resource. A SAM template may have ``Globals``, a section of SAM's
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy.html)
    that its transform consumes: the processed template is checked without it."""
    sam = SERVERLESS in declared(template)
    _check_shape(template, SECTIONS | {"Globals"} if sam else SECTIONS)
