"""The web page's opponent: the run's best network, searched in the web server's own
process (never the training's), loaded on first use and reloaded when the best changes.

Requests are stateless: each one carries the whole game as a list of moves from the empty
board, which is replayed (and checked) by the rules in ``go``. Values are from the point of
view of the player to move; a winrate is ``(value + 1) / 2``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from go import Position
from go.coords import to_gtp
from go.errors import ZerogoError
from mcts import RESIGN
from rundir.run_dir import RunDir
from web.run_reader import board_string

MAX_PLAYOUTS = 5000


class PlayRequestError(ZerogoError, ValueError):
    """A request the opponent refuses (bad playouts, an illegal move, a finished game);
    the message says what is wrong."""


def check_playouts(playouts: Any) -> int:
    """``playouts`` as an int in ``1..MAX_PLAYOUTS``, else ``PlayRequestError``."""
    if isinstance(playouts, bool) or not isinstance(playouts, int) \
            or not 1 <= playouts <= MAX_PLAYOUTS:
        raise PlayRequestError(f"playouts must be an integer between 1 and {MAX_PLAYOUTS}, "
                               f"got {playouts!r}")
    return playouts


class NetworkPlayer:
    """Plays and analyses positions of a game on ``run_dir``'s board with its best network.

    Args:
        run_dir: the run (its ``checkpoints/best`` and ``config.toml`` are read).
        threads: CPU threads of the network's ops in this process; ``None`` leaves the
            backend as it is (a process that set it up already). With a number, the
            process is also kept off the GPUs (they stay with the training).
        seed: seeds the search's move choice among equal candidates.
    """

    def __init__(self, run_dir: RunDir, threads: int | None = 1, seed: int | None = 0) -> None:
        self.run_dir = run_dir
        self.threads = threads
        self.seed = seed
        self._lock = threading.Lock()  # one search at a time
        self._loaded: str | None = None
        self._search: Any = None
        self._evaluator: Any = None
        self._raw: Any = None

    def _ensure_loaded(self) -> str:
        """Load (or reload) the best checkpoint; returns its file name."""
        name = self.run_dir.read_best()
        if name == self._loaded:
            return name
        from gtp.network_source import load_network
        from gtp.search_player import EngineSearch, PlayerConfig
        from network import NetworkEvaluator, backend

        if self._loaded is None and self.threads is not None:
            backend.hide_gpus()  # the GPUs stay with the training
            backend.configure(threads=self.threads)
        model, config, _, _ = load_network(self.run_dir.checkpoint_path(name))
        self._evaluator = NetworkEvaluator(model, config, seed=self.seed, random_symmetry=True)
        self._raw = NetworkEvaluator(model, config, random_symmetry=False)
        self._search = EngineSearch(self._evaluator, PlayerConfig(), seed=self.seed)
        self._loaded = name
        return name

    def _position(self, moves: Any) -> Position:
        from rundir.stored_config import read_stored_config

        if not isinstance(moves, list) or not all(
                isinstance(m, int) and not isinstance(m, bool) for m in moves):
            raise PlayRequestError(f"moves must be a list of move indices, got {moves!r}")
        rules = read_stored_config(self.run_dir).rules
        position = Position.new(rules.size, rules.komi, max_moves=rules.max_moves)
        for i, move in enumerate(moves):
            try:
                position = position.play(move)
            except ZerogoError as exc:
                raise PlayRequestError(f"move {i + 1}: {exc}") from None
        return position

    def reply(self, moves: Any, playouts: Any) -> dict[str, Any]:
        """The network's move after ``moves``, searched with ``playouts`` simulations.

        Returns ``{network, move, gtp, moves, board, to_play, value, visits, over,
        result}``: ``move`` is a flat index (pass = N*N) or ``None`` when the network
        resigns (``gtp`` is then ``"resign"``); ``value`` is the search's value for the
        network (the player to move before its move); ``moves``/``board`` the game after
        it. ``PlayRequestError`` for an illegal move, bad playouts or a finished game.
        """
        playouts = check_playouts(playouts)
        position = self._position(moves)
        if position.is_over():
            raise PlayRequestError(f"the game is over ({position.result_string()}): "
                                   f"no move to play")
        with self._lock:
            name = self._ensure_loaded()
            search = self._search
            search.reset()
            for _ in search.think(position, None, playouts):
                pass
            stats = search.search.root_stats(0)
            move = search.choose(position)
        size = position.size
        if move == RESIGN:
            return {"network": name, "move": None, "gtp": "resign", "moves": list(moves),
                    "board": board_string(position), "to_play": position.to_play,
                    "value": stats.value, "visits": stats.total_visits, "over": True,
                    "result": f"{'W' if position.to_play > 0 else 'B'}+R"}
        after = position.play(int(move))
        return {"network": name, "move": int(move), "gtp": to_gtp(int(move), size),
                "moves": [*moves, int(move)], "board": board_string(after),
                "to_play": after.to_play, "value": stats.value,
                "visits": stats.total_visits, "over": after.is_over(),
                "result": after.result_string() if after.is_over() else None}

    def analyze(self, moves: Any) -> dict[str, Any]:
        """The raw network's view of the position after ``moves`` (no search):
        ``{network, policy: float[N*N+1] (pass last, zero on illegal moves), value (for the
        player to move), to_play, board}``."""
        position = self._position(moves)
        with self._lock:
            name = self._ensure_loaded()
            evaluator = self._raw
            boards = position.recent_boards(evaluator.history_length)[None]
            legal = position.legal_moves()
            if not legal.any():
                raise PlayRequestError("the game is over: no move to analyse")
            priors, values = evaluator.evaluate(
                boards, np.array([position.to_play], np.int8), legal[None])
        return {"network": name, "policy": [round(float(p), 5) for p in priors[0]],
                "value": float(values[0]), "to_play": position.to_play,
                "board": board_string(position)}
