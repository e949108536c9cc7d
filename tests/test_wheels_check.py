""".ci/wheels.py, offline: a dependency marked for Linux only is left out of the other
systems' installs (pip alone would keep it: it reads markers off the running interpreter),
and a dependency without a wheel is named."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _wheels_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wheels_check", ROOT / ".ci" / "wheels.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look it up there
    spec.loader.exec_module(module)
    return module


wheels = _wheels_check()


@pytest.fixture(scope="module")
def linux_only_dependency(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A wheel needing ``no-such-package-wslab`` on Linux only, and an empty index."""
    project = tmp_path_factory.mktemp("project")
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "marked"
            version = "1.0"
            dependencies = ["no-such-package-wslab; sys_platform == 'linux'"]
            [tool.setuptools]
            py-modules = []
        """),
        encoding="utf-8",
    )
    built = tmp_path_factory.mktemp("wheel")
    wheel = wheels.build_wheel(project, built)
    index = tmp_path_factory.mktemp("index")
    return str(wheel), index.as_uri()


def _system(name: str) -> object:
    return next(system for system in wheels.SYSTEMS if system.name == name)


@pytest.mark.parametrize("name", ["Windows x86_64", "macOS arm64"])
def test_a_linux_only_dependency_is_left_out_elsewhere(
    linux_only_dependency: tuple[str, str], name: str
) -> None:
    wheel, index = linux_only_dependency
    outcome = wheels.resolve(_system(name), "3.12", wheel, index)
    assert outcome.resolved, outcome
    assert outcome.installs == ("marked==1.0",)


def test_a_dependency_without_a_wheel_is_named(linux_only_dependency: tuple[str, str]) -> None:
    wheel, index = linux_only_dependency
    outcome = wheels.resolve(_system("Linux aarch64"), "3.13", wheel, index)
    assert not outcome.resolved
    assert outcome.missing == ("no-such-package-wslab",)


def test_every_laptop_and_python_is_checked() -> None:
    assert {system.name for system in wheels.SYSTEMS} == {
        "macOS arm64", "macOS x86_64", "Windows x86_64", "Linux x86_64", "Linux aarch64",
    }  # fmt: skip
    assert wheels.PYTHONS == ("3.11", "3.12", "3.13")


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, dependencies: str) -> Path:
    project = tmp_path_factory.mktemp(name)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "{name}"
            version = "1.0"
            dependencies = [{dependencies}]
            [tool.setuptools]
            py-modules = []
        """),
        encoding="utf-8",
    )
    return wheels.build_wheel(project, tmp_path_factory.mktemp(f"{name}-wheel"))


def test_a_wheelhouse_holds_what_each_system_needs_and_installs_offline(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """--download fetches a system's wheels from the index (a folder, as pip reads one), the
    Linux-only dependency only for Linux; pip then installs from the folder with no index."""
    helper = _build(tmp_path_factory, "helper", "")
    index = tmp_path_factory.mktemp("index")
    (index / "helper").mkdir()
    helper.rename(index / "helper" / helper.name)
    # A simple-repository page (PEP 503): pip reads a local index's project page as HTML.
    (index / "helper" / "index.html").write_text(f'<a href="{helper.name}">{helper.name}</a>')
    app = _build(tmp_path_factory, "app", "\"helper; sys_platform == 'linux'\"")

    windows = tmp_path / "windows"
    outcome = wheels.download(_system("Windows x86_64"), "3.12", str(app), index.as_uri(), windows)
    assert outcome.resolved, outcome
    assert sorted(path.name for path in windows.iterdir()) == [app.name]

    linux = tmp_path / "linux"
    outcome = wheels.download(_system("Linux x86_64"), "3.11", str(app), index.as_uri(), linux)
    assert outcome.resolved, outcome
    assert sorted(path.name for path in linux.iterdir()) == sorted([app.name, helper.name])

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-index", "--find-links", str(linux), "app"],
        check=True, env=wheels._clean_pip_environment(),
    )  # fmt: skip
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "list",
         "--format=freeze"],
        check=True, capture_output=True, text=True, env=wheels._clean_pip_environment(),
    ).stdout  # fmt: skip
    assert {"app==1.0", "helper==1.0"} <= set(listed.split())


def test_a_wheelhouse_also_holds_what_building_the_project_needs() -> None:
    """`pip install --no-index -e .` builds the project: setuptools must be in the folder."""
    assert wheels.build_requirements(ROOT) == ["setuptools>=77", "wheel"]
