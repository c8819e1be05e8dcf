"""The placement's vocabulary: nodes, the run's request, one actor's place, the plan.

``NodeResources`` is one node as Ray reports it (``nodes_from_ray``,
``node_from_resources``); ``PlacementRequest`` is what a run asks for; ``ActorPlacement``
is where one actor goes with what it reserves; ``PlacementPlan`` is the whole answer of
``selfplay.placement.plan_placement``. ``FreeResources`` is the ledger the planning phases
pass along: what each node has left, never negative, each ``take`` returning a new ledger.
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

EPS = 1e-6
"""Slack for float comparisons of resource amounts."""
RESOURCE_QUANTUM = 1e-4
"""Ray rounds fractional resources to 4 decimals."""

NETWORK_ROLES = ("inference", "learner")
"""The roles that run a network; workers and the gatekeeper send their leaves to an
inference server."""

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
        gatekeeper_cpus: CPUs reserved for the gatekeeper (on the head): its searches
            only, it holds no network (its leaves go to ``PlacementPlan.gate_server``).
        gatekeeper_gpus: GPUs reserved for the gatekeeper (the head must have them); the
            gatekeeper runs no network on them.

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
        for name in ("gatekeeper_cpus", "gatekeeper_gpus"):
            _check_amount(name, getattr(self, name))
        for name in ("gpus_per_inference", "cpus_per_worker", "learner_gpus",
                     "cpus_per_inference", "learner_cpus"):
            value = getattr(self, name)
            if value is not None:
                _check_amount(name, value)
        if self.cpus_per_worker is not None and self.cpus_per_worker > 1 + EPS:
            if not float(self.cpus_per_worker).is_integer():
                raise PlacementError(
                    "cpus_per_worker above 1 must be a whole number (Ray's rule), "
                    f"got {self.cpus_per_worker}"
                )
        if self.gpus_per_inference is not None and self.gpus_per_inference > 1 + EPS:
            if not float(self.gpus_per_inference).is_integer():
                raise PlacementError(
                    "gpus_per_inference above 1 must be a whole number (Ray's rule), "
                    f"got {self.gpus_per_inference}"
                )


@dataclass(frozen=True)
class ActorPlacement:
    """One actor's node and resources.

    Attributes:
        role: "inference", "worker", "learner" or "gatekeeper".
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

    @property
    def holds_network(self) -> bool:
        """Whether the actor runs a network (TensorFlow): inference servers, the learner."""
        return self.role in NETWORK_ROLES

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
        learner, gatekeeper: the single roles (the replay buffer is no actor: it lives in
            the driver's process on the head).
        nodes: the nodes the plan was made for.
        gate_server: the index in ``inference`` of the server that evaluates the gate's
            leaves (both sides): the one serving the fewest workers, lowest index first.
    """

    inference: tuple[ActorPlacement, ...]
    workers: tuple[ActorPlacement, ...]
    worker_server: tuple[int, ...]
    learner: ActorPlacement
    gatekeeper: ActorPlacement
    nodes: tuple[NodeResources, ...] = field(repr=False)
    gate_server: int = 0

    def actors(self) -> list[ActorPlacement]:
        """Every actor of the plan."""
        return [*self.inference, *self.workers, self.learner, self.gatekeeper]

    def reserved(self) -> dict[str, tuple[float, float]]:
        """Per node id: (CPUs, GPUs) the plan reserves there."""
        totals = {n.node_id: (0.0, 0.0) for n in self.nodes}
        for actor in self.actors():
            cpus, gpus = totals[actor.node_id]
            totals[actor.node_id] = (cpus + actor.num_cpus, gpus + actor.num_gpus)
        return totals

    def summary(self, precision: str | None = None) -> str:
        """A few lines for the terminal: what runs where (and, given the run's
        ``precision`` setting, a line saying how the networks' precision is chosen)."""
        lines = []
        for node in self.nodes:
            roles: dict[str, int] = {}
            for actor in self.actors():
                if actor.node_id == node.node_id:
                    roles[actor.role] = roles.get(actor.role, 0) + 1
            head = " head" if node.is_head else ""
            what = ", ".join(f"{k} x{v}" if v > 1 else k for k, v in roles.items()) or "-"
            lines.append(f"{node.label}{head} [{node.cpus:g} CPU, {node.gpus:g} GPU]: {what}")
        if self.inference:
            server = self.inference[self.gate_server]
            where = next((n.label for n in self.nodes if n.node_id == server.node_id), "?")
            lines.append(f"gate: leaves to inference server {self.gate_server} on {where} "
                         f"({server.num_gpus:g} GPU)")
        if precision is not None:
            how = ("measured by each inference server and the learner on its device at "
                   "start" if precision == "auto" else "forced by the run's setting")
            lines.append(f"precision: {precision} ({how})")
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




def describe(nodes: Sequence[NodeResources]) -> str:
    """The cluster in one line, for error messages: each node's CPUs and GPUs."""
    return ", ".join(f"{n.label}: {n.cpus:g} CPU {n.gpus:g} GPU" for n in nodes)


def floor_quantum(x: float) -> float:
    """``x`` rounded down to Ray's resource quantum (4 decimals)."""
    return round(math.floor(x / RESOURCE_QUANTUM + EPS) * RESOURCE_QUANTUM, 4)


@dataclass(frozen=True)
class Cluster:
    """The nodes a plan is made for, checked, with the figures every phase uses.

    Attributes:
        nodes: the alive nodes, in the caller's order (head first from ``nodes_from_ray``).
        head: the node that hosts the driver and the gatekeeper (the one marked head, or
            the first node when none is).
        where: ``describe(nodes)``, appended to every ``PlacementError``.
    """

    nodes: tuple[NodeResources, ...]
    head: NodeResources
    where: str

    @classmethod
    def of(cls, nodes: Sequence[NodeResources]) -> Cluster:
        """Check ``nodes`` (at least one, unique ids) and pick the head."""
        if not nodes:
            raise PlacementError("the cluster has no alive node")
        ids = [n.node_id for n in nodes]
        if len(set(ids)) != len(ids):
            raise PlacementError(f"node ids must be unique, got {ids}")
        heads = [n for n in nodes if n.is_head]
        return cls(tuple(nodes), heads[0] if heads else nodes[0], describe(nodes))

    @property
    def total_gpus(self) -> float:
        """GPUs of every node together."""
        return sum(n.gpus for n in self.nodes)

    @property
    def max_node_gpus(self) -> float:
        """GPUs of the node that has the most."""
        return max(n.gpus for n in self.nodes)


@dataclass(frozen=True)
class FreeResources:
    """What each node has left, by node id; ``take`` returns a new ledger.

    Attributes:
        cpus: node id -> CPUs not yet reserved.
        gpus: node id -> GPUs not yet reserved.
        where: the cluster's description, for error messages.
    """

    cpus: Mapping[str, float]
    gpus: Mapping[str, float]
    where: str = ""

    @classmethod
    def of(cls, cluster: Cluster) -> FreeResources:
        """Every node's whole CPUs and GPUs."""
        return cls({n.node_id: n.cpus for n in cluster.nodes},
                   {n.node_id: n.gpus for n in cluster.nodes}, cluster.where)

    def take(self, node: NodeResources, what: str, cpus: float = 0.0,
             gpus: float = 0.0) -> FreeResources:
        """The ledger after ``what`` reserves ``cpus`` and ``gpus`` on ``node``.

        Raises:
            PlacementError: the node has not that much left (the message names ``what``).
        """
        have_cpus, have_gpus = self.cpus[node.node_id], self.gpus[node.node_id]
        if cpus > have_cpus + EPS:
            raise PlacementError(
                f"{what} needs {cpus:g} CPU on node {node.label}, which has "
                f"{have_cpus:g} of {node.cpus:g} CPUs left; "
                f"add CPUs or lower the CPUs reserved per role (cluster: {self.where})"
            )
        if gpus > have_gpus + EPS:
            raise PlacementError(
                f"{what} needs {gpus:g} GPU on node {node.label}, which has "
                f"{have_gpus:g} of {node.gpus:g} GPUs left (cluster: {self.where})"
            )
        return FreeResources({**self.cpus, node.node_id: max(0.0, have_cpus - cpus)},
                             {**self.gpus, node.node_id: max(0.0, have_gpus - gpus)},
                             self.where)
