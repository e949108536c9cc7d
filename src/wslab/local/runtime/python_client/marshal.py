"""Events decoded from JSON, results encoded to it, as awslambdaric does with simplejson.

What a handler can tell apart, reproduced with the standard library: a ``Decimal`` (what
boto3 gives for DynamoDB numbers) is written as the number it holds, a NaN one as ``NaN``;
``bytes`` returned are sent as they are (``application/unknown``) and ``bytes`` inside a
result as UTF-8 text; named tuples become objects; non-ASCII text is written as it is for
python3.12 and later, escaped before (``AWS_EXECUTION_ENV``).
"""

from __future__ import annotations

import decimal
import json
import math
import os
from typing import Any, Final

from wslab.local.runtime.python_client.faults import Fault

__all__ = ["decode_event", "encode", "encode_result"]

_UNESCAPED_RUNTIMES: Final = frozenset(f"AWS_Lambda_python3.{minor}" for minor in (12, 13, 14, 15))


class _Encoder(json.JSONEncoder):
    """Writes a finite Decimal as a placeholder string, replaced afterwards by its digits:
    the json module has no way to write raw text for an object."""

    def __init__(self, marker: str) -> None:
        super().__init__(
            ensure_ascii=os.environ.get("AWS_EXECUTION_ENV") not in _UNESCAPED_RUNTIMES,
            allow_nan=True,
        )
        self._marker = marker
        self.decimals: list[str] = []

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            self.decimals.append(str(o))
            return f"{self._marker}{len(self.decimals) - 1}"
        if isinstance(o, bytes):
            return o.decode("utf-8")
        return super().default(o)

    def iterencode(self, o: Any, _one_shot: bool = False) -> Any:
        return super().iterencode(_named_tuples_as_objects(o), _one_shot)


def _named_tuples_as_objects(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _named_tuples_as_objects(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_named_tuples_as_objects(item) for item in value]
    if isinstance(value, dict):
        return {k: _named_tuples_as_objects(v) for k, v in value.items()}
    return value


def encode(value: Any) -> str:
    marker = f"\x00decimal-{os.urandom(8).hex()}-"
    encoder = _Encoder(marker)
    text = encoder.encode(value)
    if encoder.decimals:
        quoted = json.dumps(marker)[1:-1]  # how the marker reads inside a JSON string
        for index in reversed(range(len(encoder.decimals))):
            text = text.replace(f'"{quoted}{index}"', encoder.decimals[index])
    return text


def encode_result(result: Any) -> tuple[bytes, str]:
    """The body and content type of a handler's result; ``Runtime.MarshalError`` if the
    result is not JSON."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return encode(result).encode("utf-8"), "application/json"
    except Exception as error:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def decode_event(body: bytes, content_type: str | None) -> Any:
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as error:
        raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {error}") from None
