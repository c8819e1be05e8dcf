"""The arena's place in the one-way imports: it imports neither ``selfplay`` nor Ray (nor
TensorFlow until a network is loaded), and ``gtp`` and ``selfplay`` keep to their side."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.gtp.conftest import REPO, engine_env

ARENA = sorted(p.stem for p in (REPO / "arena").glob("*.py") if p.stem != "__init__")


def test_importing_the_arena_loads_no_selfplay_ray_or_tensorflow():
    code = ("import sys\n"
            + "".join(f"import arena.{name}\n" for name in ARENA)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
              "('selfplay', 'ray', 'tensorflow', 'keras'))\n"
              "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, env=engine_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def imported_packages(package: str) -> dict[str, set[str]]:
    """``{module file: top-level packages it imports}`` for every module of ``package``
    (imports inside functions included)."""
    found = {}
    for path in sorted(Path(REPO, package).rglob("*.py")):
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = tops
    return found


def test_the_packages_import_only_downwards():
    forbidden_imports = {"arena": {"selfplay", "benchmarks", "ray"},
                     "gtp": {"arena", "selfplay", "benchmarks", "ray"},
                     "selfplay": {"gtp", "benchmarks"}}
    for package, forbidden in forbidden_imports.items():
        for module, tops in imported_packages(package).items():
            assert not tops & forbidden, f"{module} imports {sorted(tops & forbidden)}"
