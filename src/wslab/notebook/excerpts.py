"""Code the notebooks show, read from the very files that are deployed (``lambda_src/``,
``cloudformation/template.yaml``), so what a learner reads cannot drift from what runs.

A notebook cell that ends with ``excerpts.python(path, "connect")`` displays the function
with its decorators, under its file name and line number: as Markdown (highlighted, on
GitHub too) and as plain text (what nbval compares).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from wslab.deploy import project

__all__ = ["Excerpt", "javascript", "python", "yaml"]


@dataclass(frozen=True)
class Excerpt:
    """Lines ``first`` to ``first + len(lines) - 1`` of ``path`` (1-based)."""

    path: Path
    first: int
    text: str
    language: str

    @property
    def shown_path(self) -> str:
        """The path from the project's root (``lambda_src/chat/handlers.py``): the same on
        every machine, where the absolute path would show the reader someone else's."""
        for root in (project.checkout_root(), project.lambda_src().parent):
            if root is not None and self.path.is_relative_to(root):
                return self.path.relative_to(root).as_posix()
        return self.path.name

    def heading(self) -> str:
        last = self.first + self.text.count("\n")
        return f"{self.shown_path}, lines {self.first}-{last}"

    def _repr_markdown_(self) -> str:
        return f"`{self.heading()}`\n\n```{self.language}\n{self.text}\n```"

    def __repr__(self) -> str:
        return f"{self.heading()}\n\n{self.text}"


def python(path: Path, name: str) -> Excerpt:
    """The top-level function or class ``name`` of the Python file ``path``, decorators
    and docstring included."""
    source = path.read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(node, definition) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = source.splitlines()[first - 1 : node.end_lineno]
            return Excerpt(path, first, "\n".join(lines), "python")
    raise LookupError(f"no top-level function or class {name!r} in {path.name}")


def yaml(path: Path, key: str) -> Excerpt:
    """The block of the YAML file ``path`` that starts with the line ``<key>:`` (the first
    one, at any indentation), up to the next line indented as little as it, with the
    comment lines right above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == f"{key}:"]
    if not starts:
        raise LookupError(f"no {key!r} block in {path.name}")
    start = starts[0]
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    while start > 0 and lines[start - 1].strip().startswith("#"):
        if len(lines[start - 1]) - len(lines[start - 1].lstrip()) != indent:
            break
        start -= 1
    block = [line[indent:] for line in lines[start:end]]
    return Excerpt(path, start + 1, "\n".join(block), "yaml")


def javascript(path: Path, name: str) -> Excerpt:
    """The top-level function ``name`` of the JavaScript module ``path`` (``function name``,
    ``const name = ...``, exported or not), up to its closing brace at the start of a line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    opening = re.compile(rf"^(export )?((async )?function {name}\b|const {name} = )")
    for start, line in enumerate(lines):
        if opening.match(line):
            end = next(i for i in range(start, len(lines)) if lines[i] in ("}", "};"))
            return Excerpt(path, start + 1, "\n".join(lines[start : end + 1]), "javascript")
    raise LookupError(f"no top-level function {name!r} in {path.name}")
