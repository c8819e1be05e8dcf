"""Every node of the tree agrees with the rules: legal moves (superko included) and the
evaluator's inputs (boards with history, player to move) match ``go.Position``."""

from collections import Counter

import numpy as np
import pytest

import go
from mcts import BatchedSearch, RandomValueEvaluator, SearchConfig
from tests.mcts.ascii_boards import position

# Black to move can take the ko at 1,2 (flat 7); white may not retake at 1,1 (flat 6) at once.
KO = [
    ". X O . .",
    "X O . O .",
    ". X O . .",
    ". . . . .",
    ". . . . .",
]


class Recording(RandomValueEvaluator):
    """Records a copy of every input position."""

    def __init__(self, size: int, history: int, seed: int) -> None:
        super().__init__(size, history, seed)
        self.inputs: list[tuple[bytes, int, bytes]] = []

    def evaluate(self, boards, to_play, legal):
        for i in range(len(boards)):
            self.inputs.append((boards[i].tobytes(), int(to_play[i]), legal[i].tobytes()))
        return super().evaluate(boards, to_play, legal)


def _expected_legal(pos: go.Position, at_root: bool) -> np.ndarray:
    legal = pos.legal_moves().copy()
    opponent_passed = pos.last_move == pos.pass_move
    if at_root and opponent_passed and pos.score() * pos.to_play < 0 and legal[:-1].any():
        legal[-1] = False  # the pass guard: passing now would lose at once
    return legal


def _walk(search: BatchedSearch, game: int, root: go.Position, history: int):
    """Yield (path, position, stats) for every node of the tree that was evaluated."""
    stack = [((), root)]
    while stack:
        path, pos = stack.pop()
        if pos.is_over():
            continue
        stats = search.root_stats(game, list(path))
        yield path, pos, stats
        for m in np.flatnonzero(stats.visits > 0):
            stack.append((path + (int(m),), pos.play(int(m))))


def _random_game(size: int, moves: int, seed: int) -> go.Position:
    rng = np.random.default_rng(seed)
    pos = go.Position.new(size, komi=7.5)
    for _ in range(moves):
        legal = np.flatnonzero(pos.legal_moves()[:-1])
        pos = pos.play(int(rng.choice(legal)))
    return pos


@pytest.mark.parametrize("name, root, history, leaves", [
    ("ko", position(KO, komi=0.5), 3, 1),
    ("ko batched", position(KO, komi=0.5), 3, 4),
    ("9x9 midgame", _random_game(9, 50, seed=5), 8, 2),
    ("7x7 late game", _random_game(7, 60, seed=2), 4, 1),
])
def test_every_node_matches_the_rules(name, root, history, leaves):
    games = 2
    evaluator = Recording(root.size, history, seed=0)
    search = BatchedSearch(evaluator, SearchConfig(num_simulations=300, leaves_per_tree=leaves),
                           games)
    for g in range(games):
        search.set_root(g, root)
    search.run()
    expected: Counter = Counter()
    nodes = 0
    for g in range(games):
        for path, pos, stats in _walk(search, g, root, history):
            nodes += 1
            legal = _expected_legal(pos, at_root=not path)
            np.testing.assert_array_equal(stats.legal, legal, err_msg=f"{name} {path}")
            assert stats.total_visits == stats.visits.sum() + 1
            expected[(pos.recent_boards(history).tobytes(), pos.to_play, legal.tobytes())] += 1
    assert nodes > 50
    assert Counter(evaluator.inputs) == expected


def test_ko_cannot_be_retaken_at_once_inside_the_tree():
    search = BatchedSearch(RandomValueEvaluator(5, seed=0), SearchConfig(num_simulations=400), 1)
    root = position(KO, komi=0.5)
    search.set_root(0, root)
    search.run()
    assert search.visit_counts(0)[7] > 0
    after_take = search.root_stats(0, [7])
    assert not after_take.legal[6]  # positional superko
    assert not root.play(7).is_legal(6)
    # after an exchange elsewhere the retake is legal again
    exchanges = [
        (a, b) for a in np.flatnonzero(after_take.visits)
        for b in np.flatnonzero(search.visit_counts(0, [7, int(a)]))
        if a != 25 and b != 25 and b != 6
    ]
    assert exchanges
    a, b = exchanges[0]
    assert search.root_stats(0, [7, int(a), int(b)]).legal[6]
