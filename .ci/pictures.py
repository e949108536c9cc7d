"""Render the tutorial's pictures: each ``docs/pictures/<name>.<lang>.mmd`` (mermaid) to the
``<name>.<lang>.svg`` beside it, with the mermaid CLI of ``package.json`` driving Debian's
Chromium (``docs/pictures/puppeteer.json``; no browser of puppeteer's own).

An SVG opens with a comment holding the sha256 of what it was rendered from (its source and
``mermaid.json``), so that ``tests/test_pictures.py`` can tell a stale picture without a
browser, and so that this script renders only the pictures whose source changed.

Usage: python .ci/pictures.py [--force] [--check]
  --force  render every picture, changed or not
  --check  render nothing; list the stale pictures and exit 1 if there are any
Standard library only; needs node, ``npm ci`` and chromium (``make browser``) to render.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs" / "pictures"
MERMAID_CONFIG = PICTURES / "mermaid.json"
PUPPETEER_CONFIG = PICTURES / "puppeteer.json"
NODE_BIN = ROOT / "node_modules" / ".bin"
STAMP_PREFIX = "<!-- rendered from sha256:"


def sources() -> list[Path]:
    return sorted(PICTURES.glob("*.mmd"))


def svg_of(source: Path) -> Path:
    return source.with_suffix(".svg")


def source_digest(source: Path) -> str:
    """What a picture depends on: its mermaid text and the theme every picture shares."""
    digest = hashlib.sha256(source.read_bytes())
    digest.update(b"\0")
    digest.update(MERMAID_CONFIG.read_bytes())
    return digest.hexdigest()


def stamp(digest: str) -> str:
    return f"{STAMP_PREFIX}{digest} -->"


def stamped_digest(svg: Path) -> str | None:
    """The digest an SVG says it was rendered from, or None (missing, or not stamped)."""
    if not svg.exists():
        return None
    first_line = svg.read_text(encoding="utf-8").split("\n", 1)[0]
    if not first_line.startswith(STAMP_PREFIX):
        return None
    return first_line.removeprefix(STAMP_PREFIX).removesuffix(" -->")


def stale() -> list[Path]:
    return [path for path in sources() if stamped_digest(svg_of(path)) != source_digest(path)]


def _puppeteer_config(scratch: Path) -> Path:
    """puppeteer.json as committed, or with the chromium found on PATH where that path is
    not this machine's."""
    config = json.loads(PUPPETEER_CONFIG.read_text(encoding="utf-8"))
    if Path(config["executablePath"]).exists():
        return PUPPETEER_CONFIG
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        sys.exit(f"no chromium at {config['executablePath']} nor on PATH: run `make browser`")
    config["executablePath"] = found
    adjusted = scratch / "puppeteer.json"
    adjusted.write_text(json.dumps(config), encoding="utf-8")
    return adjusted


def _mmdc() -> str:
    """npm's launcher of the mermaid CLI (``mmdc``, or ``mmdc.cmd`` on Windows)."""
    found = shutil.which("mmdc", path=str(NODE_BIN))
    if found is None:
        sys.exit("no mermaid CLI in node_modules: run `npm ci` (or `make pictures`, which does)")
    return found


def render(source: Path, puppeteer: Path) -> None:
    svg = svg_of(source)
    command = [_mmdc(), "--quiet", "-p", str(puppeteer), "-c", str(MERMAID_CONFIG)]
    command += ["-b", "white", "-i", str(source), "-o", str(svg)]
    subprocess.run(command, check=True)
    body = svg.read_text(encoding="utf-8")
    svg.write_text(f"{stamp(source_digest(source))}\n{body}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--force", action="store_true", help="render every picture")
    parser.add_argument("--check", action="store_true", help="list stale pictures, render none")
    options = parser.parse_args(argv)
    todo = sources() if options.force else stale()
    if options.check:
        for source in todo:
            print(f"stale: {svg_of(source).relative_to(ROOT)}")
        return 1 if todo else 0
    with tempfile.TemporaryDirectory() as scratch:
        puppeteer = _puppeteer_config(Path(scratch))
        for source in todo:
            print(f"rendering {source.relative_to(ROOT)}", flush=True)
            render(source, puppeteer)
    print(f"{len(todo)} rendered, {len(sources()) - len(todo)} up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
