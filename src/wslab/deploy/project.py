"""Where the project's files are: the handlers, the template, the notebooks, sample events.

From a checkout (``pip install -e .``, ``make``) they are the checkout's own folders, so an
edit to ``lambda_src/`` is what the next deploy uploads. A wheel carries a copy of the
handlers and the template (``wslab/_project/``), so ``wslab deploy`` and ``wslab demo``
work from ``pip install wslab`` too; the notebooks and the sample events are in the
checkout only, and asking for them elsewhere says so.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "HANDLER_RUNTIMES",
    "NODE_HANDLERS",
    "NODE_RUNTIME",
    "PYTHON_RUNTIME",
    "ProjectFileMissing",
    "checkout_root",
    "handler_package",
    "lambda_src",
    "notebooks",
    "sample_events",
    "template",
]

PYTHON_RUNTIME = "python3.12"
NODE_RUNTIME = "nodejs22.x"
HANDLER_RUNTIMES = (PYTHON_RUNTIME, NODE_RUNTIME)
"""The template's ``HandlerRuntime`` values: which reference handlers a deployment runs."""
NODE_HANDLERS = "chat-nodejs"
"""The folder of ``lambda_src/`` holding the Node.js handlers."""

_PACKAGE = Path(__file__).resolve().parents[1]  # wslab/
_BUNDLED = _PACKAGE / "_project"


class ProjectFileMissing(FileNotFoundError):
    """A file of the checkout was asked for where there is no checkout."""


def checkout_root() -> Path | None:
    """The checkout this package runs from (src/ layout), or None for a wheel install."""
    root = _PACKAGE.parents[1]
    if (root / "pyproject.toml").is_file() and (root / "lambda_src").is_dir():
        return root
    return None


def _find(relative: str, bundled: bool) -> Path:
    root = checkout_root()
    if root is not None and (root / relative).exists():
        return root / relative
    if bundled and (_BUNDLED / relative).exists():
        return _BUNDLED / relative
    where = "a checkout of the project" if not bundled else "the installed package"
    raise ProjectFileMissing(
        f"{relative} is not in {where}: clone the project and install it with "
        "`pip install -e .` (or `make`) to get it"
    )


def lambda_src() -> Path:
    """The reference handlers, exactly as deployed."""
    return _find("lambda_src", bundled=True)


def handler_package(runtime: str) -> tuple[Path, frozenset[str]]:
    """The folder to zip for ``runtime``'s handlers, and the top-level folders to leave out.

    Python: ``lambda_src/`` (so ``chat/`` is at the zip's root), without the Node.js
    handlers and the Python handlers' tests. Node.js: ``lambda_src/chat-nodejs/`` itself
    (``chat.mjs`` at the root).
    Either way the template's Handler strings (``chat.handlers.connect``) find them.
    """
    if runtime == PYTHON_RUNTIME:
        return lambda_src(), frozenset({NODE_HANDLERS, "chat_tests"})
    if runtime == NODE_RUNTIME:
        return lambda_src() / NODE_HANDLERS, frozenset({"test"})
    raise ValueError(f"no reference handlers for {runtime}: choose {' or '.join(HANDLER_RUNTIMES)}")


def template() -> Path:
    """``cloudformation/template.yaml``: the whole chat as one stack."""
    return _find("cloudformation/template.yaml", bundled=True)


def notebooks() -> Path:
    """The tutorial's notebooks (in a checkout only)."""
    return _find("notebooks", bundled=False)


def sample_events() -> Path:
    """Lambda events captured on AWS, for invoking handlers by hand (in a checkout only)."""
    return _find("tests/events", bundled=False)
