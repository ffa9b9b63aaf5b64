"""Boundaries: no import cycle in `bot/` or `adapters/`, features kept to their ports.

A cycle makes the import order matter (a half-loaded module fails at start-up,
or only under one entry point) and ties modules that should change apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "adapters")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                # `from package import module` needs the module, not the package's __init__
                targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules and target != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_bot_or_adapters() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles (type-only imports count):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_the_walker_sees_a_type_only_cycle() -> None:
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _cycles(graph) == [["a", "b"]]


def _features_reaching(*attributes: str) -> list[str]:
    """Return where a module of `bot/features/` reads one of `attributes` of anything."""
    found = []
    for path in (ROOT / "bot" / "features").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in attributes
        ]
    return found


def test_features_run_no_statements_of_their_own() -> None:
    """Features reach the database through repositories, never `uow.connection`."""
    found = _features_reaching("connection")
    assert not found, "features use a connection; add a repository method: " + ", ".join(found)


def test_features_leave_settling_the_log_to_the_store() -> None:
    """A read of the log asks the store for `fresh=True`; no feature flushes the writer."""
    found = _features_reaching("flush", "writer", "database")
    assert not found, "features reach the writer or the database: " + ", ".join(found)


def test_features_do_not_import_the_composition_root() -> None:
    """Features see the app through `FeatureContext`, so `bot.app` never imports back."""
    modules = _modules()
    found = [
        name
        for name, path in modules.items()
        if name.startswith("bot.features") and "bot.app" in _imports(name, path, modules)
    ]
    assert not found, "features importing bot.app: " + ", ".join(found)
