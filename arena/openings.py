"""Openings for gate matches: a few first moves sampled from a network's policy.

Two deterministic players (no noise, the most-visited move) play the same game every time
they meet with the same colours, so a gate of hundreds of games would measure one or two
games. ``sample_openings`` draws, for each colour pair of a match, a short opening from the
network's policy at temperature 1 (each move in proportion to its prior among the legal
points; pass is never drawn), with one random generator per pair, seeded by
``(seed, pair)``: the same seed gives the same openings. Both games of a pair start from the
pair's opening, colours swapped, so neither side gains from it.
"""

from __future__ import annotations

import numpy as np

from go import Position, RulesConfig
from mcts import Evaluator


def sample_openings(evaluator: Evaluator, rules: RulesConfig, count: int, moves: int,
                    seed: int) -> list[list[int]]:
    """``count`` openings of ``moves`` moves each (flat indices, no pass), drawn from
    ``evaluator``'s priors at temperature 1, one batched evaluation per move number.

    An opening stops short where no point is legal or one more move would reach the
    rules' move limit (the game must not be over when the players take it up).
    """
    for name, value in (("count", count), ("moves", moves), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"opening {name} must be an integer >= 0, got {value!r}")
    rngs = [np.random.default_rng([int(seed), k]) for k in range(count)]
    positions = [Position.from_rules(rules) for _ in range(count)]
    openings: list[list[int]] = [[] for _ in range(count)]
    h = int(evaluator.history_length)
    for _ in range(moves):
        live = [k for k, p in enumerate(positions) if _can_extend(p)]
        if not live:
            break
        legal = np.stack([positions[k].legal_moves() for k in live])
        boards = np.stack([positions[k].recent_boards(h) for k in live]).astype(np.int8)
        to_play = np.array([positions[k].to_play for k in live], np.int8)
        priors, _ = evaluator.evaluate(boards, to_play, legal)
        for row, k in enumerate(live):
            points = legal[row].copy()
            points[positions[k].pass_move] = False
            weights = np.where(points, np.maximum(priors[row], 0.0), 0.0).astype(np.float64)
            if weights.sum() <= 0:  # the policy puts nothing on the legal points
                weights = points.astype(np.float64)
            move = int(rngs[k].choice(len(weights), p=weights / weights.sum()))
            positions[k] = positions[k].play(move)
            openings[k].append(move)
    return openings


def _can_extend(position: Position) -> bool:
    if position.max_moves is not None and position.move_number + 1 >= position.max_moves:
        return False
    return bool(position.legal_moves()[: position.pass_move].any())
