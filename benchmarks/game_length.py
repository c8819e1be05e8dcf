"""How long self-play games run: ``python -m benchmarks.game_length [--games 32] ...``.

Plays ``--games`` self-play games at once with a run preset's rules and search (default
``cpu9``: 9x9, komi 7.5, move cap 2*81 = 162, 100 simulations with root noise, 4 leaves per
tree), exactly as a self-play worker plays them (``selfplay.game_loop.SelfPlayGames``),
resignation off (every game is a no-resign game, so only passes or the cap end it), and
prints one JSON line: the mean game length in moves (passes included), its 95th
percentile, the share of games that reached the cap and the share that ended by two
passes.

The evaluator: ``--checkpoint PATH`` (a trained network), ``--evaluator network`` (an
untrained network of the preset's shape, seeded), ``area`` (uniform priors and the
Tromp-Taylor count as the value: a cheap stand-in for a value head that knows the score)
or ``uniform`` (uniform priors and value 0: a stand-in for an untrained network).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

import numpy as np


def _evaluator(kind: str, checkpoint: str | None, preset: Any, seed: int) -> Any:
    from mcts import AreaEvaluator, UniformEvaluator

    size, history = preset.rules.size, preset.network.history_length
    if checkpoint is not None:
        from gtp.network_source import load_network
        from network import NetworkEvaluator

        model, config, _, _ = load_network(checkpoint)
        return NetworkEvaluator(model, config, seed=seed)
    if kind == "network":
        from gtp.network_source import random_network
        from network import NetworkEvaluator

        model, config = random_network(preset.name, size, seed)
        return NetworkEvaluator(model, config, seed=seed)
    if kind == "area":
        return AreaEvaluator(size, preset.rules.komi, history_length=history)
    return UniformEvaluator(size, history)


def measure(preset_name: str = "cpu9", games: int = 32, evaluator: str = "area",
            checkpoint: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Play ``games`` no-resign self-play games; returns the JSON record (lengths in
    moves, passes included)."""
    from rundir import config as run_config
    from selfplay.game_loop import SelfPlayGames

    preset = run_config.preset(preset_name)
    search = dataclasses.replace(preset.search, resign_threshold=None)
    loop = SelfPlayGames(_evaluator(evaluator, checkpoint, preset, seed), preset.rules,
                         search, games, seed=seed)
    start = time.perf_counter()
    records: dict[int, Any] = {}  # slot -> its first game (a slot starts again at once)
    while len(records) < games:
        finished = loop.step()  # in slot order; a slot that finished is back at move 0
        slots = [g for g in range(games) if loop.search.position(g).move_number == 0]
        for g, record in zip(slots, finished, strict=True):
            records.setdefault(g, record)
    lengths = np.array([len(r.moves) for r in records.values()])
    cap = preset.rules.max_moves
    pass_move = preset.rules.size ** 2
    two_passes = [list(r.moves[-2:]) == [pass_move, pass_move] for r in records.values()]
    return {"bench": "game_length", "metric": "mean_game_length",
            "value": round(float(lengths.mean()), 1), "unit": "moves",
            "p95": float(np.percentile(lengths, 95)),
            "cap_share": float(np.mean(lengths >= cap)),
            "two_pass_share": float(np.mean(two_passes)), "games": len(lengths),
            "max_moves": cap, "preset": preset_name,
            "evaluator": "checkpoint" if checkpoint else evaluator,
            "seconds": round(time.perf_counter() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.game_length",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="cpu9")
    parser.add_argument("--games", type=int, default=32)
    parser.add_argument("--evaluator", choices=("area", "uniform", "network"), default="area")
    parser.add_argument("--checkpoint", default=None, help="a trained network (.keras)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.games < 1:
        parser.error(f"--games must be at least 1, got {args.games}")
    print(json.dumps(measure(args.preset, args.games, args.evaluator, args.checkpoint,
                             args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
