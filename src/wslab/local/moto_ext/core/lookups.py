"""Two lookups moto's server repeats on every request, made once.

- ``moto.backends.list_of_moto_modules`` lists moto's package directory on disk (a
  ``stat`` per service, about 150) each time the dispatcher resolves a request's host;
- ``moto.core.responses.method_names_from_class`` walks a response class's members with
  ``inspect.getmembers`` each time an action is looked up.

Neither answer changes while the process runs (the extensions patch methods before the
first request and add no names afterwards), so each is computed once per argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import moto.backends
import moto.core.responses

__all__ = ["install"]

_installed = False


def install() -> None:
    """Cache both lookups. Idempotent."""
    global _installed
    if _installed:
        return
    list_modules: Callable[[], Iterable[str]] = moto.backends.list_of_moto_modules
    modules = functools.cache(lambda: tuple(list_modules()))
    setattr(moto.backends, "list_of_moto_modules", modules)  # noqa: B010 - a module global
    responses = moto.core.responses
    method_names: Callable[[object], list[str]] = getattr(responses, "method_names_from_class")  # noqa: B009
    cached_names = functools.cache(lambda cls: tuple(method_names(cls)))
    setattr(responses, "method_names_from_class", lambda cls: list(cached_names(cls)))  # noqa: B010
    _installed = True
