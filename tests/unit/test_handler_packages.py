"""What ``wslab deploy`` zips for each runtime of the template's ``HandlerRuntime``."""

from __future__ import annotations

import io
import zipfile

import pytest

from wslab.deploy import project
from wslab.deploy.packaging import zip_directory


def _names(runtime: str) -> list[str]:
    folder, skip = project.handler_package(runtime)
    return zipfile.ZipFile(io.BytesIO(zip_directory(folder, skip))).namelist()


def test_python_zip_has_chat_at_its_root_and_no_nodejs_handlers_or_tests() -> None:
    names = _names(project.PYTHON_RUNTIME)
    assert "chat/handlers.py" in names
    assert not [n for n in names if n.startswith(("chat-nodejs/", "chat_tests/"))]


def test_nodejs_zip_has_chat_mjs_at_its_root_and_no_tests() -> None:
    names = _names(project.NODE_RUNTIME)
    assert {"chat.mjs", "handlers.mjs", "tokens.mjs"} <= set(names)
    assert not [n for n in names if n.startswith("test/") or n.endswith(".py")]


def test_an_unknown_runtime_names_the_choices() -> None:
    with pytest.raises(ValueError) as refused:
        project.handler_package("ruby3.3")
    assert str(refused.value) == (
        "no reference handlers for ruby3.3: choose python3.12 or nodejs22.x"
    )
