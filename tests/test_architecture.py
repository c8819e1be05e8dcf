"""The package layering of DESIGN.md ("Allowed imports"), checked on the source itself.

Every ``.py`` file of the project's packages is parsed with ``ast``; every import statement
counts, at any depth (module level, inside functions, inside ``try``), plus
``importlib.import_module("literal")`` calls. Only imports under an ``if TYPE_CHECKING:``
block are left out (they never run). ``from __future__`` is not an import.

An import ``from pkg import name`` is an edge to the module ``pkg.name`` when that module
exists, else to ``pkg`` (its ``__init__``); ``import a.b`` is an edge to ``a.b``. The
implicit import of a parent package's ``__init__`` is not counted, so a package and its
own modules do not form a circle by construction.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("go", "network", "mcts", "rundir", "arena", "selfplay", "gtp", "web", "benchmarks")

# The project packages each package may import (itself included), from DESIGN.md:
# go <- everything; network, mcts <- rundir, gtp, arena, selfplay; rundir <- gtp, arena,
# selfplay; gtp <- arena; arena <- selfplay; nothing imports selfplay but benchmarks.
# web (the run's page) may import go, network, mcts, rundir, gtp and arena; only the
# benchmarks import it (``python -m selfplay.run`` starts it as ``python -m web``).
ALLOWED = {
    "go": {"go"},
    "network": {"go", "network"},
    "mcts": {"go", "mcts"},
    "rundir": {"go", "network", "mcts", "rundir"},
    "gtp": {"go", "network", "mcts", "rundir", "gtp"},
    "arena": {"go", "network", "mcts", "rundir", "gtp", "arena"},
    "selfplay": {"go", "network", "mcts", "rundir", "arena", "selfplay"},
    "web": {"go", "network", "mcts", "rundir", "gtp", "arena", "web"},
    "benchmarks": set(PACKAGES),
}
# Outside libraries a package must never import: go and mcts run without the network's
# libraries or Ray; only selfplay (and the benchmarks) import Ray.
FORBIDDEN_LIBRARIES = {
    "go": {"tensorflow", "keras", "ray"},
    "mcts": {"tensorflow", "keras", "ray"},
    "network": {"ray"},
    "rundir": {"ray"},
    "arena": {"ray"},
    "gtp": {"ray"},
    "web": {"ray"},
}


@dataclass(frozen=True)
class Import:
    """One import statement: ``importer`` imports ``target`` at ``path:line``."""

    importer: str
    target: str  # a project module, or the top-level name of an outside library
    path: str
    line: int

    def where(self) -> str:
        return f"{self.importer} imports {self.target} ({self.path}:{self.line})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else \
                test.attr if isinstance(test, ast.Attribute) else None
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_nodes(tree)
    is_package = path.name == "__init__.py"
    rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    found: list[Import] = []

    def add(target: str, line: int) -> None:
        top = target.split(".")[0]
        if top in PACKAGES:
            # the longest prefix that is a project module (``go.coords.to_gtp`` -> go.coords)
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
        else:
            target = top
        found.append(Import(module, target, rel, line))

    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                add(sub if sub in modules else source, node.lineno)
        elif isinstance(node, ast.Call) and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else None
            if name in ("import_module", "__import__"):
                add(node.args[0].value, node.lineno)
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    modules = _project_modules()
    assert set(PACKAGES) <= set(modules), f"missing packages: {set(PACKAGES) - set(modules)}"
    return [imp for name, path in modules.items() for imp in _imports_of(name, path, modules)]


def test_packages_import_only_the_layers_below_them(imports):
    bad = []
    for imp in imports:
        package = imp.importer.split(".")[0]
        target = imp.target.split(".")[0]
        if target in PACKAGES and target not in ALLOWED[package]:
            bad.append(f"{imp.where()}: {package} may import only "
                       f"{', '.join(sorted(ALLOWED[package]))}")
    assert not bad, "imports against DESIGN.md's layering:\n" + "\n".join(sorted(bad))


def test_no_package_imports_a_library_it_must_run_without(imports):
    bad = []
    for imp in imports:
        package = imp.importer.split(".")[0]
        if imp.target in FORBIDDEN_LIBRARIES.get(package, ()):
            bad.append(f"{imp.where()}: {package} must run without {imp.target}")
    assert not bad, "forbidden library imports:\n" + "\n".join(sorted(bad))


def _cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module that
    imports itself (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges.get(node, {}):
                        components.append(sorted(component))
    return components


def _one_circle(component: list[str], edges: dict[str, dict[str, Import]]) -> list[Import]:
    """A shortest circle through the component's first module, as its import statements."""
    members = set(component)
    start = component[0]
    previous: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, imp in sorted(edges.get(node, {}).items()):
                if target == start:
                    path = [imp]
                    while path[0].importer != start:
                        path.insert(0, previous[path[0].importer])
                    return path
                if target in members and target not in previous:
                    previous[target] = imp
                    following.append(target)
        frontier = following
    raise AssertionError(f"no circle found in {component}")


def test_no_import_circle_anywhere(imports):
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.target.split(".")[0] in PACKAGES:
            edges.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    circles = []
    for component in _cycles(edges):
        steps = _one_circle(component, edges)
        circles.append(f"{' -> '.join([s.importer for s in steps] + [steps[0].importer])}: "
                       + "; ".join(s.where() for s in steps))
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_checker_sees_function_level_relative_and_type_checking_imports(tmp_path):
    """The parser itself: a function-level import counts, a relative one resolves, one under
    ``if TYPE_CHECKING:`` does not count, and a circle is found and named."""
    modules = {"mcts": Path(), "mcts.a": Path(), "mcts.b": Path(), "go": Path()}
    source = ("from __future__ import annotations\n"
              "from typing import TYPE_CHECKING\n"
              "from . import b\n"
              "if TYPE_CHECKING:\n"
              "    import network\n"
              "def f():\n"
              "    import ray\n"
              "    from go import Position\n")
    path = tmp_path / "a.py"
    path.write_text(source)
    found = _imports_of("mcts.a", path, modules)
    assert sorted((i.target, i.line) for i in found) == [
        ("go", 8), ("mcts.b", 3), ("ray", 7), ("typing", 2)]
    forward = next(i for i in found if i.target == "mcts.b")
    edges = {"mcts.a": {"mcts.b": forward},
             "mcts.b": {"mcts.a": Import("mcts.b", "mcts.a", "mcts/b.py", 1)}}
    assert _cycles(edges) == [["mcts.a", "mcts.b"]]
    assert [s.importer for s in _one_circle(["mcts.a", "mcts.b"], edges)] == ["mcts.a", "mcts.b"]


@pytest.mark.parametrize("package", ["go", "mcts"])
def test_importing_go_or_mcts_loads_neither_tensorflow_nor_ray(package):
    code = (f"import sys, {package}; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]", f"import {package} loaded {out.stdout.strip()}"
