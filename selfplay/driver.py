"""The driver: runs a whole training run on a Ray cluster, and resumes one.

The driver process holds the replay buffer and the run directory; actors do the rest:

* workers (``SelfPlayWorker``) play and return finished games; each game is written to
  ``games/`` the moment it arrives, then added to the buffer (``selfplay.ingest``);
* inference servers serve the best network to the workers;
* the learner trains on batches the driver samples from the buffer, and every
  ``steps_per_generation`` steps returns a candidate checkpoint (bytes), which the driver
  writes to ``checkpoints/`` (``selfplay.promotion``);
* the gatekeeper plays each candidate against the best, its leaves evaluated by an
  inference server (which holds the candidate for the gate's length), with the run's
  calibrated resign threshold; a promotion puts the new weights into Ray's object store
  once (``ray.put``) and announces ``(version, reference)`` to the inference servers. Each
  gate's ``gate_cost_share`` (its network evaluations over one generation's self-play
  evaluations) is logged, recorded in the state and in TensorBoard.

Pace (``selfplay.pacing``): the learner samples ``samples_per_position`` positions per new
self-play position; it waits when it is ahead, and workers wait when it is more than
``max_lag`` positions behind (backpressure). Failures (``selfplay.supervision``): a failed
or stuck actor is restarted, a failed gate played again; a role that fails
``MAX_STRIKES`` times in a row stops the run cleanly.

Stopping (``--generations``, ``--minutes``, Ctrl-C or SIGTERM) saves the learner (weights
and optimizer), the state and the buffer's digest; only games in progress are lost. A kill
-9 loses those games and the learner steps since the last candidate. Rerunning with the
same run directory resumes (``selfplay.resume``): counters, best network, learner, and a
buffer rebuilt from ``games/`` equal to the one the previous session held.
"""

from __future__ import annotations

import dataclasses
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import ray

from arena.sprt import gate_sprt
from rundir.config import RunConfig
from rundir.run_dir import RunDir, RunDirError
from rundir.state import RunState
from selfplay import pacing, promotion
from selfplay.game_record import GameRecord
from selfplay.ingest import GameIngest
from selfplay.placement import PlacementRequest, nodes_from_ray, plan_placement
from selfplay.replay_buffer import ReplayBuffer
from selfplay.resign_calibration import ResignCalibration, current_threshold, observe
from selfplay.resume import start_session
from selfplay.status import GateWatch, Rates, TensorBoardLog, status_line, view_of
from selfplay.supervision import Crew, Strikes, Watchdog, kill

SERVER_CHECK_SECONDS = 2.0
WORKER_CALL_SECONDS = 5.0  # a worker call returns after this long even if no game ended
STOP_TRAIN_TIMEOUT = 120.0
WORKER_RETRY_SECONDS = 1.0  # a failed worker is called again this much later
STUCK_SECONDS = 900.0  # a worker call or server silent this long is restarted
WAITING_SHOWN_SECONDS = 60.0  # roles silent this long are named in the status line


class Pipeline:
    """One session of a run (see the module docstring).

    Args:
        config: the resolved run config (already written to ``run_dir`` by the caller or
            written here on a fresh run).
        run_dir: the run directory (the caller holds its lock).
        log: where progress messages go (one line each).
        status: where the live view goes, a ``selfplay.status.RunView`` (``None``: its
            ``status_line`` to ``log``).
        stuck_seconds: how long a worker call or an inference server may stay silent
            before it is restarted.
    """

    def __init__(self, config: RunConfig, run_dir: RunDir,
                 log: Callable[[str], None] = print,
                 status: Callable[[str], None] | None = None,
                 stuck_seconds: float = STUCK_SECONDS) -> None:
        p = config.pipeline
        self.config, self.run_dir, self.log = config, run_dir, log
        self.status = status or (lambda view: log(status_line(view)))
        self.stuck_seconds = stuck_seconds
        self.pace = pacing.Pace(ratio=p.samples_per_position, max_lag=p.max_lag,
                                train_start=p.train_start, batch=config.train.batch_size,
                                steps_per_generation=p.steps_per_generation,
                                steps_per_call=p.train_steps_per_call,
                                first_generation=p.first_generation_steps)
        self.resign = ResignCalibration(target=config.search.resign_false_positive_target)
        self.stop_reason: str | None = None
        self.failed = False  # stopped because a role kept failing
        # Set by prepare():
        self.state = RunState()
        self.buffer: ReplayBuffer | None = None
        self.ingest: GameIngest | None = None
        self.resumed = False
        self._prepared = False
        self._pointer = ""  # what checkpoints/best names
        self._mark = time.time()  # elapsed_seconds counted up to here
        # Set by run():
        self.crew: Crew | None = None
        self.tb: TensorBoardLog | None = None
        self.best_ref: ray.ObjectRef | None = None
        self.worker_calls: dict[ray.ObjectRef, int] = {}
        self.idle_workers: list[int] = []
        self.retry_workers: dict[int, float] = {}  # worker -> when to call it again
        self.train_calls: dict[ray.ObjectRef, int] = {}  # ref -> samples
        self.checkpoint_call: tuple[ray.ObjectRef, str, dict] | None = None
        self.gate_call: tuple[ray.ObjectRef, str, ray.ObjectRef] | None = None
        self.candidate: tuple[str, ray.ObjectRef] | None = None  # waiting for its gate
        self.last_loss: dict[str, float] = {}
        self.in_progress: dict[int, tuple[int, int]] = {}  # worker -> (games, moves)
        self.gate_watch = GateWatch()
        self.worker_restarts = 0
        self.strikes = Strikes()
        self.watchdog = Watchdog()
        self.rates = Rates(time.monotonic(), 0, 0)
        self._steps_scheduled = 0
        self._selfplay_evaluations = 0  # this session's, for the gates' cost share
        self._selfplay_moves = 0
        self._fresh_from = 0  # first game id no training call has sampled yet
        self._session_start = time.monotonic()
        self._last_server_check = time.monotonic()
        self._precision_calls: dict[str, ray.ObjectRef] = {}  # until answered

    # ================================================================== set-up
    def prepare(self) -> None:
        """Read (or create) the run directory's state and rebuild the replay buffer.

        Needs no Ray; every problem with the run directory surfaces here as a
        ``RunDirError`` (or ``GameRecordError``) naming the file.
        """
        start = start_session(self.run_dir, self.config, self.log)
        self.state, self.buffer, self.resumed = start.state, start.buffer, start.resumed
        self._fresh_from = self.state.games  # earlier sessions may have trained on all
        self._pointer = self.state.best
        self._mark = self.state.session.started
        c = self.config
        self.ingest = GameIngest(self.run_dir, self.buffer, c.pipeline.sgf_every,
                                 c.network.name, c.name, self.log)
        self._prepared = True
        verb = "resuming" if self.resumed else "starting"
        self.log(f"{verb} run {c.name!r} in {self.run_dir.root}: generation "
                 f"{self.state.generation}, {self.state.games} games, "
                 f"{len(self.buffer)} positions in the buffer "
                 f"(digest {self.state.session.resume_digest[:16]})")

    def _start(self) -> None:
        """Start TensorBoard and every actor; on a fresh run the initial network is saved
        as the first best."""
        p, rd = self.config.pipeline, self.run_dir
        plan = plan_placement(PlacementRequest(
            workers=p.workers, gpus_per_inference=p.gpus_per_inference,
            inference_servers=p.inference_servers), nodes_from_ray(ray.nodes()))
        self.log("placement:\n  " + plan.summary(p.precision).replace("\n", "\n  "))
        # The driver's own TensorFlow (TensorBoard, reading checkpoints) stays off the GPU;
        # imported only now, after Ray started, so Ray's processes keep seeing the GPUs.
        import tensorflow as tf

        tf.config.set_visible_devices([], "GPU")
        self.tb = TensorBoardLog(rd.logs_dir)
        self.crew = Crew(self.config, plan, self.log,
                         live_path=str(rd.live_game_path.resolve()))
        self._start_learner(named=True)
        if not self.state.best:  # a fresh run: the initial network is the first best
            name = RunDir.checkpoint_name(0)
            keras_bytes, json_bytes, weights = ray.get(self.crew.learner.checkpoint.remote(
                {"generation": 0, "samples_trained": 0, "parent": None, "promoted": True,
                 "gate_elo_sum": 0.0}))
            rd.write_checkpoint(name, keras_bytes, json_bytes)
            self.state = self.state.replace(best=name, learner_checkpoint=name)
            self.publish()
        else:
            weights = self._checkpoint_weights(self.state.best)
        self.best_ref = ray.put(weights)
        self.crew.start_players(self.state.best_version, self.best_ref)
        self._precision_calls = self.crew.precision_calls()  # answered while games start
        for i in range(len(self.crew.servers)):
            self.watchdog.alive(f"inference-{i}")

    def _record_precision(self) -> None:
        """Once every role has answered ``precision_calls``: log the precision each network
        runs in (after the placement table) and record it in the state's session."""
        calls = self._precision_calls
        refs = list(calls.values())
        if not refs or len(ray.wait(refs, num_returns=len(refs), timeout=0)[0]) < len(refs):
            return
        self._precision_calls = {}
        try:
            choices = dict(zip(calls, ray.get(refs), strict=True))
        except ray.exceptions.RayError as exc:  # a role failed at start
            self.log(f"precision: not known ({describe(exc)})")
            return
        self.log("precision:\n  " + "\n  ".join(
            f"{role}: {c['precision']} ({c['reason']})" for role, c in choices.items()))
        self.state = self.state.with_session(dataclasses.replace(
            self.state.session, precision=choices))

    def _start_learner(self, named: bool) -> None:
        """(Re)start the learner from the checkpoint the state names (none: a new one)."""
        rd, name = self.run_dir, self.state.learner_checkpoint
        checkpoint = None
        if name:
            checkpoint = rd.read_checkpoint(name)
            meta = rd.read_checkpoint_metadata(name)
            self.state = self.state.replace(
                learner_steps=int(meta["training_steps"]),
                samples_trained=int(meta.get("samples_trained", 0)))
        self._steps_scheduled = self.state.learner_steps
        self.train_calls.clear()
        self.checkpoint_call = None
        self.crew.start_learner(checkpoint, str(rd.checkpoints / (name or "(new)")), named)

    def _checkpoint_weights(self, name: str) -> list[np.ndarray]:
        from network import load_checkpoint, network_config_of

        path = self.run_dir.checkpoint_path(name)
        model, _ = load_checkpoint(path, expect_board_size=self.config.rules.size)
        if network_config_of(model) != self.config.network:
            raise RunDirError(f"{path}: holds network {network_config_of(model).name}, the "
                              f"run uses {self.config.network.name}")
        return model.get_weights()

    # ================================================================== the loop
    def run(self) -> RunState:
        """Run until a stop condition (Ray must be initialised); returns the final state.

        Raises ``PlacementError`` at once when the cluster cannot host the run."""
        if not self._prepared:
            self.prepare()
        previous = {signal.SIGINT: signal.getsignal(signal.SIGINT),
                    signal.SIGTERM: signal.getsignal(signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self._on_signal)
        try:
            self._start()
            self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._shutdown()
        return self.state

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.stop_reason is not None:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.stop_reason = "interrupted" if signum == signal.SIGINT else "terminated"
        self.log(f"{signal.Signals(signum).name}: stopping cleanly (again to force)")

    def _loop(self) -> None:
        """The pipeline's story: workers play, games come in, the learner trains on them
        at its pace, candidates go to the gate, the best is broadcast; until a stop."""
        p = self.config.pipeline
        self._session_start = time.monotonic()
        self.rates = Rates(time.monotonic(), self.state.games, self.state.positions)
        if self.state.pending_candidate:  # written before the last stop, never gated
            name = self.state.pending_candidate
            self.candidate = (name, ray.put(self._checkpoint_weights(name)))
        for w in range(len(self.crew.workers)):
            self._call_worker(w)
        self._maybe_gate()
        while self.stop_reason is None:
            for ref in self._ready():
                self._handle(ref)
            self._schedule_training()
            self._resume_workers()
            self._maybe_gate()
            now = time.monotonic()
            if now - self.rates.last >= p.status_every:
                self._report(now)
            if now - self._last_server_check >= SERVER_CHECK_SECONDS:
                self._check_health(now)
            self._check_stop(now)

    def _ready(self) -> list[ray.ObjectRef]:
        refs = [*self.worker_calls, *self.train_calls]
        for call in (self.checkpoint_call, self.gate_call):
            if call is not None:
                refs.append(call[0])
        if refs and ray.wait(refs, num_returns=1, timeout=0.5)[0]:
            return ray.wait(refs, num_returns=len(refs), timeout=0)[0]
        return []

    def _check_stop(self, now: float) -> None:
        p = self.config.pipeline
        if p.minutes is not None and now - self._session_start >= 60 * p.minutes:
            self.stop_reason = f"{p.minutes:g} minutes"
        played = self.state.generation - self.state.session.generation_at_start
        if p.generations is not None and played >= p.generations:
            self.stop_reason = f"{p.generations} generations"

    # ------------------------------------------------------------------ results
    def _handle(self, ref: ray.ObjectRef) -> None:
        if ref in self.worker_calls:
            self._on_worker(self.worker_calls.pop(ref), ref)
        elif ref in self.train_calls:
            self._on_training(ref)
        elif self.checkpoint_call and ref == self.checkpoint_call[0]:
            self._on_candidate(ref)
        elif self.gate_call and ref == self.gate_call[0]:
            self._on_gate(ref)

    def _on_worker(self, w: int, ref: ray.ObjectRef) -> None:
        self.watchdog.forget(f"worker-{w}")
        try:
            report = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._worker_failed(w, exc)
            return
        self.strikes.succeed(f"worker {w}")
        self.rates.add_report(report.evaluations, report.moves)
        self._selfplay_evaluations += report.evaluations
        self._selfplay_moves += report.moves
        self.in_progress[w] = (report.games_in_progress, report.moves_in_progress)
        for record in report.games:
            games = self.state.games
            self.state = self.ingest.ingest(self.state, record)
            if self.state.games > games:
                self._calibrate_resignation(record)
        if self._workers_may_play():
            self._call_worker(w)
        else:
            self.idle_workers.append(w)

    def _calibrate_resignation(self, record: GameRecord) -> None:
        """Feed an ingested game to the resign calibration; a new threshold is logged,
        written to TensorBoard and goes to each worker with its next call."""
        self.state, new = observe(self.state, record, self.resign,
                                  self.config.search.resign_threshold)
        if new is not None:
            self.log(f"resign threshold now {new:+.3f} (false positives <= "
                     f"{100 * self.resign.target:g}% over the last "
                     f"{len(self.state.resign_samples)} resign-disabled players)")
            self.tb.scalars({"resign/threshold": new}, self.state.games)

    def _on_training(self, ref: ray.ObjectRef) -> None:
        self.train_calls.pop(ref)
        try:
            logs = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._learner_failed(exc)
            return
        self.strikes.succeed("learner")
        s = self.state = self.state.replace(
            learner_steps=int(logs["steps"]),
            samples_trained=self.state.samples_trained + int(logs["samples"]))
        self.last_loss = logs
        self.tb.scalars({
            "loss/total": logs["total"], "loss/policy": logs["policy"],
            "loss/value_mse": logs["value"], "loss/l2": logs["l2"],
            "train/policy_entropy": logs["policy_entropy"],
            "train/learning_rate": logs["learning_rate"],
            "loss/heldout_value_mse": logs.get("heldout_value"),
            "loss/heldout_policy": logs.get("heldout_policy"),
            "train/samples_per_position": s.samples_trained / max(s.positions, 1)},
            s.learner_steps)

    def _on_candidate(self, ref: ray.ObjectRef) -> None:
        _, name, meta = self.checkpoint_call
        self.checkpoint_call = None
        try:
            keras_bytes, json_bytes, weights = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._learner_failed(exc)
            return
        self.state = promotion.add_candidate(self.run_dir, self.state, name, keras_bytes,
                                             json_bytes)
        self.candidate = (name, ray.put(weights))
        self.log(f"candidate {name} after {meta['training_steps_planned']} steps")
        self.publish()

    def _on_gate(self, ref: ray.ObjectRef) -> None:
        _, name, cand_ref = self.gate_call
        self.gate_call = None
        try:
            report = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._gate_failed(name, cand_ref, exc)
            return
        self.strikes.succeed("gate")
        report = promotion.with_cost_share(report, self._generation_evaluations())
        self.state, gate = promotion.record_gate(self.run_dir, self.state, name, report)
        if gate.promoted:
            self.best_ref = cand_ref  # already in the object store: one ray.put per best
            self.crew.announce(self.state.best_version, self.best_ref)
        self.log(promotion.gate_line(gate))
        s = self.state
        self.tb.scalars({"gate/win_rate": gate.win_rate, "gate/elo": gate.elo,
                         "gate/games": gate.games, "gate/promoted": float(gate.promoted),
                         "gate/cost_share": gate.gate_cost_share,
                         "gate/evaluations": gate.evaluations,
                         "elo/gate_elo_sum": s.gate_elo_sum}, s.generation)
        self.publish()

    def _generation_evaluations(self) -> float:
        """One generation's self-play evaluations (``promotion.generation_evaluations``),
        at this session's evaluations per move (the search's simulations before any
        worker reported)."""
        p = self.config.pipeline
        per_move = (self._selfplay_evaluations / self._selfplay_moves if self._selfplay_moves
                    else float(self.config.search.num_simulations))
        return promotion.generation_evaluations(per_move, p.steps_per_generation,
                                                self.pace.batch, p.samples_per_position)

    # ------------------------------------------------------------------ failures
    def _give_up(self, role: str, exc: BaseException | str) -> None:
        self.failed = True
        self.stop_reason = (f"gave up: {role} failed {self.strikes.count(role)} times in "
                            f"a row (last: {describe(exc)})")
        self.log(self.stop_reason)

    def _worker_failed(self, w: int, exc: BaseException) -> None:
        """A worker call failed: call the worker again a moment later (Ray restarts a
        worker that died; one that raised is restarted here). Calls that found the worker
        restarting do not count as failures."""
        self.retry_workers[w] = time.monotonic() + WORKER_RETRY_SECONDS
        role = f"worker {w}"
        self.worker_restarts += 1
        if isinstance(exc, ray.exceptions.ActorUnavailableError):  # restarting
            self.log(f"worker {w} died ({type(exc).__name__}); Ray restarts it, its "
                     f"games in progress are lost")
        elif self.strikes.fail(role):
            self.retry_workers.pop(w)
            self._give_up(role, exc)
        elif isinstance(exc, ray.exceptions.RayTaskError):  # raised inside: start afresh
            self.crew.restart(self.crew.workers[w])
            self.log(f"worker {w} raised {describe(exc)}; restarting it, its games in "
                     f"progress are lost")
        else:
            self.log(f"worker {w} died ({type(exc).__name__}); Ray restarts it, its "
                     f"games in progress are lost")

    def _learner_failed(self, exc: BaseException) -> None:
        if self.strikes.fail("learner"):
            self._give_up("learner", exc)
            return
        self.log(f"learner died ({describe(exc)}); restarting it from "
                 f"{self.state.learner_checkpoint}")
        if isinstance(exc, ray.exceptions.RayTaskError):
            kill([self.crew.learner])
        self._start_learner(named=False)

    def _gate_failed(self, name: str, cand_ref: ray.ObjectRef, exc: BaseException) -> None:
        if self.strikes.fail("gate"):
            self._give_up("gate", exc)
            return
        self.log(f"gate of {name} failed ({describe(exc)}); playing it again")
        if isinstance(exc, ray.exceptions.RayTaskError):
            self.crew.restart(self.crew.gatekeeper)
        self.candidate = (name, cand_ref)

    def _check_health(self, now: float) -> None:
        """Re-announce weights to restarted servers; restart what the watchdog finds
        stuck (a worker call or a server silent for ``stuck_seconds``)."""
        self._last_server_check = now
        self._record_precision()
        self.crew.check_servers(self.state.best_version, self.best_ref, self.watchdog)
        for role, seconds in self.watchdog.silent(self.stuck_seconds).items():
            kind, index = role.rsplit("-", 1)
            strike = f"{kind} {index}"
            self.log(f"{role} has not answered for {seconds:.0f} s; restarting it")
            if self.strikes.fail(strike):
                self._give_up(strike, f"no answer for {seconds:.0f} s")
                return
            self.watchdog.alive(role)
            if kind == "worker":
                w = int(index)
                for ref in [r for r, i in self.worker_calls.items() if i == w]:
                    del self.worker_calls[ref]
                self.crew.restart(self.crew.workers[w])
                self.retry_workers[w] = time.monotonic() + WORKER_RETRY_SECONDS
            else:
                self.crew.restart(self.crew.servers[int(index)])

    # ------------------------------------------------------------------ scheduling
    def _call_worker(self, w: int) -> None:
        threshold = current_threshold(self.state, self.config.search.resign_threshold)
        call = self.crew.workers[w].play.remote(1, None, WORKER_CALL_SECONDS, threshold)
        self.worker_calls[call] = w
        self.watchdog.alive(f"worker-{w}")

    def _owed(self) -> float:
        return pacing.owed(self.state.positions, self.state.samples_trained,
                           sum(self.train_calls.values()), self.pace.ratio,
                           self.pace.train_start)

    def _training_started(self) -> bool:
        return pacing.training_started(self.state.samples_trained, len(self.buffer),
                                       pacing.first_step(self.pace.train_start))

    def _workers_may_play(self) -> bool:
        return pacing.workers_may_play(self.pace, self._training_started(), self._owed())

    def _resume_workers(self) -> None:
        now = time.monotonic()
        for w, at in list(self.retry_workers.items()):
            if at <= now:
                del self.retry_workers[w]
                self._call_worker(w)
        while self.idle_workers and self._workers_may_play():
            self._call_worker(self.idle_workers.pop())

    def _schedule_training(self) -> None:
        if not self._training_started() or len(self.buffer) == 0:
            return
        while len(self.train_calls) < 2 and self.checkpoint_call is None:
            steps = pacing.next_training_steps(self.pace, self._owed(), self._steps_scheduled)
            if steps < 1:
                return
            # The buffer applies the symmetries (the learner's trainer does not).
            batches = [self.buffer.sample(self.pace.batch,
                                          symmetries=self.config.train.augment)
                       for _ in range(steps)]
            # Games added since the previous call was sampled: held out from every
            # earlier call, evaluated before this one trains.
            heldout = self.buffer.sample_newest(self.pace.batch, self._fresh_from)
            self._fresh_from = self.state.games
            self.train_calls[self.crew.learner.train.remote(batches, heldout)] = (
                steps * self.pace.batch)
            self._steps_scheduled += steps
            if pacing.at_candidate(self.pace, self._steps_scheduled):
                self._request_candidate()

    def _request_candidate(self) -> None:
        steps, s = self._steps_scheduled, self.state
        meta = {"generation": None, "parent": s.best, "samples_trained":
                s.samples_trained + sum(self.train_calls.values()),
                "training_steps_planned": steps, "games": s.games,
                "positions": s.positions, "promoted": False}
        self.checkpoint_call = (self.crew.learner.checkpoint.remote(meta),
                                RunDir.checkpoint_name(steps), meta)

    def _maybe_gate(self) -> None:
        if self.gate_call is not None or self.candidate is None or self.stop_reason:
            return
        p = self.config.pipeline
        name, cand_ref = self.candidate
        self.candidate = None
        if p.gate_games == 0:
            self._promote_ungated(name, cand_ref)
            return
        threshold = current_threshold(self.state, self.config.search.resign_threshold)
        # The best is the network the gate's inference server serves (best_version).
        ref = self.crew.gatekeeper.play.remote(
            cand_ref, None, p.gate_games, p.gate_threshold, gate_sprt(p),
            p.gate_parallel_games, resign_threshold=threshold,
            best_version=self.state.best_version)
        self.gate_call = (ref, name, cand_ref)
        self.gate_watch.start(name, self.state.best, p.gate_games, gate_sprt(p))
        self.log(f"gate {self.state.generation + 1}: {name} against {self.state.best}")

    def _promote_ungated(self, name: str, cand_ref: ray.ObjectRef) -> None:
        """``gate_games = 0`` (AlphaZero): the candidate becomes the best without a match
        and goes to the inference servers at once; it counts as a generation."""
        self.state, gate = promotion.record_gate(self.run_dir, self.state, name,
                                                 promotion.UNGATED_REPORT)
        self.best_ref = cand_ref
        self.crew.announce(self.state.best_version, self.best_ref)
        self.log(promotion.gate_line(gate))
        self.tb.scalars({"gate/promoted": 1.0, "gate/games": 0}, self.state.generation)
        self.publish()

    # ------------------------------------------------------------------ reporting
    def _report(self, now: float) -> None:
        s = self.state
        rates = self.rates.tick(now, s.games, s.positions)
        threshold = current_threshold(s, self.config.search.resign_threshold)
        waiting = self.watchdog.silent(WAITING_SHOWN_SECONDS)
        self.status(view_of(self, rates, threshold, waiting))
        fp = (s.resign_false_positives / s.resign_would_have
              if s.resign_would_have else None)
        self.tb.scalars({
            "selfplay/games_per_s": rates["games_per_s"],
            "selfplay/positions_per_s": rates["positions_per_s"],
            "selfplay/moves_per_s": rates["moves_per_s"],
            "selfplay/evaluations_per_s": rates["evaluations_per_s"],
            "selfplay/games": s.games, "buffer/positions": len(self.buffer),
            "buffer/fill": self.buffer.fill, "buffer/window": self.buffer.window,
            "resign/false_positive_rate": fp, "resign/threshold": threshold}, s.games)
        self.publish()

    def publish(self) -> None:
        """Write the state (elapsed time and the buffer's digest brought up to date), then
        the ``best`` pointer when the best changed, then drop unused learner pairs."""
        now = time.time()
        self.state = self.state.replace(
            elapsed_seconds=self.state.elapsed_seconds + now - self._mark,
            buffer_digest=self.buffer.digest())
        self._mark = now
        self.run_dir.write_state(self.state)
        if self.state.best != self._pointer:
            self.run_dir.write_best(self.state.best)
            self._pointer = self.state.best
        if self.state.learner_checkpoint.startswith("learner-"):
            self.run_dir.remove_learner_checkpoints(keep=self.state.learner_checkpoint)

    # ------------------------------------------------------------------ stopping
    def _shutdown(self) -> None:
        """Save the learner and the state, then end every actor of the session; a failure
        to write (a full disk) is logged and never keeps the actors alive."""
        reason = self.stop_reason or ("error" if sys.exc_info()[0] else "finished")
        self.stop_reason = reason
        try:
            if self.crew is not None and self.crew.learner is not None:
                self._save_learner()
        except Exception as exc:  # noqa: BLE001 - keep shutting down; the last candidate remains
            self.log(f"could not save the learner ({describe(exc)})")
        try:
            if self._prepared:
                self.state = self.state.with_session(dataclasses.replace(
                    self.state.session, stopped=time.time(), reason=reason,
                    games_at_stop=self.state.games, stop_digest=self.buffer.digest()))
                self.publish()
        except Exception as exc:  # noqa: BLE001 - e.g. a full disk: the actors still go
            self.log(f"could not write {self.run_dir.state_path} ({describe(exc)}); the "
                     f"next start resumes from its previous version and the game files")
        finally:
            if self.crew is not None:
                self.crew.stop(list(self.worker_calls))
            if self.tb is not None:
                self.tb.close()
        s = self.state
        self.log(f"stopped ({reason}): generation {s.generation}, {s.games} games, "
                 f"{s.positions} positions, learner step {s.learner_steps}; run directory "
                 f"{self.run_dir.root}" if self._prepared else f"stopped ({reason})")

    def _save_learner(self) -> None:
        deadline = time.monotonic() + STOP_TRAIN_TIMEOUT
        for ref in list(self.train_calls):
            try:
                logs = ray.get(ref, timeout=max(1.0, deadline - time.monotonic()))
            except (ray.exceptions.RayError, TimeoutError):
                return
            self.train_calls.pop(ref)
            self.state = self.state.replace(
                learner_steps=int(logs["steps"]),
                samples_trained=self.state.samples_trained + int(logs["samples"]))
        if self.checkpoint_call is not None:  # finish writing the candidate it asked for
            ref = self.checkpoint_call[0]
            if ray.wait([ref], timeout=STOP_TRAIN_TIMEOUT)[0]:
                self._handle(ref)
        keras_bytes, json_bytes, _ = ray.get(self.crew.learner.checkpoint.remote(
            {"samples_trained": self.state.samples_trained, "parent": self.state.best,
             "learner_state": True}), timeout=STOP_TRAIN_TIMEOUT)
        self.state = promotion.save_learner(self.run_dir, self.state, keras_bytes,
                                            json_bytes)


def describe(exc: BaseException | str) -> str:
    """``Type: message`` of an exception (the cause inside a Ray task error), one line."""
    if isinstance(exc, str):
        return exc
    cause = getattr(exc, "cause", None)
    if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(cause, BaseException):
        exc = cause
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"[:300]
