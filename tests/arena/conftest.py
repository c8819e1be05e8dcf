"""Fixtures for the arena's tests: GNU Go, and the GTP engine over a tiny real checkpoint
(the same fixtures as the GTP tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gtp.conftest import (  # noqa: F401 (engine_argv, gnugo, tiny_run: fixtures)
    _KERAS_NUMPY2_NOISE,
    engine_argv,
    gnugo,
    tiny_run,
)


def pytest_collection_modifyitems(config, items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(_KERAS_NUMPY2_NOISE))


def cpu9_run(root: Path):
    """A fresh run directory at ``root`` with the "cpu9" config and one stopped session of
    10,000 s (no checkpoints yet): the ladder's minimum."""
    from rundir.config import preset
    from rundir.run_dir import RunDir, new_state

    run = RunDir(root)
    run.create()
    run.config_path.write_text(preset("cpu9").to_toml())
    state = new_state()
    state["sessions"] = [{"started": 0.0, "stopped": 10_000.0}]
    run.write_state(state)
    return run
