"""The local AWS, ``wslab local``: moto, extended with what the tutorial needs, on one port.

* :mod:`.stack`: :class:`LocalAWS`, the composition root (also ``wslab.local.LocalAWS``).
* :mod:`.gateway`: the WebSocket data plane and ``@connections``.
* :mod:`.runtime`: Lambda execution environments.
* :mod:`.moto_ext`: moto's extensions, the only importer of moto.
* :mod:`.control`: the control-plane interface between them.
* :mod:`.process`: ``wslab local`` as a separate process (tests, notebooks, scripts).
* :mod:`.workdir`: the stack's temporary folder, and the ones killed stacks left.

Importing this package is cheap: :class:`LocalAWS` (which loads moto) is imported on first
use, so helpers that only look for a running stack never pay for moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wslab.local.stack import LocalAWS

__all__ = ["LocalAWS"]


def __getattr__(name: str) -> Any:
    if name == "LocalAWS":
        from wslab.local.stack import LocalAWS

        return LocalAWS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
