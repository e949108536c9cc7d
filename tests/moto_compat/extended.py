"""pytest plugin: moto with the extensions installed exactly as ``wslab local`` installs them.

Loaded (``-p extended``) by the moto compatibility gate for its second run of moto's tests.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    from wslab.local import moto_ext

    moto_ext.install()
