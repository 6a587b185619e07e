"""The shape of the code: layers point one way, no package-level import cycle, and every
package is used through its own API (`__all__`), like httpx's test_exported_members.

Imports anywhere in a module count, including those inside functions: a lazy import is
still a dependency."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first. A package may import packages of lower layers only (and itself).
LAYERS: list[set[str]] = [
    {"config", "geo"},
    {"core"},
    {"accounts"},
    {"matcher"},
    {"notifier", "realtime", "webhooks"},
    {"service"},
    {"web", "worker"},
]
RANK = {name: n for n, layer in enumerate(LAYERS) for name in layer}
# config and geo share the lowest layer; geo reads config's settings, never the reverse.
ALLOWED_SIDEWAYS = {("geo", "config")}


def imports_of(package: str) -> list[tuple[str, str, list[str]]]:
    """(file, imported module, names imported from it) for every import of a project package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] in RANK:
                    found.append((str(path.relative_to(ROOT)), node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in RANK:
                        found.append((str(path.relative_to(ROOT)), alias.name, []))
    return found


def test_layers_point_down() -> None:
    wrong = []
    for package in RANK:
        for path, module, _ in imports_of(package):
            target = module.split(".")[0]
            if target == package or (package, target) in ALLOWED_SIDEWAYS:
                continue
            if RANK[target] >= RANK[package]:
                wrong.append(f"{path} imports {module} ({package} may not import {target})")
    assert not wrong, "\n".join(wrong)


def test_no_package_cycle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for package in RANK:
        for _, module, _ in imports_of(package):
            target = module.split(".")[0]
            if target != package:
                graph[package].add(target)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = [p for p in RANK if p in reach(p)]
    assert not cycles, f"packages on an import cycle: {cycles}"


@pytest.mark.parametrize("package", sorted(RANK))
def test_exported_members(package: str) -> None:
    """Everything a package exports exists, and other packages import only what it exports."""
    module = importlib.import_module(package)
    exported = set(getattr(module, "__all__", []))
    assert exported, f"{package} has no __all__"
    for name in exported:
        assert hasattr(module, name), f"{package}.__all__ names {name}, which it does not define"
    wrong = []
    for other in RANK:
        if other == package:
            continue
        for path, imported, names in imports_of(other):
            if imported.split(".")[0] != package:
                continue
            if imported != package:
                wrong.append(f"{path} imports {imported}: use {package}'s API")
            else:
                wrong.extend(f"{path} imports {package}.{n}, which {package}.__all__ does not list" for n in names if n not in exported)
    assert not wrong, "\n".join(wrong)


def test_import_starts_no_server() -> None:
    """Importing the entry points connects to nothing and starts no embedded Redis."""
    import subprocess
    import sys

    code = ("import config.embedded as e; started = []; e.ensure_embedded = lambda *a, **k: started.append(1);"
            "import web.app, worker, service; assert not started, 'import started Redis'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
