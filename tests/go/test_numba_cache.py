"""The search kernels' numba cache: dropped when the rules kernels change, and used."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from go.numba_cache import drop_if_stale


def test_cache_entries_go_when_a_dependency_changes(tmp_path):
    module = tmp_path / "tree_kernels.py"
    rules = tmp_path / "kernels.py"
    module.write_text("# search\n")
    rules.write_text("# rules v1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    entries = [cache / "tree_kernels.select_leaves-10.py311.nbi",
               cache / "tree_kernels.select_leaves-10.py311.1.nbc"]
    other = cache / "kernels.play_inplace-5.py311.nbi"

    def fill():
        for path in [*entries, other]:
            path.write_text("compiled")

    fill()
    drop_if_stale(str(module), [str(rules)])  # no fingerprint yet: drop
    assert not any(p.exists() for p in entries) and other.exists()
    fill()
    drop_if_stale(str(module), [str(rules)])  # nothing changed: keep
    assert all(p.exists() for p in entries)
    rules.write_text("# rules v2\n")
    drop_if_stale(str(module), [str(rules)])  # the rules changed: drop
    assert not any(p.exists() for p in entries) and other.exists()


_SEARCH_AND_REPORT = """
import go
from mcts import BatchedSearch, SearchConfig, UniformEvaluator
from mcts import tree_kernels as tk

search = BatchedSearch(UniformEvaluator(5, 2), SearchConfig(num_simulations=12,
                                                            leaves_per_tree=2), 2)
for g in range(2):
    search.set_root(g, go.Position.new(5, 7.5))
search.run()
search.advance(0, search.choose_move(0))
for kernel in (tk.select_leaves, tk.expand_leaves, tk.free_subtree):
    stats = kernel.stats
    print(kernel.__name__, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


@pytest.mark.slow
def test_kernels_taking_tree_arrays_load_from_the_cache(tmp_path):
    """The kernels take NamedTuples of arrays; numba must still cache them on disk: a second
    process compiles nothing."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def run() -> dict[str, tuple[int, int]]:
        out = subprocess.run([sys.executable, "-c", _SEARCH_AND_REPORT], env=env,
                             capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in out.splitlines()]
        return {name: (int(hits), int(misses)) for name, hits, misses in rows}

    first = run()
    assert all(misses == 1 for _, misses in first.values()), first
    second = run()
    assert second == {name: (1, 0) for name in first}, second
