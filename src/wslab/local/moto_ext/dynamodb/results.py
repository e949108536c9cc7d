"""DynamoDB's item answers encoded straight to JSON, without moto's generic serializer.

moto 5.2 turns every answer into its wire form by walking the operation's output shape in
botocore's model, member by member and value by value (``moto.core.serialize``). For the
item operations, whose answers are maps of attribute values, that walk was a fifth of the
local stack's CPU under chat traffic. Their results are already in DynamoDB's JSON form
(``{"S": ...}``, ``{"N": "..."}``) once ``DynamoResult`` has expanded moto's types, so
``json.dumps`` gives the same document, binary values base64-encoded as the serializer
encodes them. ``tests/test_seams.py`` checks both encodings agree on every attribute type.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from moto.core.responses import ActionContext
from moto.dynamodb.responses import DynamoResult

__all__ = ["ITEM_OPERATIONS", "encode_item_result", "install"]

ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem"}
)
"""The operations answered here; every other one keeps moto's serializer."""

_CONTENT_TYPE = "application/x-amz-json-1.0"


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not an attribute value")


def encode_item_result(result: dict[str, Any], members: Collection[str]) -> str:
    """The JSON body of an item operation's answer, keeping the output shape's ``members``
    as the serializer does (``TypeError`` if a value is not an attribute value)."""
    kept = {name: value for name, value in result.items() if name in members and value is not None}
    return json.dumps(kept, default=_json_value)


_installed = False


def install() -> None:
    """Answer the item operations with :func:`encode_item_result`. Idempotent."""
    global _installed
    if _installed:
        return
    original: Callable[[DynamoResult, ActionContext], Any] = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: ActionContext) -> Any:
        if context.operation_model.name in ITEM_OPERATIONS and isinstance(self.result, dict):
            try:
                output = context.operation_model.output_shape
                body = encode_item_result(self.result, output.members if output else ())
            except TypeError:
                return original(self, context)
            return 200, {"Content-Type": _CONTENT_TYPE}, body
        return original(self, context)

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]
    _installed = True
