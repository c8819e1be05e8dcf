"""The driver survives what it can: an exception raised inside a worker or the gatekeeper
(passed back by real Ray), a stuck worker, an inference server that never answers, a full
disk at shutdown; and gives up cleanly when a role keeps failing."""

from __future__ import annotations

import asyncio
import errno
import time
from types import SimpleNamespace

import numpy as np
import pytest
import ray

from rundir.run_dir import RunDir
from selfplay.driver import Pipeline
from selfplay.remote_evaluator import InferenceTimeoutError, RemoteEvaluator
from selfplay.supervision import MAX_STRIKES, Crew, Strikes, Watchdog
from selfplay.worker import WorkerReport
from tests.selfplay.test_resume import tiny_config


class Flaky:
    """A worker (``play``) and gatekeeper (``play_gate``) whose calls raise the way an
    inference server's GPU out-of-memory error comes back, ``failures`` times, then work;
    ``hang`` makes ``play`` never return."""

    def __init__(self, failures: int, hang: bool = False) -> None:
        self.failures = failures
        self.hang = hang

    def play(self, *args) -> WorkerReport:
        if self.hang:
            time.sleep(3600)
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("RESOURCE_EXHAUSTED: OOM when allocating tensor on GPU:0")
        return WorkerReport(games=[], moves=0, evaluations=0, seconds=0.0, worker=0,
                            session=0)

    def play_gate(self, *args) -> dict:
        return self.play() and {}


class Silent:
    """An inference server that never answers."""

    async def evaluate(self, boards, to_play, legal):
        await asyncio.sleep(3600)


class SlowLoader:
    """An inference server whose weights take ``load_s`` seconds to load, serving the old
    version meanwhile (as ``InferenceServer.set_weights`` does); ``lose_weights`` plays a
    restart."""

    def __init__(self, load_s: float) -> None:
        self.load_s = load_s
        self.version = -1
        self.loads = 0

    async def set_weights(self, version: int, weights) -> int:
        self.loads += 1
        await asyncio.sleep(self.load_s)
        self.version = max(self.version, version)
        return self.version

    async def get_version(self) -> int:
        return self.version

    async def count_loads(self) -> int:
        return self.loads

    async def lose_weights(self) -> None:
        self.version = -1


def pipeline_with(tmp_path, actor, lines: list[str]) -> Pipeline:
    pipeline = Pipeline(tiny_config(), RunDir(tmp_path / "run"), log=lines.append)
    pipeline.prepare()
    restarted: list = []
    pipeline.crew = SimpleNamespace(
        workers=[actor], gatekeeper=actor, restarted=restarted, restart=restarted.append,
        check_servers=lambda *args: None)
    return pipeline


def answer(pipeline: Pipeline, ref) -> None:
    ray.wait([ref], timeout=60)
    pipeline._handle(ref)


def retry_now(pipeline: Pipeline) -> None:
    """Let the failed workers' retry time come."""
    for w in pipeline.retry_workers:
        pipeline.retry_workers[w] = 0.0
    pipeline._resume_workers()


def test_strikes_count_failures_in_a_row_and_the_watchdog_names_silent_roles():
    strikes = Strikes(limit=3)
    assert not strikes.fail("worker 1") and not strikes.fail("worker 1")
    strikes.succeed("worker 1")
    assert [strikes.fail("worker 1") for _ in range(3)] == [False, False, True]
    now = [100.0]
    dog = Watchdog(clock=lambda: now[0])
    dog.alive("worker-0")
    dog.alive("inference-0")
    now[0] = 130.0
    dog.alive("worker-0")
    now[0] = 161.0
    assert dog.silent(60) == {"inference-0": 61.0}
    dog.forget("inference-0")
    assert dog.silent(30) == {"worker-0": 31.0}


def test_an_exception_inside_a_worker_restarts_it_and_repeated_ones_stop_cleanly(
        ray_address, tmp_path):
    lines: list[str] = []
    worker = ray.remote(Flaky).remote(failures=1)
    pipeline = pipeline_with(tmp_path, worker, lines)
    pipeline._call_worker(0)
    answer(pipeline, next(iter(pipeline.worker_calls)))
    assert "worker 0 raised RuntimeError: RESOURCE_EXHAUSTED: OOM when allocating" in lines[-1]
    assert pipeline.crew.restarted == [worker] and not pipeline.worker_calls
    assert list(pipeline.retry_workers) == [0]  # called again a moment later
    retry_now(pipeline)
    answer(pipeline, next(iter(pipeline.worker_calls)))  # the second call works
    assert pipeline.stop_reason is None and pipeline.strikes.count("worker 0") == 0

    failing = ray.remote(Flaky).remote(failures=100)
    pipeline = pipeline_with(tmp_path, failing, lines)
    pipeline._call_worker(0)
    for _ in range(MAX_STRIKES):
        retry_now(pipeline)
        answer(pipeline, next(iter(pipeline.worker_calls)))
    assert pipeline.failed and pipeline.stop_reason == (
        f"gave up: worker 0 failed {MAX_STRIKES} times in a row (last: RuntimeError: "
        f"RESOURCE_EXHAUSTED: OOM when allocating tensor on GPU:0)")
    assert not pipeline.worker_calls and not pipeline.retry_workers  # no call after that


def test_a_failed_gate_is_played_again(ray_address, tmp_path):
    lines: list[str] = []
    gatekeeper = ray.remote(Flaky).remote(failures=1)
    pipeline = pipeline_with(tmp_path, gatekeeper, lines)
    cand_ref = ray.put([np.zeros(2)])
    ref = gatekeeper.play_gate.remote()
    pipeline.gate_call = (ref, "ckpt-00000004.keras", cand_ref)
    answer(pipeline, ref)
    assert "gate of ckpt-00000004.keras failed (RuntimeError: RESOURCE_EXHAUSTED" in lines[-1]
    assert pipeline.candidate == ("ckpt-00000004.keras", cand_ref)
    assert pipeline.gate_call is None and pipeline.stop_reason is None
    assert pipeline.crew.restarted == [gatekeeper]


def test_a_stuck_worker_is_named_in_the_status_line_and_restarted(ray_address, tmp_path):
    lines: list[str] = []
    stuck = ray.remote(Flaky).remote(failures=0, hang=True)
    pipeline = pipeline_with(tmp_path, stuck, lines)
    pipeline.stuck_seconds = 1.0
    pipeline._call_worker(0)
    first = next(iter(pipeline.worker_calls))
    time.sleep(1.2)
    assert "no answer: worker-0 1s" in status_of(pipeline)
    pipeline._check_health(time.monotonic())
    assert "worker-0 has not answered for 1 s; restarting it" in lines[-1]
    assert pipeline.crew.restarted == [stuck]
    assert first not in pipeline.worker_calls and list(pipeline.retry_workers) == [0]
    for _ in range(MAX_STRIKES - 1):
        pipeline.watchdog._since["worker-0"] -= 2.0
        pipeline._check_health(time.monotonic())
    assert pipeline.failed and pipeline.stop_reason.startswith(
        f"gave up: worker 0 failed {MAX_STRIKES} times in a row (last: no answer for")


def status_of(pipeline: Pipeline) -> str:
    from selfplay.status import RunView, status_line

    return status_line(RunView(pipeline.state, waiting=pipeline.watchdog.silent(1.0)))


def test_a_worker_waiting_on_a_silent_server_times_out_naming_it(ray_address):
    server = ray.remote(Silent).options(name="test-silent-server", max_concurrency=10).remote()
    evaluator = RemoteEvaluator("test-silent-server", 5, 2, timeout=1.0)
    with pytest.raises(InferenceTimeoutError,
                       match="test-silent-server did not answer within 1 s"):
        evaluator.evaluate(np.zeros((1, 5, 5, 5), np.float32), np.ones(1, np.int8),
                           np.ones((1, 26), bool))
    ray.kill(server)


def test_a_full_disk_at_shutdown_still_ends_every_actor(tmp_path, monkeypatch):
    lines: list[str] = []
    pipeline = Pipeline(tiny_config(), RunDir(tmp_path / "run"), log=lines.append)
    pipeline.prepare()
    stopped: list = []
    pipeline.crew = SimpleNamespace(learner=None, stop=stopped.append)

    def full(state) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline.run_dir, "write_state", full)
    pipeline._shutdown()
    assert stopped == [[]]
    assert any("could not write" in line and "No space left on device" in line
               for line in lines), lines
    assert lines[-1].startswith("stopped (finished)")


def test_a_server_still_loading_a_promotion_is_not_taken_for_a_restarted_one(ray_address):
    lines: list[str] = []
    server = ray.remote(SlowLoader).options(max_concurrency=4).remote(load_s=1.0)
    crew = Crew(tiny_config(), SimpleNamespace(inference=[None], worker_server=[0]),
                log=lines.append)
    crew.servers = [server]
    weights = ray.put([np.zeros(2)])
    crew.announce(0, weights)
    ray.get(crew._announced[0])
    crew.announce(1, weights)  # a promotion: loading takes a second
    dog = Watchdog()
    crew.check_servers(1, weights, dog)
    assert lines == []
    assert ray.get(crew._announced[0]) == 1 and ray.get(server.count_loads.remote()) == 2
    crew.check_servers(1, weights, dog)  # loaded: it serves version 1, nothing to do
    assert lines == [] and ray.get(server.get_version.remote()) == 1
    assert "inference-0" in dog._since

    ray.get(server.lose_weights.remote())  # a restarted server waits for weights
    crew.check_servers(1, weights, dog)
    assert lines == ["inference server 0 serves version -1 (restarted?); announcing "
                     "version 1"]
    crew.check_servers(1, weights, dog)  # still loading: announced once, not twice
    assert len(lines) == 1 and ray.get(crew._announced[0]) == 1
    assert ray.get(server.count_loads.remote()) == 3
    ray.kill(server)
