"""Batched PUCT search (AlphaGo Zero style) over many games at once.

Value sign convention, followed everywhere in this package and by everything that talks to
it: **a value is from the point of view of the player to move in the position it belongs
to**, in [-1, 1], +1 meaning that player wins. An evaluator's value for a leaf is the leaf's
player to move's; a child's value is negated when backed up into its parent; ``root_value``
and ``RootStats.q`` are for the root's player to move; terminal positions are valued by the
Tromp-Taylor score with komi (+1 win, -1 loss, 0 draw) for their player to move.

Passes (``mcts.passing``; ``SearchConfig.pass_guard``, on by default): at the root, pass is
not a candidate only where it would lose at once: the opponent has just passed, the
Tromp-Taylor count says the player to move loses, and another legal move exists. That player
keeps playing (capturing the dead stones the count still credits to the opponent); anywhere
else either side may pass, so decided games end instead of running to the move cap. Inside
the tree both players may pass freely; two passes or the move limit (``Position.max_moves``)
end the game there, and a position reached by one pass is worth at least the count of
passing back to its player to move (``SearchConfig.pass_floor``, on by default). Opening
temperature never samples a pass the search did not prefer (``BatchedSearch.choose_move``).

Typical loop over G games: ``search = BatchedSearch(evaluator, SearchConfig(...), G, seed)``;
``search.set_root(g, position)``; then per move ``search.run()`` (all games, one evaluator
call per step), ``search.policy_target(g)``, ``search.should_resign(g)``,
``move = search.choose_move(g)``, ``search.advance(g, move)``. A ``BatchedSearch`` is not
thread-safe.

The network is seen only through the ``Evaluator`` protocol; this package imports neither
tensorflow nor ray.
"""

from mcts.config import SearchConfig
from mcts.evaluator import Evaluator, UniformEvaluator
from mcts.known_evaluators import (
    AreaEvaluator,
    ColourEvaluator,
    FixedPriorEvaluator,
    RandomValueEvaluator,
)
from mcts.passing import RESIGN, forced_pass, pass_refused
from mcts.resignation import calibrate_resign_threshold, resign_false_positive_rate
from mcts.search import BatchedSearch, RootStats

__all__ = [
    "RESIGN", "AreaEvaluator", "BatchedSearch", "ColourEvaluator", "Evaluator",
    "FixedPriorEvaluator", "RandomValueEvaluator", "RootStats", "SearchConfig",
    "UniformEvaluator",
    "calibrate_resign_threshold", "forced_pass", "pass_refused", "resign_false_positive_rate",
]
