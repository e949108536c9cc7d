"""``docs/solutions.md`` as data: one section per notebook, each with its code and what the
code prints, and the sanitizer nbval uses for what differs from one run to the next."""

from __future__ import annotations

import configparser
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "docs" / "solutions.md"
SANITIZE = ROOT / "notebooks" / "sanitize.cfg"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


@dataclass
class Section:
    """``## 04 connect and broadcast``: the notebook ``04``, its heading's anchor, and each
    ``python`` block paired with the ``text`` block that follows it (what it prints)."""

    notebook: str
    anchor: str
    steps: list[tuple[str, str]] = field(default_factory=list)


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces
    as hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def sections(path: Path = SOLUTIONS) -> list[Section]:
    """The sections of ``docs/solutions.md``, or of its translation at ``path``."""
    found = []
    for part in re.split(r"^## ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading, body = part.split("\n", 1)
        section = Section(heading[:2], anchor(heading))
        blocks = [(language, text) for language, text in _FENCE.findall(body)]
        for (language, code), (next_language, printed) in itertools.pairwise(blocks):
            if language == "python":
                assert next_language == "text", f"{heading}: a python block without its output"
                section.steps.append((code.rstrip("\n"), printed.rstrip("\n")))
        found.append(section)
    return found


def sanitize(text: str) -> str:
    """``text`` with what nbval's sanitizer replaces (ports, ids, times) replaced."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SANITIZE, encoding="utf-8")
    for name in parser.sections():
        text = re.sub(parser[name]["regex"], parser[name]["replace"], text)
    return text
