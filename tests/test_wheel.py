"""The wheel carries what ``wslab deploy`` and ``wslab demo`` need, outside any checkout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    [built] = out.glob("wslab-*.whl")
    return built


def test_the_package_list_is_every_package_under_src() -> None:
    """pyproject lists packages (to bundle lambda_src/): none under src/ may be left out."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = {name for name in setuptools["packages"] if not name.startswith("wslab._project")}
    assert listed == set(find_packages(ROOT / "src"))


def test_the_wheel_holds_the_handlers_and_the_template(wheel: Path) -> None:
    """The handlers (Python and Node.js, not their tests a team copies), the template, and
    the Node.js runtime client (package data)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    handlers = {
        p.relative_to(ROOT).as_posix()
        for pattern in ("chat/*.py", "chat-nodejs/*.mjs")
        for p in (ROOT / "lambda_src").glob(pattern)
    }
    assert len(handlers) > 20
    assert {f"wslab/_project/{name}" for name in handlers} <= names
    assert "wslab/_project/cloudformation/template.yaml" in names
    assert "wslab/py.typed" in names
    page = ["__init__.py", "index.html", "chat.js", "chat.css"]
    assert {f"wslab/client/page/{name}" for name in page} <= names
    node_runtime = {p.name for p in (ROOT / "src/wslab/local/runtime/nodejs").glob("*.cjs")}
    assert {f"wslab/local/runtime/nodejs/{name}" for name in node_runtime} <= names
    assert len(node_runtime) == 3


def test_installed_from_the_wheel_it_finds_them_there(wheel: Path, tmp_path: Path) -> None:
    """No checkout: the bundled copies are found; the notebooks are asked for clearly."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    probe = textwrap.dedent(
        """
        from wslab.deploy import project
        print(project.checkout_root())
        print((project.lambda_src() / "chat" / "handlers.py").is_file())
        print(project.template().name)
        from wslab.client.page import CHAT_PAGE
        print(sorted(name for name, _ in CHAT_PAGE.files.values()))
        try:
            project.notebooks()
        except project.ProjectFileMissing as missing:
            print("missing:", missing)
        """
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert shown[:4] == ["None", "True", "template.yaml", "['chat.css', 'chat.js', 'index.html']"]
    assert shown[4].startswith("missing: notebooks is not in a checkout of the project")
