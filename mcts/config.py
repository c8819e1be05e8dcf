"""``SearchConfig``: every knob of the batched PUCT search, as one frozen dataclass."""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_SIMULATIONS = 1_000_000
"""Most simulations per move (AlphaGo Zero: 1,600); each needs a tree node per game."""
MAX_LEAVES_PER_TREE = 1024
"""Most leaves one tree selects per step (virtual loss keeps them apart)."""
MAX_TEMPERATURE_MOVES = 100_000
"""Most moves played in proportion to the visit counts."""
MAX_NODES_PER_GAME = 10_000_000
"""Largest node pool reserved per game up front (the pool also grows when full)."""


@dataclass(frozen=True)
class SearchConfig:
    """How the search explores, picks moves, passes and resigns.

    Values (``resign_threshold``, Q, the FPU) are always from the point of view of the
    player to move at the node they belong to, in [-1, 1].

    Attributes:
        num_simulations: simulations ``BatchedSearch.run()`` adds per call by default.
        c_puct_init, c_puct_base: the AlphaZero exploration constant that grows with the
            parent's visit count ``N``: ``c(N) = c_puct_init + log((1 + N + c_puct_base) /
            c_puct_base)``. PUCT score of a move: ``Q + c(N) * P * sqrt(N) / (1 + n)``.
        fpu_reduction: first-play urgency; an unvisited move's Q is the parent's mean value
            (virtual losses included) minus this. 0 treats unvisited moves as the parent.
        fpu_reduction_root: the same at the root; ``None`` means 0 when ``add_noise`` (the
            root of a self-play search explores more widely, as in Leela Zero) and
            ``fpu_reduction`` otherwise.
        dirichlet_alpha: Dirichlet noise parameter at the root; ``None`` means
            ``0.03 * 361 / N**2`` (AlphaGo Zero's 0.03 on 19x19, 0.134 on 9x9).
        dirichlet_weight: share of noise mixed into the root priors, ``(1-w) P + w eta``.
        add_noise: mix Dirichlet noise into each root's priors (self-play only), once per
            root, over the legal moves only.
        temperature_moves: ``choose_move(temperature=None)`` samples in proportion to the
            visit counts (temperature 1) while the game's move number is below this, then
            plays the most-visited move. ``None`` means ``(N*N // 12) // 2 * 2`` (the same
            even count for both colours: 30 on 19x19, 6 on 9x9, 2 on 5x5).
        leaves_per_tree: leaves selected per tree per step, kept apart by virtual loss; all
            leaves of all trees go to the evaluator in one call.
        virtual_loss: the value counted as a loss, per pending visit, for the player who
            chose each edge on the path of a leaf awaiting evaluation.
        pass_guard: at the root, pass is removed from the legal moves only where passing
            would lose at once (``mcts.passing.pass_refused``): the opponent has just passed,
            the Tromp-Taylor score (komi included) says the player to move is losing, and
            another legal move exists. A won game is never thrown away by answering a pass
            with a pass, and the winner captures dead stones when the count needs it;
            elsewhere either side may pass.
        pass_floor: inside the tree, a position reached by a pass is worth at least, to
            the player to move there, the result of passing back (two passes end the game
            on the Tromp-Taylor count, komi included), whatever the evaluator says: the
            exact value of an option that player has. Without it a short search can take
            a pass that loses the game on the spot (passing on the empty board with komi
            against black, or answering one stone with a pass as white), because the
            network sees the board, not that the next pass ends the game. ``False``
            trusts the evaluator there (as before the floor existed).
        resign_threshold: resign when both the root value and the most-visited move's value
            are below this; ``None`` never resigns.
        resign_disabled_fraction: share of games (drawn per ``set_root``) that never resign,
            but still report ``would_resign`` so the threshold can be calibrated.
        resign_false_positive_target: the false-positive rate the calibration aims at
            (see ``mcts.resignation.calibrate_resign_threshold``).
        initial_nodes_per_game: node pool size reserved per game; ``None`` means
            ``num_simulations + 2``. The pool grows when it is full.
        full_search_fraction: playout cap randomization (KataGo, Wu 2019): the share of
            roots (drawn per root, when it is installed) searched with ``num_simulations``
            and recorded as policy targets; the others are fast searches of
            ``fast_simulations``, without noise or forced playouts, whose visits train
            nothing but which still give their position a value target. 1 (the default)
            searches every move in full and draws nothing (AlphaGo Zero).
        fast_simulations: simulations ``run()`` adds to a fast search's tree, at most
            ``num_simulations``; ``None`` means ``max(1, num_simulations // 4)``.
        forced_playout_k: forced playouts with policy target pruning (KataGo): at a full
            search's root each move already visited, with prior ``P`` (noise included),
            is chosen while its visits are below ``sqrt(k * P * total child visits)``
            (a move the noise made the search try gets enough visits to be judged), and
            ``policy_target`` / ``choose_move`` prune those forced visits again (see
            ``mcts.search.pruned_visits``). 0 (the default) turns both off (AlphaGo Zero);
            KataGo uses 2.
    """

    num_simulations: int = 800
    c_puct_init: float = 1.25
    c_puct_base: float = 19652.0
    fpu_reduction: float = 0.25
    fpu_reduction_root: float | None = None
    dirichlet_alpha: float | None = None
    dirichlet_weight: float = 0.25
    add_noise: bool = False
    temperature_moves: int | None = None
    leaves_per_tree: int = 1
    virtual_loss: float = 1.0
    pass_guard: bool = True
    pass_floor: bool = True
    resign_threshold: float | None = None
    resign_disabled_fraction: float = 0.1
    resign_false_positive_target: float = 0.05
    initial_nodes_per_game: int | None = None
    full_search_fraction: float = 1.0
    fast_simulations: int | None = None
    forced_playout_k: float = 0.0

    def __post_init__(self) -> None:
        _check_int("num_simulations", self.num_simulations, 1, MAX_SIMULATIONS)
        _check_int("leaves_per_tree", self.leaves_per_tree, 1, MAX_LEAVES_PER_TREE)
        if self.temperature_moves is not None:
            _check_int("temperature_moves", self.temperature_moves, 0, MAX_TEMPERATURE_MOVES)
        if self.initial_nodes_per_game is not None:
            _check_int("initial_nodes_per_game", self.initial_nodes_per_game, 1,
                       MAX_NODES_PER_GAME)
        _check_range("c_puct_init", self.c_puct_init, 0.0, 100.0, low_open=True)
        _check_range("c_puct_base", self.c_puct_base, 0.0, 1e9, low_open=True)
        _check_range("fpu_reduction", self.fpu_reduction, -2.0, 2.0)
        if self.fpu_reduction_root is not None:
            _check_range("fpu_reduction_root", self.fpu_reduction_root, -2.0, 2.0)
        if self.dirichlet_alpha is not None:
            _check_range("dirichlet_alpha", self.dirichlet_alpha, 0.0, 100.0, low_open=True)
        _check_range("dirichlet_weight", self.dirichlet_weight, 0.0, 1.0)
        _check_range("virtual_loss", self.virtual_loss, 0.0, 1.0)
        if self.resign_threshold is not None:
            _check_range("resign_threshold", self.resign_threshold, -1.0, 1.0)
        _check_range("resign_disabled_fraction", self.resign_disabled_fraction, 0.0, 1.0)
        _check_range("resign_false_positive_target", self.resign_false_positive_target,
                     0.0, 1.0, low_open=True)
        _check_range("full_search_fraction", self.full_search_fraction, 0.0, 1.0,
                     low_open=True)
        if self.fast_simulations is not None:
            _check_int("fast_simulations", self.fast_simulations, 1, MAX_SIMULATIONS)
        _check_range("forced_playout_k", self.forced_playout_k, 0.0, 100.0)
        if not isinstance(self.add_noise, bool):
            raise ValueError(f"add_noise must be a bool, got {self.add_noise!r}")
        if not isinstance(self.pass_guard, bool):
            raise ValueError(f"pass_guard must be a bool, got {self.pass_guard!r}")
        if not isinstance(self.pass_floor, bool):
            raise ValueError(f"pass_floor must be a bool, got {self.pass_floor!r}")

    def noise_alpha(self, board_size: int) -> float:
        """The Dirichlet alpha used on a ``board_size`` board."""
        if self.dirichlet_alpha is not None:
            return float(self.dirichlet_alpha)
        return 0.03 * 361 / (board_size * board_size)

    def root_fpu_reduction(self) -> float:
        """The first-play-urgency reduction used at the root."""
        if self.fpu_reduction_root is not None:
            return float(self.fpu_reduction_root)
        return 0.0 if self.add_noise else float(self.fpu_reduction)

    def temperature_move_count(self, board_size: int) -> int:
        """Moves (from the start of the game) played with temperature 1."""
        if self.temperature_moves is not None:
            return int(self.temperature_moves)
        return (board_size * board_size // 12) // 2 * 2

    def fast_simulation_count(self) -> int:
        """Simulations of a fast (not recorded) search under playout cap randomization."""
        if self.fast_simulations is not None:
            return min(int(self.fast_simulations), self.num_simulations)
        return max(1, self.num_simulations // 4)

    def mean_simulations(self) -> float:
        """Simulations a move costs on average: ``f * num_simulations + (1 - f) *
        fast_simulation_count()`` under playout cap randomization (``f`` =
        ``full_search_fraction``; cpu9: 0.25 * 100 + 0.75 * 25 = 43.75), else
        ``num_simulations``. A reused subtree's visits make the real count lower."""
        f = self.full_search_fraction
        return f * self.num_simulations + (1.0 - f) * self.fast_simulation_count()

    def nodes_per_game(self) -> int:
        """Initial node pool size per game."""
        if self.initial_nodes_per_game is not None:
            return int(self.initial_nodes_per_game)
        return self.num_simulations + 2


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {value!r}")


def _check_range(
    name: str, value: object, low: float, high: float, low_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    ok = (v > low if low_open else v >= low) and v <= high and math.isfinite(v)
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
