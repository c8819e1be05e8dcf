"""A short AlphaGo Zero training run in one process, for the learning tests.

The same plain classes the pipeline runs on Ray (``SelfPlayGames``, ``ReplayBuffer``,
``network.Trainer``), without Ray: G self-play games at once over one batched search
evaluated by the network being trained; after every ``games_per_round`` finished games
the trainer takes ``steps_per_round`` steps on batches sampled from the replay window.
The network that plays is always the latest (AlphaZero's variant: no gate).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from go import RulesConfig
from mcts import SearchConfig


@dataclass(frozen=True)
class ShortTraining:
    """The run's settings (sizes chosen for two shared CPU cores)."""

    board_size: int = 5
    komi: float = 7.5
    simulations: int = 16
    parallel_games: int = 32
    games_per_round: int = 32
    steps_per_round: int = 20
    rounds: int = 10
    batch_size: int = 64
    window: int = 4000
    learning_rate: float = 0.02

    def rules(self) -> RulesConfig:
        return RulesConfig(size=self.board_size, komi=self.komi,
                           max_moves=2 * self.board_size ** 2)

    def search(self) -> SearchConfig:
        return SearchConfig(num_simulations=self.simulations, add_noise=True,
                            leaves_per_tree=4, resign_threshold=None)


@dataclass
class TrainingResult:
    """Weights before and after, and what the run did."""

    initial_weights: list
    final_weights: list
    games: int
    positions: int
    steps: int
    seconds: float
    losses: list
    black_wins: list


def train(settings: ShortTraining, seed: int) -> TrainingResult:
    """Run ``settings.rounds`` rounds of self-play and training from a fresh network."""
    import keras

    from network import NetworkConfig, NetworkEvaluator, TrainConfig, Trainer, build_model
    from selfplay.game_loop import SelfPlayGames
    from selfplay.replay_buffer import ReplayBuffer

    start = time.perf_counter()
    config = NetworkConfig.tiny(settings.board_size)
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    initial = model.get_weights()
    trainer = Trainer(model, config, TrainConfig(
        batch_size=settings.batch_size, learning_rates=(settings.learning_rate,),
        lr_boundaries=()), seed=seed)
    evaluator = NetworkEvaluator(model, config, seed=seed)
    games = SelfPlayGames(evaluator, settings.rules(), settings.search(),
                          settings.parallel_games, seed=seed)
    buffer = ReplayBuffer(settings.board_size, config.history_length, settings.window,
                          seed=seed)
    played = positions = 0
    losses = []
    black_wins = []
    for _ in range(settings.rounds):
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
            round_losses.append(trainer.train_step(batch.boards, batch.to_play,
                                                   batch.policy, batch.value)["total"])
        losses.append(float(np.mean(round_losses)))
    return TrainingResult(initial, model.get_weights(), played, positions, trainer.step,
                          time.perf_counter() - start, losses, black_wins)
