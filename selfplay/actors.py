"""The one place where the pipeline's plain classes become Ray actors.

Every role is a plain class (``SelfPlayWorker``, ``InferenceServer``, ``Learner``,
``Gatekeeper``) that tests use without a cluster; here ``ray.remote(Cls).options(...)``
wraps them with their resources (from ``selfplay.placement``), their restart policy and
their name. Actors without a GPU get ``CUDA_VISIBLE_DEVICES=""`` through their
``runtime_env``, so TensorFlow in them never touches a GPU.

Restart policy:
  * workers restart forever; a call that was running when a worker died fails (its games
    in progress are lost) and the driver simply calls the restarted worker again;
  * inference servers restart forever and calls to them are retried, so a worker blocked
    on a dead server resumes once it is back (the driver re-announces the best weights);
  * the gatekeeper restarts and its match is retried once;
  * the learner is not restarted by Ray: the driver rebuilds it from the newest learner
    checkpoint in the run directory, so its state is the saved one, not the session's
    starting one.
"""

from __future__ import annotations

from typing import Any

import ray

from selfplay.gatekeeper import Gatekeeper
from selfplay.inference_server import InferenceServer
from selfplay.learner import Learner
from selfplay.placement import ActorPlacement
from selfplay.remote_evaluator import RemoteEvaluator
from selfplay.worker import SelfPlayWorker

QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # TensorFlow's C++ INFO and WARNING lines off
CPU_ONLY = {"env_vars": {"CUDA_VISIBLE_DEVICES": "", **QUIET_TF}}
WITH_GPU = {"env_vars": dict(QUIET_TF)}


def actor_options(placement: ActorPlacement, name: str | None, max_restarts: int,
                  max_task_retries: int) -> dict[str, Any]:
    """``.options(...)`` for an actor placed at ``placement``."""
    options = placement.ray_options()
    options.update(max_restarts=max_restarts, max_task_retries=max_task_retries)
    if name is not None:
        options["name"] = name
    options["runtime_env"] = CPU_ONLY if placement.num_gpus <= 0 else WITH_GPU
    return options


def cpu_threads(placement: ActorPlacement) -> int:
    """CPU threads for an actor's network ops: its whole CPUs, at least one."""
    return max(1, int(placement.num_cpus))


def start_inference_server(placement: ActorPlacement, name: str | None,
                           **kwargs: Any) -> ray.actor.ActorHandle:
    """An ``InferenceServer`` actor (async: one event loop serves every worker)."""
    cls = ray.remote(InferenceServer).options(
        **actor_options(placement, name, max_restarts=-1, max_task_retries=-1),
        max_concurrency=1000)
    return cls.remote(gpus=placement.num_gpus, threads=cpu_threads(placement), **kwargs)


def start_worker(placement: ActorPlacement, name: str | None,
                 server: ray.actor.ActorHandle | str, board_size: int, history_length: int,
                 pipelines: int = 1, **kwargs: Any) -> ray.actor.ActorHandle:
    """A ``SelfPlayWorker`` actor evaluating through ``server`` (a handle, or the name of
    a named server: see ``RemoteEvaluator``), its games split into ``pipelines`` groups
    that overlap their searches with each other's network requests."""
    cls = ray.remote(SelfPlayWorker).options(
        **actor_options(placement, name, max_restarts=-1, max_task_retries=0))
    evaluators = [RemoteEvaluator(server, board_size, history_length)
                  for _ in range(pipelines)]
    return cls.remote(evaluators, **kwargs)


def start_learner(placement: ActorPlacement, name: str | None,
                  **kwargs: Any) -> ray.actor.ActorHandle:
    """A ``Learner`` actor (not restarted by Ray; see the module docstring)."""
    cls = ray.remote(Learner).options(
        **actor_options(placement, name, max_restarts=0, max_task_retries=0))
    return cls.remote(gpus=placement.num_gpus, threads=cpu_threads(placement), **kwargs)


def start_gatekeeper(placement: ActorPlacement, name: str | None,
                     **kwargs: Any) -> ray.actor.ActorHandle:
    """A ``Gatekeeper`` actor (given a ``server``, it holds no network: its leaves go
    there; two threads: ``progress`` answers while ``play`` runs)."""
    cls = ray.remote(Gatekeeper).options(
        **actor_options(placement, name, max_restarts=-1, max_task_retries=1),
        max_concurrency=2)
    return cls.remote(gpus=placement.num_gpus, threads=cpu_threads(placement), **kwargs)
