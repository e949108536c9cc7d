"""The context object a handler gets, with awslambdaric's attributes and methods
(https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, ClassVar, Final

from wslab.local.runtime.python_client.faults import Fault

__all__ = ["Client", "ClientContext", "CognitoIdentity", "LambdaContext", "parse_json_header"]

# The W3C trace-context fields ``w3c()`` gives, taken out of the client context.
_W3C_FIELDS: Final = ("traceparent", "tracestate", "baggage")


class _Record:
    """An object whose attributes are the fields of one JSON object of the headers, shown
    in awslambdaric's order."""

    _FIELDS: ClassVar[tuple[str, ...]] = ()
    __slots__: tuple[str, ...] = ()

    def __init__(self, values: dict[str, Any]) -> None:
        for name in self._FIELDS:
            setattr(self, name, values.get(name))

    def __repr__(self) -> str:
        fields = ",".join(f"{name}={getattr(self, name)}" for name in self._FIELDS)
        return f"{type(self).__name__}([{fields}])"


class CognitoIdentity(_Record):
    _FIELDS = ("cognito_identity_id", "cognito_identity_pool_id")
    __slots__ = _FIELDS
    cognito_identity_id: str | None
    cognito_identity_pool_id: str | None


class Client(_Record):
    _FIELDS = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )
    __slots__ = _FIELDS


class ClientContext(_Record):
    _FIELDS = ("custom", "env", "client")
    __slots__ = _FIELDS
    custom: Any
    env: Any
    client: Any


def parse_json_header(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except Exception as error:
        raise Fault(
            "Runtime.LambdaContextUnmarshalError", f"Unable to parse {name} JSON: {error}"
        ) from None


class LambdaContext:
    def __init__(
        self,
        request_id: str | None,
        client_context: dict[str, Any] | None,
        cognito_identity: dict[str, Any] | None,
        deadline_ms: int,
        invoked_function_arn: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as the environment gives it (awslambdaric does not convert it).
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c = _take_w3c(client_context)
        self.client_context: ClientContext | None = None
        if client_context is not None:
            self.client_context = ClientContext(client_context)
            if self.client_context.client is not None:
                self.client_context.client = Client(self.client_context.client)
        self.identity = CognitoIdentity(
            {
                "cognito_identity_id": (cognito_identity or {}).get("cognitoIdentityId"),
                "cognito_identity_pool_id": (cognito_identity or {}).get("cognitoIdentityPoolId"),
            }
        )
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def w3c(self) -> dict[str, str]:
        return dict(self._w3c)

    def log(self, message: object) -> None:
        """Write ``message`` to the function's log as it is (no newline added)."""
        for handler in logging.getLogger().handlers:
            sink = getattr(handler, "log_sink", None)
            if sink is not None:
                sink.log(str(message))
                return
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


def _take_w3c(client_context: dict[str, Any] | None) -> dict[str, str]:
    """The client context's ``w3c`` string fields, removed from it (as awslambdaric does)."""
    if not isinstance(client_context, dict) or "w3c" not in client_context:
        return {}
    raw = client_context.pop("w3c")
    if not isinstance(raw, dict):
        return {}
    return {name: raw[name] for name in _W3C_FIELDS if isinstance(raw.get(name), str)}
