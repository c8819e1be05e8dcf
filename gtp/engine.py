"""The GTP engine: a network and a search behind the protocol.

``GtpEngine(evaluator, config)`` holds the game (``GameState``), the clocks, one search
tree (``EngineSearch``) and the command table: the board and time commands, plus

* ``genmove`` / ``reg_genmove``: search within the playout and time budget, then the
  move, ``pass`` or ``resign`` (``reg_genmove`` leaves the board alone);
* ``lz-analyze`` / ``kata-analyze``: search the position and print Leela Zero / KataGo
  ``info`` lines every ``interval`` centiseconds until the next command arrives;
* ``lz-genmove_analyze`` / ``kata-genmove_analyze``: a ``genmove`` that prints those lines
  while it thinks and ends with ``play <vertex>``;
* ``final_score`` / ``final_status_list``: dead stones from the network's ownership
  prediction when it has auxiliary heads (``gtp.ownership``); ``kata-analyze`` then also
  reports each move's ``scoreLead`` and, when asked, the root's ``ownership``;
* ``gogui-analyze_commands`` and the commands it lists: the network's policy
  (``zerogo-policy``, a GoGui number board), its value (``zerogo-value``) and the
  search's visits and principal variation (``zerogo-visits``, GoGui graphics).

Values are from the point of view of the player to move; winrates are shown for the side
to move.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TextIO

import numpy as np

from go import Position, coords
from gtp.analysis import AnalyzeRequest, kata_line, lz_line, move_infos, parse_analyze
from gtp.board_commands import BoardCommands
from gtp.clock_commands import Clocks
from gtp.game_state import GameState, Setup, colour_name, parse_colour
from gtp.protocol import Arg, CommandSpec, Dispatcher, GtpError, Stream, parse_string
from gtp.search_player import RESIGN, EngineSearch, PlayerConfig
from mcts import Evaluator

PROGRAM = "zerogo"
VERSION = "0.1.0"
OWNERSHIP_SAMPLES = 8  # evaluations (random symmetries) averaged for the final judgement
IDLE_SLEEP = 0.05  # seconds between looks at stdin once an analysis has nothing to add

GOGUI_ANALYZE_COMMANDS = (
    "dboard/Network Policy/zerogo-policy",
    "string/Network Value/zerogo-value",
    "gfx/Search Visits/zerogo-visits",
    "string/Final Score/final_score",
    "plist/Alive Stones/final_status_list alive",
    "string/Board/showboard",
)


class GtpEngine:
    """A GTP engine over ``evaluator`` (anything implementing ``mcts.Evaluator``; the
    program uses ``network.NetworkEvaluator``)."""

    def __init__(
        self,
        evaluator: Evaluator,
        config: PlayerConfig | None = None,
        seed: int | None = None,
        name: str = PROGRAM,
        version: str = VERSION,
        komi: float = 7.5,
        log: TextIO | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.config = config or PlayerConfig()
        self.board_size = int(evaluator.board_size)
        self.state = GameState(Setup(self.board_size, komi))
        self.clocks = Clocks()
        self.player = EngineSearch(evaluator, self.config, seed)
        self.dispatcher = Dispatcher(name, version, log)
        board = BoardCommands(self.state, accept_size=lambda n: n == self.board_size,
                              log=log, program=f"{name} {version}",
                              ownership=self.final_ownership)
        self.dispatcher.add_all(board.specs())
        self.dispatcher.add_all(self.clocks.specs())
        self.dispatcher.add_all(self.specs())

    def specs(self) -> list[CommandSpec]:
        """The search commands."""
        colour = Arg("colour", parse_colour)
        options = Arg("option", parse_string)
        return [
            CommandSpec("genmove", lambda c: self.genmove(c, commit=True), (colour,)),
            CommandSpec("reg_genmove", lambda c: self.genmove(c, commit=False), (colour,)),
            CommandSpec("lz-analyze", lambda t: self.analyze("lz", t), (), options),
            CommandSpec("kata-analyze", lambda t: self.analyze("kata", t), (), options),
            CommandSpec("lz-genmove_analyze", lambda t: self.genmove_analyze("lz", t), (),
                        options, 1),
            CommandSpec("kata-genmove_analyze", lambda t: self.genmove_analyze("kata", t),
                        (), options, 1),
            CommandSpec("gogui-analyze_commands", lambda: "\n".join(GOGUI_ANALYZE_COMMANDS)),
            CommandSpec("zerogo-policy", self.policy_board),
            CommandSpec("zerogo-value", self.value_text),
            CommandSpec("zerogo-visits", self.visits_gfx),
        ]

    def serve(self, infile: TextIO, outfile: TextIO) -> None:
        """Answer GTP on ``infile``/``outfile`` until ``quit`` or end of input."""
        self.dispatcher.serve(infile, outfile)

    # ------------------------------------------------------------------ moves
    def _search(self, colour: int) -> tuple[Position, Iterator[int]]:
        """The position ``colour`` moves in, and the search of it within the budget."""
        position = self.state.position_for(colour)
        clock = self.clocks.budget(colour, self.board_size, position.move_number)
        seconds, playouts = self.player.budget(clock)
        return position, self.player.think(position, seconds, playouts)

    def _decide(self, colour: int, position: Position, commit: bool, started: float) -> str:
        move = self.player.choose(position)
        if commit:
            self.clocks.clock(colour).spend(time.monotonic() - started)
        if move == RESIGN:
            return "resign"
        if commit:
            self.state.play(colour, move)
        return coords.to_gtp(move, self.board_size)

    def genmove(self, colour: int, commit: bool = True) -> str:
        """Think, then the move (``D4``, ``pass``, ``resign``); played when ``commit``."""
        started = time.monotonic()
        position, search = self._search(colour)
        for _ in search:
            pass
        return self._decide(colour, position, commit, started)

    # ------------------------------------------------------------------ auxiliary heads
    @property
    def has_auxiliary_heads(self) -> bool:
        """Whether the network predicts final ownership and score."""
        return bool(getattr(self.evaluator, "has_auxiliary_heads", False))

    def _auxiliary(self, positions: list[Position]) -> tuple[np.ndarray, np.ndarray]:
        """``(ownership float32[B, N*N], score float32[B])`` of ``positions``, each for
        its player to move (the network's ``evaluate_auxiliary``)."""
        history = int(self.evaluator.history_length)
        boards = np.stack([p.recent_boards(history) for p in positions])
        to_play = np.array([p.to_play for p in positions], np.int8)
        ownership, score = self.evaluator.evaluate_auxiliary(boards, to_play)
        return np.asarray(ownership).reshape(len(positions), -1), np.asarray(score)

    def root_estimate(self, position: Position) -> tuple[np.ndarray, float]:
        """The network's final ownership ``float[N*N]`` and score of ``position`` for its
        player to move, averaged over ``OWNERSHIP_SAMPLES`` random symmetries."""
        ownership, score = self._auxiliary([position] * OWNERSHIP_SAMPLES)
        return ownership.mean(axis=0), float(score.mean())

    def final_ownership(self) -> np.ndarray | None:
        """Predicted final ownership of the current position in absolute colours (+1
        black), ``float[N*N]``; ``None`` when the network has no ownership head."""
        if not self.has_auxiliary_heads:
            return None
        position = self.state.position
        return self.root_estimate(position)[0] * position.to_play

    # ------------------------------------------------------------------ analysis
    def _info_line(self, style: str, request: AnalyzeRequest,
                   position: Position | None = None) -> str:
        search = self.player.search
        stats = search.root_stats(0)
        infos = move_infos(
            stats, lambda move: search.principal_variation(0, move), request,
            pv_visits=lambda pv: [int(search.root_stats(0, pv[:i]).visits[m])
                                  for i, m in enumerate(pv)])
        if style == "lz":
            return lz_line(infos, self.board_size)
        leads = ownership = root_lead = None
        if self.has_auxiliary_heads and position is not None and infos:
            children = [position.play(info.move) for info in infos]
            _, scores = self._auxiliary(children)
            leads = [-float(s) for s in scores]  # the child's score is the opponent's
            root_ownership, root_lead = self.root_estimate(position)
            if request.ownership:
                ownership = root_ownership
        return kata_line(infos, self.board_size, stats, request.root_info,
                         score_leads=leads, ownership=ownership, root_score_lead=root_lead)

    def analyze(self, style: str, tokens: list[str]) -> Stream:
        """``lz-analyze`` / ``kata-analyze``: search until the next command arrives."""
        request = parse_analyze(tokens)
        if request.ownership and not self.has_auxiliary_heads:
            raise GtpError("cannot report ownership: the network has no ownership head")
        colour = self.state.to_play if request.colour is None else request.colour
        position = self.state.position_for(colour)
        interval = request.interval / 100.0

        def lines() -> Iterator[str | None]:
            last = time.monotonic()
            if position.is_over() or not position.legal_moves().any():
                while True:
                    time.sleep(IDLE_SLEEP)
                    yield None
            for _ in self.player.think(position, None, None):
                now = time.monotonic()
                if interval > 0 and now - last >= interval:
                    last = now
                    yield self._info_line(style, request, position)
                else:
                    yield None
            if interval > 0:
                yield self._info_line(style, request, position)
            while True:  # the search is at its cap: wait for the next command
                time.sleep(IDLE_SLEEP)
                yield None

        return Stream(lines(), interruptible=True)

    def genmove_analyze(self, style: str, tokens: list[str]) -> Stream:
        """``lz-genmove_analyze`` / ``kata-genmove_analyze``: genmove with info lines."""
        request = parse_analyze(tokens, colour_required=True)
        if request.ownership and not self.has_auxiliary_heads:
            raise GtpError("cannot report ownership: the network has no ownership head")
        assert request.colour is not None
        colour = request.colour
        interval = request.interval / 100.0

        def lines() -> Iterator[str | None]:
            started = last = time.monotonic()
            position, search = self._search(colour)
            for _ in search:
                now = time.monotonic()
                if interval > 0 and now - last >= interval:
                    last = now
                    yield self._info_line(style, request, position)
                else:
                    yield None
            if interval > 0 and self.player.root_visits > 1:
                yield self._info_line(style, request, position)
            yield "play " + self._decide(colour, position, True, started)

        return Stream(lines(), interruptible=False)

    # ------------------------------------------------------------------ GoGui
    def _evaluate(self) -> tuple[np.ndarray, float]:
        position = self.state.position
        history = int(self.evaluator.history_length)
        boards = position.recent_boards(history)[None]
        to_play = np.array([position.to_play], np.int8)
        legal = np.asarray(position.legal_moves())[None].copy()
        if not legal.any():
            legal[0, -1] = True
        priors, values = self.evaluator.evaluate(boards, to_play, legal)
        return np.asarray(priors[0]), float(values[0])

    def policy_board(self) -> str:
        """GoGui ``dboard``: the network's prior of each point, rows top to bottom."""
        priors, _ = self._evaluate()
        n = self.board_size
        grid = priors[: n * n].reshape(n, n)
        return "\n".join(" ".join(f"{v:.3f}" for v in row) for row in grid)

    def value_text(self) -> str:
        """The network's value of the position, for the side to move."""
        priors, value = self._evaluate()
        who = colour_name(self.state.to_play)
        best = coords.to_gtp(int(np.argmax(priors)), self.board_size)
        return (f"{who} to move: value {value:+.3f}, winrate {100 * (value + 1) / 2:.1f}%, "
                f"policy's first choice {best}")

    def visits_gfx(self) -> str:
        """GoGui ``gfx``: visits per move, the principal variation and the winrate after a
        search of the current position with the engine's move budget."""
        colour = self.state.to_play
        position = self.state.position_for(colour)
        if position.is_over():
            return "TEXT the game is over"
        for _ in self._search(colour)[1]:
            pass
        search = self.player.search
        stats = search.root_stats(0)
        n = self.board_size
        labels = [f"{coords.to_gtp(int(m), n)} {int(stats.visits[m])}"
                  for m in np.flatnonzero(stats.visits[: n * n])]
        pv = search.principal_variation(0)
        var = []
        for i, move in enumerate(pv):
            who = colour if i % 2 == 0 else -colour
            var.append(f"{'b' if who == 1 else 'w'} {coords.to_gtp(move, n)}")
        value = 0.0 if np.isnan(stats.value) else stats.value
        out = []
        if labels:
            out.append("LABEL " + " ".join(labels))
        if var:
            out.append("VAR " + " ".join(var))
        out.append(f"TEXT {colour_name(colour)} to move: winrate "
                   f"{100 * (value + 1) / 2:.1f}% after {stats.total_visits} visits")
        return "\n".join(out)
