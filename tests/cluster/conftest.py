"""Fixtures shared by the cluster tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def ray_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Ray temp dir of the test's own (``RAY_TMPDIR``).

    Ray writes the address of the cluster it starts into ``<temp dir>/ray/ray_current_cluster``
    and a later ``ray.init()`` anywhere on the machine connects to it; a private temp dir
    keeps the test's clusters to the test. The path is short: Ray's Unix sockets live
    under it and socket paths are limited to 107 bytes.
    """
    path = Path(tempfile.mkdtemp(prefix="zg-ray-", dir="/tmp"))
    monkeypatch.setenv("RAY_TMPDIR", str(path))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
