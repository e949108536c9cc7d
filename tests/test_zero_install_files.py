"""The zero-install files as files: ``.devcontainer/devcontainer.json`` (JSON with comments)
and ``binder/`` in the shapes their hosts read (https://containers.dev/implementors/json_reference/,
https://repo2docker.readthedocs.io/en/latest/config_files.html); the scripts they run exist,
are executable and parse. Running them is ``tests/e2e/test_zero_install*.py``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from wslab.local.defaults import DEFAULT_PORT

ROOT = Path(__file__).resolve().parent.parent
DEVCONTAINER = ROOT / ".devcontainer"
BINDER = ROOT / "binder"
SCRIPTS = [
    DEVCONTAINER / "setup.sh",
    DEVCONTAINER / "start.sh",
    BINDER / "postBuild",
    BINDER / "start",
]


def _without_comments(jsonc: str) -> str:
    """JSON with ``//`` and ``/* */`` comments (devcontainer.json's dialect) as plain JSON:
    strings are kept whole, so a ``//`` inside a URL stays."""
    token = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)
    return token.sub(lambda found: found[0] if found[0].startswith('"') else "", jsonc)


def _devcontainer() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(
        _without_comments((DEVCONTAINER / "devcontainer.json").read_text())
    )
    return parsed


def test_the_comment_stripper_keeps_strings() -> None:
    assert json.loads(_without_comments('{"a": "http://x/*y*/" // c\n/* d */}')) == {
        "a": "http://x/*y*/"
    }


def test_devcontainer_json_python_node_and_the_scripts() -> None:
    config = _devcontainer()
    assert config["image"] == "mcr.microsoft.com/devcontainers/python:1-3.12"
    assert "ghcr.io/devcontainers/features/node:1" in config["features"]
    assert config["postCreateCommand"] == "bash .devcontainer/setup.sh"
    assert config["postStartCommand"] == "bash .devcontainer/start.sh"
    assert set(config["customizations"]["vscode"]["extensions"]) == {
        "ms-python.python",
        "ms-toolsai.jupyter",
    }


def test_devcontainer_forwards_jupyterlab_and_the_local_aws_with_labels() -> None:
    config = _devcontainer()
    assert config["forwardPorts"] == [8888, DEFAULT_PORT]
    assert {
        port: attributes["label"] for port, attributes in config["portsAttributes"].items()
    } == {
        "8888": "JupyterLab",
        str(DEFAULT_PORT): "wslab local",
    }


def test_binder_environment_python_312_nodejs_and_pip() -> None:
    environment = yaml.safe_load((BINDER / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    names = {
        re.split(r"[=<>]", dependency)[0]: dependency for dependency in environment["dependencies"]
    }
    assert names["python"] == "python=3.12"
    assert set(names) == {"python", "nodejs", "pip"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_script_is_executable_bash_that_parses(script: Path) -> None:
    assert os.access(script, os.X_OK), f"chmod +x {script.relative_to(ROOT)}"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_both_installs_are_the_learners_with_extras_pyproject_declares() -> None:
    """setup.sh and postBuild install the same extras, and pyproject has each of them."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    installs = [re.findall(r'-e "\.\[([a-z,]+)\]"', (path).read_text()) for path in SCRIPTS[::2]]
    assert installs == [["notebooks,hub"], ["notebooks,hub"]]
    assert {"notebooks", "hub"} <= set(declared)
    assert any(requirement.startswith("jupyter-server-proxy") for requirement in declared["hub"])


def test_binder_start_hands_over_to_the_server() -> None:
    """repo2docker's ``start`` must end by running its arguments (the notebook server)."""
    lines = [line for line in (BINDER / "start").read_text().splitlines() if line.strip()]
    assert lines[-1] == 'exec "$@"'
    assert any("wslab local --background" in line for line in lines)
