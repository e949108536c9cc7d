"""Finding the handler ``module.function`` names (``dir/module.function`` and
``package.module.function`` too), with awslambdaric's errors and messages."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from wslab.local.runtime.python_client.faults import Fault

__all__ = ["load_handler"]


def load_handler(name: str) -> Callable[..., Any]:
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as error:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{name}': {error}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise Fault(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        where = f'  File "{error.filename}" Line {error.lineno}\n    {error.text}'
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            [where],
        ) from None
    try:
        handler: Callable[..., Any] = getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None
    return handler
