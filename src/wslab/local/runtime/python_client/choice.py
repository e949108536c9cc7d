"""Which runtime client runs Python functions: awslambdaric, or wslab's own.

``WSLAB_PYTHON_RUNTIME_CLIENT`` (``awslambdaric`` or ``wslab``) in the environment of
``wslab local`` chooses; unset, awslambdaric runs wherever it is installed (it has wheels
for Linux on x86_64 and aarch64 only) and wslab's own client everywhere else.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Final, Literal

__all__ = [
    "AWSLAMBDARIC",
    "CLIENTS",
    "CLIENT_VARIABLE",
    "WSLAB",
    "PythonClient",
    "UnknownPythonClient",
    "awslambdaric_installed",
    "python_client",
]

PythonClient = Literal["awslambdaric", "wslab"]
AWSLAMBDARIC: Final = "awslambdaric"
WSLAB: Final = "wslab"
CLIENTS: Final[tuple[PythonClient, ...]] = (AWSLAMBDARIC, WSLAB)
CLIENT_VARIABLE: Final = "WSLAB_PYTHON_RUNTIME_CLIENT"


class UnknownPythonClient(ValueError):
    """The variable names a client that does not exist, or one that is not installed."""


def awslambdaric_installed() -> bool:
    return importlib.util.find_spec("awslambdaric") is not None


def python_client(environ: Mapping[str, str] | None = None) -> PythonClient:
    """The client the variable names, or the default: awslambdaric where it is installed."""
    wanted = (os.environ if environ is None else environ).get(CLIENT_VARIABLE, "").strip()
    if not wanted:
        return AWSLAMBDARIC if awslambdaric_installed() else WSLAB
    if wanted == WSLAB:
        return WSLAB
    if wanted != AWSLAMBDARIC:
        raise UnknownPythonClient(
            f"{CLIENT_VARIABLE}={wanted} names no runtime client: use awslambdaric or wslab"
        )
    if not awslambdaric_installed():
        raise UnknownPythonClient(
            f"{CLIENT_VARIABLE}=awslambdaric, but awslambdaric is not installed (it has "
            f"wheels for Linux only): set {CLIENT_VARIABLE}=wslab, or unset it"
        )
    return AWSLAMBDARIC
