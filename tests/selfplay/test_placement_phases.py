"""selfplay.placement's phases, one by one: each is a pure function of its inputs."""

from __future__ import annotations

import pytest

from selfplay.placement import (
    MIN_ACTOR_CPUS,
    ActorPlacement,
    NodeResources,
    PlacementError,
    PlacementRequest,
    plan_placement,
)
from selfplay.placement.gpus import (
    check_gpu_request,
    choose_learner_node,
    choose_server_nodes,
    gpu_shares,
)
from selfplay.placement.resources import Cluster, FreeResources
from selfplay.placement.roles import auto_roles_per_node, place_single_roles, role_cpus
from selfplay.placement.workers import (
    assign_servers,
    largest_remainder,
    place_workers,
    spread_workers,
    survives_node_loss,
    worker_share,
)

HEAD = NodeResources("head", cpus=4, is_head=True)


def gpu(name: str, gpus: float = 1, cpus: float = 8, preemptible: bool = False
        ) -> NodeResources:
    return NodeResources(name, cpus=cpus, gpus=gpus, preemptible=preemptible)


def test_cluster_picks_the_marked_head_or_the_first_node() -> None:
    assert Cluster.of([gpu("a"), HEAD]).head is HEAD
    assert Cluster.of([gpu("a"), gpu("b")]).head.node_id == "a"
    cluster = Cluster.of([HEAD, gpu("a", gpus=2), gpu("b", gpus=4)])
    assert cluster.total_gpus == 6 and cluster.max_node_gpus == 4
    assert "head: 4 CPU 0 GPU" in cluster.where
    with pytest.raises(PlacementError, match="no alive node"):
        Cluster.of([])
    with pytest.raises(PlacementError, match="unique"):
        Cluster.of([gpu("a"), gpu("a")])


def test_free_resources_take_returns_a_new_ledger_and_names_the_role() -> None:
    free = FreeResources.of(Cluster.of([HEAD, gpu("a")]))
    after = free.take(HEAD, "the gatekeeper", cpus=1.5)
    assert free.cpus["head"] == 4 and after.cpus["head"] == 2.5
    assert after.take(gpu("a"), "x", gpus=1).gpus["a"] == 0
    with pytest.raises(PlacementError, match="the learner needs 3 CPU on node head, which "
                                             "has 2.5 of 4 CPUs left"):
        after.take(HEAD, "the learner", cpus=3)
    with pytest.raises(PlacementError, match="server 0 needs 2 GPU on node a"):
        after.take(gpu("a"), "server 0", gpus=2)


def test_gpu_request_is_checked_against_what_nodes_have() -> None:
    check_gpu_request(PlacementRequest(workers=1, learner_gpus=1), Cluster.of([gpu("a")]))
    with pytest.raises(PlacementError, match="learner_gpus=1 asks for GPUs but the cluster "
                                             "has none"):
        check_gpu_request(PlacementRequest(workers=1, learner_gpus=1), Cluster.of([HEAD]))
    with pytest.raises(PlacementError, match="gpus_per_inference=2 asks for more GPUs"):
        check_gpu_request(PlacementRequest(workers=1, gpus_per_inference=2),
                          Cluster.of([gpu("a"), gpu("b")]))


@pytest.mark.parametrize(
    ("nodes", "shares"),
    [
        ([HEAD], (0.0, 0.0)),
        ([gpu("a", gpus=1)], (0.5, 0.5)),
        ([gpu("a", gpus=0.5)], (0.25, 0.25)),
        ([gpu("a", gpus=1), gpu("b", gpus=1)], (1.0, 1.0)),
        ([HEAD, gpu("a", gpus=8)], (1.0, 1.0)),
    ],
)
def test_gpu_shares_by_default(nodes: list[NodeResources], shares: tuple[float, float]
                               ) -> None:
    assert gpu_shares(PlacementRequest(workers=1), Cluster.of(nodes)) == shares


def test_gpu_shares_keep_explicit_values_and_refuse_a_learner_taking_the_only_gpu() -> None:
    cluster = Cluster.of([gpu("a", gpus=1)])
    assert gpu_shares(PlacementRequest(workers=1, learner_gpus=0.25), cluster) == (0.25, 0.75)
    with pytest.raises(PlacementError, match="leaves no GPU for inference"):
        gpu_shares(PlacementRequest(workers=1, learner_gpus=1), cluster)


def test_learner_node_prefers_a_safe_node_then_the_most_gpus_free() -> None:
    nodes = [HEAD, gpu("spot", gpus=8, preemptible=True), gpu("a", gpus=1), gpu("b", gpus=2)]
    cluster = Cluster.of(nodes)
    free = FreeResources.of(cluster)
    assert choose_learner_node(cluster, free, 0.0) is HEAD
    assert choose_learner_node(cluster, free, 1.0).node_id == "b"
    assert choose_learner_node(cluster, free, 4.0).node_id == "spot"
    with pytest.raises(PlacementError, match="the learner needs 9 GPU on one node"):
        choose_learner_node(cluster, free, 9.0)


def test_gpu_servers_are_dealt_round_robin_and_cpu_servers_two_per_node() -> None:
    cluster = Cluster.of([HEAD, gpu("a", gpus=2), gpu("b", gpus=3)])
    free = FreeResources.of(cluster)
    names = [n.node_id for n in choose_server_nodes(PlacementRequest(workers=1), cluster,
                                                    free, 1.0, 0.0)]
    assert names == ["a", "b", "a", "b", "b"]
    capped = PlacementRequest(workers=1, inference_servers=3)
    assert [n.node_id for n in choose_server_nodes(capped, cluster, free, 1.0, 0.0)] == [
        "a", "b", "a"]
    cpu_cluster = Cluster.of([NodeResources("c", cpus=2), HEAD])
    assert [n.node_id for n in choose_server_nodes(PlacementRequest(workers=1), cpu_cluster,
                                                   FreeResources.of(cpu_cluster), 0.0,
                                                   0.0)] == ["head", "c", "head", "c"]
    one_cpu = Cluster.of([NodeResources("c", cpus=1), HEAD])
    assert [n.node_id for n in choose_server_nodes(PlacementRequest(workers=1), one_cpu,
                                                   FreeResources.of(one_cpu), 0.0,
                                                   0.0)] == ["head", "c", "head"]
    with pytest.raises(PlacementError, match="no inference server fits"):
        choose_server_nodes(PlacementRequest(workers=1), cluster, free, 4.0, 0.0)


def test_more_cpu_servers_are_dealt_round_robin_one_per_whole_cpu() -> None:
    """``inference_servers`` above the CPU nodes' count deals them over the nodes, head
    first, at most one per whole CPU; beyond that the error names the room."""
    cpu_cluster = Cluster.of([NodeResources("c", cpus=2), HEAD])
    free = FreeResources.of(cpu_cluster)
    asked = PlacementRequest(workers=1, inference_servers=5)
    assert [n.node_id for n in choose_server_nodes(asked, cpu_cluster, free, 0.0, 0.0)] == [
        "head", "c", "head", "c", "head"]
    with pytest.raises(PlacementError, match="7 CPU inference servers asked for but the "
                                             "cluster's 2 node.s. with CPUs have room for 6"):
        choose_server_nodes(PlacementRequest(workers=1, inference_servers=7), cpu_cluster,
                            free, 0.0, 0.0)


def test_two_cpu_servers_on_a_two_cpu_machine_split_the_workers() -> None:
    """The laptop layout by default: two servers, the learner, the gatekeeper and four
    workers fit in two CPUs; the workers alternate between the servers and the gate's
    leaves go to the first; each server runs on one thread. ``inference_servers = 1``
    still gives the single server."""
    from selfplay.actors import cpu_threads

    laptop = [NodeResources("h", cpus=2, is_head=True)]
    plan = plan_placement(PlacementRequest(workers=4), laptop)
    assert len(plan.inference) == 2 and plan.worker_server == (0, 1, 0, 1)
    assert plan.gate_server == 0
    assert [cpu_threads(s) for s in plan.inference] == [1, 1]
    single = plan_placement(PlacementRequest(workers=4, inference_servers=1), laptop)
    assert len(single.inference) == 1 and single.worker_server == (0, 0, 0, 0)
    reserved = (sum(s.num_cpus for s in plan.inference) + plan.learner.num_cpus
                + plan.gatekeeper.num_cpus + sum(w.num_cpus for w in plan.workers))
    assert reserved <= 2 + 1e-9


def test_auto_roles_share_half_a_node_at_most_one_cpu_each() -> None:
    cluster = Cluster.of([NodeResources("h", cpus=2, is_head=True)])
    head = cluster.head
    auto = auto_roles_per_node(PlacementRequest(workers=1), cluster, head, [head])
    assert auto == {"h": 2}
    assert role_cpus(head, None, auto) == 0.5
    assert role_cpus(head, 0.0, auto) == MIN_ACTOR_CPUS
    assert role_cpus(NodeResources("big", cpus=64), None, {"big": 1}) == 1.0
    explicit = PlacementRequest(workers=1, learner_cpus=1, cpus_per_inference=1)
    assert auto_roles_per_node(explicit, cluster, head, [head]) == {"h": 0}


def test_single_roles_reserve_their_cpus_and_the_servers_gpus() -> None:
    cluster = Cluster.of([HEAD, gpu("a", gpus=2)])
    a = cluster.nodes[1]
    free = FreeResources.of(cluster).take(a, "the learner", gpus=1)
    roles = place_single_roles(PlacementRequest(workers=1), cluster, free, a, 1.0, [a], 1.0)
    assert roles.gatekeeper == ActorPlacement("gatekeeper", 0, "head", MIN_ACTOR_CPUS, 0.0)
    assert roles.learner == ActorPlacement("learner", 0, "a", 1.0, 1.0)
    assert roles.inference == (ActorPlacement("inference", 0, "a", 1.0, 1.0),)
    assert roles.free.cpus == {"head": 4 - MIN_ACTOR_CPUS, "a": 6}
    assert roles.free.gpus == {"head": 0, "a": 0}


def test_workers_spread_in_proportion_to_the_free_cpus() -> None:
    assert largest_remainder(10, [1, 1, 2]) == [3, 2, 5]
    nodes = [NodeResources("x", cpus=4), NodeResources("y", cpus=4)]
    assert spread_workers({"x": 3, "y": 1}, nodes, 4, 1.0) == [3, 1]
    assert spread_workers({"x": 3, "y": 0.5}, nodes, 4, 1.0) is None
    assert spread_workers({"x": 1, "y": 3}, nodes, 3, 0.5) == [1, 2]
    # Two nodes of 4 free CPUs: 4 workers of 1 CPU survive a loss, 6 do not.
    assert survives_node_loss({"x": 4, "y": 4}, nodes, [2, 2], 1.0)
    assert not survives_node_loss({"x": 4, "y": 4}, nodes, [3, 3], 1.0)


def test_worker_share_is_the_largest_that_survives_a_node_loss() -> None:
    cluster = Cluster.of([NodeResources("x", cpus=4, is_head=True), NodeResources("y", cpus=4)])
    cpw, counts = worker_share(PlacementRequest(workers=4), cluster, {"x": 4, "y": 4})
    assert cpw == 1.0 and counts == [2, 2]
    cpw, counts = worker_share(PlacementRequest(workers=6), cluster, {"x": 4, "y": 4})
    # 3 workers of 1 CPU on each node could not restart on the other: the share shrinks
    # until they can (at most 2/3 of a CPU).
    assert counts == [3, 3] and 0.6 < cpw <= 2 / 3
    assert survives_node_loss({"x": 4, "y": 4}, cluster.nodes, counts, cpw)
    with pytest.raises(PlacementError, match="9 workers x 1 CPU do not fit"):
        worker_share(PlacementRequest(workers=9, cpus_per_worker=1), cluster,
                     {"x": 4, "y": 4})


def test_workers_use_a_server_on_their_node_then_the_least_loaded() -> None:
    cluster = Cluster.of([NodeResources("x", cpus=4), NodeResources("y", cpus=4)])
    workers = place_workers(cluster, [1, 4], 0.5)
    assert [(w.index, w.node_id) for w in workers] == [
        (0, "x"), (1, "y"), (2, "y"), (3, "y"), (4, "y")]
    servers = [ActorPlacement("inference", 0, "y", 1.0), ActorPlacement("inference", 1, "y", 1.0)]
    # x has no server: its worker goes to the least loaded, after y's spread over both.
    assert assign_servers(servers, workers) == (0, 0, 1, 0, 1)
