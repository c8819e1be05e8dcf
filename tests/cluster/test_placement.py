"""selfplay.placement: where each role goes, from the cluster's resources."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from selfplay.placement import (
    HEAD_RESOURCE,
    MIN_ACTOR_CPUS,
    PREEMPTIBLE_RESOURCE,
    NodeResources,
    PlacementError,
    PlacementPlan,
    PlacementRequest,
    node_from_resources,
    nodes_from_ray,
    plan_placement,
)


def head(cpus: float = 8, gpus: float = 0) -> NodeResources:
    return NodeResources("head0000", cpus=cpus, gpus=gpus, is_head=True, address="10.0.0.1")


def gpu_node(i: int, cpus: float = 8, gpus: float = 1) -> NodeResources:
    return NodeResources(f"gpu{i:05d}", cpus=cpus, gpus=gpus, address=f"10.0.1.{i}")


def cpu_node(i: int, cpus: float = 4) -> NodeResources:
    return NodeResources(f"cpu{i:05d}", cpus=cpus, address=f"10.0.2.{i}")


def assert_fits(plan: PlacementPlan) -> None:
    """No node is asked for more CPUs or GPUs than it has; every worker has a server."""
    by_id = {n.node_id: n for n in plan.nodes}
    for node_id, (cpus, gpus) in plan.reserved().items():
        assert cpus <= by_id[node_id].cpus + 1e-6, (node_id, cpus)
        assert gpus <= by_id[node_id].gpus + 1e-6, (node_id, gpus)
    assert len(plan.worker_server) == len(plan.workers)
    assert all(0 <= s < len(plan.inference) for s in plan.worker_server)
    assert [w.index for w in plan.workers] == list(range(len(plan.workers)))
    # Every actor reserves some CPU: Ray ignores the node affinity of one that reserves none.
    assert all(a.num_cpus >= MIN_ACTOR_CPUS for a in plan.actors())
    assert [s.index for s in plan.inference] == list(range(len(plan.inference)))


def assert_survives_any_node_loss(plan: PlacementPlan) -> None:
    """The workers of any one node fit, each whole, in the CPUs the others leave free."""
    by_id = {n.node_id: n for n in plan.nodes}
    left = {k: by_id[k].cpus - cpus for k, (cpus, _) in plan.reserved().items()}
    share = plan.workers[0].num_cpus
    for node in plan.nodes:
        lost = sum(1 for w in plan.workers if w.node_id == node.node_id)
        room = sum(math.floor(v / share + 1e-6) for k, v in left.items() if k != node.node_id)
        assert lost <= room, (node.node_id, lost, room)


def test_laptop_without_gpu_runs_32_workers_on_two_cores() -> None:
    plan = plan_placement(PlacementRequest(workers=32), [head(cpus=2)])
    assert_fits(plan)
    assert len(plan.inference) == 2  # two CPU servers, one thread each
    assert all(s.num_gpus == 0 and s.node_id == "head0000" for s in plan.inference)
    assert len(plan.workers) == 32
    assert plan.learner.num_gpus == 0 and plan.learner.node_id == "head0000"
    assert all(w.node_id == "head0000" for w in plan.workers)
    assert [plan.worker_server.count(s) for s in (0, 1)] == [16, 16]
    # On two cores the learner and the two inference servers take half of them; the
    # workers share the rest, less the gatekeeper's minimum.
    assert plan.learner.num_cpus == 0.3333
    assert [s.num_cpus for s in plan.inference] == [0.3333, 0.3333]
    assert plan.workers[0].num_cpus == pytest.approx((2 - 3 * 0.3333 - MIN_ACTOR_CPUS) / 32,
                                                     abs=1e-4)


def test_a_single_core_machine_still_runs() -> None:
    plan = plan_placement(PlacementRequest(workers=8), [head(cpus=1)])
    assert_fits(plan)
    assert plan.learner.num_cpus == 0.25 and len(plan.workers) == 8


def test_cpu_cluster_runs_two_inference_servers_per_node_and_workers_use_local_ones(
        ) -> None:
    nodes = [head(cpus=4), cpu_node(1, cpus=8), cpu_node(2, cpus=8)]
    plan = plan_placement(PlacementRequest(workers=10), nodes)
    assert_fits(plan)
    assert [s.node_id for s in plan.inference] == ["head0000", "cpu00001", "cpu00002"] * 2
    # Workers follow the CPUs left: head 4 - 3 x 0.6666 (learner, two servers) - 0.01
    # (gatekeeper) = 1.99, others 8 - 2 x 1 (servers) = 6 each: 13.99 free.
    per_node = {n.node_id: 0 for n in nodes}
    for w in plan.workers:
        per_node[w.node_id] += 1
    assert per_node == {"head0000": 2, "cpu00001": 4, "cpu00002": 4}
    for w, s in zip(plan.workers, plan.worker_server, strict=True):
        assert plan.inference[s].node_id == w.node_id
    # each node's workers alternate between its two servers
    assert sorted(plan.worker_server.count(s) for s in range(6)) == [1, 1, 2, 2, 2, 2]
    # One share for all, below a whole CPU so that any one node's workers can restart on
    # the others.
    shares = {w.num_cpus for w in plan.workers}
    assert len(shares) == 1 and 0.5 < shares.pop() < 1.0
    assert_survives_any_node_loss(plan)


def test_gpu_cluster_puts_one_server_per_gpu_and_the_learner_on_its_own_gpu() -> None:
    nodes = [head(cpus=8), gpu_node(1, cpus=16, gpus=4), gpu_node(2, cpus=16, gpus=4)]
    plan = plan_placement(PlacementRequest(workers=32), nodes)
    assert_fits(plan)
    assert plan.learner.num_gpus == 1.0
    assert plan.learner.node_id in {"gpu00001", "gpu00002"}
    assert len(plan.inference) == 7  # 8 GPUs, one kept for the learner
    assert all(s.num_gpus == 1.0 for s in plan.inference)
    assert all(s.node_id != "head0000" for s in plan.inference)  # the head has no GPU
    assert plan.gatekeeper.node_id == "head0000" and plan.gatekeeper.num_gpus == 0
    # The replay buffer lives in the driver's process: the plan has no actor for it.
    assert {a.role for a in plan.actors()} == {"inference", "worker", "learner", "gatekeeper"}
    assert "replay_buffer" not in plan.summary()
    # Servers are evenly loaded: the head's workers go to the least loaded ones.
    loads = [plan.worker_server.count(s) for s in range(len(plan.inference))]
    assert max(loads) - min(loads) <= 1, loads
    assert_survives_any_node_loss(plan)
    assert sum(1 for w in plan.workers if w.node_id == "head0000") > 0


def test_learner_avoids_preemptible_nodes() -> None:
    spot = [NodeResources(f"spot{i:04d}", cpus=8, gpus=4, preemptible=True) for i in range(2)]
    nodes = [head(), spot[0], gpu_node(1, cpus=8, gpus=1), spot[1]]
    plan = plan_placement(PlacementRequest(workers=16), nodes)
    assert_fits(plan)
    assert plan.learner.node_id == "gpu00001" and plan.learner.num_gpus == 1
    assert len(plan.inference) == 8
    # Only spot GPU nodes: the learner still gets a GPU there.
    plan = plan_placement(PlacementRequest(workers=4), [head(), spot[0]])
    assert plan.learner.node_id == spot[0].node_id


def test_single_gpu_machine_shares_the_gpu_between_learner_and_inference() -> None:
    plan = plan_placement(PlacementRequest(workers=4), [head(cpus=8, gpus=1)])
    assert_fits(plan)
    assert plan.learner.num_gpus == 0.5
    assert len(plan.inference) == 1 and plan.inference[0].num_gpus == 0.5


def test_fractional_gpus_per_inference_put_several_servers_on_a_gpu() -> None:
    nodes = [head(), gpu_node(1, gpus=2), gpu_node(2, gpus=2)]
    plan = plan_placement(PlacementRequest(workers=8, gpus_per_inference=0.5), nodes)
    assert_fits(plan)
    assert len(plan.inference) == 6  # 4 GPUs - 1 learner = 3 GPUs, two servers each


def test_inference_server_cap_spreads_servers_round_robin() -> None:
    nodes = [head(), gpu_node(1, gpus=2), gpu_node(2, gpus=2)]
    plan = plan_placement(PlacementRequest(workers=8, inference_servers=2, learner_gpus=0),
                          nodes)
    assert_fits(plan)
    assert sorted(s.node_id for s in plan.inference) == ["gpu00001", "gpu00002"]
    assert plan.learner.node_id == "head0000"


def test_explicit_cpus_per_worker_fills_nodes_up_to_their_capacity() -> None:
    nodes = [head(cpus=2), cpu_node(1, cpus=3)]
    req = PlacementRequest(workers=3, cpus_per_worker=1, learner_cpus=0, cpus_per_inference=0)
    plan = plan_placement(req, nodes)
    assert_fits(plan)
    assert sorted(w.node_id for w in plan.workers).count("cpu00001") <= 3


def test_placement_ray_options_pin_softly_to_the_node() -> None:
    node_id = "ab" * 28  # Ray's node ids are 28 bytes of hex
    node = NodeResources(node_id, cpus=4, gpus=1, is_head=True)
    plan = plan_placement(PlacementRequest(workers=1), [node])
    options = plan.inference[0].ray_options()
    assert options["num_gpus"] == 0.5 and options["num_cpus"] == 1.0
    strategy = options["scheduling_strategy"]
    assert strategy.node_id == node_id and strategy.soft is True
    assert plan.workers[0].ray_options(soft=False)["scheduling_strategy"].soft is False
    summary = plan.summary()
    assert "head" in summary and "inference" in summary and "learner" in summary


@pytest.mark.parametrize(
    ("request_kwargs", "nodes", "message"),
    [
        ({"workers": 2, "gpus_per_inference": 1}, [head(cpus=4)], "cluster has none"),
        ({"workers": 2, "learner_gpus": 1}, [head(cpus=4)], "learner_gpus=1 asks for GPUs"),
        ({"workers": 2, "gpus_per_inference": 2}, [head(), gpu_node(1), gpu_node(2)],
         "more GPUs than any single node has"),
        ({"workers": 2, "inference_servers": 5}, [head(), gpu_node(1, gpus=2), gpu_node(2)],
         "5 inference servers x 1 GPU do not fit"),
        ({"workers": 2, "inference_servers": 13}, [head(), cpu_node(1)],
         "13 CPU inference servers asked for but the cluster's 2 node.s. with CPUs have "
         "room for 12"),
        ({"workers": 9, "cpus_per_worker": 1}, [head(cpus=8)],
         "9 workers x 1 CPU do not fit"),
        ({"workers": 1000}, [head(cpus=2)], "1000 workers x 0.01 CPU do not fit"),
        ({"workers": 2, "learner_cpus": 4}, [head(cpus=2)], "the learner needs 4 CPU"),
        ({"workers": 2, "gatekeeper_gpus": 1}, [head(cpus=8), gpu_node(1)],
         "the gatekeeper needs 1 GPU"),
        ({"workers": 2, "gpus_per_inference": 1}, [head(cpus=8, gpus=1)],
         "no inference server fits"),
        ({"workers": 2, "learner_gpus": 1}, [head(cpus=8, gpus=1)],
         "leaves no GPU for inference"),
    ],
)
def test_impossible_requests_fail_at_once_naming_what_is_missing(
    request_kwargs: dict, nodes: list[NodeResources], message: str
) -> None:
    with pytest.raises(PlacementError, match=message):
        plan_placement(PlacementRequest(**request_kwargs), nodes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workers": 0}, "workers must be >= 1, got 0"),
        ({"workers": 2.5}, "workers must be an integer"),
        ({"workers": 1, "gpus_per_inference": -1}, "gpus_per_inference must be a finite"),
        ({"workers": 1, "gpus_per_inference": 1.5}, "whole number"),
        ({"workers": 1, "inference_servers": 0}, "inference_servers must be >= 1"),
        ({"workers": 1, "cpus_per_worker": float("nan")}, "cpus_per_worker must be a finite"),
    ],
)
def test_bad_requests_name_the_value(kwargs: dict, message: str) -> None:
    with pytest.raises(PlacementError, match=message):
        PlacementRequest(**kwargs)


def test_no_nodes_is_an_error() -> None:
    with pytest.raises(PlacementError, match="no alive node"):
        plan_placement(PlacementRequest(workers=1), [])


def test_nodes_from_ray_keeps_alive_nodes_head_first() -> None:
    ray_nodes = [
        {"NodeID": "bbbb", "Alive": True, "NodeManagerAddress": "10.0.0.2",
         "Resources": {"CPU": 4.0, "GPU": 1.0, "memory": 1e9, PREEMPTIBLE_RESOURCE: 1.0}},
        {"NodeID": "cccc", "Alive": False, "Resources": {"CPU": 4.0}},
        {"NodeID": "aaaa", "Alive": True, "NodeManagerAddress": "10.0.0.1",
         "Resources": {"CPU": 2.0, HEAD_RESOURCE: 1.0}},
    ]
    nodes = nodes_from_ray(ray_nodes)
    assert [n.node_id for n in nodes] == ["aaaa", "bbbb"]
    assert nodes[0].is_head and nodes[0].gpus == 0 and nodes[0].cpus == 2
    assert not nodes[1].is_head and nodes[1].gpus == 1
    assert nodes[1].preemptible and not nodes[0].preemptible


def test_node_from_cluster_resources() -> None:
    node = node_from_resources({"CPU": 16.0, "GPU": 2.0, "memory": 1e10}, node_id="cd" * 28)
    assert node.is_head and node.cpus == 16 and node.gpus == 2
    plan = plan_placement(PlacementRequest(workers=4), [node])
    assert_fits(plan)
    assert plan.learner.num_gpus == 1 and len(plan.inference) == 1


def test_plan_matches_a_real_ray_cluster(ray_tmpdir: Path) -> None:
    """nodes_from_ray reads a live Ray's node table, and the plan's actors can start there."""
    import ray

    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    try:
        nodes = nodes_from_ray(ray.nodes())
        assert len(nodes) == 1 and nodes[0].is_head and nodes[0].cpus == 2
        plan = plan_placement(PlacementRequest(workers=3), nodes)
        assert_fits(plan)

        @ray.remote
        class Probe:
            def node(self) -> str:
                return ray.get_runtime_context().get_node_id()

        actors = [Probe.options(**a.ray_options()).remote() for a in plan.actors()]
        assert set(ray.get([p.node.remote() for p in actors], timeout=120)) == {
            nodes[0].node_id}
    finally:
        ray.shutdown()
