"""A head and two worker nodes (one with a GPU) on this machine: placement and node loss.

``ray.cluster_utils.Cluster`` starts real raylets, one per "node"; the GPU node declares
one GPU (TensorFlow finds none there and runs on the CPU, which changes nothing here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster

from selfplay.placement import PlacementRequest, nodes_from_ray, plan_placement
from tests.cluster.tiny_run import TINY_RUN_FLAGS, check_run_dir, game_files
from tests.run_process import reaped, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


class ThreeNodes:
    def __init__(self) -> None:
        self.cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 2, "object_store_memory": 200 * 1024 * 1024,
            "include_dashboard": False})
        self.cpu_node = self.cluster.add_node(num_cpus=2, object_store_memory=200 * 1024 * 1024)
        self.gpu_node = self.cluster.add_node(num_cpus=2, num_gpus=1,
                                              object_store_memory=200 * 1024 * 1024)
        self.cluster.wait_for_nodes()
        self.head_id = self.cluster.head_node.node_id
        self.cpu_id = self.cpu_node.node_id
        self.gpu_id = self.gpu_node.node_id

    def alive_actors(self) -> dict[str, list[str]]:
        """Class names of the alive actors, by node id (from the cluster's GCS)."""
        placed: dict[str, list[str]] = {}
        table = self.cluster.global_state.actor_table(None, actor_state_name="ALIVE")
        for info in table.values():
            placed.setdefault(info["Address"]["NodeID"], []).append(info["ActorClassName"])
        return placed

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def three_nodes() -> Iterator[ThreeNodes]:
    """One cluster for the module (the last test removes its CPU node)."""
    if ray.is_initialized():
        ray.shutdown()
    with pytest.MonkeyPatch.context() as patch:
        # Ray's address file of this cluster goes to a temp dir of its own (see the
        # ray_tmpdir fixture), so no other ray.init() on the machine joins it.
        tmp = Path(tempfile.mkdtemp(prefix="zg-ray-", dir="/tmp"))
        patch.setenv("RAY_TMPDIR", str(tmp))
        nodes = ThreeNodes()
        try:
            yield nodes
        finally:
            nodes.shutdown()
            shutil.rmtree(tmp, ignore_errors=True)


@ray.remote
class Probe:
    """Says which node it runs on."""

    def node(self) -> str:
        return ray.get_runtime_context().get_node_id()


def test_planned_actors_land_on_their_planned_nodes(three_nodes: ThreeNodes) -> None:
    ray.init(address=three_nodes.cluster.address)
    try:
        plan = plan_placement(PlacementRequest(workers=4), nodes_from_ray(ray.nodes()))
        assert {s.node_id for s in plan.inference} == {three_nodes.gpu_id}
        assert plan.learner.node_id == three_nodes.gpu_id
        assert {three_nodes.head_id, three_nodes.cpu_id} <= {w.node_id for w in plan.workers}
        assert plan.gatekeeper.node_id == three_nodes.head_id

        actors = [Probe.options(**a.ray_options()).remote() for a in plan.actors()]
        placed = ray.get([p.node.remote() for p in actors], timeout=120)
        assert placed == [a.node_id for a in plan.actors()]
    finally:
        ray.shutdown()  # the probes die with their driver


def test_pipeline_spreads_over_nodes_and_survives_losing_one(
    three_nodes: ThreeNodes, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "selfplay.run", "--address", three_nodes.cluster.address,
               "--generations", "1", "--run-dir", str(run_dir), *TINY_RUN_FLAGS,
               # Training waits for ~10 games, so most of them come after the node loss.
               "--workers", "4", "--train-start", "200"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    with reaped(proc):
        def spread() -> bool:
            placed = three_nodes.alive_actors()
            return ("SelfPlayWorker" in placed.get(three_nodes.cpu_id, [])
                    and "SelfPlayWorker" in placed.get(three_nodes.head_id, [])
                    and "InferenceServer" in placed.get(three_nodes.gpu_id, []))

        wait_for(spread, 180, "workers on the head and the CPU node, inference on the GPU "
                 "node", proc)
        wait_for(lambda: len(game_files(run_dir)) >= 4, 180, "4 finished games", proc)
        games_before = len(game_files(run_dir))
        three_nodes.cluster.remove_node(three_nodes.cpu_node)

        out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out[-6000:]
    state = check_run_dir(run_dir, generations=1, output=out)
    # The run went on after the node died: more games, and every game it finished is on
    # disk (check_run_dir: files 0..games-1, none missing, none extra).
    assert state["games"] > games_before, (games_before, state["games"])
