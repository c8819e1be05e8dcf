"""The search kernels' numba cache is dropped when the rules kernels change."""

from mcts.numba_cache import drop_if_stale


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
