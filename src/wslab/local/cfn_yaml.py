"""CloudFormation's YAML: safe types, and the short-form tags (``!Ref``, ``!Sub``, ``!GetAtt``).

A template written with short forms is not plain YAML: ``yaml.safe_load`` refuses ``!Ref``.
:class:`Loader` reads each short form as its full form (``!Sub "x"`` is ``{"Fn::Sub": "x"}``,
``!Ref X`` is ``{"Ref": "X"}``), as the template anatomy page describes
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
It imports PyYAML only, so the local CloudFormation (``moto_ext/cloudformation/template.py``)
and the learner tools (``wslab.deploy.routes``) read templates the same way without the
learner tools loading moto.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]

__all__ = ["Loader", "load"]


class Loader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML as CloudFormation reads it: safe types, and the short forms (``!Ref``, ``!Sub``)."""


def _short_form(loader: Loader, name: str, node: Any) -> dict[str, Any]:
    """``!Name value`` (the tag's prefix ``!`` already taken off) in its full form."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if name == "Ref":
        return {"Ref": value}
    if name == "Condition":
        return {"Condition": value}
    return {f"Fn::{name}": value}


Loader.add_multi_constructor("!", _short_form)


def load(text: str) -> Any:
    """The YAML document ``text``, short forms in their full form; ``yaml.YAMLError`` if it
    is not YAML."""
    return yaml.load(text, Loader=Loader)
