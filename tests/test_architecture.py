"""The import graph of src/wslab keeps the design's one-way arrows between its rooms.

    cli ──> doctor ──> notebook ──> deploy ──> aws
     │        └──────────┴──> client      (each of them: only the light entry points of local)
     └──> local.stack ──> gateway, runtime ──> local.control <── moto_ext ──> moto

Every import counts, including those inside functions (a lazy import still runs back up).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

LOCAL = "wslab.local"
GATEWAY = "wslab.local.gateway"
RUNTIME = "wslab.local.runtime"
MOTO_EXT = "wslab.local.moto_ext"
# What the rest of wslab may import of the local AWS without loading moto: finding or
# starting a stack in a process of its own.
# (pages: what a static folder served by the stack is; aiohttp, but no moto; cfn_yaml: how
# a template's YAML reads, PyYAML only; python_client.choice: which runtime client runs
# Python functions, and runtime.node: which Node.js and SDK run Node.js functions, both for
# wslab doctor; platform: the calls that differ between Linux, macOS and Windows, standard
# library only)
LIGHT_LOCAL = {
    "wslab.local",
    "wslab.local.process",
    "wslab.local.defaults",
    "wslab.local.pages",
    "wslab.local.cfn_yaml",
    "wslab.local.runtime.python_client.choice",
    "wslab.local.runtime.node",
    "wslab.local.platform",
}
CLI = "wslab.cli"
# The learner tools' rooms, each allowed the rooms listed (besides itself, wslab.aws and the
# light entry points of the local AWS).
LEARNER_ROOMS: dict[str, set[str]] = {
    "wslab.client": set(),
    "wslab.deploy": set(),
    "wslab.notebook": {"wslab.deploy", "wslab.client"},
    "wslab.doctor": {"wslab.deploy", "wslab.notebook", "wslab.client"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in SRC.rglob("*.py")}


def _imports(module: str, path: Path) -> Iterator[str]:
    """The modules ``module`` imports, resolved; TYPE_CHECKING-only imports left out."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from package import module" imports the module (its package is a parent,
            # loaded anyway); "from module import name" imports the module.
            yield from (f"{prefix}.{alias.name}" for alias in node.names)
            yield prefix


def _graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (and "moto"). An import of one's own
    parent package is left out: importing a module always loads its parents first."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        names = list(_imports(module, path))
        found = {name for name in names if name in modules and not _within(module, name)}
        if any(name == "moto" or name.startswith("moto.") for name in names):
            found.add("moto")
        graph[module] = found
    return graph


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_only_moto_ext_imports_moto() -> None:
    offenders = sorted(
        module
        for module, imported in _graph().items()
        if "moto" in imported and not _within(module, MOTO_EXT)
    )
    assert not offenders, f"moto imported outside {MOTO_EXT}: {offenders}"


def test_gateway_and_runtime_see_the_control_plane_only_through_its_interface() -> None:
    forbidden = (MOTO_EXT, f"{LOCAL}.stack")
    offenders = sorted(
        f"{module} -> {target}"
        for module, imported in _graph().items()
        if _within(module, GATEWAY) or _within(module, RUNTIME)
        for target in imported
        if any(_within(target, name) for name in forbidden)
    )
    assert not offenders, offenders


def test_gateway_and_runtime_do_not_import_each_other() -> None:
    offenders = sorted(
        f"{module} -> {target}"
        for module, imported in _graph().items()
        for target in imported
        if (_within(module, GATEWAY) and _within(target, RUNTIME))
        or (_within(module, RUNTIME) and _within(target, GATEWAY))
    )
    assert not offenders, offenders


def test_the_control_interface_imports_nothing_of_wslab() -> None:
    imported = _graph()[f"{LOCAL}.control"]
    assert not {name for name in imported if name.startswith("wslab")}


# What the policy evaluator may import: the standard library's pure parts (no I/O library).
PURE_STANDARD_LIBRARY = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "ipaddress",
    "json",
    "re",
    "typing",
}


def test_the_policy_evaluator_is_pure() -> None:
    """``local.policy`` imports nothing of wslab, no moto, no aiohttp: the standard library's
    pure parts only, so every policy kind can share it."""
    module = f"{LOCAL}.policy"
    imported = {name.split(".")[0] for name in _imports(module, _modules()[module])}
    assert imported <= PURE_STANDARD_LIBRARY, sorted(imported - PURE_STANDARD_LIBRARY)


def test_nothing_inside_the_local_aws_imports_the_learner_tools() -> None:
    offenders = sorted(
        f"{module} -> {target}"
        for module, imported in _graph().items()
        if _within(module, LOCAL)
        for target in imported
        if target.startswith("wslab") and not _within(target, LOCAL) and target != "wslab"
    )
    assert not offenders, offenders


def test_learner_tools_use_the_light_entry_points_of_the_local_aws() -> None:
    """Only the CLI (which runs ``wslab local``) may load the stack itself."""
    offenders = sorted(
        f"{module} -> {target}"
        for module, imported in _graph().items()
        if not _within(module, LOCAL) and not _within(module, CLI)
        for target in imported
        if _within(target, LOCAL) and target not in LIGHT_LOCAL
    )
    assert not offenders, offenders


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in graph or target == module:
                continue
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def test_the_checks_see_the_tree() -> None:
    """The graph covers every package of the design (so the checks above are not vacuous)."""
    modules = set(_modules())
    assert {GATEWAY, RUNTIME, MOTO_EXT, f"{LOCAL}.stack", f"{LOCAL}.control"} <= modules
    assert "moto" in _graph()[f"{MOTO_EXT}.core.control_plane"]
    assert set(LEARNER_ROOMS) | {CLI} <= modules


def test_the_learner_tools_rooms_keep_their_arrows() -> None:
    """client and deploy stand alone; notebook builds on them; doctor on all three; only
    the command line (and ``python -m wslab``) imports the command line."""
    offenders = []
    for module, imported in _graph().items():
        for target in imported:
            if _within(target, CLI) and not _within(module, CLI) and module != "wslab.__main__":
                offenders.append(f"{module} -> {target}")
            for room, allowed in LEARNER_ROOMS.items():
                if not _within(module, room):
                    continue
                other = next((r for r in LEARNER_ROOMS if _within(target, r)), None)
                if other is not None and other != room and other not in allowed:
                    offenders.append(f"{module} -> {target}")
    assert not offenders, sorted(offenders)
