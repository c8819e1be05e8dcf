"""``arena.compare`` without TensorFlow: which checkpoints of two runs meet, and what the
command refuses."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from arena.compare import Comparison, main, nearest, newest_promoted, plan_cross
from arena.ladder_entrants import Checkpoint
from go import RulesConfig


def _checkpoint(generation: int, minutes: float, promoted: bool = True) -> Checkpoint:
    return Checkpoint(f"ckpt-{generation:08d}.keras", Path("x"), generation, generation,
                      100 * generation, 60.0 * minutes, "h", promoted)


def test_nearest_takes_the_closest_training_time_and_the_older_on_a_tie():
    run = [_checkpoint(0, 0), _checkpoint(1, 10), _checkpoint(2, 30)]
    assert nearest(run, 60 * 12).generation == 1
    assert nearest(run, 60 * 20).generation == 1  # 10 and 30 are both 10 minutes away
    assert nearest(run, 60 * 100).generation == 2


def test_cross_pairings_meet_by_training_time_and_always_pair_the_newest():
    a = [_checkpoint(0, 0), _checkpoint(1, 10), _checkpoint(2, 20), _checkpoint(3, 50)]
    b = [_checkpoint(0, 0), _checkpoint(1, 30), _checkpoint(2, 40)]
    pairs = plan_cross([a, b], playouts=8)
    names = [(i, x.checkpoint.generation, j, y.checkpoint.generation)
             for i, x, j, y in pairs]
    # a0-b0, a1-b0 (10 min: b0 at 0 is closer than b1 at 30), a2-b1 (20: 30 beats 0; on
    # b's side b1 at 30 picks a2 at 20), a3-b2 (50 vs 40), and b2 picks a3 too (each once)
    assert names == [(0, 0, 1, 0), (0, 1, 1, 0), (0, 2, 1, 1), (0, 3, 1, 2)]
    assert all(x.kind == y.kind == "search" and x.playouts == 8 for _, x, _, y in pairs)
    three = plan_cross([a, b, b], playouts=8)
    assert {(i, j) for i, _, j, _ in three} == {(0, 1), (0, 2), (1, 2)}
    assert (1, 2, 2, 2) in [(i, x.checkpoint.generation, j, y.checkpoint.generation)
                            for i, x, j, y in three]  # b against its copy: newest pair


def test_the_best_networks_meet_too_when_the_newest_were_rejected():
    a = [_checkpoint(0, 0), _checkpoint(1, 10), _checkpoint(2, 20, promoted=False)]
    b = [_checkpoint(0, 0), _checkpoint(1, 12, promoted=False),
         _checkpoint(2, 40, promoted=False)]
    assert newest_promoted(a).generation == 1 and newest_promoted(b).generation == 0
    names = [(x.checkpoint.generation, y.checkpoint.generation)
             for _, x, _, y in plan_cross([a, b], playouts=8)]
    assert (2, 2) in names and (1, 0) in names  # the newest pair and the best pair
    assert len(names) == len(set(names))


def _ladder(size: int, root: str):
    return SimpleNamespace(rules=RulesConfig(size=size, komi=7.5, max_moves=2 * size * size),
                           run_dir=SimpleNamespace(root=Path(root)),
                           checkpoints=[_checkpoint(0, 0)], playouts=8,
                           resign_threshold=None, minutes=None)


def test_a_comparison_refuses_runs_it_cannot_put_on_one_scale(tmp_path):
    nine, seven = _ladder(9, "runs/a"), _ladder(7, "runs/b")
    with pytest.raises(ValueError, match="different rules.*runs/a.*runs/b"):
        Comparison([nine, seven], ["a", "b"], tmp_path)
    with pytest.raises(ValueError, match="labels must differ"):
        Comparison([nine, _ladder(9, "runs/c")], ["a", "a"], tmp_path)
    with pytest.raises(ValueError, match="two or more runs"):
        Comparison([nine], ["a"], tmp_path)
    with pytest.raises(ValueError, match="player name"):
        Comparison([nine, _ladder(9, "runs/c")], ["a", "b/c"], tmp_path)


@pytest.mark.parametrize("flags, message", [
    (["--run-dir", "x", "--out", "o"], "give --run-dir two or more times, got 1"),
    (["--run-dir", "x", "--run-dir", "y", "--label", "a", "--out", "o"],
     "--label must be given once per --run-dir: 1 labels for 2 runs"),
    (["--run-dir", "x", "--run-dir", "y", "--out", "o", "--cross-games", "0"],
     "--cross-games must be at least 1, got 0"),
    (["--run-dir", "x", "--run-dir", "y", "--out", "o", "--minutes", "0"],
     "--minutes must be positive, got 0"),
])
def test_the_command_refuses_bad_flags(capsys, flags, message):
    with pytest.raises(SystemExit) as exit_info:
        main(flags)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_the_command_names_a_missing_run_directory(tmp_path, capsys):
    flags = ["--run-dir", str(tmp_path / "nothing"), "--run-dir", str(tmp_path),
             "--out", str(tmp_path / "out")]
    assert main(flags) == 2
    assert "nothing: not a run directory" in capsys.readouterr().err
