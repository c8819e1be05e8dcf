"""The driver: runs a whole training run on a Ray cluster, and resumes one.

The driver process holds the replay buffer and the run directory; actors do the rest:

* workers (``SelfPlayWorker``) play and return finished games; each game is written to
  ``games/`` the moment it arrives, then added to the buffer;
* inference servers serve the best network to the workers;
* the learner trains on batches the driver samples from the buffer, and every
  ``steps_per_generation`` steps returns a candidate checkpoint (bytes), which the driver
  writes to ``checkpoints/``;
* the gatekeeper plays each candidate against the best; a promotion puts the new weights
  into Ray's object store once (``ray.put``) and announces ``(version, reference)`` to the
  inference servers.

Pace: the learner samples ``samples_per_position`` positions per new self-play position;
it waits when it is ahead, and workers wait when it is more than ``max_lag`` positions
behind (backpressure).

Stopping (``--generations``, ``--minutes``, Ctrl-C or SIGTERM) saves the learner (weights
and optimizer), the state and the buffer's digest; only games in progress are lost. A kill
-9 loses those games and the learner steps since the last candidate. Rerunning with the
same run directory resumes: counters, best network, learner, and a buffer rebuilt from
``games/`` equal to the one the previous session held.
"""

from __future__ import annotations

import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import ray

from arena.sprt import gate_sprt
from go.game_record import Game
from go.sgf import to_string
from rundir import config as run_config
from rundir.config import RunConfig
from rundir.run_dir import RunDir, RunDirError, new_state, write_text_atomic
from selfplay import actors
from selfplay.game_record import GameRecord
from selfplay.placement import PlacementRequest, nodes_from_ray, plan_placement
from selfplay.replay_buffer import ReplayBuffer
from selfplay.status import TensorBoardLog, status_line

RATE_WINDOW_S = 30.0  # the status line's and TensorBoard's rates average over this window

SERVER_CHECK_SECONDS = 2.0
WORKER_CALL_SECONDS = 5.0  # a worker call returns after this long even if no game ended
STOP_TRAIN_TIMEOUT = 120.0


class Pipeline:
    """One session of a run (see the module docstring).

    Args:
        config: the resolved run config (already written to ``run_dir`` by the caller or
            written here on a fresh run).
        run_dir: the run directory.
        log: where progress messages go (one line each).
        status: where the live status line goes (``None``: same as ``log``).
    """

    def __init__(self, config: RunConfig, run_dir: RunDir,
                 log: Callable[[str], None] = print,
                 status: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.run_dir = run_dir
        self.log = log
        self.status = status or log
        self.stop_reason: str | None = None
        p = config.pipeline
        self._batch = config.train.batch_size
        self._ratio = p.samples_per_position
        self._name = config.name

    # ================================================================== set-up
    def prepare(self) -> None:
        """Read (or create) the run directory's state and rebuild the replay buffer.

        Needs no Ray; every problem with the run directory surfaces here as a
        ``RunDirError`` (or ``GameRecordError``) naming the file.
        """
        self._load_state()
        c = self.config
        verb = "resuming" if self.resumed else "starting"
        self.log(f"{verb} run {c.name!r} in {self.run_dir.root}: generation "
                 f"{self.state['generation']}, {self.state['games']} games, "
                 f"{len(self.buffer)} positions in the buffer "
                 f"(digest {self.session['resume_digest'][:16]})")

    def _load_state(self) -> None:
        rd = self.run_dir
        if rd.state_path.exists():
            self.state = rd.read_state()
            self.resumed = True
        else:
            rd.create()
            self.state = new_state()
            self.resumed = False
        if self.resumed:
            for key in ("best", "learner_checkpoint", "pending_candidate"):
                if self.state[key]:
                    rd.check_checkpoint(self.state[key])
            if rd.read_best() != self.state["best"]:
                raise RunDirError(f"{rd.best_pointer}: names {rd.read_best()!r}, but "
                                  f"{rd.state_path} says the best is {self.state['best']!r}")
        counted = rd.count_games(self.state["games"])
        if counted > self.state["games"]:  # games written after the last state write
            for game_id in range(self.state["games"], counted):
                self._count(self._read_game(game_id))
            self.state["games"] = counted
        p = self.config.pipeline
        session_seed = p.seed + 7919 * len(self.state["sessions"])
        self.buffer = ReplayBuffer.rebuild(
            (self._read_game(i) for i in range(counted - 1, -1, -1)),
            self.config.rules.size, self.config.network.history_length, p.window,
            seed=session_seed)
        self.session = {"started": time.time(), "resumed": self.resumed,
                        "games_at_start": counted, "generation_at_start":
                        self.state["generation"], "resume_digest": self.buffer.digest()}
        self.state["sessions"].append(self.session)
        self._mark = self.session["started"]
        self._rng = np.random.default_rng(session_seed)

    def _read_game(self, game_id: int) -> GameRecord:
        path = self.run_dir.game_path(game_id)
        record = GameRecord.from_npz(path, where=str(path))
        if record.game_id != game_id:
            raise RunDirError(f"{path}: holds game id {record.game_id}, expected {game_id}")
        if record.board_size != self.config.rules.size:
            raise RunDirError(f"{path}: a {record.board_size}x{record.board_size} game in a "
                              f"{self.config.rules.size}x{self.config.rules.size} run")
        return record

    def _count(self, record: GameRecord) -> None:
        s = self.state
        s["positions"] += record.num_positions
        if record.no_resign:
            s["no_resign_games"] += 1
            if record.would_resign:
                s["resign_would_have"] += 1
                s["resign_false_positives"] += int(record.false_positive)

    def _plan(self):
        p = self.config.pipeline
        request = PlacementRequest(workers=p.workers, gpus_per_inference=p.gpus_per_inference,
                                   inference_servers=p.inference_servers)
        return plan_placement(request, nodes_from_ray(ray.nodes()))

    def _start_actors(self) -> None:
        c, p, rd = self.config, self.config.pipeline, self.run_dir
        plan = self.plan
        self.log("placement:\n  " + plan.summary().replace("\n", "\n  "))
        # The driver's own TensorFlow (TensorBoard, reading checkpoints) stays off the GPU;
        # imported only now, after Ray started, so Ray's processes keep seeing the GPUs.
        import tensorflow as tf

        tf.config.set_visible_devices([], "GPU")
        self.tb = TensorBoardLog(rd.logs_dir)

        learner_ckpt = None
        if self.state["learner_checkpoint"]:
            learner_ckpt = rd.read_checkpoint(self.state["learner_checkpoint"])
            meta = rd.read_checkpoint_metadata(self.state["learner_checkpoint"])
            self.state["learner_steps"] = int(meta["training_steps"])
            self.state["samples_trained"] = int(meta.get("samples_trained", 0))
        self.learner = actors.start_learner(
            plan.learner, f"{self._name}:learner", network_config=c.network,
            train_config=c.train, checkpoint=learner_ckpt, seed=p.seed,
            checkpoint_name=str(rd.checkpoint_path(self.state["learner_checkpoint"] or "-")))
        if not self.state["best"]:  # a fresh run: the initial network is the first best
            name = RunDir.checkpoint_name(0)
            keras_bytes, json_bytes, weights = ray.get(self.learner.checkpoint.remote(
                {"generation": 0, "samples_trained": 0, "parent": None, "promoted": True,
                 "elo": 0.0}))
            rd.write_checkpoint(name, keras_bytes, json_bytes)
            rd.write_best(name)
            self.state.update(best=name, learner_checkpoint=name)
            self._write_state()
        else:
            rd.read_best()  # validates the pointer
            weights = self._checkpoint_weights(self.state["best"])
        self.best_ref = ray.put(weights)

        clients = [0] * len(plan.inference)
        for s in plan.worker_server:
            clients[s] += 1
        self.servers = [
            actors.start_inference_server(
                placement, f"{self._name}:inference-{i}", network_config=c.network,
                clients=max(1, clients[i]), wait_ms=p.inference_wait_ms,
                seed=p.seed + 1000 + i, wait_for_weights=True)
            for i, placement in enumerate(plan.inference)]
        # A restarted server waits for weights until _check_servers announces them again.
        self._announced = [server.set_weights.remote(self.state["best_version"], self.best_ref)
                           for server in self.servers]
        self.workers = [
            actors.start_worker(
                placement, f"{self._name}:worker-{i}",
                f"{self._name}:inference-{plan.worker_server[i]}",
                c.network.board_size, c.network.history_length,
                pipelines=run_config.worker_pipelines(p, clients[plan.worker_server[i]]),
                rules=c.rules, search=c.search, games=p.games_per_worker, seed=p.seed,
                worker=i)
            for i, placement in enumerate(plan.workers)]
        self.gatekeeper = actors.start_gatekeeper(
            plan.gatekeeper, f"{self._name}:gatekeeper", network_config=c.network,
            rules=c.rules, search=c.gate_search(), seed=p.seed + 2)

    def _checkpoint_weights(self, name: str) -> list[np.ndarray]:
        from network import load_checkpoint, network_config_of

        path = self.run_dir.checkpoint_path(name)
        model, _ = load_checkpoint(path, expect_board_size=self.config.rules.size)
        if network_config_of(model) != self.config.network:
            raise RunDirError(f"{path}: holds network {network_config_of(model).name}, the "
                              f"run uses {self.config.network.name}")
        return model.get_weights()

    # ================================================================== the loop
    def run(self) -> dict[str, Any]:
        """Run until a stop condition (Ray must be initialised); returns the final state.

        Raises ``PlacementError`` at once when the cluster cannot host the run."""
        if not hasattr(self, "state"):
            self.prepare()
        self.plan = self._plan()
        previous = {signal.SIGINT: signal.getsignal(signal.SIGINT),
                    signal.SIGTERM: signal.getsignal(signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self._on_signal)
        try:
            self._start_actors()
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
        p = self.config.pipeline
        self.worker_calls: dict[ray.ObjectRef, int] = {}
        self.idle_workers: list[int] = []
        self.train_calls: dict[ray.ObjectRef, int] = {}  # ref -> samples
        self.checkpoint_call: tuple[ray.ObjectRef, str, dict] | None = None
        self.gate_call: tuple[ray.ObjectRef, str, ray.ObjectRef] | None = None
        self.candidate: tuple[str, ray.ObjectRef] | None = None  # waiting for its gate
        self.last_loss: dict[str, float] = {}
        self.worker_restarts = 0
        self._session_start = time.monotonic()
        self._tick = {"time": time.monotonic(), "games": self.state["games"],
                      "positions": self.state["positions"], "evaluations": 0,
                      "moves": 0}
        # Earlier ticks, so that rates cover RATE_WINDOW_S seconds: workers report every
        # few seconds, and a rate over one status interval alone would flicker to 0.
        self._ticks: deque[dict[str, float]] = deque([self._tick])
        self._evaluations = 0
        self._moves = 0
        self._last_server_check = time.monotonic()
        self._steps_scheduled = self.state["learner_steps"]
        if self.state["pending_candidate"]:
            name = self.state["pending_candidate"]
            self.candidate = (name, ray.put(self._checkpoint_weights(name)))
        for w in range(len(self.workers)):
            self._call_worker(w)
        self._maybe_gate()
        while self.stop_reason is None:
            refs = [*self.worker_calls, *self.train_calls]
            if self.checkpoint_call:
                refs.append(self.checkpoint_call[0])
            if self.gate_call:
                refs.append(self.gate_call[0])
            ready: list = []
            if refs and ray.wait(refs, num_returns=1, timeout=0.5)[0]:
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
            for ref in ready:
                self._handle(ref)
            self._schedule_training()
            self._resume_workers()
            self._maybe_gate()
            now = time.monotonic()
            if now - self._tick["time"] >= p.status_every:
                self._report(now)
            if now - self._last_server_check >= SERVER_CHECK_SECONDS:
                self._check_servers()
            if p.minutes is not None and now - self._session_start >= 60 * p.minutes:
                self.stop_reason = f"{p.minutes:g} minutes"
            if p.generations is not None and (
                    self.state["generation"] - self.session["generation_at_start"]
                    >= p.generations):
                self.stop_reason = f"{p.generations} generations"

    # ------------------------------------------------------------------ results
    def _handle(self, ref: ray.ObjectRef) -> None:
        if ref in self.worker_calls:
            w = self.worker_calls.pop(ref)
            try:
                report = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as exc:
                self.worker_restarts += 1
                self.log(f"worker {w} died ({type(exc).__name__}); Ray restarts it, its "
                         f"games in progress are lost")
                self._call_worker(w)
                return
            self._evaluations += report.evaluations
            self._moves += report.moves
            for record in report.games:
                self._ingest(record)
            if self._workers_may_play():
                self._call_worker(w)
            else:
                self.idle_workers.append(w)
        elif ref in self.train_calls:
            self.train_calls.pop(ref)
            try:
                logs = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                self._restart_learner(exc)
                return
            self.state["learner_steps"] = int(logs["steps"])
            self.state["samples_trained"] += int(logs["samples"])
            self.last_loss = logs
            self.tb.scalars({
                "loss/total": logs["total"], "loss/policy": logs["policy"],
                "loss/value_mse": logs["value"], "loss/l2": logs["l2"],
                "train/policy_entropy": logs["policy_entropy"],
                "train/learning_rate": logs["learning_rate"],
                "train/samples_per_position": self.state["samples_trained"]
                / max(self.state["positions"], 1)}, self.state["learner_steps"])
        elif self.checkpoint_call and ref == self.checkpoint_call[0]:
            _, name, meta = self.checkpoint_call
            self.checkpoint_call = None
            try:
                keras_bytes, json_bytes, weights = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                self._restart_learner(exc)
                return
            self.run_dir.write_checkpoint(name, keras_bytes, json_bytes)
            self.state["learner_checkpoint"] = name
            self.state["pending_candidate"] = name
            self.candidate = (name, ray.put(weights))
            self.log(f"candidate {name} after {meta['training_steps_planned']} steps")
            self._write_state()
        elif self.gate_call and ref == self.gate_call[0]:
            _, name, cand_ref = self.gate_call
            self.gate_call = None
            self._gate_done(name, cand_ref, ray.get(ref))

    def _ingest(self, record: GameRecord) -> None:
        """Write a finished game, then count it and add it to the buffer."""
        s = self.state
        record.game_id = s["games"]
        self.run_dir.write_game(record.game_id, record.to_npz_bytes())
        s["games"] += 1
        self._count(record)
        self.buffer.add(record)
        every = self.config.pipeline.sgf_every
        if every and record.game_id % every == 0:
            self._write_sgf(record)

    def _write_sgf(self, record: GameRecord) -> None:
        player = f"{self.config.network.name} v{record.best_version}"
        game = Game(size=record.board_size, komi=record.komi, moves=record.moves.tolist(),
                    result=record.result_string(), black_player=player, white_player=player,
                    comment=f"self-play game {record.game_id} of run {self._name}, "
                            f"worker {record.worker}")
        write_text_atomic(self.run_dir.sgf_path(record.game_id), to_string(game))

    def _gate_done(self, name: str, cand_ref: ray.ObjectRef, report: dict[str, Any]) -> None:
        s = self.state
        s["generation"] += 1
        report = dict(report, generation=s["generation"], candidate=name, best=s["best"],
                      time=time.time())
        s["gates"].append(report)
        if s["pending_candidate"] == name:
            s["pending_candidate"] = ""
        if report["promoted"]:
            s["best_version"] += 1
            s["best_elo"] += report["elo"]
            self.run_dir.update_checkpoint_metadata(
                name, gate=report, promoted=True, generation=s["generation"],
                parent=s["best"], elo=s["best_elo"])
            s["best"] = name
            self.run_dir.write_best(name)
            self.best_ref = cand_ref  # already in the object store: one ray.put per best
            for server in self.servers:
                server.set_weights.remote(s["best_version"], self.best_ref)
        else:
            self.run_dir.update_checkpoint_metadata(name, gate=report, promoted=False)
        self.log(f"gate {s['generation']}: {name} vs best scored {report['wins']}-"
                 f"{report['losses']}-{report['draws']} in {report['games']} games "
                 f"({100 * report['win_rate']:.0f}%, Elo {report['elo']:+.0f} "
                 f"[{report['elo_low']:+.0f}, {report['elo_high']:+.0f}]): "
                 f"{'promoted' if report['promoted'] else 'rejected'}")
        self.tb.scalars({"gate/win_rate": report["win_rate"], "gate/elo": report["elo"],
                         "gate/games": report["games"], "gate/promoted":
                         float(report["promoted"]), "elo/best": s["best_elo"]},
                        s["generation"])
        self._write_state()

    # ------------------------------------------------------------------ scheduling
    def _call_worker(self, w: int) -> None:
        call = self.workers[w].play.remote(1, None, WORKER_CALL_SECONDS)
        self.worker_calls[call] = w

    def _owed(self) -> float:
        """Samples the learner owes the workers' positions (negative: it is ahead)."""
        inflight = sum(self.train_calls.values())
        return (self.state["positions"] * self._ratio - self.state["samples_trained"]
                - inflight)

    def _training_started(self) -> bool:
        return self.state["samples_trained"] > 0 or len(self.buffer) >= \
            self.config.pipeline.train_start

    def _workers_may_play(self) -> bool:
        if not self._training_started():
            return True
        return self._owed() <= self.config.pipeline.max_lag * self._ratio

    def _resume_workers(self) -> None:
        while self.idle_workers and self._workers_may_play():
            self._call_worker(self.idle_workers.pop())

    def _schedule_training(self) -> None:
        p = self.config.pipeline
        if not self._training_started() or len(self.buffer) == 0:
            return
        while len(self.train_calls) < 2 and self.checkpoint_call is None:
            k = p.steps_per_generation
            to_boundary = k - self._steps_scheduled % k
            steps = min(p.train_steps_per_call, to_boundary)
            if self._owed() < steps * self._batch:
                steps = int(self._owed() // self._batch)
                if steps < 1:
                    return
            batches = [self.buffer.sample(self._batch) for _ in range(steps)]
            self.train_calls[self.learner.train.remote(batches)] = steps * self._batch
            self._steps_scheduled += steps
            if self._steps_scheduled % k == 0:
                self._request_candidate()

    def _request_candidate(self) -> None:
        steps = self._steps_scheduled
        name = RunDir.checkpoint_name(steps)
        samples = self.state["samples_trained"] + sum(self.train_calls.values())
        meta = {"generation": None, "parent": self.state["best"], "samples_trained": samples,
                "training_steps_planned": steps, "games": self.state["games"],
                "positions": self.state["positions"], "promoted": False}
        self.checkpoint_call = (self.learner.checkpoint.remote(meta), name, meta)

    def _maybe_gate(self) -> None:
        if self.gate_call is not None or self.candidate is None or self.stop_reason:
            return
        p = self.config.pipeline
        name, cand_ref = self.candidate
        self.candidate = None
        ref = self.gatekeeper.play.remote(cand_ref, self.best_ref, p.gate_games,
                                          p.gate_threshold, gate_sprt(p), p.gate_parallel_games)
        self.gate_call = (ref, name, cand_ref)
        self.log(f"gate {self.state['generation'] + 1}: {name} against {self.state['best']}")

    def _restart_learner(self, exc: Exception) -> None:
        """Rebuild the learner from its newest checkpoint in the run directory."""
        self.log(f"learner died ({type(exc).__name__}); restarting it from "
                 f"{self.state['learner_checkpoint']}")
        for ref in list(self.train_calls):
            self.train_calls.pop(ref)
        self.checkpoint_call = None
        name = self.state["learner_checkpoint"]
        meta = self.run_dir.read_checkpoint_metadata(name)
        self.state["learner_steps"] = int(meta["training_steps"])
        self.state["samples_trained"] = int(meta.get("samples_trained", 0))
        self._steps_scheduled = self.state["learner_steps"]
        c = self.config
        self.learner = actors.start_learner(
            self.plan.learner, None, network_config=c.network, train_config=c.train,
            checkpoint=self.run_dir.read_checkpoint(name), seed=c.pipeline.seed,
            checkpoint_name=str(self.run_dir.checkpoint_path(name)))

    def _check_servers(self) -> None:
        """Re-announce the best weights to servers that restarted with older ones."""
        self._last_server_check = time.monotonic()
        version = self.state["best_version"]
        for i, server in enumerate(self.servers):
            if not ray.wait([self._announced[i]], timeout=0)[0]:
                continue  # the first announcement is still loading
            try:
                served = ray.get(server.get_version.remote(), timeout=5)
            except (ray.exceptions.RayError, TimeoutError):
                continue  # restarting: checked again next time
            if served < version:
                self.log(f"inference server {i} serves version {served} (restarted?); "
                         f"announcing version {version}")
                server.set_weights.remote(version, self.best_ref)

    # ------------------------------------------------------------------ reporting
    def _report(self, now: float) -> None:
        s = self.state
        while len(self._ticks) > 1 and now - self._ticks[1]["time"] >= RATE_WINDOW_S:
            self._ticks.popleft()
        t = self._ticks[0]
        dt = max(now - t["time"], 1e-9)
        rates = {"games_per_s": (s["games"] - t["games"]) / dt,
                 "positions_per_s": (s["positions"] - t["positions"]) / dt,
                 "evaluations_per_s": (self._evaluations - t["evaluations"]) / dt,
                 "moves_per_s": (self._moves - t["moves"]) / dt}
        self._tick = {"time": now, "games": s["games"], "positions": s["positions"],
                      "evaluations": self._evaluations, "moves": self._moves}
        self._ticks.append(self._tick)
        self.status(status_line(s, rates, self.buffer.fill, self.last_loss.get("total"),
                                len(self.workers) * self.config.pipeline.games_per_worker))
        fp = (s["resign_false_positives"] / s["resign_would_have"]
              if s["resign_would_have"] else None)
        self.tb.scalars({
            "selfplay/games_per_s": rates["games_per_s"],
            "selfplay/positions_per_s": rates["positions_per_s"],
            "selfplay/moves_per_s": rates["moves_per_s"],
            "selfplay/evaluations_per_s": rates["evaluations_per_s"],
            "selfplay/games": s["games"], "buffer/positions": len(self.buffer),
            "buffer/fill": self.buffer.fill,
            "resign/false_positive_rate": fp}, s["games"])
        self._write_state()

    def _write_state(self) -> None:
        s = self.state
        now = time.time()
        s["elapsed_seconds"] += now - self._mark
        self._mark = now
        s["buffer_digest"] = self.buffer.digest()
        self.run_dir.write_state(s)

    # ------------------------------------------------------------------ stopping
    def _shutdown(self) -> None:
        """Save the learner and the state, then end every actor of the session."""
        reason = self.stop_reason or ("error" if sys.exc_info()[0] else "finished")
        self.stop_reason = reason
        learner = getattr(self, "learner", None)
        try:
            if learner is not None and hasattr(self, "train_calls"):
                self._save_learner()
        except Exception as exc:  # keep shutting down; the last candidate remains
            self.log(f"could not save the learner ({type(exc).__name__}: {exc})")
        if hasattr(self, "session"):
            self.session.update(stopped=time.time(), reason=reason,
                                games_at_stop=self.state["games"],
                                stop_digest=self.buffer.digest())
            self._write_state()
        # Workers first, and let their calls end, so that no request to a server is left
        # in flight (and retried) when the servers go.
        self._kill(getattr(self, "workers", []))
        calls = list(getattr(self, "worker_calls", {}))
        if calls:
            ray.wait(calls, num_returns=len(calls), timeout=5)
        self._kill([*getattr(self, "servers", []), getattr(self, "gatekeeper", None), learner])
        if hasattr(self, "tb"):
            self.tb.close()
        self.log(f"stopped ({reason}): generation {self.state['generation']}, "
                 f"{self.state['games']} games, {self.state['positions']} positions, "
                 f"learner step {self.state['learner_steps']}; run directory "
                 f"{self.run_dir.root}" if hasattr(self, "session") else f"stopped ({reason})")

    @staticmethod
    def _kill(handles: list) -> None:
        for handle in handles:
            if handle is not None:
                try:
                    ray.kill(handle, no_restart=True)
                except Exception:  # already gone
                    pass

    def _save_learner(self) -> None:
        deadline = time.monotonic() + STOP_TRAIN_TIMEOUT
        for ref in list(self.train_calls):
            try:
                logs = ray.get(ref, timeout=max(1.0, deadline - time.monotonic()))
            except (ray.exceptions.RayError, TimeoutError):
                return
            self.train_calls.pop(ref)
            self.state["learner_steps"] = int(logs["steps"])
            self.state["samples_trained"] += int(logs["samples"])
        if self.checkpoint_call is not None:  # finish writing the candidate it asked for
            ref = self.checkpoint_call[0]
            if ray.wait([ref], timeout=STOP_TRAIN_TIMEOUT)[0]:
                self._handle(ref)
        name = "learner.keras"
        keras_bytes, json_bytes, _ = ray.get(self.learner.checkpoint.remote(
            {"samples_trained": self.state["samples_trained"], "parent": self.state["best"],
             "learner_state": True}), timeout=STOP_TRAIN_TIMEOUT)
        self.run_dir.write_checkpoint(name, keras_bytes, json_bytes)
        self.state["learner_checkpoint"] = name
