"""The game in progress that worker 0 shows to the web page (``selfplay.live_game``)."""

from __future__ import annotations

import json

from go import Position, RulesConfig
from mcts import SearchConfig, UniformEvaluator
from selfplay.live_game import LiveGameWriter
from selfplay.worker import SelfPlayWorker

RULES = RulesConfig(5, 7.5, 50)


def test_a_worker_rewrites_its_first_game_after_every_move(tmp_path):
    path = tmp_path / "live.json"
    worker = SelfPlayWorker(UniformEvaluator(5, 2), RULES, SearchConfig(num_simulations=2),
                            games=2, seed=1, worker=0, live_path=str(path))
    worker._groups[0].on_step.min_seconds = 0.0
    seen = []
    for _ in range(4):
        worker.play(min_games=1, max_steps=1)
        seen.append(json.loads(path.read_text()))
    assert [len(s["moves"]) for s in seen] == [1, 2, 3, 4]
    assert seen[-1]["moves"][:3] == seen[2]["moves"] and seen[-1]["board_size"] == 5
    position = Position.new(5, 7.5)
    for move in seen[-1]["moves"]:  # legal moves of one game, in order
        position = position.play(move)
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, no leftovers


def test_a_new_game_is_counted_and_a_missing_folder_writes_nothing(tmp_path):
    writer = LiveGameWriter(tmp_path / "live.json", 5, 7.5, worker=0, min_seconds=0.0)
    writer([12, 13])
    writer([12, 13, 7])
    writer([])  # the game ended, the next one starts
    data = json.loads((tmp_path / "live.json").read_text())
    assert data["game"] == 1 and data["moves"] == []
    elsewhere = LiveGameWriter(tmp_path / "not-here" / "live.json", 5, 7.5, worker=0)
    elsewhere([1])
    assert not elsewhere.enabled and not (tmp_path / "not-here").exists()


def test_workers_without_a_live_path_write_nothing(tmp_path):
    worker = SelfPlayWorker(UniformEvaluator(5, 2), RULES, SearchConfig(num_simulations=2),
                            games=1, seed=1)
    worker.play(min_games=1, max_steps=2)
    assert worker._groups[0].on_step is None
