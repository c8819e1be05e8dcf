"""What a run shows while it runs: the terminal status line and TensorBoard scalars.

``status_line`` formats one line from the run's state; ``Rates`` turns counters into
rates over a sliding window. ``TensorBoardLog`` writes
scalars with ``tf.summary`` into the run directory's ``logs/``; it lives in the driver
process only (workers never import TensorFlow).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from rundir.state import RunState

RATE_WINDOW_S = 30.0  # rates average over this window


def status_line(state: RunState, rates: dict[str, float], buffer_fill: float,
                loss: float | None, games_in_progress: int = 0,
                waiting: dict[str, float] | None = None,
                resign_threshold: float | None = None, window: int | None = None) -> str:
    """One line: generation, games and positions played, positions/s (moves played per
    second, games in progress included), buffer fill (and the replay ``window`` in
    positions, when given), learner loss, last gate result, the sum of the promoting
    gates' Elo estimates (biased upward by selection: not the best's rating), the resign
    threshold in force (when there is one); then the roles silent for long (``waiting``:
    ``{role: seconds}``)."""
    if state.gates:
        g = state.gates[-1]
        gate = (f"{g.wins}-{g.losses}" + (f"-{g.draws}" if g.draws else "")
                + f" {'promoted' if g.promoted else 'rejected'}")
    else:
        gate = "-"
    loss_text = "-" if loss is None else f"{loss:.3f}"
    window_text = "" if window is None else f" of {window}"
    line = (f"gen {state.generation} | best v{state.best_version} "
            f"gate Elo sum {state.gate_elo_sum:+.0f} | games {state.games} "
            f"(+{games_in_progress} playing) | positions {state.positions} "
            f"({rates.get('moves_per_s', 0.0):.1f}/s) | "
            f"buffer {100 * buffer_fill:.0f}%{window_text} | steps {state.learner_steps} "
            f"loss {loss_text} | last gate {gate}")
    if resign_threshold is not None:
        line += f" | resign < {resign_threshold:+.2f}"
    if waiting:
        line += " | no answer: " + ", ".join(f"{role} {seconds:.0f}s"
                                             for role, seconds in waiting.items())
    return line


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
