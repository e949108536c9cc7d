"""CloudFormation's errors, as the local stack raises and reports them.

    CloudFormationError (moto)            every error CloudFormation's API answers with
     ├── ValidationError (moto)           HTTP 400 ``ValidationError``
     │    ├── UnsupportedByLocalStack     the template asks for what the local stack lacks
     │    └── TransformFailed             a transform refused the template
     └── InsufficientCapabilities         ``InsufficientCapabilitiesException``

Whatever else goes wrong inside a CloudFormation call (another service's error, a bug in a
model) must still reach the client as a CloudFormation error in CloudFormation's XML:
:func:`cloudformation_errors_only` wraps each action so that it does, and
:func:`reason_of` turns any error into the one line a stack event shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult

__all__ = [
    "InsufficientCapabilities",
    "TransformFailed",
    "UnsupportedByLocalStack",
    "answered_in_cloudformation_format",
    "cloudformation_errors_only",
    "reason_of",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class UnsupportedByLocalStack(ValidationError):
    """The template asks for something the local stack does not implement."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


class TransformFailed(ValidationError):
    """A transform (SAM) could not process the template: a change set fails with this."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


class InsufficientCapabilities(CloudFormationError):
    """A template needs a capability the request did not acknowledge.

    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
    (Errors: InsufficientCapabilities, HTTP 400).
    """

    code = "InsufficientCapabilitiesException"

    def __init__(self, capabilities: list[str]) -> None:
        super().__init__(f"Requires capabilities : [{', '.join(capabilities)}]")


def reason_of(error: BaseException) -> str:
    """One line saying what failed, with the failing service's error code when it has one
    (what a stack event's ``ResourceStatusReason`` holds)."""
    message = getattr(error, "message", None)
    code = getattr(error, "error_type", None)
    if isinstance(error, ServiceException) and not isinstance(error, CloudFormationError):
        code = error.code
    if not isinstance(message, str) or not message:
        texts = [arg for arg in error.args if isinstance(arg, str)]
        if len(texts) == 2:  # moto's Lambda raises ValueError(code, message)
            code, message = texts
        else:
            message = str(error) or type(error).__name__
    line = " ".join(message.split())
    if isinstance(error, (KeyError, AttributeError, TypeError, IndexError)):
        return f"Internal error in wslab local ({type(error).__name__}: {line})"
    return f"{code}: {line}" if code and not line.startswith(str(code)) else line


def answered_in_cloudformation_format(call_action: _F) -> _F:
    """``CloudFormationResponse.call_action``: what fails after the action returned (moto
    reads the answer's objects while it writes the XML) is a ``ValidationError`` too, not an
    HTTP 500 page."""

    @functools.wraps(call_action)
    def guarded(self: Any) -> Any:
        try:
            return call_action(self)
        except Exception as error:
            status, headers, body = self.serialized(
                ActionResult(ValidationError(message=reason_of(error)))
            )
            return status, headers, body

    return guarded  # type: ignore[return-value]


def cloudformation_errors_only(action: _F) -> _F:
    """Let only CloudFormation's own errors out of a CloudFormation action.

    moto answers an error it raised for another service in that service's format (a
    Lambda error's JSON inside CloudFormation's XML: botocore cannot parse it), and an
    unexpected exception as an HTTP 500 HTML page. Both become a ``ValidationError``
    naming what failed.
    """

    @functools.wraps(action)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(self, *args, **kwargs)
        except CloudFormationError:
            raise
        except Exception as error:
            raise ValidationError(message=reason_of(error)) from error

    return guarded  # type: ignore[return-value]
