"""Measure the margins behind ``test_learning``'s thresholds (not a test; a few minutes).

    python -m tests.learning.margin_distribution --untrained 20 --trained 0,1,2,3,4,5

prints one JSON line per measurement: each untrained network (fresh initialisation, seed
``s``) alone against the uniform-random player, untrained networks against each other
(every pair of the first ten), and for each training seed the trained network alone
against the random player, its own initial network and the test's panel of untrained
networks (``test_learning.margins``). Each score is the share of points over ``--games``
games with colours alternating.
"""

from __future__ import annotations

import argparse
import itertools
import json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.learning.margin_distribution")
    parser.add_argument("--untrained", type=int, default=20, help="untrained networks")
    parser.add_argument("--trained", default="0,1,2,3,4,5", help="training seeds")
    parser.add_argument("--games", type=int, default=200)
    args = parser.parse_args(argv)

    from network import backend

    backend.hide_gpus()
    backend.configure(threads=1)
    from arena.players import RandomPlayer
    from tests.learning.short_training import train
    from tests.learning.test_learning import SETTINGS, margins, policy_player, score

    def emit(**record) -> None:
        print(json.dumps(record), flush=True)

    untrained = [policy_player(s) for s in range(args.untrained)]
    for s, player in enumerate(untrained):
        emit(kind="untrained_vs_random", seed=s,
             score=score(player, RandomPlayer(1000 + s), args.games))
    panel = min(10, len(untrained))
    means = {s: [] for s in range(panel)}
    for i, j in itertools.combinations(range(panel), 2):
        found = score(untrained[i], untrained[j], args.games)
        means[i].append(found)
        means[j].append(1 - found)
        emit(kind="untrained_vs_untrained", seeds=[i, j], score=found)
    for s, scores in means.items():
        if scores:
            emit(kind="untrained_vs_panel", seed=s, score=sum(scores) / len(scores))
    for seed in (int(s) for s in args.trained.split(",") if s):
        result = train(SETTINGS, seed)
        found = margins(policy_player(seed, result.final_weights),
                        policy_player(seed, result.initial_weights))
        emit(kind="trained", seed=seed, **found, train_seconds=round(result.seconds, 1),
             steps=result.steps, games=result.games,
             losses=[round(x, 3) for x in result.losses[-1]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
