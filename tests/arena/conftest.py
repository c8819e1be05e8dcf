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
