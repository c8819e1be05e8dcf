"""What a run shows while it runs: the terminal status line and TensorBoard scalars.

``status_line`` formats one line from the driver's counters. ``TensorBoardLog`` writes
scalars with ``tf.summary`` into the run directory's ``logs/``; it lives in the driver
process only (workers never import TensorFlow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def status_line(state: dict[str, Any], rates: dict[str, float], buffer_fill: float,
                loss: float | None, games_in_progress: int = 0) -> str:
    """One line: generation, games and positions played, positions/s (moves played per
    second, games in progress included), buffer fill, learner loss, last gate result, Elo
    of the best."""
    gates = state["gates"]
    if gates:
        g = gates[-1]
        gate = (f"{g['wins']}-{g['losses']}" + (f"-{g['draws']}" if g["draws"] else "")
                + f" {'promoted' if g['promoted'] else 'rejected'}")
    else:
        gate = "-"
    loss_text = "-" if loss is None else f"{loss:.3f}"
    return (f"gen {state['generation']} | best v{state['best_version']} "
            f"Elo {state['best_elo']:+.0f} | games {state['games']} "
            f"(+{games_in_progress} playing) | positions {state['positions']} "
            f"({rates.get('moves_per_s', 0.0):.1f}/s) | "
            f"buffer {100 * buffer_fill:.0f}% | steps {state['learner_steps']} "
            f"loss {loss_text} | last gate {gate}")


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
