"""The GPU phases of a plan: who gets GPUs, and where the inference servers go.

Each phase is a pure function of the request, the cluster and the resources still free:

- ``check_gpu_request``: GPUs asked for where none exist, or more than any node has;
- ``gpu_shares``: the learner's GPUs and each inference server's, defaults resolved;
- ``choose_learner_node``: a node with GPUs left, not preemptible when possible;
- ``choose_server_nodes``: one node per inference server (GPU slots round-robin, or one
  server per node when inference runs on CPUs).
"""

from __future__ import annotations

import math

from selfplay.placement.resources import (
    EPS,
    Cluster,
    FreeResources,
    NodeResources,
    PlacementError,
    PlacementRequest,
    floor_quantum,
)


def check_gpu_request(request: PlacementRequest, cluster: Cluster) -> None:
    """Refuse explicit GPU amounts that no node of ``cluster`` could ever give.

    Raises:
        PlacementError: naming the field, its value and the cluster.
    """
    for name, value in (("gpus_per_inference", request.gpus_per_inference),
                        ("learner_gpus", request.learner_gpus),
                        ("gatekeeper_gpus", request.gatekeeper_gpus)):
        if value is None or value <= EPS:
            continue
        if cluster.total_gpus <= EPS:
            raise PlacementError(f"{name}={value:g} asks for GPUs but the cluster has none "
                                 f"(cluster: {cluster.where})")
        if value > cluster.max_node_gpus + EPS:
            raise PlacementError(
                f"{name}={value:g} asks for more GPUs than any single node has "
                f"(at most {cluster.max_node_gpus:g}; cluster: {cluster.where})"
            )


def gpu_shares(request: PlacementRequest, cluster: Cluster) -> tuple[float, float]:
    """``(learner_gpus, gpus_per_inference)`` with the request's ``None`` resolved.

    No GPU in the cluster: both 0. One GPU (less than two in all): the learner takes half
    of it and one inference server the rest. Two or more: one whole GPU each.

    Raises:
        PlacementError: on a single-GPU cluster, a learner share that leaves no GPU for
            inference.
    """
    total = cluster.total_gpus
    single_gpu = 0 < total < 2 - EPS
    learner_gpus = request.learner_gpus
    if learner_gpus is None:
        learner_gpus = 0.0 if total <= EPS else (
            floor_quantum(cluster.max_node_gpus / 2) if single_gpu else 1.0)
    gpi = request.gpus_per_inference
    if gpi is None:
        if total <= EPS:
            gpi = 0.0
        elif single_gpu:
            gpi = floor_quantum(max(0.0, cluster.max_node_gpus - learner_gpus))
            if gpi <= EPS:
                raise PlacementError(
                    f"learner_gpus={learner_gpus:g} leaves no GPU for inference on the only "
                    f"GPU node; lower learner_gpus or set gpus_per_inference "
                    f"(cluster: {cluster.where})"
                )
        else:
            gpi = 1.0
    return learner_gpus, gpi


def choose_learner_node(cluster: Cluster, free: FreeResources,
                        learner_gpus: float) -> NodeResources:
    """The learner's node: the head when it needs no GPU; otherwise a node with
    ``learner_gpus`` free, preferring one that is not preemptible, then the most GPUs free
    (so the others keep whole GPUs for inference), then the most CPUs.

    Raises:
        PlacementError: no node has ``learner_gpus`` GPUs left.
    """
    if learner_gpus <= EPS:
        return cluster.head
    candidates = [n for n in cluster.nodes if free.gpus[n.node_id] >= learner_gpus - EPS]
    if not candidates:
        raise PlacementError(
            f"the learner needs {learner_gpus:g} GPU on one node and none has that much "
            f"left (cluster: {cluster.where})"
        )
    return max(candidates, key=lambda n: (not n.preemptible, free.gpus[n.node_id], n.cpus))


def choose_server_nodes(request: PlacementRequest, cluster: Cluster, free: FreeResources,
                        gpi: float, learner_gpus: float) -> list[NodeResources]:
    """The node of each inference server, in server order.

    ``gpi`` > 0: as many servers of ``gpi`` GPUs as the GPUs in ``free`` hold (or
    ``request.inference_servers``), dealt round-robin over the GPU nodes. ``gpi`` = 0:
    two CPU servers per node with CPUs (``CPU_SERVERS_PER_NODE``), or
    ``request.inference_servers`` of them, dealt round-robin over those nodes, head first.
    ``learner_gpus`` is for messages.

    Raises:
        PlacementError: no server fits, or more servers are asked for than fit.
    """
    if gpi <= EPS:
        return _cpu_server_nodes(request, cluster)
    per_node = {n.node_id: math.floor(free.gpus[n.node_id] / gpi + EPS) for n in cluster.nodes}
    possible = sum(per_node.values())
    if possible == 0:
        left = {k[:8]: round(v, 4) for k, v in free.gpus.items()}
        raise PlacementError(
            f"no inference server fits: each needs {gpi:g} GPU and the GPUs left after "
            f"the learner ({learner_gpus:g} GPU) are {left} (cluster: {cluster.where})"
        )
    wanted = possible if request.inference_servers is None else request.inference_servers
    if wanted > possible:
        raise PlacementError(
            f"{wanted} inference servers x {gpi:g} GPU do not fit: the cluster has room "
            f"for {possible} after the learner's {learner_gpus:g} GPU "
            f"(cluster: {cluster.where})"
        )
    return _deal(wanted, [n for n in cluster.nodes if per_node[n.node_id] > 0], per_node)


#: CPU inference servers per node by default (fewer on a node with fewer whole CPUs). Each
#: CPU server runs its network on one thread; on a 2-core machine one server kept one core
#: busy while 31% of the machine stayed idle (the learner, paced by the games, used about
#: 6%), and two servers played 1.75x the positions in the same 36 minutes
#: (docs/learning.md, "Two inference servers on two cores"). More per node: not measured.
CPU_SERVERS_PER_NODE = 2


def _cpu_server_nodes(request: PlacementRequest, cluster: Cluster) -> list[NodeResources]:
    """CPU inference: ``CPU_SERVERS_PER_NODE`` servers per node with CPUs by default (one per
    whole CPU on a smaller node), or ``request.inference_servers`` of them; dealt
    round-robin over those nodes, head first, at most one per whole CPU of a node."""
    order = sorted((n for n in cluster.nodes if n.cpus > EPS), key=lambda n: not n.is_head)
    slots = {n.node_id: max(1, math.floor(n.cpus + EPS)) for n in order}
    room = sum(slots.values())
    if request.inference_servers is None:
        wanted = sum(min(CPU_SERVERS_PER_NODE, k) for k in slots.values())
    else:
        wanted = request.inference_servers
    if wanted > room:
        raise PlacementError(
            f"{wanted} CPU inference servers asked for but the cluster's {len(order)} "
            f"node(s) with CPUs have room for {room} (one per whole CPU of a node, without "
            f"GPUs) (cluster: {cluster.where})"
        )
    return _deal(wanted, order, slots)


def _deal(wanted: int, order: list[NodeResources], slots: dict[str, int]
          ) -> list[NodeResources]:
    """``wanted`` servers' nodes, dealt round-robin over ``order`` while a node has slots
    left (``slots``: node id -> servers it can take; the caller checked there is room)."""
    left = dict(slots)
    servers: list[NodeResources] = []
    while len(servers) < wanted:
        for n in order:
            if len(servers) < wanted and left[n.node_id] > 0:
                servers.append(n)
                left[n.node_id] -= 1
    return servers
