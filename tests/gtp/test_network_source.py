"""The engine finds a run's best checkpoint through rundir's ``best`` pointer."""

import os

import pytest

from gtp.network_source import resolve_checkpoint
from rundir.run_dir import RunDirError


def test_a_run_directory_resolves_to_the_checkpoint_its_best_pointer_names(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for i, name in enumerate(("ckpt-00000002.keras", "ckpt-00000004.keras")):
        (folder / name).write_bytes(b"k")
        os.utime(folder / name, (1000 + i, 1000 + i))
    assert resolve_checkpoint(tmp_path) == folder / "ckpt-00000004.keras"  # newest
    (folder / "best").write_text("ckpt-00000002.keras\n")
    assert resolve_checkpoint(tmp_path) == folder / "ckpt-00000002.keras"
    assert resolve_checkpoint(folder) == folder / "ckpt-00000002.keras"
    (folder / "best").write_text("../../secret.keras\n")
    with pytest.raises(RunDirError, match="best: bad checkpoint name '../../secret.keras'"):
        resolve_checkpoint(tmp_path)
    (folder / "best").write_text("ckpt-00000008.keras\n")
    with pytest.raises(ValueError, match="names 'ckpt-00000008.keras', which does not exist"):
        resolve_checkpoint(tmp_path)
