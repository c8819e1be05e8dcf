"""A short AlphaGo Zero training run in one process, for the learning tests.

The same plain classes the pipeline runs on Ray (``SelfPlayGames``, ``ReplayBuffer``,
``network.Trainer``), without Ray: G self-play games at once over one batched search
evaluated by the network being trained; after every ``games_per_round`` finished games
the trainer takes ``steps_per_round`` steps on batches sampled from the replay window.
The network that plays is always the latest (AlphaZero's variant: no gate).

``write_run_dir`` lays the run out as ``selfplay.run`` does (``config.toml``,
``state.json``, promoted checkpoints with their metadata, ``checkpoints/best``), through
the same ``RunDir`` API, so the ladder can evaluate it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from go import RulesConfig
from mcts import SearchConfig


@dataclass(frozen=True)
class ShortTraining:
    """The run's settings (sizes chosen for two shared CPU cores)."""

    board_size: int = 5
    komi: float = 7.5
    simulations: int = 32
    parallel_games: int = 32
    games_per_round: int = 32
    steps_per_round: int = 150
    rounds: int = 30
    batch_size: int = 64
    window: int = 4000
    learning_rate: float = 0.02
    temperature_moves: int | None = None

    def rules(self) -> RulesConfig:
        return RulesConfig(size=self.board_size, komi=self.komi,
                           max_moves=2 * self.board_size ** 2)

    def search(self) -> SearchConfig:
        return SearchConfig(num_simulations=self.simulations, add_noise=True,
                            leaves_per_tree=4, resign_threshold=None,
                            temperature_moves=self.temperature_moves)

    def network(self):
        from network import NetworkConfig

        return NetworkConfig.tiny(self.board_size)

    def train_config(self):
        from network import TrainConfig

        # The buffer's samples carry their symmetry already: no second one here.
        return TrainConfig(batch_size=self.batch_size, learning_rates=(self.learning_rate,),
                           lr_boundaries=(), augment=False)


@dataclass
class TrainingResult:
    """Weights before and after, and what the run did: per round the mean losses
    ``(total, policy, value)`` and black's share of the games won."""

    initial_weights: list
    final_weights: list
    games: int
    positions: int
    steps: int
    seconds: float
    losses: list
    black_wins: list


Snapshot = Callable[[Any, int, int], None]  # (model, round, steps)


def train(settings: ShortTraining, seed: int, snapshot: Snapshot | None = None,
          snapshot_rounds: tuple[int, ...] = ()) -> TrainingResult:
    """Run ``settings.rounds`` rounds of self-play and training from a fresh network.

    ``snapshot(model, round, steps)`` is called before the first round (round 0) and
    after each round listed in ``snapshot_rounds``.
    """
    import keras

    from network import NetworkEvaluator, Trainer, build_model
    from selfplay.game_loop import SelfPlayGames
    from selfplay.replay_buffer import ReplayBuffer

    start = time.perf_counter()
    config = settings.network()
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    initial = model.get_weights()
    trainer = Trainer(model, config, settings.train_config(), seed=seed)
    evaluator = NetworkEvaluator(model, config, seed=seed)
    games = SelfPlayGames(evaluator, settings.rules(), settings.search(),
                          settings.parallel_games, seed=seed)
    buffer = ReplayBuffer(settings.board_size, config.history_length, settings.window,
                          seed=seed)
    if snapshot is not None:
        snapshot(model, 0, 0)
    played = positions = 0
    losses, black_wins = [], []
    for round_ in range(1, settings.rounds + 1):
        finished = games.play(min_games=settings.games_per_round)
        black_wins.append(float(np.mean([r.winner == 1 for r in finished])))
        for record in finished:
            record.game_id = played
            buffer.add(record)
            played += 1
            positions += record.num_positions
        round_losses = []
        for _ in range(settings.steps_per_round):
            batch = buffer.sample(settings.batch_size)
            logs = trainer.train_step(batch.boards, batch.to_play, batch.policy, batch.value)
            round_losses.append((logs["total"], logs["policy"], logs["value"]))
        losses.append(tuple(float(x) for x in np.mean(round_losses, axis=0)))
        if snapshot is not None and round_ in snapshot_rounds:
            snapshot(model, round_, trainer.step)
    return TrainingResult(initial, model.get_weights(), played, positions, trainer.step,
                          time.perf_counter() - start, losses, black_wins)


class RunDirWriter:
    """Writes a training run's directory the way ``selfplay.run`` lays it out.

    Call ``snapshot`` (a ``train`` callback) to add each promoted checkpoint, then
    ``finish`` to close the session in ``state.json``.
    """

    def __init__(self, root: str | Path, settings: ShortTraining, name: str = "short") -> None:
        from rundir.config import PipelineConfig, RunConfig
        from rundir.run_dir import RunDir, new_state, write_text_atomic

        self.run_dir = RunDir(root)
        self.run_dir.create()
        self.config = RunConfig(
            name=name, preset="cpu9", rules=settings.rules(), network=settings.network(),
            search=settings.search(), train=settings.train_config(),
            pipeline=dataclasses.replace(PipelineConfig(), gate_threshold=0.0))
        write_text_atomic(self.run_dir.config_path, self.config.to_toml())
        self.state = new_state()
        self.session = {"started": time.time(), "resumed": False}
        self.state["sessions"].append(self.session)
        self.run_dir.write_state(self.state)

    def snapshot(self, model: Any, round_: int, steps: int) -> None:
        from network import save_checkpoint

        name = self.run_dir.checkpoint_name(steps)
        generation = self.state["generation"] + (1 if self.state["best"] else 0)
        meta: dict[str, Any] = {"generation": generation, "training_steps": steps,
                                "promoted": True, "parent": self.state["best"] or None,
                                "round": round_}
        save_checkpoint(self.run_dir.checkpoint_path(name), model, meta)
        if self.state["best"]:
            self.state["gates"].append({"generation": generation, "candidate": name,
                                        "best": self.state["best"], "promoted": True,
                                        "time": time.time()})
            self.state["generation"] = generation
            self.state["best_version"] += 1
        self.state["best"] = name
        self.state["learner_steps"] = steps
        self.run_dir.write_best(name)
        self.run_dir.write_state(self.state)

    def finish(self) -> None:
        self.session.update(stopped=time.time(), reason="finished")
        self.state["elapsed_seconds"] = self.session["stopped"] - self.session["started"]
        self.run_dir.write_state(self.state)
