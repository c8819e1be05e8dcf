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
    if gate.promoted:  # the sum of promoting gates' estimates: biased upward (RunState)
        elo_sum = state.gate_elo_sum + float(gate.elo or 0.0)
        run_dir.update_checkpoint_metadata(
            name, gate=gate.to_json(), promoted=True, generation=generation,
            parent=state.best, gate_elo_sum=elo_sum)
        state = state.replace(best=name, best_version=state.best_version + 1,
                              gate_elo_sum=elo_sum)
    else:
        run_dir.update_checkpoint_metadata(name, gate=gate.to_json(), promoted=False)
    return state, gate


UNGATED_REPORT: dict[str, Any] = {"promoted": True, "games": 0, "wins": 0, "losses": 0,
                                  "draws": 0, "evaluations": 0, "gated": False}
"""The gate record of a candidate promoted without a match (``gate_games = 0``)."""


def generation_evaluations(evaluations_per_move: float, steps_per_generation: int,
                           batch_size: int, samples_per_position: float) -> float:
    """Self-play network evaluations of one generation: the positions (moves) the learner's
    pace asks per generation (``steps_per_generation * batch_size /
    samples_per_position``) times the evaluations self-play spends per move."""
    if samples_per_position <= 0:  # no pace: the learner never waits for games
        return 0.0
    return evaluations_per_move * steps_per_generation * batch_size / samples_per_position


def with_cost_share(report: dict[str, Any], generation_evals: float) -> dict[str, Any]:
    """``report`` with ``gate_cost_share``: its ``evaluations`` over ``generation_evals``
    (``generation_evaluations``); absent when either is unknown."""
    evaluations = report.get("evaluations")
    if evaluations is None or generation_evals <= 0:
        return dict(report)
    return {**report, "gate_cost_share": round(evaluations / generation_evals, 4),
            "generation_evaluations": round(generation_evals)}


def gate_line(gate: GateRecord) -> str:
    """The log line of a gate result (``gate_cost_share``: the gate's network evaluations
    over one generation's self-play evaluations, when known)."""
    extra = dict(gate.report)
    if extra.get("gated") is False:
        return (f"generation {gate.generation}: {gate.candidate} promoted without a gate "
                f"match (gate_games = 0)")
    pairs = f", {extra['pairs']} colour pairs in start order" if "pairs" in extra else ""
    cost = ("" if gate.gate_cost_share is None
            else f", gate_cost_share {gate.gate_cost_share:.3f}")
    return (f"gate {gate.generation}: {gate.candidate} vs best scored {gate.wins}-"
            f"{gate.losses}-{gate.draws} in {gate.games} games{pairs} "
            f"({100 * (gate.win_rate or 0.0):.0f}%, Elo {gate.elo or 0.0:+.0f} "
            f"[{gate.elo_low or 0.0:+.0f}, {gate.elo_high or 0.0:+.0f}]{cost}): "
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
