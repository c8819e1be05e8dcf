"""Where each role of a run goes, computed from the cluster's resources.

``plan_placement(request, nodes)`` is a pure function: from the nodes a Ray cluster has
(CPUs and GPUs per node, which one is the head) and what a run asks for (number of
self-play workers, GPUs per inference server, ...) it returns a ``PlacementPlan`` that says
how many inference servers there are and on which node, on which node each worker runs and
which inference server it talks to, and the learner's, replay buffer's and gatekeeper's
resources. Nothing is hard-coded to a machine: one laptop, one GPU box and a cluster of
GPU nodes all go through the same rules:

- Inference servers: one per ``gpus_per_inference`` GPUs on every GPU node (one per GPU by
  default); on a cluster without GPUs, one per node. When the cluster has GPUs, CPU-only
  nodes (such as a GPU-less head) host no inference server: their workers send their
  leaves to the GPU servers.
- Learner: one whole GPU of its own when the cluster has two or more GPUs (on a node that
  is not preemptible when there is one), half of the only GPU when it has one (sharing it
  with the inference server), the head's CPU when it has none.
- Replay buffer and gatekeeper: on the head node, next to the driver.
- Workers: spread over the nodes in proportion to the CPUs left after the roles above,
  each getting an equal share of a CPU (at most one), so ``--workers 32`` also runs on a
  two-core laptop. On several nodes the share is the largest with which the workers of
  any one lost node can restart, whole, in the CPUs the others keep free. Each worker
  talks to an inference server on its own node when there is one, otherwise to the least
  loaded server. Every actor reserves at least ``MIN_ACTOR_CPUS``.

A request no cluster state could satisfy (GPUs asked for where none exist, more GPUs per
server than any node has, roles that need more CPUs than a node has) raises
``PlacementError`` naming the missing resource, instead of leaving Ray actors pending
forever. ``nodes_from_ray(ray.nodes())`` and ``node_from_resources(ray.cluster_resources())``
turn Ray's views of a cluster into ``NodeResources``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from go.errors import ZerogoError

HEAD_RESOURCE = "node:__internal_head__"
"""The resource Ray gives the head node only (Ray >= 2.7)."""

PREEMPTIBLE_RESOURCE = "preemptible"
"""Custom resource that ``cluster.yaml`` gives spot / preemptible node types: the learner
avoids such nodes when a GPU node without it exists."""

_EPS = 1e-6
_RESOURCE_QUANTUM = 1e-4  # Ray rounds fractional resources to 4 decimals

MIN_ACTOR_CPUS = 0.01
"""The least CPU any actor reserves: Ray schedules an actor that reserves no resource
anywhere, whatever its node affinity says."""


class PlacementError(ZerogoError, ValueError):
    """The cluster can never satisfy the run's request; the message names what is missing."""


@dataclass(frozen=True)
class NodeResources:
    """One node of the cluster, as the placement sees it.

    Attributes:
        node_id: Ray's node id (hex string), used for node-affinity scheduling.
        cpus: logical CPUs the node offers to Ray (``Resources["CPU"]``).
        gpus: GPUs the node offers to Ray (``Resources["GPU"]``), 0 when it has none.
        is_head: whether this is the head node (where the driver runs).
        address: the node's IP address, for messages only.
        preemptible: a spot / preemptible node that may vanish at any time.
    """

    node_id: str
    cpus: float
    gpus: float = 0.0
    is_head: bool = False
    address: str = ""
    preemptible: bool = False

    def __post_init__(self) -> None:
        if not self.node_id:
            raise ValueError("node_id must be a non-empty string")
        if not (self.cpus >= 0 and math.isfinite(self.cpus)):
            raise ValueError(f"node {self.label}: cpus must be >= 0, got {self.cpus!r}")
        if not (self.gpus >= 0 and math.isfinite(self.gpus)):
            raise ValueError(f"node {self.label}: gpus must be >= 0, got {self.gpus!r}")

    @property
    def label(self) -> str:
        """A short name for messages: address and the first 8 characters of the id."""
        short = self.node_id[:8]
        return f"{self.address} ({short})" if self.address else short


@dataclass(frozen=True)
class PlacementRequest:
    """What a run asks for. ``None`` means "decide from the cluster".

    Attributes:
        workers: number of self-play worker actors (>= 1).
        gpus_per_inference: GPUs per inference server; ``None`` = 1 per GPU when the
            cluster has GPUs (half a GPU when it has only one, shared with the learner),
            0 (CPU inference, one server per node) when it has none.
            Fractions put several servers on one GPU (0.5 = two per GPU).
        inference_servers: cap on the number of inference servers; ``None`` = as many as
            the rules above give.
        cpus_per_inference: CPUs reserved for each inference server; ``None`` = 1, or less
            on a small node (the inference servers and the learner of a node take at most
            half its CPUs).
        cpus_per_worker: CPUs reserved for each worker; ``None`` = an equal share of the
            CPUs left after the other roles, at most 1 (workers may then share cores).
        learner_gpus: GPUs for the learner; ``None`` = see the module docstring.
        learner_cpus: CPUs reserved for the learner; ``None`` = as ``cpus_per_inference``.
        buffer_cpus: CPUs reserved for the replay buffer (on the head).
        gatekeeper_cpus: CPUs reserved for the gatekeeper (on the head).
        gatekeeper_gpus: GPUs for the gatekeeper (the head must have them).

    Every actor reserves at least ``MIN_ACTOR_CPUS``: Ray ignores the node affinity of an
    actor that reserves nothing.
    """

    workers: int
    gpus_per_inference: float | None = None
    inference_servers: int | None = None
    cpus_per_inference: float | None = None
    cpus_per_worker: float | None = None
    learner_gpus: float | None = None
    learner_cpus: float | None = None
    buffer_cpus: float = 0.0
    gatekeeper_cpus: float = 0.0
    gatekeeper_gpus: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int):
            raise PlacementError(f"workers must be an integer >= 1, got {self.workers!r}")
        if self.workers < 1:
            raise PlacementError(f"workers must be >= 1, got {self.workers}")
        if self.inference_servers is not None and self.inference_servers < 1:
            raise PlacementError(
                f"inference_servers must be >= 1 or None, got {self.inference_servers}"
            )
        for name in ("buffer_cpus", "gatekeeper_cpus", "gatekeeper_gpus"):
            _check_amount(name, getattr(self, name))
        for name in ("gpus_per_inference", "cpus_per_worker", "learner_gpus",
                     "cpus_per_inference", "learner_cpus"):
            value = getattr(self, name)
            if value is not None:
                _check_amount(name, value)
        if self.cpus_per_worker is not None and self.cpus_per_worker > 1 + _EPS:
            if not float(self.cpus_per_worker).is_integer():
                raise PlacementError(
                    "cpus_per_worker above 1 must be a whole number (Ray's rule), "
                    f"got {self.cpus_per_worker}"
                )
        if self.gpus_per_inference is not None and self.gpus_per_inference > 1 + _EPS:
            if not float(self.gpus_per_inference).is_integer():
                raise PlacementError(
                    "gpus_per_inference above 1 must be a whole number (Ray's rule), "
                    f"got {self.gpus_per_inference}"
                )


@dataclass(frozen=True)
class ActorPlacement:
    """One actor's node and resources.

    Attributes:
        role: "inference", "worker", "learner", "replay_buffer" or "gatekeeper".
        index: the actor's number within its role (0 for the single roles).
        node_id: the node it should run on.
        num_cpus: CPUs to reserve (Ray ``num_cpus``).
        num_gpus: GPUs to reserve (Ray ``num_gpus``); 0 means the actor sees no GPU.
    """

    role: str
    index: int
    node_id: str
    num_cpus: float
    num_gpus: float = 0.0

    def ray_options(self, soft: bool = True) -> dict[str, Any]:
        """Keyword arguments for ``ray.remote(Cls).options(**...)``.

        ``soft=True`` (the default) lets Ray restart the actor on another node when its
        node dies, which is what keeps a run going when a worker node is lost; the
        preferred node is used while it is alive.
        """
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return {
            "num_cpus": self.num_cpus,
            "num_gpus": self.num_gpus,
            "scheduling_strategy": NodeAffinitySchedulingStrategy(self.node_id, soft=soft),
        }


@dataclass(frozen=True)
class PlacementPlan:
    """The result of ``plan_placement``.

    Attributes:
        inference: one ``ActorPlacement`` per inference server.
        workers: one ``ActorPlacement`` per self-play worker.
        worker_server: for each worker, the index in ``inference`` of its server.
        learner, replay_buffer, gatekeeper: the single roles.
        nodes: the nodes the plan was made for.
    """

    inference: tuple[ActorPlacement, ...]
    workers: tuple[ActorPlacement, ...]
    worker_server: tuple[int, ...]
    learner: ActorPlacement
    replay_buffer: ActorPlacement
    gatekeeper: ActorPlacement
    nodes: tuple[NodeResources, ...] = field(repr=False)

    def actors(self) -> list[ActorPlacement]:
        """Every actor of the plan."""
        return [*self.inference, *self.workers, self.learner, self.replay_buffer,
                self.gatekeeper]

    def reserved(self) -> dict[str, tuple[float, float]]:
        """Per node id: (CPUs, GPUs) the plan reserves there."""
        totals = {n.node_id: (0.0, 0.0) for n in self.nodes}
        for actor in self.actors():
            cpus, gpus = totals[actor.node_id]
            totals[actor.node_id] = (cpus + actor.num_cpus, gpus + actor.num_gpus)
        return totals

    def summary(self) -> str:
        """A few lines for the terminal: what runs where."""
        lines = []
        for node in self.nodes:
            roles: dict[str, int] = {}
            for actor in self.actors():
                if actor.node_id == node.node_id:
                    roles[actor.role] = roles.get(actor.role, 0) + 1
            head = " head" if node.is_head else ""
            what = ", ".join(f"{k} x{v}" if v > 1 else k for k, v in roles.items()) or "-"
            lines.append(f"{node.label}{head} [{node.cpus:g} CPU, {node.gpus:g} GPU]: {what}")
        return "\n".join(lines)


def _check_amount(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlacementError(f"{name} must be a number >= 0, got {value!r}")
    if not (value >= 0 and math.isfinite(value)):
        raise PlacementError(f"{name} must be a finite number >= 0, got {value!r}")


def node_from_resources(
    resources: Mapping[str, float], node_id: str, address: str = ""
) -> NodeResources:
    """A single head node from a ``ray.cluster_resources()``-like dict ({"CPU": 8, "GPU": 1}).

    ``node_id`` is Ray's hex id of that node (``ray.get_runtime_context().get_node_id()``),
    which ``ActorPlacement.ray_options`` needs for node affinity.
    """
    return NodeResources(
        node_id=node_id,
        cpus=float(resources.get("CPU", 0.0)),
        gpus=float(resources.get("GPU", 0.0)),
        is_head=True,
        address=address,
    )


def nodes_from_ray(ray_nodes: Iterable[Mapping[str, Any]]) -> list[NodeResources]:
    """The alive nodes of a ``ray.nodes()`` answer, head first.

    Each entry needs "NodeID", "Alive" and "Resources" (with "CPU", "GPU" and, on the
    head, ``node:__internal_head__``); "NodeManagerAddress" is used for messages.
    """
    nodes = []
    for entry in ray_nodes:
        if not entry.get("Alive", False):
            continue
        resources = entry.get("Resources", {})
        nodes.append(
            NodeResources(
                node_id=str(entry["NodeID"]),
                cpus=float(resources.get("CPU", 0.0)),
                gpus=float(resources.get("GPU", 0.0)),
                is_head=HEAD_RESOURCE in resources,
                address=str(entry.get("NodeManagerAddress", "")),
                preemptible=float(resources.get(PREEMPTIBLE_RESOURCE, 0.0)) > 0,
            )
        )
    nodes.sort(key=lambda n: not n.is_head)
    return nodes


def _describe(nodes: Sequence[NodeResources]) -> str:
    return ", ".join(f"{n.label}: {n.cpus:g} CPU {n.gpus:g} GPU" for n in nodes)


def _floor_quantum(x: float) -> float:
    return round(math.floor(x / _RESOURCE_QUANTUM + _EPS) * _RESOURCE_QUANTUM, 4)


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (sum > 0)."""
    s = sum(weights)
    shares = [total * w / s for w in weights]
    counts = [math.floor(x + _EPS) for x in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], -weights[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _spread_workers(free: Mapping[str, float], nodes: Sequence[NodeResources], workers: int,
                    cpw: float) -> list[int] | None:
    """Workers per node, in proportion to the free CPUs, each reserving ``cpw``; ``None``
    when they do not fit."""
    capacity = [math.floor(free[n.node_id] / cpw + _EPS) for n in nodes]
    if sum(capacity) < workers:
        return None
    weights = [free[n.node_id] for n in nodes]
    counts = _largest_remainder(workers, weights)
    excess = 0
    for i in range(len(nodes)):
        over = counts[i] - capacity[i]
        if over > 0:
            counts[i] -= over
            excess += over
    for i in range(len(nodes)):
        move = min(capacity[i] - counts[i], excess)
        counts[i] += move
        excess -= move
    return counts


def _survives_node_loss(free: Mapping[str, float], nodes: Sequence[NodeResources],
                        counts: Sequence[int], cpw: float) -> bool:
    """Whether the workers of any one node fit, whole, in what the others have left."""
    left = [math.floor((free[n.node_id] - c * cpw) / cpw + _EPS)
            for n, c in zip(nodes, counts, strict=True)]
    total = sum(left)
    return all(counts[i] <= total - left[i] for i in range(len(nodes)))


def plan_placement(request: PlacementRequest, nodes: Sequence[NodeResources]) -> PlacementPlan:
    """Decide where every actor of a run goes.

    Args:
        request: what the run asks for.
        nodes: the cluster's alive nodes (``nodes_from_ray(ray.nodes())``); the head (or,
            if none is marked, the first node) hosts the driver, buffer and gatekeeper.

    Returns:
        A ``PlacementPlan``; the reservations it makes never exceed any node's CPUs or GPUs.

    Raises:
        PlacementError: the cluster can never satisfy the request (the message names the
            missing resource and the cluster's nodes).
    """
    if not nodes:
        raise PlacementError("the cluster has no alive node")
    ids = [n.node_id for n in nodes]
    if len(set(ids)) != len(ids):
        raise PlacementError(f"node ids must be unique, got {ids}")
    heads = [n for n in nodes if n.is_head]
    head = heads[0] if heads else nodes[0]
    total_gpus = sum(n.gpus for n in nodes)
    max_node_gpus = max(n.gpus for n in nodes)
    where = _describe(nodes)

    free_gpus = {n.node_id: n.gpus for n in nodes}
    free_cpus = {n.node_id: n.cpus for n in nodes}

    def take(node: NodeResources, what: str, cpus: float, gpus: float) -> None:
        if cpus > free_cpus[node.node_id] + _EPS:
            raise PlacementError(
                f"{what} needs {cpus:g} CPU on node {node.label}, which has "
                f"{free_cpus[node.node_id]:g} of {node.cpus:g} CPUs left; "
                f"add CPUs or lower the CPUs reserved per role (cluster: {where})"
            )
        if gpus > free_gpus[node.node_id] + _EPS:
            raise PlacementError(
                f"{what} needs {gpus:g} GPU on node {node.label}, which has "
                f"{free_gpus[node.node_id]:g} of {node.gpus:g} GPUs left (cluster: {where})"
            )
        free_cpus[node.node_id] -= cpus
        free_gpus[node.node_id] -= gpus

    # --- GPUs asked for where none exist -------------------------------------------------
    for name, value in (("gpus_per_inference", request.gpus_per_inference),
                        ("learner_gpus", request.learner_gpus),
                        ("gatekeeper_gpus", request.gatekeeper_gpus)):
        if value is not None and value > _EPS:
            if total_gpus <= _EPS:
                raise PlacementError(
                    f"{name}={value:g} asks for GPUs but the cluster has none (cluster: {where})"
                )
            if value > max_node_gpus + _EPS:
                raise PlacementError(
                    f"{name}={value:g} asks for more GPUs than any single node has "
                    f"(at most {max_node_gpus:g}; cluster: {where})"
                )

    # --- GPU shares: learner and inference servers ------------------------------------------
    if request.gatekeeper_gpus > free_gpus[head.node_id] + _EPS:
        raise PlacementError(
            f"the gatekeeper needs {request.gatekeeper_gpus:g} GPU on the head {head.label}, "
            f"which has {head.gpus:g} (cluster: {where})"
        )
    free_gpus[head.node_id] -= request.gatekeeper_gpus
    single_gpu = 0 < total_gpus < 2 - _EPS
    learner_gpus = request.learner_gpus
    if learner_gpus is None:
        learner_gpus = 0.0 if total_gpus <= _EPS else (
            _floor_quantum(max_node_gpus / 2) if single_gpu else 1.0
        )
    gpi = request.gpus_per_inference
    if gpi is None:
        if total_gpus <= _EPS:
            gpi = 0.0
        elif single_gpu:
            gpi = _floor_quantum(max(0.0, max_node_gpus - learner_gpus))
            if gpi <= _EPS:
                raise PlacementError(
                    f"learner_gpus={learner_gpus:g} leaves no GPU for inference on the only "
                    f"GPU node; lower learner_gpus or set gpus_per_inference (cluster: {where})"
                )
        else:
            gpi = 1.0

    if learner_gpus > _EPS:
        candidates = [n for n in nodes if free_gpus[n.node_id] >= learner_gpus - _EPS]
        if not candidates:
            raise PlacementError(
                f"the learner needs {learner_gpus:g} GPU on one node and none has that much "
                f"left (cluster: {where})"
            )
        # A node that is not preemptible, then the one with the most GPUs free, so that the
        # others keep whole GPUs for inference.
        learner_node = max(
            candidates, key=lambda n: (not n.preemptible, free_gpus[n.node_id], n.cpus)
        )
        free_gpus[learner_node.node_id] -= learner_gpus
    else:
        learner_node = head

    server_nodes: list[NodeResources] = []
    if gpi > _EPS:
        per_node = {n.node_id: math.floor(free_gpus[n.node_id] / gpi + _EPS) for n in nodes}
        possible = sum(per_node.values())
        if possible == 0:
            raise PlacementError(
                f"no inference server fits: each needs {gpi:g} GPU and the GPUs left after "
                f"the learner ({learner_gpus:g} GPU) are "
                f"{ {k[:8]: round(v, 4) for k, v in free_gpus.items()} } (cluster: {where})"
            )
        wanted = possible if request.inference_servers is None else request.inference_servers
        if wanted > possible:
            raise PlacementError(
                f"{wanted} inference servers x {gpi:g} GPU do not fit: the cluster has room "
                f"for {possible} after the learner's {learner_gpus:g} GPU (cluster: {where})"
            )
        # Round-robin over GPU nodes, so a capped number of servers spreads out.
        slots = {k: v for k, v in per_node.items() if v > 0}
        order = [n for n in nodes if n.node_id in slots]
        while len(server_nodes) < wanted:
            for n in order:
                if len(server_nodes) < wanted and slots[n.node_id] > 0:
                    server_nodes.append(n)
                    slots[n.node_id] -= 1
    else:
        # CPU inference: one server per node with CPUs, head first.
        order = sorted((n for n in nodes if n.cpus > _EPS), key=lambda n: not n.is_head)
        wanted = len(order) if request.inference_servers is None else request.inference_servers
        if wanted > len(order):
            raise PlacementError(
                f"{wanted} CPU inference servers asked for but the cluster has {len(order)} "
                f"node(s) with CPUs and runs at most one per node without GPUs "
                f"(cluster: {where})"
            )
        server_nodes = order[:wanted]

    # --- CPUs of the single roles and the inference servers ----------------------------------
    # Roles left to "auto" share at most half of their node's CPUs, one CPU each at most.
    auto_roles = {n.node_id: 0 for n in nodes}
    if request.cpus_per_inference is None:
        for n in server_nodes:
            auto_roles[n.node_id] += 1
    if request.learner_cpus is None:
        auto_roles[learner_node.node_id] += 1

    def role_cpus(node: NodeResources, explicit: float | None) -> float:
        if explicit is not None:
            return max(MIN_ACTOR_CPUS, explicit)
        share = node.cpus / (2 * auto_roles[node.node_id])
        return max(MIN_ACTOR_CPUS, min(1.0, _floor_quantum(share)))

    buffer_cpus = max(MIN_ACTOR_CPUS, request.buffer_cpus)
    take(head, "the replay buffer", buffer_cpus, 0.0)
    replay_buffer = ActorPlacement("replay_buffer", 0, head.node_id, buffer_cpus, 0.0)
    gatekeeper_cpus = max(MIN_ACTOR_CPUS, request.gatekeeper_cpus)
    take(head, "the gatekeeper", gatekeeper_cpus, 0.0)
    gatekeeper = ActorPlacement(
        "gatekeeper", 0, head.node_id, gatekeeper_cpus, request.gatekeeper_gpus
    )
    learner_cpus = role_cpus(learner_node, request.learner_cpus)
    take(learner_node, "the learner", learner_cpus, 0.0)
    learner = ActorPlacement("learner", 0, learner_node.node_id, learner_cpus, learner_gpus)
    inference = []
    for i, n in enumerate(server_nodes):
        cpus = role_cpus(n, request.cpus_per_inference)
        take(n, f"inference server {i}", cpus, 0.0)
        inference.append(ActorPlacement("inference", i, n.node_id, cpus, gpi))

    # --- Workers -----------------------------------------------------------------------------
    free = {k: max(0.0, v) for k, v in free_cpus.items()}
    total_free = sum(free.values())

    cpw = request.cpus_per_worker
    if cpw is not None:
        cpw = max(MIN_ACTOR_CPUS, cpw)
        counts = _spread_workers(free, nodes, request.workers, cpw)
    else:
        # The largest share (at most 1 CPU) with which the workers of any one node could
        # restart on the others; failing that (one node), the largest share that fits.
        cpw, counts = 0.0, None
        share = max(MIN_ACTOR_CPUS, min(1.0, _floor_quantum(total_free / request.workers)))
        while True:
            spread = _spread_workers(free, nodes, request.workers, share)
            if spread is not None:
                if counts is None:
                    cpw, counts = share, spread
                if len(nodes) == 1 or _survives_node_loss(free, nodes, spread, share):
                    cpw, counts = share, spread
                    break
            if share <= MIN_ACTOR_CPUS:
                break
            share = max(MIN_ACTOR_CPUS, min(share - _RESOURCE_QUANTUM,
                                            _floor_quantum(share * 0.95)))
        if counts is None:
            cpw = MIN_ACTOR_CPUS
    if counts is None:
        room = sum(math.floor(free[n.node_id] / cpw + _EPS) for n in nodes)
        raise PlacementError(
            f"{request.workers} workers x {cpw:g} CPU do not fit: the nodes have "
            f"{total_free:g} CPUs left after the inference servers, learner, buffer and "
            f"gatekeeper, room for {room} workers (cluster: {where})"
        )

    workers: list[ActorPlacement] = []
    worker_nodes: list[NodeResources] = []
    for n, count in zip(nodes, counts, strict=True):
        for _ in range(count):
            workers.append(ActorPlacement("worker", len(workers), n.node_id, cpw, 0.0))
            worker_nodes.append(n)

    # Workers talk to a server on their own node when there is one; the rest go to the
    # least loaded servers.
    load = [0] * len(inference)
    worker_server = [-1] * len(workers)
    local = {}
    for s, actor in enumerate(inference):
        local.setdefault(actor.node_id, []).append(s)
    for w, n in enumerate(worker_nodes):
        mine = local.get(n.node_id)
        if mine:
            s = min(mine, key=lambda k: (load[k], k))
            worker_server[w] = s
            load[s] += 1
    for w in range(len(workers)):
        if worker_server[w] < 0:
            s = min(range(len(inference)), key=lambda k: (load[k], k))
            worker_server[w] = s
            load[s] += 1

    return PlacementPlan(
        inference=tuple(inference),
        workers=tuple(workers),
        worker_server=tuple(worker_server),
        learner=learner,
        replay_buffer=replay_buffer,
        gatekeeper=gatekeeper,
        nodes=tuple(nodes),
    )
