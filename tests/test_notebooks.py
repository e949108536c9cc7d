"""The tutorial's notebooks as files: their stored outputs, their shape, and what the README
says of them. (``make notebooks`` runs them with nbval; these checks need no kernel.)"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.solutions import sections
from wslab.local.defaults import DEFAULT_PORT

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TRANSLATED = sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
EVERY_EDITION = NOTEBOOKS + TRANSLATED
README = (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Edition:
    """What each notebook of an edition opens and ends with, in its language."""

    opening: tuple[str, ...]
    recap: str
    exercise: str
    next: str
    solutions: Path


ENGLISH = Edition(
    ("**What you'll do**", "**What you'll learn**", "**What you need**"),
    "## Recap",
    "## On your own",
    "Next: [",
    ROOT / "docs" / "solutions.md",
)
CHINESE = Edition(
    ("**你将做什么**", "**你将学到**", "**你需要准备**"),
    "## 回顾",
    "## 动手练习",
    "下一篇：[",  # noqa: RUF001 (the full-width colon of Chinese text)
    ROOT / "docs" / "zh" / "solutions.md",
)


def _edition(path: Path) -> Edition:
    return CHINESE if path.parent.name == "zh" else ENGLISH


# What a reader's machine does not share with the one that ran the notebooks.
LOCAL_PATH = re.compile(r"/(root|tmp|home|work|Users|var/folders)/[A-Za-z0-9_.-]+")


def _cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return cells


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _output_texts(cell: dict[str, Any]) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        for key in ("text", "ename", "evalue", "traceback"):
            if key in output:
                value = output[key]
                texts.append(value if isinstance(value, str) else "\n".join(value))
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") or mime == "application/json":
                texts.append(value if isinstance(value, str) else "".join(value))
    return texts


def _outputs(path: Path) -> str:
    return "\n".join(text for cell in _cells(path) for text in _output_texts(cell))


def _ids(paths: list[Path]) -> list[str]:
    return [path.relative_to(ROOT / "notebooks").with_suffix("").as_posix() for path in paths]


def test_the_tutorial_is_there() -> None:
    """00 to 08 and 99, in reading order."""
    assert [path.name[:2] for path in NOTEBOOKS] == [f"{n:02d}" for n in range(9)] + ["99"]


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_stored_outputs_hold_no_local_path_and_no_traceback(path: Path) -> None:
    """A reader sees no path of the machine that ran the notebook, and no error."""
    for number, cell in enumerate(_cells(path)):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"cell {number} stored an error"
            assert output.get("name") != "stderr", f"cell {number} wrote to stderr"
        for text in _output_texts(cell):
            assert not LOCAL_PATH.search(text), f"cell {number}: {LOCAL_PATH.search(text)}"
            assert "Traceback (most recent call last)" not in text, f"cell {number}"


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_every_code_cell_was_run_and_stored(path: Path) -> None:
    """The stored outputs come from one run, top to bottom (nbval compares against them)."""
    counts = [cell["execution_count"] for cell in _cells(path) if cell["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_each_notebook_opens_with_what_why_and_needs(path: Path) -> None:
    """A title, then what you'll do, learn and need; the first code cell starts the target."""
    cells = _cells(path)
    opening = _source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and opening.startswith("# ")
    for heading in _edition(path).opening:
        assert heading in opening, heading
    first_code = next(_source(cell) for cell in cells if cell["cell_type"] == "code")
    assert "tutorial.start()" in first_code


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_stored_outputs_show_the_port_the_text_names(path: Path) -> None:
    """The text says the local AWS is on 127.0.0.1:4577; so do the outputs (``make
    notebook-outputs`` runs on a free port and stores them as on the default one)."""
    ports = set(re.findall(r"127\.0\.0\.1:(\d+)", _outputs(path)))
    assert ports <= {str(DEFAULT_PORT)}, ports


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*):", makefile, flags=re.M))


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_every_make_command_named_is_a_target(path: Path) -> None:
    text = "\n".join(_source(cell) for cell in _cells(path))
    for target in re.findall(r"`make ([\w.-]+)", text):
        assert target in _make_targets(), f"`make {target}` is not a target of the Makefile"


def test_the_overview_installs_with_make_lab() -> None:
    """``make lab`` installs what the notebooks need and opens them; ``make test`` does not
    install the notebooks' Node.js packages, and runs everything else besides."""
    opening = _source(_cells(NOTEBOOKS[0])[0])
    needs = opening.split("**What you need**", 1)[1]
    assert "`make lab`" in needs and "make test" not in needs


@pytest.mark.parametrize("path", EVERY_EDITION, ids=_ids(EVERY_EDITION))
def test_each_notebook_ends_with_a_recap_and_an_exercise_solved_elsewhere(path: Path) -> None:
    """A recap, one exercise, and a link to its solution in the edition's solutions (a section
    of that notebook's number), then the way to the next notebook."""
    edition, last = _edition(path), _source(_cells(path)[-1])
    assert edition.recap in last and edition.exercise in last
    solutions = os.path.relpath(edition.solutions, path.parent).replace(os.sep, "/")
    (anchor,) = re.findall(rf"\({re.escape(solutions)}#([\w-]+)\)", last)
    solved = sections(edition.solutions)
    assert anchor in {section.anchor for section in solved if section.notebook == path.name[:2]}
    if path.name != NOTEBOOKS[-1].name:
        assert edition.next in last
        (following,) = re.findall(rf"{re.escape(edition.next)}[^]]*\]\(([\w.]+\.ipynb)\)", last)
        assert (path.parent / following).exists(), following


@pytest.mark.parametrize("path", NOTEBOOKS[1:6], ids=_ids(NOTEBOOKS[1:6]))
def test_the_steps_are_taught_not_hidden(path: Path) -> None:
    """Notebooks 01-05 make their own boto3 calls; the one-call wiring helper is for later."""
    code = "\n".join(_source(cell) for cell in _cells(path) if cell["cell_type"] == "code")
    assert "wslab.deploy.wiring" not in code and "wire_websocket_api" not in code


def test_readme_lists_the_notebooks_in_reading_order() -> None:
    """The README's tutorial table names every notebook, in order."""
    section = README.split("## The tutorial", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"\(notebooks/([0-9]{2}_\w+\.ipynb)\)", section)
    assert listed == [path.name for path in NOTEBOOKS]


def test_readme_has_a_chinese_quick_start() -> None:
    section = README.split("## 中文快速入门", 1)[1].split("\n## ", 1)[0]
    assert "make lab" in section and "WSLAB_TARGET=aws" in section


def _troubleshooting_rows() -> list[tuple[str, list[str]]]:
    """(first message of the row, the notebooks that reproduce it) for each table row."""
    section = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("what you see", "") or set(cells[0]) <= {"-"}:
            continue
        message = re.findall(r"`([^`]+)`", cells[0])[0]
        rows.append((message, re.findall(r"\d\d", cells[4])))
    return rows


ERRORS_LEARNERS_MEET = [
    "Forbidden",
    "Internal server error",
    "Endpoint request timed out",
    "GoneException",
    "execute-api:ManageConnections",
    "1009",
]


def test_troubleshooting_table_covers_the_errors_learners_meet() -> None:
    """The README's table has a row for each failure notebook 08 triggers."""
    table = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for message in ERRORS_LEARNERS_MEET:
        assert message in table


@pytest.mark.parametrize("message, notebooks", _troubleshooting_rows())
def test_each_documented_message_still_appears_in_its_notebook(
    message: str, notebooks: list[str]
) -> None:
    """Every message of the troubleshooting table is in the stored outputs of the notebooks
    that reproduce it: the local AWS produces each of them."""
    assert notebooks, f"no notebook named for {message!r}"
    frame = re.fullmatch(r'\{"message": "([^"]+)", \.\.\.\}', message)
    expected = frame.group(1) if frame else message
    for number in notebooks:
        (path,) = [path for path in NOTEBOOKS if path.name.startswith(number)]
        assert expected in _outputs(path), f"{expected!r} is not in the outputs of {path.name}"
