"""Checkpoints and promotion: candidates the learner hands over, gate results, the
learner's own state at a stop. Each function writes the checkpoint files and returns the
new ``RunState``; the caller then writes the state (``Pipeline.publish``), and only
after that the ``best`` pointer, so that a kill between any two writes leaves a directory
that resumes (see ``rundir.run_dir``):

* a candidate ``ckpt-<steps>.keras`` (+ ``.json``) is written before the state names it;
* a gate result goes into the candidate's metadata, then the state, then the pointer; a
  kill before the state write plays the gate again on resume;
* the learner's state goes to ``learner-<steps>.keras`` (+ ``.json``), a name the state
  does not hold yet, so the pair the state names is never half-replaced; older learner
  pairs are removed once the new state is written.
"""

from __future__ import annotations

import time
from typing import Any

from rundir.run_dir import RunDir
from rundir.state import GateRecord, RunState


def add_candidate(run_dir: RunDir, state: RunState, name: str, keras_bytes: bytes,
                  json_bytes: bytes) -> RunState:
    """Write candidate ``name``; the state then names it as the learner's checkpoint and
    the candidate waiting for its gate."""
    run_dir.write_checkpoint(name, keras_bytes, json_bytes)
    return state.replace(learner_checkpoint=name, pending_candidate=name)


def record_gate(run_dir: RunDir, state: RunState, name: str, report: dict[str, Any]
                ) -> tuple[RunState, GateRecord]:
    """Count the gate of candidate ``name`` (the gatekeeper's ``report``), write its result
    into the candidate's metadata, and make it the best when it was promoted."""
    generation = state.generation + 1
    gate = GateRecord.from_report(report, generation=generation, candidate=name,
                                  best=state.best, time=time.time())
    state = state.replace(generation=generation).add_gate(gate)
    if state.pending_candidate == name:
        state = state.replace(pending_candidate="")
    if gate.promoted:
        best_elo = state.best_elo + float(gate.elo or 0.0)
        run_dir.update_checkpoint_metadata(
            name, gate=gate.to_json(), promoted=True, generation=generation,
            parent=state.best, elo=best_elo)
        state = state.replace(best=name, best_version=state.best_version + 1,
                              best_elo=best_elo)
    else:
        run_dir.update_checkpoint_metadata(name, gate=gate.to_json(), promoted=False)
    return state, gate


def gate_line(gate: GateRecord) -> str:
    """The log line of a gate result."""
    extra = dict(gate.report)
    pairs = f", {extra['pairs']} colour pairs in start order" if "pairs" in extra else ""
    return (f"gate {gate.generation}: {gate.candidate} vs best scored {gate.wins}-"
            f"{gate.losses}-{gate.draws} in {gate.games} games{pairs} "
            f"({100 * (gate.win_rate or 0.0):.0f}%, Elo {gate.elo or 0.0:+.0f} "
            f"[{gate.elo_low or 0.0:+.0f}, {gate.elo_high or 0.0:+.0f}]): "
            f"{'promoted' if gate.promoted else 'rejected'}")


def save_learner(run_dir: RunDir, state: RunState, keras_bytes: bytes,
                 json_bytes: bytes) -> RunState:
    """Write the learner's state after ``state.learner_steps`` steps under a fresh name;
    the state then names it (call ``run_dir.remove_learner_checkpoints`` after writing
    the state)."""
    name = RunDir.learner_checkpoint_name(state.learner_steps)
    if name == state.learner_checkpoint:  # nothing trained since it was saved
        return state
    run_dir.write_checkpoint(name, keras_bytes, json_bytes)
    return state.replace(learner_checkpoint=name)
