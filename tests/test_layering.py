"""The folder layout is the architecture: no import cycle between checker's packages, and no spec imports an engine."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
ENGINE_PACKAGES = {"explicit", "symbolic", "liveness", "engines", "verify", "cli", "trace", "output", "report"}


def _imports(path: Path) -> list[str]:
    mods = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.append(node.module)
        elif isinstance(node, ast.Import):
            mods.extend(a.name for a in node.names)
    return mods


def package_graph() -> nx.DiGraph:
    """checker's packages (and top-level modules) with an edge for every import between two of them."""
    g = nx.DiGraph()
    for path in (ROOT / "checker").rglob("*.py"):
        src = path.relative_to(ROOT / "checker").with_suffix("").parts[0]
        g.add_node(src)
        for mod in _imports(path):
            parts = mod.split(".")
            if parts[0] == "checker" and len(parts) > 1 and parts[1] != src:
                g.add_edge(src, parts[1])
    return g


def test_no_import_cycles_between_packages() -> None:
    g = package_graph()
    assert "liveness" in g and "trace" in g  # the graph is really built from the tree
    assert list(nx.simple_cycles(g)) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    g = package_graph()
    g.add_edge("lang", "cli")  # what an upward import would add
    assert list(nx.simple_cycles(g))


def test_specs_import_no_engine() -> None:
    bad = []
    for path in (ROOT / "spec").rglob("*.py"):
        for mod in _imports(path):
            parts = mod.split(".")
            if parts[0] == "checker" and len(parts) > 1 and parts[1] in ENGINE_PACKAGES:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert bad == []
