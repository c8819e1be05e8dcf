"""``plan_placement``: the phases of a plan, in order."""

from __future__ import annotations

from collections.abc import Sequence

from selfplay.placement.gpus import (
    check_gpu_request,
    choose_learner_node,
    choose_server_nodes,
    gpu_shares,
)
from selfplay.placement.resources import (
    Cluster,
    FreeResources,
    NodeResources,
    PlacementPlan,
    PlacementRequest,
)
from selfplay.placement.roles import place_single_roles
from selfplay.placement.workers import assign_servers, place_workers, worker_share


def plan_placement(request: PlacementRequest, nodes: Sequence[NodeResources]) -> PlacementPlan:
    """Decide where every actor of a run goes.

    Args:
        request: what the run asks for.
        nodes: the cluster's alive nodes (``nodes_from_ray(ray.nodes())``); the head (or,
            if none is marked, the first node) hosts the driver (which holds the replay
            buffer) and the gatekeeper (which holds no network: its leaves go to the
            inference server ``PlacementPlan.gate_server``).

    Returns:
        A ``PlacementPlan``; the reservations it makes never exceed any node's CPUs or GPUs.

    Raises:
        PlacementError: the cluster can never satisfy the request (the message names the
            missing resource and the cluster's nodes).
    """
    cluster = Cluster.of(nodes)
    check_gpu_request(request, cluster)
    free = FreeResources.of(cluster).take(cluster.head, "the gatekeeper",
                                          gpus=request.gatekeeper_gpus)
    learner_gpus, gpi = gpu_shares(request, cluster)
    learner_node = choose_learner_node(cluster, free, learner_gpus)
    free = free.take(learner_node, "the learner", gpus=learner_gpus)
    server_nodes = choose_server_nodes(request, cluster, free, gpi, learner_gpus)
    roles = place_single_roles(request, cluster, free, learner_node, learner_gpus,
                               server_nodes, gpi)
    cpw, counts = worker_share(request, cluster, roles.free.cpus)
    workers = place_workers(cluster, counts, cpw)
    worker_server = assign_servers(roles.inference, workers)
    return PlacementPlan(
        inference=roles.inference,
        workers=workers,
        worker_server=worker_server,
        learner=roles.learner,
        gatekeeper=roles.gatekeeper,
        nodes=cluster.nodes,
        gate_server=gate_server(len(roles.inference), worker_server),
    )


def gate_server(servers: int, worker_server: Sequence[int]) -> int:
    """The server that evaluates the gate's leaves: the one with the fewest workers
    (lowest index among equals). Every server is a GPU server when the cluster has GPUs,
    so the gate never runs a network on the head's CPU beside GPUs."""
    load = [0] * servers
    for s in worker_server:
        load[s] += 1
    return min(range(servers), key=lambda s: (load[s], s))
