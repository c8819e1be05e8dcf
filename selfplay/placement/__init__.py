"""Where each role of a run goes, computed from the cluster's resources.

``plan_placement(request, nodes)`` is a pure function: from the nodes a Ray cluster has
(CPUs and GPUs per node, which one is the head) and what a run asks for (number of
self-play workers, GPUs per inference server, ...) it returns a ``PlacementPlan`` that says
how many inference servers there are and on which node, on which node each worker runs and
which inference server it talks to, and the learner's and gatekeeper's resources. Nothing
is hard-coded to a machine: one laptop, one GPU box and a cluster of GPU nodes all go
through the same rules:

- Inference servers: one per ``gpus_per_inference`` GPUs on every GPU node (one per GPU by
  default); on a cluster without GPUs, two per node (one on a one-CPU node), each running
  its network on one thread: on two cores a second server puts to work the core that one
  server and a paced learner leave about a third idle. When the cluster has GPUs, CPU-only
  nodes (such as a GPU-less head) host no inference server: their workers send their
  leaves to the GPU servers.
- Learner: one whole GPU of its own when the cluster has two or more GPUs (on a node that
  is not preemptible when there is one), half of the only GPU when it has one (sharing it
  with the inference server), the head's CPU when it has none.
- Gatekeeper: on the head node, next to the driver (which holds the replay buffer in its
  own process: the buffer is no actor and reserves nothing). It runs the gate's searches
  only and holds no network: its leaves go to the inference server that serves the
  fewest workers (``PlacementPlan.gate_server``), on a GPU when the cluster has any.
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

Modules, one per phase: ``resources`` (the types and the free-resources ledger), ``gpus``
(GPU shares, the learner's node, the servers' nodes), ``roles`` (the single roles' CPUs),
``workers`` (the workers' share, their nodes and servers), ``plan`` (the phases in order).
"""

from selfplay.placement.plan import plan_placement
from selfplay.placement.resources import (
    HEAD_RESOURCE,
    MIN_ACTOR_CPUS,
    NETWORK_ROLES,
    PREEMPTIBLE_RESOURCE,
    ActorPlacement,
    NodeResources,
    PlacementError,
    PlacementPlan,
    PlacementRequest,
    node_from_resources,
    nodes_from_ray,
)

__all__ = [
    "HEAD_RESOURCE",
    "MIN_ACTOR_CPUS",
    "NETWORK_ROLES",
    "PREEMPTIBLE_RESOURCE",
    "ActorPlacement",
    "NodeResources",
    "PlacementError",
    "PlacementPlan",
    "PlacementRequest",
    "node_from_resources",
    "nodes_from_ray",
    "plan_placement",
]
