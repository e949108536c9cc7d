"""Tokens for the chat's authorizer, minted with the handlers' own code and the stack's key.

The signing code is ``lambda_src/chat/tokens.py`` itself (stdlib only), loaded from where
:mod:`wslab.deploy.project` finds it, so what the tools mint is exactly what the deployed
authorizer verifies; the longest lifetime it accepts is read the same way, from the
deployed authorizer's own settings.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from types import ModuleType

from wslab.deploy import project
from wslab.deploy.stack import ChatStack

__all__ = ["accepted_lifetime", "handler_module", "handler_tokens_module", "mint_for_stack"]


_PACKAGE = "wslab_lambda_src_chat"
# The template's logical id of the REQUEST authorizer's function.
_AUTHORIZER_FUNCTION = "AuthorizerFunction"


@cache
def _handler_package() -> ModuleType:
    """``lambda_src/chat/``, imported under a private package name."""
    package_dir = project.lambda_src() / "chat"
    spec = importlib.util.spec_from_file_location(
        _PACKAGE, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the handlers' package from {package_dir}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[_PACKAGE] = package
    spec.loader.exec_module(package)
    return package


def handler_module(name: str) -> ModuleType:
    """A module of ``lambda_src/chat/`` (``"tokens"``, ``"config"``), as deployed."""
    _handler_package()
    return importlib.import_module(f"{_PACKAGE}.{name}")


def handler_tokens_module() -> ModuleType:
    """``lambda_src/chat/tokens.py``."""
    return handler_module("tokens")


def accepted_lifetime(stack: ChatStack) -> int:
    """The longest token lifetime, in seconds, the stack's deployed authorizer accepts:
    its ``TOKEN_MAX_TTL_SECONDS``, or the handlers' default, read by the handlers' code."""
    resource = stack.client("cloudformation").describe_stack_resource(
        StackName=stack.stack_name, LogicalResourceId=_AUTHORIZER_FUNCTION
    )["StackResourceDetail"]
    configuration = stack.client("lambda").get_function_configuration(
        FunctionName=resource["PhysicalResourceId"]
    )
    variables = configuration.get("Environment", {}).get("Variables", {})
    settings = handler_module("config").load_settings(variables)
    return int(settings.token_max_ttl_seconds)


def mint_for_stack(
    stack: ChatStack, user: str, ttl_seconds: int = 300, *, now: float | None = None
) -> str:
    """A token for ``user`` signed with the key the stack's authorizer reads, valid for
    ``ttl_seconds`` from ``now`` (the current time)."""
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.secret_name)
    token: str = handler_tokens_module().mint_token(
        secret["SecretString"], user, ttl_seconds, now=now
    )
    return token
