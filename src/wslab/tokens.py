"""Tokens for the chat's authorizer, minted with the handlers' own code and the stack's key.

The signing code is ``lambda_src/chat/tokens.py`` itself (stdlib only), loaded from where
:mod:`wslab.project` finds it, so what the tools mint is exactly what the deployed
authorizer verifies.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from types import ModuleType

from wslab import project
from wslab.deploy import ChatStack

__all__ = ["handler_tokens_module", "mint_for_stack"]


_PACKAGE = "wslab_lambda_src_chat"


@cache
def handler_tokens_module() -> ModuleType:
    """``lambda_src/chat/tokens.py``, imported under a private package name."""
    package_dir = project.lambda_src() / "chat"
    spec = importlib.util.spec_from_file_location(
        _PACKAGE, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the handlers' package from {package_dir}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[_PACKAGE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{_PACKAGE}.tokens")


def mint_for_stack(stack: ChatStack, user: str, ttl_seconds: int = 300) -> str:
    """A token for ``user`` signed with the key the stack's authorizer reads."""
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.secret_name)
    token: str = handler_tokens_module().mint_token(secret["SecretString"], user, ttl_seconds)
    return token
