"""The behaviour page the gateway cites, ``docs/apigw-websocket.md``, keeps up with the code:
every ``§`` citation of it in ``src/`` names one of its headings, and every choice the code
marks ``UNCONFIRMED`` is in its list of choices made without a source (§10)."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
SPEC = ROOT / "docs" / "apigw-websocket.md"
SPEC_TEXT = SPEC.read_text(encoding="utf-8")

# "docs/apigw-websocket.md §2.3, §2.4 and §3" (a citation may run over a line break).
_CITATION = re.compile(r"apigw-websocket\.md((?:(?:,|\s|and|item \d+)*§\d+(?:\.\d+)*)+)")
_SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
# Other documents cited by section: RFCs ("RFC 6455 §5.1", "RFC 6455 §4.2.2 item 4 and §4.4").
_RFC_BEFORE = re.compile(r"RFC \d+\b[^§]{0,3}(?:§[\d.]+[^§]{0,30})*$")
_UNCONFIRMED_LIST = SPEC_TEXT.split("## 10. ", 1)[-1]
# "| `frames.py` `REASON_ABNORMAL` | ..." -> ("frames.py", "REASON_ABNORMAL")
_LISTED = set(re.findall(r"^\| `([^`]+)` `([^`]+)` \|", _UNCONFIRMED_LIST, re.MULTILINE))


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _flat(path: Path) -> str:
    """The file's text with comment markers and line breaks folded into spaces."""
    return re.sub(r"\s*\n\s*#?\s*", " ", path.read_text(encoding="utf-8"))


def test_the_spec_has_the_sections_the_code_numbers() -> None:
    headings = _HEADING.findall(SPEC_TEXT)
    assert len(headings) == len(set(headings)), "a section number is used twice"
    assert {"1.1", "1.2", "2.3", "2.4", "3", "4", "5", "6.1", "7", "8", "10"} <= set(headings)


def test_every_citation_in_src_names_a_heading() -> None:
    headings = set(_HEADING.findall(SPEC_TEXT))
    cited = {
        (path.relative_to(SRC).as_posix(), section)
        for path in _sources()
        for citation in _CITATION.finditer(_flat(path))
        for section in _SECTION.findall(citation.group(1))
    }
    assert cited, "no citation of docs/apigw-websocket.md found: the pattern is stale"
    unresolved = sorted((path, section) for path, section in cited if section not in headings)
    assert not unresolved, f"cited sections that are not headings: {unresolved}"


def test_every_section_sign_in_src_cites_the_spec_or_an_rfc() -> None:
    """No citation of a document that is not in the repository ("docs/apigw-websocket.md §2")."""
    stray = []
    for path in _sources():
        text = _flat(path)
        cited_spans = [match.span() for match in _CITATION.finditer(text)]
        for match in re.finditer("§", text):
            at = match.start()
            if any(start <= at < end for start, end in cited_spans):
                continue
            if _RFC_BEFORE.search(text[max(0, at - 80) : at]):
                continue
            stray.append(f"{path.relative_to(SRC)}: ...{text[max(0, at - 40) : at + 10]}")
    assert not stray, stray


def _owner(tree: ast.Module, line: int) -> str:
    """The name of the innermost definition holding ``line``: a function, a class, or a
    module-level constant with the docstring below it; ``(module)`` otherwise."""
    owner = "(module)"
    for node in ast.walk(tree):
        definition = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if definition and node.lineno <= line <= (node.end_lineno or node.lineno):
            owner = node.name  # ast.walk goes outside in: the innermost comes last
    if owner != "(module)":
        return owner
    body = tree.body
    for statement, following in itertools.pairwise(body):
        target = (
            statement.targets[-1]
            if isinstance(statement, ast.Assign)
            else statement.target
            if isinstance(statement, ast.AnnAssign)
            else None
        )
        if not isinstance(target, ast.Name):
            continue
        documented = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
        end = (following.end_lineno if documented else statement.end_lineno) or statement.lineno
        if statement.lineno <= line <= end:
            return target.id
    return owner


def _unconfirmed_marks() -> list[tuple[Path, str]]:
    marks = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if "UNCONFIRMED" not in text:
            continue
        tree = ast.parse(text)
        for number, line in enumerate(text.splitlines(), start=1):
            if "UNCONFIRMED" in line:
                marks.append((path, _owner(tree, number)))
    return marks


def test_the_unconfirmed_list_is_read() -> None:
    assert len(_LISTED) >= 10, _LISTED


@pytest.mark.parametrize(
    ("path", "owner"),
    [pytest.param(p, o, id=f"{p.relative_to(SRC)}:{o}") for p, o in _unconfirmed_marks()],
)
def test_every_unconfirmed_choice_in_src_is_listed(path: Path, owner: str) -> None:
    listed = any(path.as_posix().endswith("/" + where) and name == owner for where, name in _LISTED)
    assert listed, (
        f"{path.relative_to(SRC)} marks a choice UNCONFIRMED in {owner}: add it to "
        "docs/apigw-websocket.md §10"
    )
