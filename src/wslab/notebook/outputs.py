"""Stored notebook outputs as a reader will see them.

``make notebook-outputs`` (:func:`refresh_outputs`) runs the notebooks on a fresh local AWS
of their own, on a free port, so that it never meets the ``wslab local`` a developer has
running on the default one. The text of the notebooks talks about that default port
(``127.0.0.1:4577``), which is also where a reader's notebooks find the local AWS: the stored
outputs say it too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wslab.local.defaults import DEFAULT_PORT
from wslab.notebook.names import ENDPOINT_VARIABLE, TARGET_VARIABLE

__all__ = ["editions", "refresh_outputs", "store_as_on_default_port"]


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(item, old, new) for item in value]
    return value


def _on_default_port(value: Any, port: int) -> Any:
    """``value`` with the port as a URL's (``127.0.0.1:<port>``) and as ``tutorial.local_log``
    names it (``port <port>``) replaced by the default port."""
    at_host = _replace(value, f"127.0.0.1:{port}", f"127.0.0.1:{DEFAULT_PORT}")
    return _replace(at_host, f"port {port}", f"port {DEFAULT_PORT}")


def store_as_on_default_port(path: Path, endpoint_url: str) -> None:
    """Rewrite the outputs stored in the notebook ``path``, which ran against the local AWS
    at ``endpoint_url``, as if it had run on the default port."""
    import nbformat

    port = urlsplit(endpoint_url).port or DEFAULT_PORT
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _on_default_port(output["text"], port)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    output["data"][mime] = _on_default_port(value, port)
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]


def editions() -> list[list[Path]]:
    """The tutorial's notebooks, edition by edition: ``notebooks/`` (English), then each
    translation in a folder of its own (``notebooks/zh/``)."""
    from wslab.deploy import project

    root = project.notebooks()
    translations = (path for path in root.iterdir() if path.is_dir() and path.name.isalpha())
    folders = [root, *sorted(translations)]  # not .ipynb_checkpoints, __pycache__
    found = [sorted(folder.glob("[0-9][0-9]_*.ipynb")) for folder in folders]
    return [notebooks for notebooks in found if notebooks]


def refresh_outputs(paths: Iterable[Path] = ()) -> None:
    """Run the notebooks (every edition by default, each on a fresh local AWS of its own, as a
    reader starts), in order, and store their outputs as on the default port: what ``make
    notebook-outputs`` does before a commit."""
    from wslab.local.process import LocalAWSProcess
    from wslab.notebook.steps import run_notebook

    chosen = sorted(paths)
    for notebooks in [chosen] if chosen else editions():
        with LocalAWSProcess(port=0) as stack:
            os.environ[ENDPOINT_VARIABLE] = stack.endpoint_url
            os.environ.pop(TARGET_VARIABLE, None)
            for path in notebooks:
                started = time.monotonic()
                run_notebook(path, save=True)
                store_as_on_default_port(path, stack.endpoint_url)
                print(f"{time.monotonic() - started:5.1f} s  {path}", flush=True)


if __name__ == "__main__":
    import sys

    refresh_outputs(Path(argument).resolve() for argument in sys.argv[1:])
