"""wslab's Python runtime client runs wherever Python does: it imports the standard library
and itself only (awslambdaric's native module and simplejson are what it stands in for)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import wslab.local.runtime.python_client as package

PACKAGE = package.__name__


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_client_imports_only_the_standard_library_and_itself() -> None:
    modules = sorted(Path(package.__file__).parent.glob("*.py"))
    assert len(modules) >= 8  # the client's modules are all looked at
    foreign = {
        f"{path.name}: {name}"
        for path in modules
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith(PACKAGE)
        and name != "__future__"
    }
    assert not foreign, sorted(foreign)
