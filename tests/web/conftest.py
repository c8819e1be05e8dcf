"""A small real run directory for the web page's tests.

Built from the pieces a run uses, without Ray: the run's ``config.toml`` (a 5x5 board, the
tiny network), a real tiny Keras checkpoint named by ``checkpoints/best``, a few real
self-play games (the batched search over a uniform evaluator) written as the run writes
them, the game in progress that ``selfplay.live_game`` writes, a ``state.json`` with two
gates, and the learner's losses in TensorBoard event files written by the driver's own
``TensorBoardLog``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from tests.gtp.conftest import _KERAS_NUMPY2_NOISE

SIZE = 5
GAMES = 5


def pytest_collection_modifyitems(config, items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(_KERAS_NUMPY2_NOISE))


def make_run_dir(root: Path) -> Path:
    """Fill ``root`` as a run that played ``GAMES`` games and two gates (see the module
    docstring); returns ``root``."""
    import keras

    from mcts import SearchConfig, UniformEvaluator
    from network import build_model, save_checkpoint
    from rundir import config as run_config
    from rundir.run_dir import RunDir
    from rundir.state import GateRecord, RunState, Session
    from selfplay.game_loop import SelfPlayGames
    from selfplay.live_game import LiveGameWriter
    from selfplay.status import TensorBoardLog

    run_dir = RunDir(root)
    run_dir.create()
    base = run_config.preset("cpu9")
    network = run_config.network_by_name("tiny", SIZE)
    config = dataclasses.replace(
        base, name="web-test", network=network,
        rules=dataclasses.replace(base.rules, size=SIZE, max_moves=2 * SIZE * SIZE))
    run_dir.config_path.write_text(config.to_toml())
    for i, name in enumerate(("ckpt-00000000.keras", "ckpt-00000002.keras")):
        keras.utils.set_random_seed(20 + i)
        save_checkpoint(run_dir.checkpoint_path(name), build_model(network),
                        {"generation": i, "network": network})
    run_dir.write_best("ckpt-00000002.keras")

    games = SelfPlayGames(UniformEvaluator(SIZE, network.history_length), config.rules,
                          SearchConfig(num_simulations=4), 2, seed=3)
    games.on_step = LiveGameWriter(run_dir.live_game_path, SIZE, config.rules.komi, worker=0,
                                   min_seconds=0.0)
    records = []
    while len(records) < GAMES:
        records.extend(games.step())
    for _ in range(3):  # the live game is a few moves into the next game
        games.step()
    positions = 0
    for game_id, record in enumerate(records[:GAMES]):
        record.game_id = game_id
        run_dir.write_game(game_id, record.to_npz_bytes())
        positions += len(record.moves)

    t0 = time.time() - 600
    gates = (
        GateRecord.from_report({"games": 10, "wins": 8, "losses": 2, "draws": 0,
                                "win_rate": 0.8, "elo": 240.8, "elo_low": 30.0,
                                "elo_high": 500.0, "promoted": True},
                               generation=1, candidate="ckpt-00000002.keras",
                               best="ckpt-00000000.keras", time=t0 + 300),
        GateRecord.from_report({"games": 10, "wins": 4, "losses": 6, "draws": 0,
                                "win_rate": 0.4, "elo": -70.4, "elo_low": -300.0,
                                "elo_high": 150.0, "promoted": False},
                               generation=2, candidate="ckpt-00000004.keras",
                               best="ckpt-00000002.keras", time=t0 + 500))
    state = RunState(games=GAMES, positions=positions, learner_steps=4, samples_trained=32,
                     generation=2, best="ckpt-00000002.keras", best_version=1,
                     gate_elo_sum=240.8, gates=gates, learner_checkpoint="ckpt-00000002.keras",
                     sessions=(Session(started=t0, resumed=False, games_at_start=0,
                                       generation_at_start=0),))
    run_dir.write_state(state)

    log = TensorBoardLog(run_dir.logs_dir)
    for step in range(1, 5):
        log.scalars({"loss/total": 3.0 - 0.25 * step, "loss/policy": 2.5 - 0.2 * step,
                     "loss/value_mse": 0.5 - 0.05 * step, "selfplay/games": step}, step)
    log.close()
    return root


@pytest.fixture(scope="session")
def web_run(tmp_path_factory) -> Path:
    """A run directory as described in the module docstring (built once)."""
    return make_run_dir(tmp_path_factory.mktemp("web-run"))
