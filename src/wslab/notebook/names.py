"""The names of what the tutorial creates, all made from one prefix.

Everything the tutorial creates is named ``<prefix>-...`` (and tagged ``project=<prefix>``
where a notebook creates it directly), so ``cleanup.leftovers`` can list what is still
there; the prefix is ``wslab-tutorial`` unless ``WSLAB_PREFIX`` sets another, so that
attendees sharing one AWS account never touch each other's resources.

Nothing is read from the environment at import: :func:`names` reads it when asked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from wslab.deploy.routes import chat_routes

__all__ = [
    "BOUNDARY_VARIABLE",
    "DEFAULT_PREFIX",
    "ENDPOINT_VARIABLE",
    "PREFIX_VARIABLE",
    "STAGE",
    "TARGET_VARIABLE",
    "Names",
    "TutorialError",
    "chat_function_name",
    "names",
    "permissions_boundary_from_environment",
    "prefix_from_environment",
    "tag_list",
]

TARGET_VARIABLE = "WSLAB_TARGET"
"""``local`` (the default) or ``aws``."""

ENDPOINT_VARIABLE = "WSLAB_ENDPOINT_URL"
"""A local stack already running elsewhere; without it the stack on port 4577 is used."""

PREFIX_VARIABLE = "WSLAB_PREFIX"
"""Each attendee's own prefix in a shared account (``wslab-alice``); ``wslab-tutorial`` if unset."""

DEFAULT_PREFIX = "wslab-tutorial"

BOUNDARY_VARIABLE = "WSLAB_PERMISSIONS_BOUNDARY"
"""In a shared account, the ARN of the permissions boundary every role an attendee creates
must carry (the ``PermissionsBoundaryArn`` output of cloudformation/attendees.yaml)."""

_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\w+=,.@/-]+")

STAGE = "prod"
"""The stage the notebooks deploy the API to."""

# Exactly one hyphen: then no valid prefix is another one plus "-...", and a name tells
# whose it is ("wslab-alice-2-connections" could otherwise be wslab-alice's or
# wslab-alice-2's). 24 characters leave room for the longest names made from it (IAM roles
# and Lambda functions stop at 64, S3 buckets at 63).
_PREFIX_FORM = re.compile(r"[a-z][a-z0-9]*-[a-z0-9]+")
_PREFIX_MAX = 24


class TutorialError(RuntimeError):
    """Something the notebooks need is missing or misconfigured; the message says what."""


def permissions_boundary_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """``WSLAB_PERMISSIONS_BOUNDARY``, checked to be a managed policy's ARN; None if unset."""
    env = os.environ if environ is None else environ
    boundary = env.get(BOUNDARY_VARIABLE, "").strip()
    if not boundary:
        return None
    if not _POLICY_ARN.fullmatch(boundary):
        raise TutorialError(
            f"{BOUNDARY_VARIABLE}={boundary!r} is not a managed policy's ARN: give the "
            "PermissionsBoundaryArn output of the attendees stack "
            "(arn:<partition>:iam::<account>:policy/<name>)"
        )
    return boundary


def prefix_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``WSLAB_PREFIX``, checked, or ``wslab-tutorial``."""
    env = os.environ if environ is None else environ
    prefix = env.get(PREFIX_VARIABLE, "").strip() or DEFAULT_PREFIX
    if len(prefix) > _PREFIX_MAX or not _PREFIX_FORM.fullmatch(prefix):
        raise TutorialError(
            f"{PREFIX_VARIABLE}={prefix!r} is not a usable prefix: give two words of lowercase "
            f"letters and digits joined by one hyphen, {_PREFIX_MAX} characters at most "
            "(e.g. wslab-alice)"
        )
    return prefix


def chat_function_name(prefix: str, route_key: str) -> str:
    """The function notebook 02 creates for a route: ``<prefix>-on-<route>``
    (``wslab-tutorial-on-sendmessage``, ``wslab-tutorial-on-connect``).

    "on-" names what runs on a route, and keeps a function apart from a table of the same
    word: ``<prefix>-on-history`` answers the ``history`` route, ``<prefix>-history`` is the
    table it reads."""
    return f"{prefix}-on-{route_key.removeprefix('$')}"


@dataclass(frozen=True)
class Names:
    """Every name the notebooks use, derived from ``prefix``."""

    prefix: str

    @property
    def tags(self) -> Mapping[str, str]:
        """The tag the notebooks put on what they create directly (for the bill's cost
        allocation)."""
        return {"project": self.prefix}

    @property
    def connections_table(self) -> str:
        return f"{self.prefix}-connections"

    @property
    def history_table(self) -> str:
        return f"{self.prefix}-history"

    @property
    def api_name(self) -> str:
        return f"{self.prefix}-chat"

    @property
    def stack_name(self) -> str:
        return f"{self.prefix}-stack"

    @property
    def chat_functions(self) -> Mapping[str, str]:
        """The chat's routes, as the template declares them, and the function notebook 02
        creates for each (the template is read here only, not for the other names)."""
        return {route.key: chat_function_name(self.prefix, route.key) for route in chat_routes()}


def names(environ: Mapping[str, str] | None = None) -> Names:
    """The names under the prefix ``WSLAB_PREFIX`` sets (checked) or the default one."""
    return Names(prefix_from_environment(environ))


def tag_list(tags: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Tags (the tutorial's own by default) in the ``[{"Key": ..., "Value": ...}]`` form of
    DynamoDB and IAM."""
    chosen = names().tags if tags is None else tags
    return [{"Key": key, "Value": value} for key, value in chosen.items()]
