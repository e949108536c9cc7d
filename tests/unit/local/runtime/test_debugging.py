"""``wslab local --debug``'s pure parts: the target's syntax, finding the source folder,
what a debugged Python environment gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wslab.local.runtime.debugging import (
    DEBUGPY_ADDRESS_VARIABLE,
    DEFAULT_PYTHON_PORT,
    BadDebugTarget,
    DebugTarget,
    handler_source,
    python_debug_environment,
)


@pytest.mark.parametrize(
    ("value", "function", "port"),
    [
        ("chat-sendmessage", "chat-sendmessage", None),
        ("chat-sendmessage:5679", "chat-sendmessage", 5679),
        ("fn:0", "fn", 0),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn", "fn", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:7000", "fn", 7000),
    ],
)
def test_a_target_is_a_function_and_an_optional_port(
    value: str, function: str, port: int | None
) -> None:
    target = DebugTarget.parse(value)
    assert (target.function, target.port) == (function, port)


@pytest.mark.parametrize("value", ["", ":5678", "fn:70000", "a/b", "fn:x:1"])
def test_a_malformed_target_is_refused(value: str) -> None:
    with pytest.raises(BadDebugTarget):
        DebugTarget.parse(value)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_source_is_the_folder_holding_the_same_module(tmp_path: Path) -> None:
    copy = _tree(tmp_path / "copy", {"chat/handlers.py": "A = 1\n"})
    stale = _tree(tmp_path / "stale", {"chat/handlers.py": "A = 2\n"})
    editor = _tree(tmp_path / "editor", {"chat/handlers.py": "A = 1\n"})
    assert handler_source("chat.handlers.connect", copy, (stale, editor)) == editor.resolve()
    assert handler_source("chat.handlers.connect", copy, (stale,)) is None
    assert handler_source("handler", copy, (editor,)) is None  # no module to compare


def test_a_debugged_python_environment_maps_the_copy_to_the_source(tmp_path: Path) -> None:
    copy = _tree(tmp_path / "copy", {"app.py": "x = 1\n"})
    editor = _tree(tmp_path / "editor", {"app.py": "x = 1\n"})
    environment, notice = python_debug_environment(
        DebugTarget("fn", source_roots=(editor,)), "app.handler", copy
    )
    assert environment[DEBUGPY_ADDRESS_VARIABLE] == f"127.0.0.1:{DEFAULT_PYTHON_PORT}"
    assert json.loads(environment["PATHS_FROM_ECLIPSE_TO_PYTHON"]) == [
        [str(editor.resolve()), str(copy)]
    ]
    assert f"breakpoints set in {editor.resolve()} bind to this copy" in notice


def test_code_run_from_the_editors_folder_needs_no_mapping(tmp_path: Path) -> None:
    """Code that is the folder itself (hot reload): the editor's paths are the code's."""
    folder = _tree(tmp_path / "folder", {"app.py": "x = 1\n"})
    environment, notice = python_debug_environment(
        DebugTarget("fn", 7000, (folder,)), "app.handler", folder
    )
    assert "PATHS_FROM_ECLIPSE_TO_PYTHON" not in environment
    assert environment[DEBUGPY_ADDRESS_VARIABLE] == "127.0.0.1:7000"
    assert "the editor's files are the code itself" in notice


def test_no_source_found_says_what_to_give(tmp_path: Path) -> None:
    copy = _tree(tmp_path / "copy", {"app.py": "x = 1\n"})
    environment, notice = python_debug_environment(DebugTarget("fn"), "app.handler", copy)
    assert "PATHS_FROM_ECLIPSE_TO_PYTHON" not in environment
    assert "--debug-source DIR" in notice
