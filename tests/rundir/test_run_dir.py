"""The run directory: atomic writes, validated state, clear errors naming the file."""

import json
import os

import pytest

from rundir.run_dir import (
    RunDir,
    RunDirError,
    new_state,
    read_json,
    write_bytes_atomic,
    write_json_atomic,
)


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    write_bytes_atomic(path, b"old")
    write_bytes_atomic(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert os.listdir(path.parent) == ["f.bin"]

    with pytest.raises(TypeError):
        write_bytes_atomic(path, object())  # a failed write keeps the old file
    assert path.read_bytes() == b"new contents"
    assert os.listdir(path.parent) == ["f.bin"]


def test_state_round_trip_and_validation_errors_name_file_and_key(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    state = new_state()
    state.update(games=3, positions=90, gates=[{"wins": 1, "generation": 1, "best": "a.keras",
                                                 "candidate": "b.keras", "promoted": True}])
    run.write_state(state)
    assert run.read_state().to_json() == state
    path = run.state_path
    path.write_text(path.read_text()[:40])
    with pytest.raises(RunDirError, match=f"{path}: not valid JSON"):
        run.read_state()
    write_json_atomic(path, {**state, "games": "three"})
    with pytest.raises(RunDirError, match=f"{path}: key 'games' has the wrong type"):
        run.read_state()
    broken = dict(state)
    del broken["generation"]
    write_json_atomic(path, broken)
    with pytest.raises(RunDirError, match=f"{path}: missing key 'generation'"):
        run.read_state()
    write_json_atomic(path, {**state, "positions": -1})
    with pytest.raises(RunDirError, match="'positions' is negative"):
        run.read_state()
    with pytest.raises(RunDirError, match="file is missing"):
        read_json(tmp_path / "nope.json")


def test_games_are_counted_in_id_order_and_gaps_are_reported(tmp_path):
    run = RunDir(tmp_path)
    for i in range(3):
        run.write_game(i, b"x")
    assert run.game_path(12345).parent.name == "00001"
    assert run.count_games() == 3
    assert run.count_games(known=2) == 3
    with pytest.raises(RunDirError, match="000000004.npz: file is missing although state"):
        run.count_games(known=5)


def test_best_pointer_and_checkpoint_metadata(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    with pytest.raises(RunDirError, match="best: file is missing"):
        run.read_best()
    run.write_checkpoint("ckpt-00000004.keras", b"model", json.dumps({"a": 1}).encode())
    run.write_best("ckpt-00000004.keras")
    assert run.read_best() == "ckpt-00000004.keras"
    assert run.read_checkpoint("ckpt-00000004.keras") == (b"model", b'{"a": 1}')
    run.update_checkpoint_metadata("ckpt-00000004.keras", promoted=True)
    assert run.read_checkpoint_metadata("ckpt-00000004.keras") == {"a": 1, "promoted": True}
    run.best_pointer.write_text("ckpt-00000008.keras\n")
    with pytest.raises(RunDirError, match="names 'ckpt-00000008.keras', which does not exist"):
        run.read_best()
    run.best_pointer.write_text("../../etc/passwd.keras\n")
    with pytest.raises(RunDirError, match="bad checkpoint name"):
        run.read_best()
    with pytest.raises(RunDirError, match="checkpoint file is missing"):
        run.read_checkpoint("ckpt-00000012.keras")
    with pytest.raises(RunDirError, match="no such checkpoint"):
        run.write_best("ckpt-00000012.keras")


def test_learner_pairs_get_fresh_names_and_old_ones_are_removed(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    assert RunDir.learner_checkpoint_name(12) == "learner-00000012.keras"
    for name in ("learner-00000004.keras", "learner-00000012.keras", "ckpt-00000004.keras"):
        run.write_checkpoint(name, b"k", b"{}")
    run.remove_learner_checkpoints(keep="learner-00000012.keras")
    assert sorted(p.name for p in run.checkpoints.iterdir()) == [
        "ckpt-00000004.keras", "ckpt-00000004.keras.json", "learner-00000012.keras",
        "learner-00000012.keras.json"]
    with pytest.raises(RunDirError, match="bad checkpoint name 'sub/x.keras'"):
        run.checkpoint_path("sub/x.keras")


def test_reconcile_removes_what_killed_writes_left_and_repairs_the_pointer(tmp_path):
    from rundir.state import RunState

    run = RunDir(tmp_path)
    run.create()
    for name in ("ckpt-00000000.keras", "ckpt-00000002.keras", "learner-00000002.keras",
                 "learner-00000004.keras"):
        run.write_checkpoint(name, b"k", b"{}")
    run.checkpoint_path("ckpt-00000004.keras").write_bytes(b"k")  # killed before its .json
    run.write_game(0, b"g")
    (run.game_path(0).parent / ".000000001.npz.abc.tmp").write_bytes(b"half")
    run.write_best("ckpt-00000000.keras")
    state = RunState(best="ckpt-00000002.keras", learner_checkpoint="learner-00000002.keras")
    lines = run.reconcile(state)
    assert sorted(p.name for p in run.checkpoints.iterdir()) == [
        "best", "ckpt-00000000.keras", "ckpt-00000000.keras.json", "ckpt-00000002.keras",
        "ckpt-00000002.keras.json", "learner-00000002.keras", "learner-00000002.keras.json"]
    assert run.read_best() == "ckpt-00000002.keras"
    assert sorted(p.name for p in run.game_path(0).parent.iterdir()) == ["000000000.npz"]
    assert len(lines) == 4 and "rewritten to 'ckpt-00000002.keras'" in lines[-1]
    assert run.reconcile(state) == []
