"""The workers' phase: how many on each node, what share of a CPU each, which server.

- ``spread_workers``: workers per node in proportion to the CPUs left, each reserving a
  given share;
- ``survives_node_loss``: whether the workers of any one node could restart, whole, on
  the others;
- ``worker_share``: the request's share, or the largest one (at most a CPU) that spreads
  and survives the loss of a node;
- ``place_workers`` and ``assign_servers``: the worker actors and each one's server (one on
  its own node when there is one, else the least loaded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from selfplay.placement.resources import (
    EPS,
    MIN_ACTOR_CPUS,
    RESOURCE_QUANTUM,
    ActorPlacement,
    Cluster,
    NodeResources,
    PlacementError,
    PlacementRequest,
    floor_quantum,
)


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (sum > 0)."""
    s = sum(weights)
    shares = [total * w / s for w in weights]
    counts = [math.floor(x + EPS) for x in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], -weights[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def spread_workers(free: Mapping[str, float], nodes: Sequence[NodeResources], workers: int,
                   cpw: float) -> list[int] | None:
    """Workers per node (in ``nodes`` order), in proportion to the ``free`` CPUs, each
    reserving ``cpw``; ``None`` when they do not fit."""
    capacity = [math.floor(free[n.node_id] / cpw + EPS) for n in nodes]
    if sum(capacity) < workers:
        return None
    counts = largest_remainder(workers, [free[n.node_id] for n in nodes])
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


def survives_node_loss(free: Mapping[str, float], nodes: Sequence[NodeResources],
                       counts: Sequence[int], cpw: float) -> bool:
    """Whether the workers of any one node fit, whole, in what the others have left."""
    left = [math.floor((free[n.node_id] - c * cpw) / cpw + EPS)
            for n, c in zip(nodes, counts, strict=True)]
    total = sum(left)
    return all(counts[i] <= total - left[i] for i in range(len(nodes)))


def worker_share(request: PlacementRequest, cluster: Cluster, free: Mapping[str, float]
                 ) -> tuple[float, list[int]]:
    """``(CPUs per worker, workers per node)`` for the CPUs ``free`` after the other roles.

    Raises:
        PlacementError: the workers do not fit, even at ``MIN_ACTOR_CPUS`` each.
    """
    nodes = cluster.nodes
    if request.cpus_per_worker is not None:
        cpw = max(MIN_ACTOR_CPUS, request.cpus_per_worker)
        counts = spread_workers(free, nodes, request.workers, cpw)
    else:
        cpw, counts = _auto_share(free, nodes, request.workers)
    if counts is None:
        room = sum(math.floor(free[n.node_id] / cpw + EPS) for n in nodes)
        raise PlacementError(
            f"{request.workers} workers x {cpw:g} CPU do not fit: the nodes have "
            f"{sum(free.values()):g} CPUs left after the inference servers, learner and "
            f"gatekeeper, room for {room} workers (cluster: {cluster.where})"
        )
    return cpw, counts


def _auto_share(free: Mapping[str, float], nodes: Sequence[NodeResources], workers: int
                ) -> tuple[float, list[int] | None]:
    """The largest share (at most 1 CPU) with which the workers of any one node could
    restart on the others; failing that (one node), the largest share that fits;
    ``(MIN_ACTOR_CPUS, None)`` when none does."""
    best: tuple[float, list[int]] | None = None
    share = max(MIN_ACTOR_CPUS, min(1.0, floor_quantum(sum(free.values()) / workers)))
    while True:
        spread = spread_workers(free, nodes, workers, share)
        if spread is not None:
            if best is None:
                best = (share, spread)
            if len(nodes) == 1 or survives_node_loss(free, nodes, spread, share):
                return share, spread
        if share <= MIN_ACTOR_CPUS:
            return best if best is not None else (MIN_ACTOR_CPUS, None)
        share = max(MIN_ACTOR_CPUS, min(share - RESOURCE_QUANTUM, floor_quantum(share * 0.95)))


def place_workers(cluster: Cluster, counts: Sequence[int], cpw: float
                  ) -> tuple[ActorPlacement, ...]:
    """``counts[i]`` workers on ``cluster.nodes[i]``, numbered in node order."""
    workers: list[ActorPlacement] = []
    for n, count in zip(cluster.nodes, counts, strict=True):
        for _ in range(count):
            workers.append(ActorPlacement("worker", len(workers), n.node_id, cpw, 0.0))
    return tuple(workers)


def assign_servers(inference: Sequence[ActorPlacement], workers: Sequence[ActorPlacement]
                   ) -> tuple[int, ...]:
    """Each worker's server (an index into ``inference``): the least loaded on its own
    node when there is one; then the workers left go to the least loaded of all."""
    load = [0] * len(inference)
    chosen = [-1] * len(workers)
    local: dict[str, list[int]] = {}
    for s, actor in enumerate(inference):
        local.setdefault(actor.node_id, []).append(s)
    for w, worker in enumerate(workers):
        mine = local.get(worker.node_id)
        if mine:
            chosen[w] = min(mine, key=lambda k: (load[k], k))
            load[chosen[w]] += 1
    for w in range(len(workers)):
        if chosen[w] < 0:
            chosen[w] = min(range(len(inference)), key=lambda k: (load[k], k))
            load[chosen[w]] += 1
    return tuple(chosen)
