"""A small, fast check that the auxiliary heads learn (see ``test_auxiliary_heads``).

Games: 5x5 self-play by the batched search over uniform priors (``SelfPlayGames`` as the
pipeline plays them, resignation off so every game ends scored and stores its final
ownership). Training: a tiny network with auxiliary heads, positions sampled from a
``ReplayBuffer`` holding the training games (symmetries on, as the pipeline samples
them), ``Trainer.train_step`` with the buffer's ownership and score targets. Accuracy:
over every position of other (held-out) games, the share of points whose final owner
(black or white; neutral points left out) has the sign the network predicts, through
``NetworkEvaluator.evaluate_auxiliary`` (the path the GTP engine uses).

``python -m tests.learning.auxiliary_heads --untrained 20 --trained 0,1,2,3,4`` prints
the distribution behind the test's threshold, one JSON line per network.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from go import Position, RulesConfig
from mcts import SearchConfig, UniformEvaluator

SIZE = 5
KOMI = 7.5
HISTORY = 2
STEPS = 250
BATCH = 64


def rules() -> RulesConfig:
    return RulesConfig(SIZE, KOMI, 2 * SIZE * SIZE)


def network_config() -> Any:
    from network import NetworkConfig

    return NetworkConfig(board_size=SIZE, blocks=2, filters=16, history_length=HISTORY,
                         value_hidden=16, auxiliary_heads=True)


def play_games(seed: int, count: int) -> list:
    """``count`` finished scored games (``GameRecord``s with final ownership)."""
    from selfplay.game_loop import SelfPlayGames

    loop = SelfPlayGames(UniformEvaluator(SIZE, HISTORY), rules(),
                         SearchConfig(num_simulations=8, add_noise=True,
                                      resign_threshold=None), num_games=16, seed=seed)
    games = loop.play(min_games=count)[:count]
    for i, record in enumerate(games):
        record.game_id = i
    return games


def train(seed: int, games: list) -> tuple[Any, Any, dict[str, float]]:
    """``(model, config, last losses)``: a fresh network from ``seed`` trained ``STEPS``
    steps on positions of ``games``."""
    import keras

    from network import TrainConfig, Trainer, build_model
    from selfplay.replay_buffer import ReplayBuffer

    config = network_config()
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    trainer = Trainer(model, config, TrainConfig(
        batch_size=BATCH, learning_rates=(0.02,), lr_boundaries=(), augment=False), seed=seed)
    buffer = ReplayBuffer(SIZE, HISTORY, window=100_000, seed=seed)
    for record in games:
        buffer.add(record)
    logs: dict[str, float] = {}
    for _ in range(STEPS):
        batch = buffer.sample(BATCH)
        logs = trainer.train_step(batch.boards, batch.to_play, batch.policy, batch.value,
                                  batch.ownership, batch.score)
    return trainer.model, config, logs


def untrained(seed: int) -> tuple[Any, Any]:
    import keras

    from network import build_model

    config = network_config()
    keras.utils.set_random_seed(seed)
    return build_model(config), config


def ownership_accuracy(model: Any, config: Any, games: list) -> float:
    """Share of owned points (every position of ``games``) whose final owner the network
    predicts by sign."""
    from network import NetworkEvaluator

    evaluator = NetworkEvaluator(model, config, seed=0)
    boards, to_play, truth = [], [], []
    for record in games:
        position = Position.new(SIZE, KOMI, max_moves=2 * SIZE * SIZE)
        final = record.ownership.reshape(SIZE, SIZE)
        for move in record.moves:
            boards.append(position.recent_boards(HISTORY))
            to_play.append(position.to_play)
            truth.append(position.to_play * final)
            position = position.play(int(move))
    ownership, _ = evaluator.evaluate_auxiliary(np.array(boards),
                                                np.array(to_play, np.int8))
    truth = np.array(truth)
    owned = truth != 0
    return float(np.mean(np.sign(ownership[owned]) == truth[owned]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.learning.auxiliary_heads")
    parser.add_argument("--untrained", type=int, default=20)
    parser.add_argument("--trained", default="0,1,2,3,4")
    args = parser.parse_args(argv)
    from network import backend

    backend.hide_gpus()
    backend.configure(threads=1)
    training, heldout = play_games(1, 64), play_games(2, 32)
    for s in range(args.untrained):
        model, config = untrained(s)
        print(json.dumps({"kind": "untrained", "seed": s,
                          "accuracy": round(ownership_accuracy(model, config, heldout), 4)}),
              flush=True)
    for s in (int(x) for x in args.trained.split(",") if x):
        started = time.monotonic()
        model, config, logs = train(s, training)
        print(json.dumps({"kind": "trained", "seed": s,
                          "accuracy": round(ownership_accuracy(model, config, heldout), 4),
                          "seconds": round(time.monotonic() - started, 1),
                          "ownership_loss": round(logs["ownership"], 4)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
