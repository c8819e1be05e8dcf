"""In-process players: uniform random, the policy network alone, the network with search.

Every player plays many games at once (``arena.match_loop.Player``): the match loop gives
each player ``slots`` games, asks it per turn for the moves of all the games where it is to
move in ONE call (``moves``), so the network players evaluate all those positions (or all
their search leaves) in one batch, and tells both players every move played (``observe``).

The network players pass by the project's one rule (``mcts.forced_pass``, ``mcts.passing``):

* pass when no point is legal, or when the opponent just passed and the area score
  (komi included) already wins for the player to move (passing ends the game);
* the search player may pass anywhere else, except where passing loses at once (the
  opponent just passed and the count loses; ``mcts.pass_refused``, the search's pass
  guard): its tree sees that the opponent may answer a pass with a pass;
* the policy player sees no reply, so it applies the rule for such a player
  (``pass_refused(position, sees_reply=False)``): no pass while the count loses and a point
  is legal; a pass the count allows stays a candidate like any other move.

``PolicyPlayer``: the legal move with the highest prior after one network evaluation (no
search); equal to ``python -m gtp --playouts 1 --resign-threshold -1``.

``BatchedSearchPlayer``: one ``mcts.BatchedSearch`` over all its games, a number of new
simulations per move (the tree follows the game), resignation when the search's value
for the player to move is below the threshold from ``resign_after_move`` on. The gate
builds it from the run's gate search; ``BatchedSearchPlayer.engine_like`` builds the
ladder's, with the GTP engine's search settings (``gtp.search_player.PlayerConfig``: no
noise, the most-visited move), so that a checkpoint rated in-process is the same player
as that checkpoint served over GTP. (The engine's own single-game search, with its time
budget and analysis, is ``gtp.search_player.EngineSearch``.)

``RandomPlayer`` plays a uniformly random legal point (with ``passes``, pass is one more
legal move to draw).

Values are from the point of view of the player to move.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from go import Position
from mcts import RESIGN, BatchedSearch, Evaluator, SearchConfig, forced_pass, pass_refused


def split_forced_passes(positions: Sequence[Position]) -> tuple[list[int], list[int]]:
    """``(moves, ask)``: pass where ``forced_pass`` holds, ``RESIGN`` elsewhere as a
    placeholder, and the indices of the positions whose move the player must choose."""
    out = [RESIGN] * len(positions)
    ask = []
    for i, position in enumerate(positions):
        if forced_pass(position):
            out[i] = position.pass_move
        else:
            ask.append(i)
    return out, ask


def guarded_legal(position: Position) -> np.ndarray:
    """``bool[N*N+1]`` the legal moves of a player that looks at no reply (the policy
    player): pass removed while the player to move is behind on the area score and has a
    legal point (``mcts.pass_refused(position, sees_reply=False)``)."""
    legal = position.legal_moves().copy()
    if pass_refused(position, sees_reply=False):
        legal[position.pass_move] = False
    return legal


class RandomPlayer:
    """A uniformly random legal point (the ladder's Elo anchor, rated 0); with ``passes``
    pass is one more legal move to draw, otherwise it passes only when no point is legal."""

    def __init__(self, seed: int | None = None, name: str = "random",
                 passes: bool = False) -> None:
        self.name = name
        self.passes = bool(passes)
        self._rng = np.random.default_rng(seed)

    def reset(self, slots: int) -> None:
        pass

    def start(self, slot: int, position: Position) -> None:
        pass

    def moves(self, slots: Sequence[int], positions: Sequence[Position]) -> list[int]:
        out = []
        for position in positions:
            legal = position.legal_moves()
            moves = np.flatnonzero(legal if self.passes else legal[: position.pass_move])
            out.append(int(self._rng.choice(moves)) if len(moves) else position.pass_move)
        return out

    def observe(self, slot: int, move: int) -> None:
        pass


class PolicyPlayer:
    """The network alone: one evaluation per move, the highest-prior legal move.

    Args:
        evaluator: the network (``network.NetworkEvaluator``; its random symmetries, if
            on, are the only source of variety between games).
        name: how the ladder calls this player.
    """

    def __init__(self, evaluator: Evaluator, name: str) -> None:
        self.name = name
        self.evaluator = evaluator
        self.evaluations = 0

    def reset(self, slots: int) -> None:
        pass

    def start(self, slot: int, position: Position) -> None:
        pass

    def moves(self, slots: Sequence[int], positions: Sequence[Position]) -> list[int]:
        out, ask = split_forced_passes(positions)
        if ask:
            h = int(self.evaluator.history_length)
            boards = np.stack([positions[i].recent_boards(h) for i in ask]).astype(np.int8)
            to_play = np.array([positions[i].to_play for i in ask], np.int8)
            legal = np.stack([guarded_legal(positions[i]) for i in ask])
            priors, _ = self.evaluator.evaluate(boards, to_play, legal)
            self.evaluations += len(ask)
            for row, i in enumerate(ask):
                p = np.where(legal[row], priors[row], -1.0)
                out[i] = int(np.argmax(p))
        return out

    def observe(self, slot: int, move: int) -> None:
        pass


class BatchedSearchPlayer:
    """The network with PUCT search, all its games in one ``mcts.BatchedSearch``.

    Args:
        evaluator: the network (or any ``mcts.Evaluator``).
        name: how matches call this player.
        search: the search settings (noise, temperature schedule, resignation threshold).
        simulations: new simulations per move (the previous move's tree is reused);
            ``None``: ``search.num_simulations``.
        temperature: passed to ``choose_move``; ``None``: the search's schedule, 0: the
            most-visited move.
        resign_after_move: no resignation before this move number.
        seed: seeds the search.
    """

    def __init__(self, evaluator: Evaluator, name: str, search: SearchConfig,
                 simulations: int | None = None, temperature: float | None = None,
                 resign_after_move: int = 0, seed: int | None = None) -> None:
        if simulations is not None and simulations < 1:
            raise ValueError(f"playouts must be at least 1, got {simulations}")
        self.name = name
        self.evaluator = evaluator
        self.search_config = search
        self.simulations = search.num_simulations if simulations is None else int(simulations)
        self.temperature = temperature
        self.resign_after_move = int(resign_after_move)
        self._seed = seed
        self.search: BatchedSearch | None = None

    @classmethod
    def engine_like(cls, evaluator: Evaluator, name: str, playouts: int,
                    leaves_per_tree: int = 8, resign_threshold: float | None = -0.9,
                    resign_after_move: int = 10, seed: int | None = None
                    ) -> BatchedSearchPlayer:
        """The player the GTP engine is with ``--playouts playouts``: the engine's search
        settings, the most-visited move, resignation below ``resign_threshold`` (``None``:
        never) from move ``resign_after_move`` on."""
        from gtp.search_player import PlayerConfig

        if playouts < 1:
            raise ValueError(f"playouts must be at least 1, got {playouts}")
        config = PlayerConfig(playouts=playouts, leaves_per_tree=leaves_per_tree,
                              resign_threshold=resign_threshold,
                              resign_after_move=resign_after_move)
        return cls(evaluator, name, config.search_config(), simulations=playouts,
                   temperature=0.0, resign_after_move=resign_after_move, seed=seed)

    @property
    def playouts(self) -> int:
        return self.simulations

    def reset(self, slots: int) -> None:
        self.search = BatchedSearch(self.evaluator, self.search_config, slots, seed=self._seed)

    def start(self, slot: int, position: Position) -> None:
        self._tree().set_root(slot, position)

    def moves(self, slots: Sequence[int], positions: Sequence[Position]) -> list[int]:
        search = self._tree()
        out, ask = split_forced_passes(positions)
        if ask:
            games = [int(slots[i]) for i in ask]
            search.run(simulations=self.simulations, games=games)
            for i, g in zip(ask, games, strict=True):
                if (positions[i].move_number >= self.resign_after_move
                        and search.should_resign(g)):
                    out[i] = RESIGN
                else:
                    out[i] = search.choose_move(g, temperature=self.temperature)
        return out

    def observe(self, slot: int, move: int) -> None:
        self._tree().advance(slot, move)

    def _tree(self) -> BatchedSearch:
        if self.search is None:
            raise RuntimeError(f"{self.name}: reset(slots) must be called before playing")
        return self.search
