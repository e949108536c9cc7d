"""The solutions of ``docs/solutions.md``, run where a learner runs them: in new cells at the
end of their notebook, in its kernel, after all its cells, with the notebooks run in order on
one fresh local AWS (as nbval does). What each solution prints must be what the page says it
prints, once ports, ids and times are sanitized as nbval sanitizes them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.solutions import Section, sanitize, sections
from tests.support import scaled
from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.node import sdk_modules
from wslab.notebook.tutorial import ENDPOINT_VARIABLE, NOTEBOOKS, TARGET_VARIABLE

NEEDS_NODE = "# needs Node.js"
NO_NODE = shutil.which("node") is None or sdk_modules() is None
# In order: each notebook's state (the tables of 01, the faults API of 08) is the next one's.
CODED = [section for section in sections() if section.steps]


@pytest.fixture(scope="module")
def notebooks_stack() -> Iterator[str]:
    """A local AWS of their own: notebook 08 sets the account's logging role, which the
    tests sharing the session's stack must not see."""
    saved = {name: os.environ.get(name) for name in (ENDPOINT_VARIABLE, TARGET_VARIABLE)}
    with LocalAWSProcess(port=0) as stack:
        os.environ[ENDPOINT_VARIABLE] = stack.endpoint_url
        os.environ.pop(TARGET_VARIABLE, None)
        try:
            yield stack.endpoint_url
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", [])).rstrip("\n")


def _notebook(number: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


@pytest.mark.timeout(scaled(300))
@pytest.mark.parametrize("section", CODED, ids=[section.notebook for section in CODED])
def test_solution_prints_what_the_page_says(notebooks_stack: str, section: Section) -> None:
    if NO_NODE and any(code.startswith(NEEDS_NODE) for code, _ in section.steps):
        pytest.skip("Node.js or the AWS SDK for JavaScript v3 is missing: install Node.js, make")
    path = _notebook(section.notebook)
    notebook = nbformat.read(path, as_version=4)
    first = len(notebook.cells)
    for code, _ in section.steps:
        notebook.cells.append(nbformat.v4.new_code_cell(code))
    NotebookClient(
        notebook,
        timeout=int(scaled(120)),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell, (code, expected) in zip(notebook.cells[first:], section.steps, strict=True):
        assert sanitize(_printed(cell)) == sanitize(expected), f"{section.anchor}:\n{code}"
