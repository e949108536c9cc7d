""".ci/wheels.py, offline: a dependency marked for Linux only is left out of the other
systems' installs (pip alone would keep it: it reads markers off the running interpreter),
and a dependency without a wheel is named."""

from __future__ import annotations

import importlib.util
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
