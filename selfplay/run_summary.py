"""What a run prints when it stops: a summary, and the commands that come next.

``summary_lines`` says what the session did (its length and why it stopped, the best
network and its Elo, games and positions, learner steps, the gates) and gives the exact
commands to play the best network (``python -m gtp``), to rate the run (the arena's
evaluation ladder, ``python -m arena.ladder``), to watch its curves (TensorBoard) and to
resume it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from rundir.state import RunState
from selfplay.status import gate_text


def play_command(run_dir: Path, playouts: int = 200) -> list[str]:
    """``python -m gtp`` over the run's best checkpoint (``checkpoints/best``)."""
    return ["python", "-m", "gtp", "--checkpoint", str(run_dir), "--playouts", str(playouts)]


def ladder_command(run_dir: Path, games: int = 40, playouts: int = 64) -> list[str]:
    """``python -m arena.ladder`` rating the run's promoted checkpoints."""
    return ["python", "-m", "arena.ladder", "--run-dir", str(run_dir), "--games", str(games),
            "--playouts", str(playouts)]


def _session_text(state: RunState) -> str:
    from selfplay.panel import duration

    if not state.sessions:
        return "this session"
    session = state.sessions[-1]
    text = "this session"
    if session.stopped is not None:
        text = f"{duration(session.stopped - session.started)} this session"
    if session.reason:
        text += f" (stopped: {session.reason})"
    return text


def summary_lines(state: RunState, run_dir: Path) -> list[str]:
    """The summary printed at the end of a session (see the module docstring)."""
    gates = state.gates
    promoted = sum(g.promoted for g in gates)
    matches = sum(dict(g.report).get("gated") is not False for g in gates)
    lines = [f"summary: {_session_text(state)}; generation {state.generation}, best "
             f"{state.best or '-'} (gate Elo sum {state.gate_elo_sum:+.0f}), "
             f"{state.games:,} games, "
             f"{state.positions:,} positions stored, {state.learner_steps:,} learner steps",
             f"gates: {matches} played, {promoted} promoted"
             + (f" (last: {gate_text(gates[-1])})" if gates else "")]
    commands = []
    if state.best:
        commands += [("play the best network:", play_command(run_dir)),
                     ("rate the run:", ladder_command(run_dir))]
    commands += [("watch the curves:", ["tensorboard", "--logdir", str(run_dir / "logs")]),
                 ("resume:", ["python", "-m", "selfplay.run", "--run-dir", str(run_dir)])]
    return lines + [f"{label:24}{shlex.join(command)}" for label, command in commands]
