"""The live panel a run shows on a terminal (``rich``), drawn from a ``RunView``.

``render_panel`` turns one ``selfplay.status.RunView`` into a ``rich`` renderable: the
generation and best network, self-play (games stored and in progress, moves/s and
positions stored/s), a bar of the buffer filling up to the learner's first step (then its
window), the learner (steps, loss, time to the next candidate), the gate in progress
(games, score, the sequential test's bounds), the last gates and the resign threshold.
``selfplay.run_output`` refreshes it in place; ``panel_text`` renders it to plain text
(tests, screenshots).
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from selfplay.status import GateProgress, RunView, gate_text

BAR_WIDTH = 30


def duration(seconds: float) -> str:
    """``45s``, ``12m05s``, ``3h07m``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _buffer_row(view: RunView) -> RenderableType:
    """Before training: the buffer against the learner's first step; then against the
    replay window."""
    if not view.training_started and view.first_step:
        done, total = min(view.buffer_positions, view.first_step), view.first_step
        label = (f" {view.buffer_positions:,} / {view.first_step:,} positions to the "
                 f"learner's start")
    else:
        total = view.window or max(view.buffer_positions, 1)
        done = min(view.buffer_positions, total)
        label = f" {view.buffer_positions:,} positions, window {total:,}"
    bar = Table.grid()
    bar.add_row(ProgressBar(total=total, completed=done, width=BAR_WIDTH), Text(label))
    return bar


def _learner_text(view: RunView) -> Text:
    s = view.state
    if not view.training_started:
        return Text(f"waits for {view.first_step:,} positions (full pace at "
                    f"{view.train_start:,})", style="dim")
    loss = view.loss
    text = Text(f"step {s.learner_steps:,}")
    if "total" in loss:
        text.append(f" · loss {loss['total']:.3f}", style="bold")
        if "policy" in loss and "value" in loss:
            text.append(f" (policy {loss['policy']:.3f}, value {loss['value']:.3f})")
    left = view.steps_to_candidate
    if left:
        eta = ("" if view.next_candidate_s is None
               else f" in ~{duration(view.next_candidate_s)}")
        text.append(f" · next candidate{eta} ({left} steps)")
    return text


def _gate_text(gate: GateProgress) -> Text:
    text = Text(f"{gate.candidate} vs {gate.best} · {duration(gate.seconds)}")
    if gate.played is None:
        text.append(f" · first games of {gate.planned} in play")
    else:
        text.append(f" · {gate.played}/{gate.planned} games, score {gate.score:g} "
                    f"({gate.wins}-{gate.losses}-{gate.draws})", style="bold")
    if gate.lower is not None and gate.upper is not None:
        llr = "-" if gate.llr is None else f"{gate.llr:+.2f}"
        text.append(f" · SPRT LLR {llr} in [{gate.lower:+.2f}, {gate.upper:+.2f}]")
    return text


def render_panel(view: RunView) -> RenderableType:
    """The panel of ``view`` (see the module docstring)."""
    s, rates = view.state, view.rates
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column()
    grid.add_row("network", Text(f"generation {s.generation} · best {s.best or '-'} "
                                 f"(v{s.best_version}) · gate Elo sum {s.gate_elo_sum:+.0f}"))
    grid.add_row("self-play", Text(
        f"{s.games:,} games done · {view.games_in_progress} playing "
        f"({view.moves_in_progress:,} moves in play) · {s.positions:,} positions stored"))
    grid.add_row("speed", Text(
        f"{rates.get('moves_per_s', 0.0):.1f} moves/s · "
        f"{rates.get('positions_per_s', 0.0):.1f} positions stored/s · "
        f"{60 * rates.get('games_per_s', 0.0):.1f} games/min"))
    grid.add_row("buffer", _buffer_row(view))
    grid.add_row("learner", _learner_text(view))
    if view.gate is not None:
        grid.add_row(f"gate {s.generation + 1}", _gate_text(view.gate))
    if view.last_gates:
        last = Text()
        for i, g in enumerate(reversed(view.last_gates)):
            if i:
                last.append(" · ")
            last.append(f"{g.generation}: {gate_text(g)}",
                        style="green" if g.promoted else "red")
        grid.add_row("last gates", last)
    grid.add_row("resign", Text("off" if view.resign_threshold is None
                                else f"below {view.resign_threshold:+.2f}"))
    parts: list[RenderableType] = [grid]
    if view.waiting:
        parts.append(Text("no answer: " + ", ".join(
            f"{role} {seconds:.0f}s" for role, seconds in view.waiting.items()),
            style="bold red"))
    title = f"zerogo · {_run_name(view)} · {duration(view.elapsed_s)}"
    return Panel(Group(*parts), title=title, title_align="left",
                 subtitle="Ctrl-C stops and saves", subtitle_align="right")


def _run_name(view: RunView) -> str:
    """The run's name for the title: its directory's last part."""
    return view.run_dir.rstrip("/").rsplit("/", 1)[-1] or "run"


def panel_text(view: RunView, width: int = 110) -> str:
    """The panel rendered to text, ``width`` columns (styles dropped)."""
    console = Console(width=width, record=True, force_terminal=True, color_system=None,
                      file=_Null())
    console.print(render_panel(view))
    return console.export_text()


class _Null:
    """A file that drops what is written (the recording keeps it)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
