"""The ladder's figures: ``elo.png`` (matplotlib, Agg backend) and the same to TensorBoard.

``elo.png`` has two panels: Elo against training time (minutes of the run) and Elo
against generation, each with the network with search and the network alone as lines
with 95% intervals, the random player (0) and each GNU Go anchor as horizontal lines.

``write_tensorboard`` writes the same numbers as scalars (``ladder/elo_search`` and
``ladder/elo_policy`` by generation, ``ladder_by_time/...`` by training second,
``ladder/gnugo_l<L>``, ``_h<N>`` with handicap, as a flat line) and the figure as an
image, into a ``logs`` folder it owns (old event files there are replaced, so a rerun
does not duplicate points).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class RatedPlayer:
    """One row of ``ratings.csv``.

    kind: random / policy / search / gnugo; generation, training_steps, training_minutes:
    for the network players (None otherwise); elo with its 95% interval and standard
    error; games: games it played on the ladder; run: the run's label when several runs
    are rated together (``arena.compare``), else None; promoted: for a checkpoint, whether
    its gate promoted it (the ladder's ``--rejected`` rates rejected candidates too);
    handicap: for GNU Go, the stones it gives (0: an even game).
    """

    player: str
    kind: str
    checkpoint: str | None
    generation: int | None
    version: int | None
    training_steps: int | None
    training_minutes: float | None
    playouts: int | None
    level: int | None
    elo: float
    elo_low: float
    elo_high: float
    stderr: float
    games: float
    run: str | None = None
    promoted: bool | None = None
    handicap: int | None = None

    @property
    def anchor_label(self) -> str:
        """How a figure names a GNU Go row: ``GNU Go level 0`` or ``..., 4 stones``."""
        stones = f", {self.handicap} stones" if self.handicap else ""
        return f"GNU Go level {self.level}{stones}"


def _series(rows: Sequence[RatedPlayer], kind: str) -> list[RatedPlayer]:
    return sorted((r for r in rows if r.kind == kind), key=lambda r: (r.generation or 0))


def render_png(rows: Sequence[RatedPlayer], title: str) -> bytes:
    """The two-panel Elo figure as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.8), dpi=100)
    axes = figure.subplots(1, 2, sharey=True)
    styles = {"search": ("tab:blue", "o"), "policy": ("tab:orange", "s")}
    gnugo = sorted((r for r in rows if r.kind == "gnugo"),
                   key=lambda r: (r.level or 0, r.handicap or 0))
    colours = plt.get_cmap("Greens")(np.linspace(0.5, 0.95, max(len(gnugo), 1)))
    for ax, x_of, xlabel in (
            (axes[0], lambda r: r.training_minutes, "training time (minutes)"),
            (axes[1], lambda r: r.generation, "generation (gate match that promoted it)")):
        for kind, label in (("search", "network + search"), ("policy", "network alone")):
            series = _series(rows, kind)
            if not series:
                continue
            colour, marker = styles[kind]
            x = np.array([x_of(r) for r in series], float)
            y = np.array([r.elo for r in series])
            err = np.array([[r.elo - r.elo_low for r in series],
                            [r.elo_high - r.elo for r in series]])
            if kind == "search" and series[0].playouts:
                label = f"network + search ({series[0].playouts} playouts)"
            ax.errorbar(x, y, yerr=err, color=colour, marker=marker, capsize=3, label=label)
        ax.axhline(0.0, color="grey", linestyle=":", label="random player (0)")
        for row, colour in zip(gnugo, colours, strict=False):
            ax.axhline(row.elo, color=colour, linestyle="--", label=row.anchor_label)
            ax.axhspan(row.elo_low, row.elo_high, color=colour, alpha=0.12)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("Elo (random player = 0, 95% intervals)")
    axes[1].legend(loc="lower right", fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def render_comparison_png(rows: Sequence[RatedPlayer], runs: Sequence[str], title: str
                          ) -> bytes:
    """Elo (with search) against training time (minutes), one line per run of ``runs``
    (the rows' ``run`` labels; candidates their gate rejected as hollow markers), with the
    random player and each GNU Go level as horizontal lines: the figure of
    ``arena.compare``, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100)
    ax = figure.subplots()
    colours = plt.get_cmap("tab10")
    for index, run in enumerate(runs):
        series = sorted((r for r in rows if r.kind == "search" and r.run == run),
                        key=lambda r: r.training_minutes or 0.0)
        if not series:
            continue
        x = np.array([r.training_minutes or 0.0 for r in series])
        y = np.array([r.elo for r in series])
        err = np.array([[r.elo - r.elo_low for r in series],
                        [r.elo_high - r.elo for r in series]])
        ax.errorbar(x, y, yerr=err, color=colours(index), marker="o", capsize=3,
                    label=f"{run} ({series[0].playouts} playouts)")
        rejected = [k for k, r in enumerate(series) if r.promoted is False]
        if rejected:
            ax.plot(x[rejected], y[rejected], linestyle="none", marker="o", markersize=7,
                    markerfacecolor="white", markeredgecolor=colours(index), zorder=3,
                    label=f"{run}: candidate its gate rejected")
    ax.axhline(0.0, color="grey", linestyle=":", label="random player (0)")
    gnugo = sorted((r for r in rows if r.kind == "gnugo"),
                   key=lambda r: (r.level or 0, r.handicap or 0))
    greens = plt.get_cmap("Greens")(np.linspace(0.5, 0.95, max(len(gnugo), 1)))
    for row, colour in zip(gnugo, greens, strict=False):
        ax.axhline(row.elo, color=colour, linestyle="--", label=row.anchor_label)
        ax.axhspan(row.elo_low, row.elo_high, color=colour, alpha=0.12)
    ax.set_xlabel("training time (minutes)")
    ax.set_ylabel("Elo (random player = 0, 95% intervals)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class LadderTensorBoard:
    """Scalars and one PNG image into ``logdir`` through ``tf.summary.write`` (TensorFlow
    imported lazily), with the metadata of TensorBoard's "scalars" and "images" plugins,
    which is what ``tf.summary.scalar``/``image`` write; so the ``tensorboard`` package is
    needed only to look at the logs, not to write them."""

    def __init__(self, logdir: str | Path) -> None:
        import tensorflow as tf

        self._tf = tf
        self._writer = tf.summary.create_file_writer(str(logdir))

    def _metadata(self, plugin: str):
        from tensorflow.core.framework import summary_pb2

        return summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))

    def scalars(self, values: dict[str, float | None], step: int) -> None:
        """Write each ``{tag: value}`` at ``step``; None values are skipped."""
        tf = self._tf
        metadata = self._metadata("scalars")
        with self._writer.as_default():
            for tag, value in values.items():
                if value is not None:
                    tf.summary.write(tag, tf.constant(float(value), tf.float32),
                                     step=int(step), metadata=metadata)
        self._writer.flush()

    def image(self, tag: str, png: bytes, width: int, height: int, step: int = 0) -> None:
        """Write ``png`` (already encoded) as image ``tag`` at ``step``."""
        tf = self._tf
        tensor = tf.constant([str(width), str(height), png], dtype=tf.string)
        with self._writer.as_default():
            tf.summary.write(tag, tensor, step=int(step), metadata=self._metadata("images"))
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def write_tensorboard(logdir: str | Path, rows: Sequence[RatedPlayer], png: bytes) -> Path:
    """Scalars and the figure into ``logdir`` (see the module docstring); returns it."""
    logdir = Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    for old in logdir.glob("events.out.tfevents.*"):
        old.unlink()
    from matplotlib import image as mpimg

    height, width = mpimg.imread(io.BytesIO(png), format="png").shape[:2]
    log = LadderTensorBoard(logdir)
    try:
        generations = sorted({r.generation for r in rows if r.generation is not None})
        for kind in ("search", "policy"):
            for r in _series(rows, kind):
                log.scalars({f"ladder/elo_{kind}": r.elo, f"ladder/elo_{kind}_low": r.elo_low,
                             f"ladder/elo_{kind}_high": r.elo_high}, r.generation or 0)
                log.scalars({f"ladder_by_time/elo_{kind}": r.elo},
                            int(round(60 * (r.training_minutes or 0.0))))
        for r in rows:
            if r.kind == "gnugo":
                for g in generations or [0]:
                    stones = f"_h{r.handicap}" if r.handicap else ""
                    log.scalars({f"ladder/gnugo_l{r.level}{stones}": r.elo}, g)
        log.image("ladder/elo", png, width, height)
    finally:
        log.close()
    return logdir
