"""One self-play game in progress, shown to the web page: a small JSON file that a worker
rewrites atomically after every move of its first game.

The file (``RunDir.live_game_path``, ``<run>/live.json``) holds::

    {"board_size": N, "komi": 7.5, "worker": 0, "game": k, "moves": [flat indices],
     "updated": unix_time_s}

``game`` counts the games this writer has shown (a new game starts when the move list
shrinks). Only a worker on a machine that holds the run directory writes it: when the
folder is not there (a worker on another machine of a cluster) the writer does nothing.
A write that fails (a full disk) turns the writer off, never the worker.

The file is replaced atomically (a reader sees the old or the new game, never half of
one) but not flushed to disk: it only feeds a view, and a flush would cost the worker
milliseconds per move.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


class LiveGameWriter:
    """Callable with a game's moves so far (``SelfPlayGames.on_step``); see the module
    docstring. ``min_seconds``: the least time between two writes (moves in between are
    shown with the next one)."""

    def __init__(self, path: str | os.PathLike, board_size: int, komi: float, worker: int,
                 min_seconds: float = 0.5) -> None:
        self.path = Path(path)
        self.enabled = self.path.parent.is_dir()
        self.board_size, self.komi, self.worker = int(board_size), float(komi), int(worker)
        self.min_seconds = float(min_seconds)
        self.game = 0
        self._last_length = 0
        self._last_write = 0.0

    def __call__(self, moves: list[int]) -> None:
        if not self.enabled:
            return
        if len(moves) < self._last_length:
            self.game += 1
        self._last_length = len(moves)
        now = time.time()
        if now - self._last_write < self.min_seconds and moves:
            return
        self._last_write = now
        text = json.dumps({"board_size": self.board_size, "komi": self.komi,
                           "worker": self.worker, "game": self.game,
                           "moves": [int(m) for m in moves], "updated": now})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.enabled = False
            print(f"live game: cannot write {self.path} ({exc}); not shown any more",
                  file=sys.stderr)
