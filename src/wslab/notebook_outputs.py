"""Stored notebook outputs as a reader will see them.

``make notebook-outputs`` runs the notebooks on a fresh local AWS of their own, on a free
port, so that it never meets the ``wslab local`` a developer has running on the default
one. The text of the notebooks talks about that default port (``127.0.0.1:4577``), which is
also where a reader's notebooks find the local AWS: the stored outputs say it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wslab.local.defaults import DEFAULT_PORT

__all__ = ["store_as_on_default_port"]


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(item, old, new) for item in value]
    return value


def store_as_on_default_port(path: Path, endpoint_url: str) -> None:
    """Rewrite the outputs stored in the notebook ``path``, which ran against the local AWS
    at ``endpoint_url``, as if it had run on the default port."""
    import nbformat

    host = urlsplit(endpoint_url).netloc
    default = f"127.0.0.1:{DEFAULT_PORT}"
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _replace(output["text"], host, default)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    output["data"][mime] = _replace(value, host, default)
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
