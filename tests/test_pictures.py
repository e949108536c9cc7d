"""The tutorial's pictures (``docs/pictures/``): each mermaid source has its SVG, rendered from
the source as it is now (``make pictures``), and every picture a notebook or the README shows
is there. No browser needed: an SVG carries the sha256 of what it was rendered from."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs" / "pictures"
NOTEBOOKS = sorted(ROOT.glob("notebooks/**/[0-9][0-9]_*.ipynb"))
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
SVG = "{http://www.w3.org/2000/svg}svg"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pictures", ROOT / ".ci" / "pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pictures = _load_script()
SOURCES = pictures.sources()


def _names(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def test_there_is_a_picture_of_each_thing_the_tutorial_draws() -> None:
    """Five pictures, each in English and in Chinese."""
    names = {path.name.split(".")[0] for path in SOURCES}
    assert names == {
        "architecture",
        "message-sequence",
        "deployments-and-stages",
        "permissions",
        "fan-out",
    }
    assert sorted(_names(SOURCES)) == sorted(
        f"{n}.{lang}.mmd" for n in names for lang in ("en", "zh")
    )


@pytest.mark.parametrize("source", SOURCES, ids=_names(SOURCES))
def test_each_source_has_an_svg_rendered_from_it_as_it_is(source: Path) -> None:
    """The SVG parses, is an SVG, and says it was rendered from this source (and theme)."""
    svg = pictures.svg_of(source)
    assert svg.exists(), f"{svg.name} is missing: make pictures"
    root = ElementTree.parse(svg).getroot()
    assert root.tag == SVG
    assert pictures.stamped_digest(svg) == pictures.source_digest(source), (
        f"{svg.name} is stale: make pictures"
    )


@pytest.mark.parametrize("source", SOURCES, ids=_names(SOURCES))
def test_a_chinese_picture_shows_chinese_and_an_english_one_does_not(source: Path) -> None:
    """The labels are those of the source's language (a picture rendered from the other
    edition's source would pass the hash check of neither)."""
    text = "".join(ElementTree.parse(pictures.svg_of(source)).getroot().itertext())
    has_chinese = re.search(r"[\u4e00-\u9fff]", text) is not None
    assert has_chinese == source.name.endswith(".zh.mmd")


def test_the_digest_tells_an_edited_source(tmp_path: Path) -> None:
    """A changed source, or a changed shared theme, no longer matches its SVG's stamp."""
    source = PICTURES / "fan-out.en.mmd"
    edited = tmp_path / source.name
    edited.write_bytes(source.read_bytes() + b"%% one more line\n")
    assert pictures.source_digest(edited) != pictures.source_digest(source)
    unstamped = tmp_path / "unstamped.svg"
    unstamped.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n', encoding="utf-8")
    assert pictures.stamped_digest(unstamped) is None
    assert pictures.stamped_digest(tmp_path / "missing.svg") is None


def test_make_pictures_check_finds_nothing_stale() -> None:
    """The script's own check, as a command: exit 0 and nothing listed."""
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "pictures.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout


def _images(text: str) -> list[str]:
    return [target for target in MARKDOWN_IMAGE.findall(text) if "://" not in target]


def _markdown_of(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize(
    "notebook", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS]
)
def test_every_image_a_notebook_shows_exists(notebook: Path) -> None:
    """Relative to the notebook, as Jupyter, GitHub and an exported page resolve it; a
    Chinese notebook shows the Chinese pictures, an English one the English pictures."""
    language = "zh" if notebook.parent.name == "zh" else "en"
    for target in _images(_markdown_of(notebook)):
        assert (notebook.parent / target).is_file(), f"{notebook.name}: {target}"
        if target.endswith(".svg") and "docs/pictures/" in target:
            assert target.endswith(f".{language}.svg"), f"{notebook.name}: {target}"


def test_the_pictures_are_shown_where_the_tutorial_teaches_them() -> None:
    """00: the architecture and one message end to end; 03: deployments and the two
    permissions; 07: the fan-out. Both editions; no mermaid block left (it needs a CDN to
    render in an exported page)."""
    expected = {
        "00": {"architecture", "message-sequence"},
        "03": {"deployments-and-stages", "permissions"},
        "07": {"fan-out"},
    }
    for notebook in NOTEBOOKS:
        markdown = _markdown_of(notebook)
        assert "```mermaid" not in markdown, notebook
        shown = {Path(target).name.split(".")[0] for target in _images(markdown)}
        assert shown >= expected.get(notebook.name[:2], set()), notebook


def test_the_readme_links_every_picture() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for source in SOURCES:
        svg = pictures.svg_of(source).relative_to(ROOT).as_posix()
        assert f"]({svg})" in readme, svg


def test_make_pictures_as_the_readme_prints_it_renders_nothing_when_up_to_date() -> None:
    """``make pictures`` runs the script; with every picture current it renders none (and so
    needs no browser)."""
    stamp = ROOT / "node_modules" / ".installed"
    lock = ROOT / "package-lock.json"
    if (
        shutil.which("make") is None
        or not stamp.exists()
        or stamp.stat().st_mtime < lock.stat().st_mtime
    ):
        pytest.skip("needs make and node_modules installed by make (npm ci) from this lock file")
    # Run only on a current tree: with a stale picture it would render (and rewrite) it.
    assert not pictures.stale(), "stale pictures: make pictures"
    result = subprocess.run(
        ["make", "-s", "pictures"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"0 rendered, {len(SOURCES)} up to date"), result.stdout
