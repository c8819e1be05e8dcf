"""Supervision: the session's actors, their calls, and what happens when one fails.

``Crew`` starts the actors of a placement plan (learner, inference servers, workers,
gatekeeper), restarts the ones that fail, keeps the inference servers on the best
version, and ends them all at shutdown. ``Strikes`` counts failures in a row per role, so
that a role that keeps failing stops the run cleanly instead of looping forever.
``Watchdog`` names calls that have been waiting too long (a worker blocked on a server
that cannot be rescheduled, a silent server).

Failure policy (the driver applies it; see ``driver.Pipeline``):
  * a worker whose call fails (its process died, or an exception was raised inside it,
    such as an inference server's out-of-memory error passed back) is restarted and
    called again; its games in progress are lost;
  * a worker call older than ``stuck_seconds`` is a stuck worker: restarted the same way;
  * the learner is rebuilt from the newest learner checkpoint, the gate is played again;
  * ``MAX_STRIKES`` failures in a row of one role stop the run cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ray

from rundir import config as run_config
from rundir.config import RunConfig
from selfplay import actors

MAX_STRIKES = 5  # failures in a row of one role that stop the run
SERVER_ANSWER_SECONDS = 5.0
# A worker's first games start one by one over this many games' move limits: with few games
# at once the first ones end within the first minutes, and later ones never all end together.
START_SPREAD_GAMES = 2


class Strikes:
    """Failures in a row, per role name (``"worker 3"``, ``"gate"``, ``"learner"``)."""

    def __init__(self, limit: int = MAX_STRIKES) -> None:
        self.limit = limit
        self._count: dict[str, int] = {}

    def fail(self, role: str) -> bool:
        """Count a failure of ``role``; True when it has now failed ``limit`` times in a
        row (time to give up)."""
        self._count[role] = self._count.get(role, 0) + 1
        return self._count[role] >= self.limit

    def succeed(self, role: str) -> None:
        self._count.pop(role, None)

    def count(self, role: str) -> int:
        return self._count.get(role, 0)


class Watchdog:
    """When each watched role last showed life, and which have been silent too long.

    Args:
        clock: seconds, monotonic (``time.monotonic``; tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._since: dict[str, float] = {}

    def alive(self, role: str) -> None:
        """``role`` answered (or started waiting) now."""
        self._since[role] = self.clock()

    def forget(self, role: str) -> None:
        self._since.pop(role, None)

    def silent(self, seconds: float) -> dict[str, float]:
        """``{role: seconds silent}`` of the roles silent for at least ``seconds``."""
        now = self.clock()
        return {r: now - t for r, t in sorted(self._since.items()) if now - t >= seconds}


class Crew:
    """The actors of one session (see the module docstring).

    Args:
        config: the run's config; plan: the placement plan (``selfplay.placement``);
        log: one line per event; live_path: the file where worker 0 shows one game in
        progress (``selfplay.live_game``; ``None``: nowhere).
    """

    def __init__(self, config: RunConfig, plan: Any, log: Callable[[str], None],
                 live_path: str | None = None) -> None:
        self.config = config
        self.live_path = live_path
        self.plan = plan
        self.log = log
        self.learner: Any = None
        self.servers: list[Any] = []
        self.workers: list[Any] = []
        self.gatekeeper: Any = None
        self._announced: list[ray.ObjectRef] = []
        self.clients = [0] * len(plan.inference)
        for s in plan.worker_server:
            self.clients[s] += 1

    def name(self, role: str) -> str:
        return f"{self.config.name}:{role}"

    def start_learner(self, checkpoint: tuple[bytes, bytes] | None, checkpoint_name: str,
                      named: bool = True) -> None:
        c = self.config
        self.learner = actors.start_learner(
            self.plan.learner, self.name("learner") if named else None,
            network_config=c.network, train_config=c.train, checkpoint=checkpoint,
            seed=c.pipeline.seed, checkpoint_name=checkpoint_name,
            precision=c.pipeline.precision)

    def start_players(self, version: int, best_ref: ray.ObjectRef) -> None:
        """Start the inference servers (announcing ``version``), workers and gatekeeper."""
        c, p, plan = self.config, self.config.pipeline, self.plan
        self.servers = [
            actors.start_inference_server(
                placement, self.name(f"inference-{i}"), network_config=c.network,
                clients=max(1, self.clients[i]), wait_ms=p.inference_wait_ms,
                seed=p.seed + 1000 + i, wait_for_weights=True, precision=p.precision,
                precision_batch=min(1024, max(1, self.clients[i]) * p.games_per_worker))
            for i, placement in enumerate(plan.inference)]
        # A restarted server waits for weights until check_servers announces them again.
        self._announced = [s.set_weights.remote(version, best_ref) for s in self.servers]
        self.workers = [self._start_worker(i) for i in range(len(plan.workers))]
        self.gatekeeper = actors.start_gatekeeper(
            plan.gatekeeper, self.name("gatekeeper"), network_config=c.network,
            rules=c.rules, search=c.gate_search(), seed=p.seed + 2,
            opening_moves=p.gate_opening_moves,
            server=self.name(f"inference-{plan.gate_server}"))

    def _start_worker(self, i: int) -> Any:
        c, p, plan = self.config, self.config.pipeline, self.plan
        server = plan.worker_server[i]
        return actors.start_worker(
            plan.workers[i], self.name(f"worker-{i}"), self.name(f"inference-{server}"),
            c.network.board_size, c.network.history_length,
            pipelines=run_config.worker_pipelines(p, self.clients[server]),
            rules=c.rules, search=c.search, games=p.games_per_worker, seed=p.seed, worker=i,
            live_path=self.live_path if i == 0 else None,
            start_spread=START_SPREAD_GAMES * c.rules.max_moves)

    def precision_calls(self) -> dict[str, ray.ObjectRef]:
        """Role name (``learner``, ``inference-<i>``) -> a call answering the precision its
        network runs in and why (``PrecisionChoice.to_dict()``)."""
        roles = {"learner": self.learner,
                 **{f"inference-{i}": s for i, s in enumerate(self.servers)}}
        return {role: handle.precision_choice.remote() for role, handle in roles.items()}

    def restart(self, handle: Any) -> None:
        """End ``handle``'s process; Ray starts it again (workers, servers, gatekeeper)."""
        try:
            ray.kill(handle, no_restart=False)
        except Exception:  # noqa: BLE001 - already gone: Ray restarts it anyway
            pass

    def announce(self, version: int, best_ref: ray.ObjectRef) -> None:
        """Send the best weights (``version``) to every inference server. A server serves
        the old version until it has loaded the new one; ``check_servers`` leaves it alone
        until then instead of taking it for a restarted server."""
        self._announced = [server.set_weights.remote(version, best_ref)
                           for server in self.servers]

    def check_servers(self, version: int, best_ref: ray.ObjectRef,
                      watchdog: Watchdog) -> None:
        """Re-announce the best weights to servers that restarted with older ones; each
        server that answers shows life to ``watchdog`` as ``inference-<i>``."""
        for i, server in enumerate(self.servers):
            if not ray.wait([self._announced[i]], timeout=0)[0]:
                continue  # the latest announcement is still loading
            try:
                served = ray.get(server.get_version.remote(), timeout=SERVER_ANSWER_SECONDS)
            except (ray.exceptions.RayError, TimeoutError):
                continue  # restarting, or stuck: the watchdog tells
            watchdog.alive(f"inference-{i}")
            if served < version:
                self.log(f"inference server {i} serves version {served} (restarted?); "
                         f"announcing version {version}")
                self._announced[i] = server.set_weights.remote(version, best_ref)

    def stop(self, worker_calls: list[ray.ObjectRef]) -> None:
        """End every actor: workers first, and let their calls end, so that no request to
        a server is left in flight (and retried) when the servers go."""
        kill(self.workers)
        if worker_calls:
            ray.wait(worker_calls, num_returns=len(worker_calls), timeout=5)
        kill([*self.servers, self.gatekeeper, self.learner])


def kill(handles: list[Any]) -> None:
    """End each actor for good (no restart); actors already gone are skipped."""
    for handle in handles:
        if handle is not None:
            try:
                ray.kill(handle, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
