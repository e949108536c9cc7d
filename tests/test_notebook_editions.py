"""The tutorial's editions (``notebooks/`` in English, ``notebooks/zh/`` in 简体中文) run the
same code: only what the reader reads may differ.

What may differ, precisely, in a code cell of a translation:

- the Markdown cells, freely (a translation may split or join paragraphs);
- in a code cell, comments, except the lines the tools read (``# NBVAL_...``, ``# needs
  Node.js``), which stay as they are, first line first;
- string literals that are only read: docstrings, and the strings (plain or the literal parts
  of f-strings) inside a ``print(...)`` call.

Everything else must be the same once parsed: the cells' ASTs are compared with those strings
masked, so a changed name, number, call or string argument anywhere else fails.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tests.solutions import sections
from wslab.notebook.outputs import editions

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
CHINESE = ENGLISH / "zh"
TRANSLATED = sorted(CHINESE.glob("[0-9][0-9]_*.ipynb"))
ENGLISH_SOLUTIONS = ROOT / "docs" / "solutions.md"
CHINESE_SOLUTIONS = ROOT / "docs" / "zh" / "solutions.md"
AWS_CHINESE_DOCS = ("https://docs.amazonaws.cn/", "https://docs.aws.amazon.com/zh_cn/")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
TOOL_COMMENTS = ("# NBVAL_", "# needs Node.js")
READER_TEXT = "…"


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


class _MaskReaderText(ast.NodeTransformer):
    """Docstrings and the strings printed, replaced by one mark."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                for inner in ast.walk(argument):
                    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                        inner.value = READER_TEXT
        return self.generic_visit(node)

    def _docstring(self, node: Any) -> Any:
        body = node.body
        first = body[0].value if body and isinstance(body[0], ast.Expr) else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            first.value = READER_TEXT
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Module = _docstring


def shape(source: str) -> str:
    """The code of a cell as compared between editions (see the module's docstring). A cell
    with IPython's syntax (``%%writefile``, ``!``) is compared as the Python IPython runs."""
    python = TransformerManager().transform_cell(source)
    return ast.dump(_MaskReaderText().visit(ast.parse(python)))


def tool_comments(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.lstrip().startswith(TOOL_COMMENTS)]


def test_the_chinese_edition_has_at_least_00_to_04() -> None:
    """Each translation has its original; 00 to 04, the steps that build the chat, are there."""
    names = [path.name for path in TRANSLATED]
    assert all((ENGLISH / name).exists() for name in names), names
    assert {name[:2] for name in names} >= {"00", "01", "02", "03", "04"}


@pytest.mark.parametrize("path", TRANSLATED, ids=[path.stem for path in TRANSLATED])
def test_a_translation_runs_the_same_code(path: Path) -> None:
    """Code cell for code cell, the same code but for the reader's text."""
    original, translated = _code_cells(ENGLISH / path.name), _code_cells(path)
    assert len(translated) == len(original), "a code cell was added or removed"
    for number, (theirs, ours) in enumerate(zip(original, translated, strict=True)):
        assert tool_comments(ours) == tool_comments(theirs), f"code cell {number}: tool comments"
        if theirs.startswith(TOOL_COMMENTS):  # nbval and notebooks/conftest.py read line 1
            assert ours.splitlines()[0] == theirs.splitlines()[0], f"code cell {number}: line 1"
        assert shape(ours) == shape(theirs), f"code cell {number} differs beyond the reader's text"


def test_the_comparison_lets_reader_text_differ_and_nothing_else() -> None:
    """What the comparison accepts and what it refuses."""
    cell = 'def f():\n    """Say hi."""\n    print(f"hi {name}", sep="")\n    return g("x")\n'
    translated = (
        'def f():\n    """打招呼。"""\n'
        '    print(f"你好 {name}", sep="")  # 注释\n    return g("x")\n'
    )
    assert shape(translated) == shape(cell)
    for changed in (
        cell.replace('g("x")', 'g("y")'),  # a string the code uses
        cell.replace("{name}", "{other}"),  # what is printed
        cell.replace("return", "print(1)\n    return"),  # a statement more
    ):
        assert shape(changed) != shape(cell), changed
    written = "%%writefile {path}\ndef handler(event, context):\n    return 200\n"
    assert shape(written) == shape(written)
    assert shape(written.replace("200", "400")) != shape(written)  # the file's text counts


def test_the_chinese_solutions_hold_the_same_code_and_output() -> None:
    """``docs/zh/solutions.md`` is ``docs/solutions.md`` with its prose in Chinese: the same
    sections, the same code and the same printed output, block for block (so the run of the
    English solutions in tests/e2e/test_solutions.py vouches for both)."""
    english, chinese = sections(ENGLISH_SOLUTIONS), sections(CHINESE_SOLUTIONS)
    assert [section.notebook for section in chinese] == [section.notebook for section in english]
    for ours, theirs in zip(chinese, english, strict=True):
        assert ours.steps == theirs.steps, f"section {ours.notebook}"


def _fenced(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [block for _language, block in FENCE.findall(text)]


def test_the_chinese_workshop_kit_shows_the_same_commands() -> None:
    """``docs/zh/workshop.md`` prints the commands and code of ``docs/workshop.md`` as they
    are (tests/e2e/test_workshop.py runs the English ones as printed)."""
    english = _fenced(ROOT / "docs" / "workshop.md")
    assert english and _fenced(ROOT / "docs" / "zh" / "workshop.md") == english


def test_every_term_of_the_glossary_cites_aws_chinese_documentation() -> None:
    """Each row of ``docs/zh/glossary.md`` names the AWS page (in Chinese) its term comes
    from, or says it is unconfirmed (未核实)."""
    text = (ROOT / "docs" / "zh" / "glossary.md").read_text(encoding="utf-8")
    links = dict(re.findall(r"^\[([\w-]+)\]: (\S+)$", text, flags=re.M))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 20
    for row in rows[1:]:  # the first is the header
        _english, chinese, source = (cell.strip() for cell in row.strip("|").split(" | "))
        cited = re.findall(r"\]\[([\w-]+)\]", source)
        assert cited or "未核实" in chinese, row
        for name in cited:
            assert links[name].startswith(AWS_CHINESE_DOCS), links[name]


def test_make_notebook_outputs_runs_each_edition_on_its_own() -> None:
    """``make notebook-outputs`` stores outputs edition by edition (each on a fresh local AWS,
    as ``make notebooks`` checks them): English first, then the translation; no checkpoint."""
    assert editions() == [sorted(ENGLISH.glob("[0-9][0-9]_*.ipynb")), TRANSLATED]
