"""The project's own files agree with each other."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pip_lines_of_environment_yml() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    found = set()
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if not stripped.startswith("- "):
            break
        found.add(stripped[2:].strip().strip('"'))
    return found


def test_environment_yml_installs_what_pyproject_declares() -> None:
    """Every requirement of pyproject (base and extras) is in environment.yml, and no other."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.update(extra)
    assert _pip_lines_of_environment_yml() == declared | {"-e ."}


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls the test command the README gives."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert "make test" in ci
