"""The typed run state: today's state.json loads, round-trips byte for byte, and every bad
field is refused naming the file and the key."""

import dataclasses
import json

import pytest

from rundir.run_dir import RunDir, RunDirError
from rundir.state import GateRecord, RunState, Session

# A state.json as the training driver writes it (two sessions, two gates), byte for byte.
TODAY = """{
  "best": "ckpt-00000008.keras",
  "best_elo": 35.2,
  "best_version": 1,
  "buffer_digest": "ab12",
  "elapsed_seconds": 81.5,
  "games": 40,
  "gates": [
    {
      "best": "ckpt-00000000.keras",
      "candidate": "ckpt-00000004.keras",
      "decision": "reject",
      "draws": 0,
      "elo": -191.0,
      "elo_high": 120.5,
      "elo_low": -2000.0,
      "games": 4,
      "generation": 1,
      "losses": 3,
      "planned": 4,
      "promoted": false,
      "score": 1.0,
      "seconds": 3.25,
      "sprt": false,
      "stopped_early": false,
      "threshold": 0.55,
      "time": 1764668000.5,
      "win_rate": 0.25,
      "wins": 1
    },
    {
      "best": "ckpt-00000000.keras",
      "candidate": "ckpt-00000008.keras",
      "decision": "promote",
      "draws": 1,
      "elo": 35.2,
      "elo_high": 400,
      "elo_low": -300,
      "games": 4,
      "generation": 2,
      "losses": 1,
      "planned": 4,
      "promoted": true,
      "score": 2.5,
      "seconds": 2,
      "sprt": true,
      "stopped_early": false,
      "threshold": 0.55,
      "time": 1764668010,
      "win_rate": 0.625,
      "wins": 2
    }
  ],
  "generation": 2,
  "learner_checkpoint": "learner.keras",
  "learner_steps": 9,
  "no_resign_games": 4,
  "pending_candidate": "",
  "positions": 812,
  "resign_false_positives": 1,
  "resign_would_have": 2,
  "samples_trained": 144,
  "sessions": [
    {
      "games_at_start": 0,
      "games_at_stop": 30,
      "generation_at_start": 0,
      "reason": "2 generations",
      "resume_digest": "e3b0",
      "resumed": false,
      "started": 1764667900.25,
      "stop_digest": "cd34",
      "stopped": 1764667960.0
    },
    {
      "games_at_start": 30,
      "generation_at_start": 2,
      "resume_digest": "cd34",
      "resumed": true,
      "started": 1764667990.5
    }
  ],
  "version": 1
}
"""


def renamed(text: str) -> dict:
    """A state file's JSON with ``best_elo`` under its new name ``gate_elo_sum``."""
    return {("gate_elo_sum" if k == "best_elo" else k): v for k, v in json.loads(text).items()}


def test_todays_state_file_loads_typed_and_is_written_back_unchanged(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    run.state_path.write_text(TODAY)
    state = run.read_state()
    assert isinstance(state, RunState) and state.games == 40 and state.best_version == 1
    assert state.gates[1] == GateRecord(
        generation=2, candidate="ckpt-00000008.keras", best="ckpt-00000000.keras",
        promoted=True, time=1764668010, games=4, wins=2, losses=1, draws=1, win_rate=0.625,
        elo=35.2, elo_low=-300, elo_high=400, report=(
            ("decision", "promote"), ("planned", 4), ("score", 2.5), ("seconds", 2),
            ("sprt", True), ("stopped_early", False), ("threshold", 0.55)))
    assert state.sessions[1] == Session(started=1764667990.5, resumed=True, games_at_start=30,
                                        generation_at_start=2, resume_digest="cd34")
    assert state.session.stopped is None and state["games"] == 40
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.games = 41  # type: ignore[misc]
    assert state.gate_elo_sum == 35.2  # written as "best_elo" before the rename
    run.write_state(state)
    assert json.loads(run.state_path.read_text()) == renamed(TODAY)
    written = run.state_path.read_text()
    run.write_state(run.read_state())
    assert run.state_path.read_text() == written


def test_changes_make_new_states_and_a_fresh_state_matches_the_old_default(tmp_path):
    fresh = RunState()
    assert fresh.to_json() == {
        "version": 1, "games": 0, "positions": 0, "learner_steps": 0, "samples_trained": 0,
        "generation": 0, "best": "", "best_version": 0, "gate_elo_sum": 0.0, "gates": [],
        "elapsed_seconds": 0.0, "no_resign_games": 0, "resign_false_positives": 0,
        "resign_would_have": 0, "buffer_digest": "", "learner_checkpoint": "",
        "pending_candidate": "", "sessions": []}
    state = fresh.add_session(Session(started=5.0, resumed=False))
    state = state.with_session(dataclasses.replace(state.session, stopped=9.0, reason="x"))
    state = state.add_gate(GateRecord.from_report(
        {"games": 2, "wins": 2, "losses": 0, "draws": 0, "promoted": True, "extra": [1]},
        generation=1, candidate="ckpt-00000002.keras", best="ckpt-00000000.keras", time=3.0))
    assert fresh.sessions == () and len(state.sessions) == 1
    assert state.session.to_json() == {"started": 5.0, "resumed": False, "stopped": 9.0,
                                       "reason": "x"}
    assert state.gates[0].report == (("extra", [1]),)
    assert RunState.from_json(json.loads(json.dumps(state.to_json())), "x") == state


@pytest.mark.parametrize("key, value, message", [
    ("games", "three", "key 'games' has the wrong type: 'three'"),
    ("games", True, "key 'games' has the wrong type: True"),
    ("learner_steps", -4, "key 'learner_steps' is negative: -4"),
    ("best_version", -1, "key 'best_version' is negative"),
    ("resign_would_have", -1, "key 'resign_would_have' is negative"),
    ("elapsed_seconds", -1.0, "key 'elapsed_seconds' is negative"),
    ("best_elo", float("nan"), "key 'gate_elo_sum' is not finite"),
    ("gate_elo_sum", float("nan"), "key 'gate_elo_sum' is not finite"),
    ("best", "../x.keras", "key 'best': bad checkpoint name '../x.keras'"),
    ("best", "ckpt-1.npz", "key 'best': bad checkpoint name"),
    ("pending_candidate", ".keras", "key 'pending_candidate': bad checkpoint name"),
    ("version", 2, "state version 2 is not 1"),
    ("gates", {}, "key 'gates' has the wrong type"),
    ("gates", [{"generation": 1}], r"gates\[0\]: missing key 'candidate'"),
    ("gates", [{"generation": 1, "candidate": "a.keras", "best": "b.keras",
                "promoted": "yes"}], r"gates\[0\]: key 'promoted' has the wrong type"),
    ("sessions", [{"resumed": True}], r"sessions\[0\]: missing key 'started'"),
    ("sessions", [{"started": 1.0, "games_at_stop": -2}],
     r"sessions\[0\]: key 'games_at_stop' is negative"),
    ("sessions", [{"started": 1.0, "colour": "red"}], r"sessions\[0\]: unknown key 'colour'"),
    ("surprise", 1, "unknown key 'surprise'"),
])
def test_a_bad_field_is_refused_naming_the_file_and_the_key(tmp_path, key, value, message):
    run = RunDir(tmp_path)
    run.create()
    run.state_path.write_text(json.dumps({**json.loads(TODAY), key: value}))
    with pytest.raises(RunDirError, match=f"{run.state_path}: {message}"):
        run.read_state()


def test_a_state_that_is_not_an_object_or_lacks_a_key_is_refused(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    run.state_path.write_text("[1, 2]")
    with pytest.raises(RunDirError, match=f"{run.state_path}: expected a JSON object, got list"):
        run.read_state()
    broken = json.loads(TODAY)
    del broken["sessions"]
    run.state_path.write_text(json.dumps(broken))
    with pytest.raises(RunDirError, match="missing key 'sessions'"):
        run.read_state()


def test_the_resign_calibration_round_trips_and_older_states_load_without_it(tmp_path):
    run = RunDir(tmp_path)
    run.create()
    run.state_path.write_text(TODAY)  # written before resignation was calibrated
    old = run.read_state()
    assert old.resign_threshold is None and old.resign_history == () \
        and old.resign_samples == ()
    state = old.replace(resign_threshold=-0.75, resign_history=((30, -0.8), (41, -0.75)),
                        resign_samples=((-0.9125, False), (0.25, True)))
    run.write_state(state)
    written = json.loads(run.state_path.read_text())
    assert written["resign_threshold"] == -0.75
    assert written["resign_history"] == [[30, -0.8], [41, -0.75]]
    assert written["resign_samples"] == [[-0.9125, False], [0.25, True]]
    assert run.read_state() == state and state["resign_threshold"] == -0.75
    run.write_state(old)  # nothing added while it is empty (best_elo: renamed)
    assert json.loads(run.state_path.read_text()) == renamed(TODAY)


@pytest.mark.parametrize("key, value, message", [
    ("resign_threshold", 1.5, "key 'resign_threshold' must be in"),
    ("resign_threshold", "low", "key 'resign_threshold' has the wrong type"),
    ("resign_history", [[3, -0.8, 1]], r"resign_history\[0\] must be a pair"),
    ("resign_history", [[3.5, -0.8]], r"key 'resign_history\[0\]\[0\]' has the wrong type"),
    ("resign_samples", [[-0.8, 1]], r"key 'resign_samples\[0\]\[1\]' has the wrong type"),
    ("resign_samples", [[float("nan"), True]], r"key 'resign_samples\[0\]\[0\]' is not finite"),
])
def test_a_bad_resign_calibration_is_refused_by_key(tmp_path, key, value, message):
    run = RunDir(tmp_path)
    run.create()
    run.state_path.write_text(json.dumps({**json.loads(TODAY), key: value}))
    with pytest.raises(RunDirError, match=f"{run.state_path}: {message}"):
        run.read_state()
