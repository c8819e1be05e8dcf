"""What a run shows while it runs: the status line, the view behind it, TensorBoard scalars.

``RunView`` is one snapshot of what a run shows (``view_of`` takes it from the driver);
``status_line`` formats it as one line (logs, CI, a terminal with ``--plain``) and
``selfplay.panel`` as the live panel of a terminal. ``Rates`` turns counters into rates
over a sliding window. ``TensorBoardLog`` writes scalars with ``tf.summary`` into the run
directory's ``logs/``; it lives in the driver process only (workers never import
TensorFlow).

Two counters are easy to confuse and are named apart everywhere: *moves* are played by the
workers, in games still in progress too (``moves/s``); *positions* are the moves of
finished games, stored in ``games/`` and the replay buffer (``positions stored``).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rundir.state import GateRecord, RunState

RATE_WINDOW_S = 30.0  # rates average over this window




@dataclass(frozen=True)
class GateProgress:
    """The gate match being played: ``candidate`` against ``best``, for ``seconds`` so far.

    played, wins, losses, draws: the candidate's games counted so far (in start order;
    ``None`` until the gatekeeper reports); planned: the match's games. llr: the sequential
    test's log-likelihood ratio after ``played`` games, between ``lower`` (reject) and
    ``upper`` (promote); all three ``None`` without the test."""

    candidate: str
    best: str
    seconds: float
    planned: int
    played: int | None = None
    wins: int = 0
    losses: int = 0
    draws: int = 0
    llr: float | None = None
    lower: float | None = None
    upper: float | None = None

    @property
    def score(self) -> float:
        """The candidate's points (1 per win, 1/2 per draw)."""
        return self.wins + 0.5 * self.draws


@dataclass(frozen=True)
class RunView:
    """One snapshot of what a run shows (the status line and the terminal panel).

    state: the run's counters (generation, best, games and positions stored, learner
    steps, gate history). games_in_progress, moves_in_progress: games the workers are
    playing and the moves played in them so far (not stored yet). rates: ``Rates.tick``'s
    ``{games,positions,evaluations,moves}_per_s``. buffer_positions, window: positions in
    the replay buffer and its window. first_step, train_start: buffer positions at the
    learner's first step and at its full pace (``selfplay.pacing``). loss: the learner's
    last losses (``total``, ``policy``, ``value``, ...; empty before its first call).
    next_candidate_s: estimated seconds to the next candidate (``None``: unknown).
    gate: the gate match in progress. resign_threshold: the threshold in force (a value
    for the player to move; ``None``: no resignation). waiting: roles silent for long,
    ``{role: seconds}``. elapsed_s: seconds of this session; run_dir: where the run lives.
    """

    state: RunState
    games_in_progress: int = 0
    moves_in_progress: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    buffer_positions: int = 0
    window: int | None = None
    first_step: int = 0
    train_start: int = 0
    steps_to_candidate: int = 0  # learner steps left to the next candidate (0: none)
    loss: dict[str, float] = field(default_factory=dict)
    next_candidate_s: float | None = None
    gate: GateProgress | None = None
    resign_threshold: float | None = None
    waiting: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    run_dir: str = ""

    @property
    def training_started(self) -> bool:
        return self.state.learner_steps > 0 or self.state.samples_trained > 0

    @property
    def last_gates(self) -> tuple[GateRecord, ...]:
        """The last five gate results, oldest first."""
        return tuple(self.state.gates[-5:])


def gate_text(g: GateRecord) -> str:
    """``12-4-1 promoted``: a gate result in a few characters (``promoted, no match``
    without a gate, ``gate_games = 0``)."""
    if dict(g.report).get("gated") is False:
        return "promoted, no match"
    return (f"{g.wins}-{g.losses}" + (f"-{g.draws}" if g.draws else "")
            + f" {'promoted' if g.promoted else 'rejected'}")


def status_line(view: RunView) -> str:
    """One line: generation, best and the sum of the promoting gates' Elo estimates
    (biased upward by selection: not the best's rating), games stored and in progress (with the
    moves played in them), positions stored, moves/s, the buffer (against the learner's
    start before training, against the window after), learner steps and loss, the gate
    in progress or the last one, the resign threshold in force; then the roles silent for
    long."""
    s = view.state
    moves_per_s = view.rates.get("moves_per_s", 0.0)
    if view.training_started or not view.first_step:
        window = "" if view.window is None else f" of {view.window}"
        buffer = f"buffer {view.buffer_positions}{window}"
    else:
        buffer = f"buffer {view.buffer_positions}/{view.first_step} to the learner's start"
    loss = view.loss.get("total")
    line = (f"gen {s.generation} | best v{s.best_version} gate Elo sum {s.gate_elo_sum:+.0f} | "
            f"games {s.games} done, {view.games_in_progress} playing "
            f"({view.moves_in_progress} moves) | positions stored {s.positions} | "
            f"{moves_per_s:.1f} moves/s | {buffer} | steps {s.learner_steps} loss "
            f"{'-' if loss is None else f'{loss:.3f}'}")
    if view.gate is not None:
        g = view.gate
        line += f" | gate {s.generation + 1} playing"
        if g.played is not None:
            line += f" {g.score:g}/{g.played}"
    line += f" | last gate {gate_text(s.gates[-1]) if s.gates else '-'}"
    if view.resign_threshold is not None:
        line += f" | resign < {view.resign_threshold:+.2f}"
    if view.waiting:
        line += " | no answer: " + ", ".join(f"{role} {seconds:.0f}s"
                                             for role, seconds in view.waiting.items())
    return line


def next_candidate_seconds(state: RunState, steps_left: int, batch: int,
                           ratio: float, positions_per_s: float) -> float | None:
    """Seconds until the learner reaches its next candidate, ``steps_left`` steps of
    ``batch`` samples away, at the pace self-play stores positions (the learner trains
    ``ratio`` samples per stored position): the positions still needed over
    ``positions_per_s``; ``None`` when nothing is stored yet."""
    if steps_left <= 0 or positions_per_s <= 0 or ratio <= 0:
        return None
    positions_needed = (state.samples_trained + steps_left * batch) / ratio - state.positions
    return max(0.0, positions_needed) / positions_per_s


def view_of(pipeline: Any, rates: dict[str, float], resign_threshold: float | None,
            waiting: dict[str, float]) -> RunView:
    """The ``RunView`` of a ``selfplay.driver.Pipeline`` now."""
    from selfplay import pacing

    s, pace = pipeline.state, pipeline.pace
    in_progress = list(pipeline.in_progress.values())
    steps_left = pace.steps_to_candidate(s.learner_steps)
    return RunView(
        state=s, games_in_progress=sum(g for g, _ in in_progress),
        moves_in_progress=sum(m for _, m in in_progress), rates=dict(rates),
        buffer_positions=len(pipeline.buffer), window=pipeline.buffer.window,
        first_step=pacing.first_step(pace.train_start), train_start=pace.train_start,
        steps_to_candidate=steps_left, loss=dict(pipeline.last_loss),
        next_candidate_s=next_candidate_seconds(s, steps_left, pace.batch, pace.ratio,
                                                rates.get("positions_per_s", 0.0)),
        gate=pipeline.gate_watch.progress(pipeline.crew.gatekeeper,
                                          pipeline.gate_call is not None),
        resign_threshold=resign_threshold,
        waiting=dict(waiting), elapsed_s=time.monotonic() - pipeline._session_start,
        run_dir=str(pipeline.run_dir.root))


class GateWatch:
    """Follows the gate match in progress for the view: what is played, since when, and
    the gatekeeper's count so far (asked without waiting: one question in flight, its
    answer read on a later look)."""

    def __init__(self) -> None:
        self._match: tuple[str, str, int, Any, float] | None = None
        self._asked: Any = None
        self._count: dict[str, int] | None = None

    def start(self, candidate: str, best: str, planned: int, sprt: Any) -> None:
        """A match of ``planned`` games starts (``sprt``: an ``arena.sprt.Sprt`` or None)."""
        self._match = (candidate, best, planned, sprt, time.monotonic())
        self._asked = self._count = None

    def progress(self, gatekeeper: Any, playing: bool) -> GateProgress | None:
        """The match in progress (``None`` when ``playing`` is false); asks
        ``gatekeeper`` (a Ray actor with a ``progress`` method) for its count."""
        if not playing or self._match is None:
            self._match = None
            return None
        import ray

        if self._asked is not None and ray.wait([self._asked], timeout=0)[0]:
            try:
                self._count = ray.get(self._asked)
            except ray.exceptions.RayError:
                self._count = None
            self._asked = None
        if self._asked is None and gatekeeper is not None:
            self._asked = gatekeeper.progress.remote()
        candidate, best, planned, sprt, since = self._match
        view = GateProgress(candidate, best, time.monotonic() - since, planned)
        count = self._count
        if count is not None and count.get("planned") == planned:
            view = GateProgress(candidate, best, view.seconds, planned, count["played"],
                                count["wins"], count["losses"], count["draws"])
        if sprt is not None:
            llr = (None if view.played is None
                   else sprt.llr(view.score, view.played))
            view = GateProgress(**{**view.__dict__, "llr": llr, "lower": sprt.lower,
                                   "upper": sprt.upper})
        return view


class Rates:
    """Games, positions, evaluations and moves per second over the last
    ``RATE_WINDOW_S`` seconds (workers report every few seconds, and a rate over one
    status interval alone would flicker to 0)."""

    KEYS = ("games", "positions", "evaluations", "moves")

    def __init__(self, now: float, games: int, positions: int) -> None:
        self.evaluations = 0
        self.moves = 0
        self.last = now
        self._ticks: deque[tuple[float, dict[str, float]]] = deque(
            [(now, {"games": games, "positions": positions, "evaluations": 0, "moves": 0})])

    def add_report(self, evaluations: int, moves: int) -> None:
        """Count one worker report."""
        self.evaluations += evaluations
        self.moves += moves

    def tick(self, now: float, games: int, positions: int) -> dict[str, float]:
        """``{games,positions,evaluations,moves}_per_s`` since the oldest tick within the
        window; records this tick."""
        while len(self._ticks) > 1 and now - self._ticks[1][0] >= RATE_WINDOW_S:
            self._ticks.popleft()
        then, old = self._ticks[0]
        dt = max(now - then, 1e-9)
        counts = {"games": games, "positions": positions, "evaluations": self.evaluations,
                  "moves": self.moves}
        self._ticks.append((now, counts))
        self.last = now
        return {f"{k}_per_s": (counts[k] - old[k]) / dt for k in self.KEYS}


class TensorBoardLog:
    """Scalars into ``logdir`` through ``tf.summary`` (import TensorFlow lazily).

    Scalars are written with ``tf.summary.write`` and the metadata of TensorBoard's
    "scalars" plugin, which is what ``tf.summary.scalar`` writes; that way the
    ``tensorboard`` package is needed only to look at the logs, not to write them.
    """

    def __init__(self, logdir: str | Path) -> None:
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        self._tf = tf
        self._metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
        self._writer = tf.summary.create_file_writer(str(logdir))

    def scalars(self, values: dict[str, float | None], step: int) -> None:
        """Write each ``{tag: value}`` at ``step``; None values are skipped."""
        tf = self._tf
        with self._writer.as_default():
            for tag, value in values.items():
                if value is not None:
                    tf.summary.write(tag, tf.constant(float(value), tf.float32),
                                     step=int(step), metadata=self._metadata)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
