"""What the web page shows of a run, read from its run directory (never written).

Everything returned is plain JSON-able data. Boards are strings of ``N*N`` characters,
row 0 (the top row) first: ``X`` black, ``O`` white, ``.`` empty. Moves are flat indices
(``row * N + column``, pass = ``N*N``). Times are Unix times in seconds.

Sources: ``state.json`` (counters, gates, the best network's Elo), ``config.toml`` (board
and komi), ``logs/`` (the learner's losses, from the TensorBoard event files the driver
writes), ``games/`` (every finished game: the keys ``moves``, ``board_size``, ``komi``,
``winner``, ``score`` and ``resigned`` of the ``.npz`` game files that
``selfplay.game_record`` writes), ``live.json`` (one game in progress, written by
``selfplay.live_game``).
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

import numpy as np

from go import Position
from go.errors import ZerogoError
from rundir.run_dir import RunDir, RunDirError
from rundir.stored_config import read_stored_config
from web.tensorboard_events import ScalarReader

LOSS_TAGS = ("loss/total", "loss/policy", "loss/value_mse", "loss/heldout_policy",
             "loss/heldout_value_mse")
MAX_POINTS = 400  # per plotted series: longer series are thinned evenly
_STONES = {1: "X", -1: "O", 0: "."}


class RunReaderError(ZerogoError, ValueError):
    """A request for something the run does not hold (a game id out of range)."""


def board_string(position: Position) -> str:
    """``position``'s board as ``N*N`` characters (see the module docstring)."""
    return "".join(_STONES[int(v)] for v in position.flat_board)


def replay(size: int, komi: float, moves: list[int]) -> list[Position]:
    """The positions of a game: the empty board, then one per move (``IllegalMove``
    naming the move when one is refused)."""
    positions = [Position.new(size, komi)]
    for move in moves:
        positions.append(positions[-1].play(int(move)))
    return positions


def _thin(points: list[Any]) -> list[Any]:
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / MAX_POINTS
    kept = [points[int(i * step)] for i in range(MAX_POINTS - 1)]
    return [*kept, points[-1]]


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


class RunReader:
    """Reads one run directory for the page (thread-safe; see the module docstring)."""

    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir
        self._scalars = ScalarReader(run_dir.logs_dir)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the run
    def rules(self) -> tuple[int, float]:
        """(board size, komi) from ``config.toml``; ``RunDirError`` when it is missing."""
        config = read_stored_config(self.run_dir)
        return config.rules.size, config.rules.komi

    def summary(self) -> dict[str, Any]:
        """The run's name, rules, counters, best network, gate history and Elo series.

        ``elo``: ``[{time, elo}]``, the best network's Elo (relative to the initial
        network) after each gate as the sum of the promoted gates' estimates (selection
        biases that sum upward: the arena's ladder rates a run without that bias),
        starting at 0 when the run started; ``gates``: one entry
        per gate match, oldest first, with the candidate's Elo relative to the best of
        that time (``elo``) and on the run's scale (``elo_scale``).
        """
        out: dict[str, Any] = {"run_dir": str(self.run_dir.root), "ready": False}
        try:
            config = read_stored_config(self.run_dir)
            out.update(name=config.name, board_size=config.rules.size,
                       komi=config.rules.komi, network=config.network.name)
        except RunDirError as exc:
            out["waiting"] = str(exc)
            return out
        try:
            state = self.run_dir.read_state()
        except RunDirError as exc:
            out["waiting"] = str(exc)
            return out
        out.update(ready=True, games=state.games, positions=state.positions,
                   learner_steps=state.learner_steps, generation=state.generation,
                   best=state.best, best_version=state.best_version,
                   gate_elo_sum=_finite(state.gate_elo_sum), elapsed_seconds=state.elapsed_seconds,
                   started=state.sessions[0].started if state.sessions else None,
                   running=bool(state.sessions) and state.sessions[-1].stopped is None)
        elo, elo_sum, gates = [], 0.0, []
        if state.sessions:
            elo.append({"time": state.sessions[0].started, "elo": 0.0})
        for gate in state.gates:
            scale = _finite(elo_sum + gate.elo) if gate.elo is not None else None
            gates.append({"generation": gate.generation, "candidate": gate.candidate,
                          "best": gate.best, "promoted": gate.promoted, "time": gate.time,
                          "games": gate.games, "wins": gate.wins, "losses": gate.losses,
                          "draws": gate.draws, "win_rate": _finite(gate.win_rate),
                          "elo": _finite(gate.elo), "elo_low": _finite(gate.elo_low),
                          "elo_high": _finite(gate.elo_high), "elo_scale": scale})
            if gate.promoted:
                elo_sum += float(gate.elo or 0.0) if math.isfinite(gate.elo or 0.0) else 0.0
                if gate.time is not None:
                    elo.append({"time": gate.time, "elo": elo_sum})
        out["elo"] = elo
        out["gates"] = gates
        return out

    def losses(self) -> dict[str, list[list[float]]]:
        """The learner's losses: ``{tag: [[wall_time_s, step, value], ...]}`` for the tags
        of ``LOSS_TAGS`` the logs hold (at most ``MAX_POINTS`` points each)."""
        with self._lock:
            series = self._scalars.read()
            return {tag: _thin([list(p) for p in series[tag]])
                    for tag in LOSS_TAGS if tag in series}

    # ------------------------------------------------------------------ games
    def _game_count(self) -> int:
        try:
            known = self.run_dir.read_state().games
        except RunDirError:
            known = 0
        return self.run_dir.count_games(known)

    def latest_games(self, limit: int = 12) -> list[dict[str, Any]]:
        """The newest ``limit`` finished games, newest first: ``{id, moves, result}``."""
        count = self._game_count()
        out = []
        for game_id in range(count - 1, max(count - 1 - limit, -1), -1):
            try:
                game = self._load(game_id)
            except RunReaderError:
                continue
            out.append({"id": game_id, "moves": len(game["moves"]),
                        "result": game["result"]})
        return out

    def _load(self, game_id: int) -> dict[str, Any]:
        path = self.run_dir.game_path(game_id)
        try:
            with np.load(path, allow_pickle=False) as data:
                moves = [int(m) for m in data["moves"]]
                size, komi = int(data["board_size"]), float(data["komi"])
                winner, score = int(data["winner"]), float(data["score"])
                resigned = int(data["resigned"])
        except (OSError, KeyError, ValueError) as exc:
            raise RunReaderError(f"game {game_id}: {path} cannot be read ({exc})") from None
        if winner == 0:
            result = "0"
        elif resigned or not math.isfinite(score):
            result = f"{'B' if winner > 0 else 'W'}+R"
        else:
            result = f"{'B' if winner > 0 else 'W'}+{abs(score):g}"
        return {"id": game_id, "board_size": size, "komi": komi, "moves": moves,
                "result": result}

    def game(self, game_id: int) -> dict[str, Any]:
        """Finished game ``game_id`` with the board after every move (``boards[0]``: the
        empty board); ``RunReaderError`` when the run holds no such game."""
        count = self._game_count()
        if not 0 <= game_id < count:
            raise RunReaderError(f"no game {game_id}: the run holds games 0..{count - 1}"
                                 if count else f"no game {game_id}: the run holds none yet")
        game = self._load(game_id)
        positions = replay(game["board_size"], game["komi"], game["moves"])
        return {**game, "boards": [board_string(p) for p in positions]}

    def live(self) -> dict[str, Any] | None:
        """The self-play game in progress (``live.json``) with its board and the seconds
        since it was written (``age``); ``None`` when no worker writes one here."""
        try:
            data = json.loads(self.run_dir.live_game_path.read_text(encoding="utf-8"))
            size, komi = int(data["board_size"]), float(data["komi"])
            moves = [int(m) for m in data["moves"]]
            positions = replay(size, komi, moves)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        last = positions[-1]
        return {"board_size": size, "komi": komi, "moves": moves,
                "board": board_string(last), "to_play": last.to_play,
                "game": data.get("game", 0), "worker": data.get("worker", 0),
                "age": max(0.0, time.time() - float(data.get("updated", 0.0)))}
