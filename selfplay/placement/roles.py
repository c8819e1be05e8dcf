"""The single roles' phase: CPUs and GPUs for the gatekeeper, the learner and the servers.

Roles whose CPUs the request leaves to ``None`` ("auto") share at most half of their
node's CPUs, one CPU each at most; every actor reserves at least ``MIN_ACTOR_CPUS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from selfplay.placement.resources import (
    MIN_ACTOR_CPUS,
    ActorPlacement,
    Cluster,
    FreeResources,
    NodeResources,
    PlacementRequest,
    floor_quantum,
)


@dataclass(frozen=True)
class SingleRoles:
    """The actors placed before the workers, and what they leave free.

    Attributes:
        gatekeeper: on the head.
        learner: on its chosen node.
        inference: one per server node, in server order.
        free: the ledger after all of them.
    """

    gatekeeper: ActorPlacement
    learner: ActorPlacement
    inference: tuple[ActorPlacement, ...]
    free: FreeResources


def auto_roles_per_node(request: PlacementRequest, cluster: Cluster,
                        learner_node: NodeResources,
                        server_nodes: Sequence[NodeResources]) -> dict[str, int]:
    """Node id -> how many roles on it leave their CPUs to the plan (learner, servers)."""
    counts = {n.node_id: 0 for n in cluster.nodes}
    if request.cpus_per_inference is None:
        for n in server_nodes:
            counts[n.node_id] += 1
    if request.learner_cpus is None:
        counts[learner_node.node_id] += 1
    return counts


def role_cpus(node: NodeResources, explicit: float | None, auto_roles: Mapping[str, int]
              ) -> float:
    """CPUs for one role on ``node``: ``explicit`` when given, else an equal share of half
    the node's CPUs among its ``auto_roles``, at most 1; never below ``MIN_ACTOR_CPUS``."""
    if explicit is not None:
        return max(MIN_ACTOR_CPUS, explicit)
    share = node.cpus / (2 * auto_roles[node.node_id])
    return max(MIN_ACTOR_CPUS, min(1.0, floor_quantum(share)))


def place_single_roles(request: PlacementRequest, cluster: Cluster, free: FreeResources,
                       learner_node: NodeResources, learner_gpus: float,
                       server_nodes: Sequence[NodeResources], gpi: float) -> SingleRoles:
    """Reserve the gatekeeper's CPUs on the head, the learner's CPUs on its node and each
    inference server's CPUs and ``gpi`` GPUs on its node, in that order.

    ``free`` already has the gatekeeper's and the learner's GPUs taken (the GPU phases
    needed them to place the servers).

    Raises:
        PlacementError: a node has not the CPUs (or GPUs) a role needs; names the role.
    """
    auto = auto_roles_per_node(request, cluster, learner_node, server_nodes)
    gatekeeper_cpus = max(MIN_ACTOR_CPUS, request.gatekeeper_cpus)
    free = free.take(cluster.head, "the gatekeeper", cpus=gatekeeper_cpus)
    gatekeeper = ActorPlacement("gatekeeper", 0, cluster.head.node_id, gatekeeper_cpus,
                                request.gatekeeper_gpus)
    learner_cpus = role_cpus(learner_node, request.learner_cpus, auto)
    free = free.take(learner_node, "the learner", cpus=learner_cpus)
    learner = ActorPlacement("learner", 0, learner_node.node_id, learner_cpus, learner_gpus)
    inference = []
    for i, n in enumerate(server_nodes):
        cpus = role_cpus(n, request.cpus_per_inference, auto)
        free = free.take(n, f"inference server {i}", cpus=cpus, gpus=gpi)
        inference.append(ActorPlacement("inference", i, n.node_id, cpus, gpi))
    return SingleRoles(gatekeeper, learner, tuple(inference), free)
