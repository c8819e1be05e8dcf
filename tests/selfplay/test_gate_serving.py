"""Gates evaluated where self-play is: the inference server holds the candidate, the
gatekeeper holds no network, the placement sends the gate's leaves to a (GPU) server, each
gate's cost is measured against a generation of self-play, and trees kept across a
promotion are dropped."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from go import RulesConfig
from mcts import SearchConfig
from mcts import tree_kernels as tk
from network.config import NetworkConfig
from rundir.config import preset
from rundir.state import GateRecord
from selfplay import promotion
from selfplay.inference_server import InferenceServer
from selfplay.placement import NodeResources, PlacementRequest, plan_placement
from selfplay.worker import SelfPlayWorker

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

TINY = NetworkConfig.tiny(5)
RULES = RulesConfig(5, 7.5, 50)
SHORT = RulesConfig(5, 7.5, 16)  # short gate games: each move is a few Ray calls


def _weights(seed: int) -> list[np.ndarray]:
    import keras

    from network import build_model

    keras.utils.set_random_seed(seed)
    return build_model(TINY).get_weights()


def _reference(weights: list[np.ndarray]):
    from network import NetworkEvaluator, build_model

    model = build_model(TINY)
    model.set_weights(weights)
    return NetworkEvaluator(model, TINY, random_symmetry=False)


def test_the_server_answers_for_the_network_asked_for_and_refuses_one_it_does_not_hold():
    best, candidate = _weights(1), _weights(2)
    server = InferenceServer(TINY, weights=best, version=3, seed=0)
    # The empty board looks the same under every symmetry: values are exact, the priors
    # the same numbers moved by the symmetry the server drew.
    boards = np.zeros((2, TINY.history_length, 5, 5), np.int8)
    to_play = np.array([1, -1], np.int8)
    legal = np.ones((2, 26), bool)

    async def scenario():
        assert await server.load_network("gate", candidate) == "gate"
        return await asyncio.gather(server.evaluate(boards, to_play, legal),
                                    server.evaluate(boards, to_play, legal, "gate"))

    (p_best, v_best, version), (p_cand, v_cand, version_c) = asyncio.run(scenario())
    assert version == version_c == 3  # the best's version, whichever network answered
    for (priors, values), weights in (((p_best, v_best), best), ((p_cand, v_cand), candidate)):
        want_p, want_v = _reference(weights).evaluate(boards, to_play, legal)
        np.testing.assert_allclose(np.sort(priors), np.sort(want_p), atol=1e-5)
        np.testing.assert_allclose(values, want_v, atol=1e-5)
    # two different networks answered (untrained: values 0, priors their own)
    assert not np.allclose(np.sort(p_best), np.sort(p_cand))

    async def dropped():
        assert await server.drop_network("gate") == []
        with pytest.raises(KeyError, match="holds no network 'gate'"):
            await server.evaluate(boards, to_play, legal, "gate")
        await server.load_network("gate", best)  # the dropped network's slot is reused
        return await server.evaluate(boards, to_play, legal, "gate")

    _, values, _ = asyncio.run(dropped())
    np.testing.assert_allclose(values, v_best, atol=1e-5)


def test_a_gate_plays_through_the_inference_server_with_the_given_resign_threshold(
        ray_address):
    import ray

    from selfplay.gatekeeper import CANDIDATE_KEY, Gatekeeper
    from selfplay.remote_evaluator import NetworkVersionError

    server = ray.remote(InferenceServer).options(max_concurrency=100).remote(
        TINY, weights=_weights(1), version=2, seed=0)
    try:
        gate = Gatekeeper(TINY, SHORT, SearchConfig(num_simulations=4, add_noise=False,
                                                    resign_threshold=-0.9),
                          seed=0, opening_moves=2, server=server)
        report = gate.play(_weights(2), None, games=2, threshold=0.0, sprt=None, parallel=2,
                           resign_threshold=-0.6, best_version=2)
        assert report["games"] == 2 and report["resign_threshold"] == -0.6
        stats = ray.get(server.stats.remote())
        # Every leaf of both sides (and the openings) was evaluated by the server.
        assert report["evaluations"] == stats["positions"] > 0
        assert ray.get(server.drop_network.remote(CANDIDATE_KEY)) == []  # dropped after
        with pytest.raises(NetworkVersionError, match="best version 2, expected 5"):
            gate.play(_weights(2), None, games=2, threshold=0.0, sprt=None, parallel=2,
                      best_version=5)
        assert ray.get(server.drop_network.remote(CANDIDATE_KEY)) == []
    finally:
        ray.kill(server, no_restart=True)


def _head(cpus: float, gpus: float = 0.0) -> NodeResources:
    return NodeResources("head0000", cpus, gpus, is_head=True)


def _node(i: int, cpus: float, gpus: float = 0.0) -> NodeResources:
    return NodeResources(f"node{i:04d}", cpus, gpus)


@pytest.mark.parametrize("workers, nodes", [
    (32, [_head(2)]),                                        # a two-core laptop
    (4, [_head(16)]),                                        # one CPU box
    (8, [_head(16, gpus=1)]),                                # one GPU box
    (16, [_head(4), _node(1, 32, gpus=4), _node(2, 32, gpus=4)]),  # GPU-less head
    (12, [_head(8), _node(1, 8), _node(2, 8)]),              # CPU cluster
])
def test_the_gate_runs_no_network_of_its_own_and_evaluates_on_a_gpu_server_when_there_is_one(
        workers, nodes):
    plan = plan_placement(PlacementRequest(workers=workers), nodes)
    assert not plan.gatekeeper.holds_network and plan.gatekeeper.num_gpus == 0
    assert {a.role for a in plan.actors() if a.holds_network} == {"inference", "learner"}
    server = plan.inference[plan.gate_server]
    if any(n.gpus > 0 for n in nodes):
        assert server.num_gpus > 0  # never a network on the head's CPU beside GPUs
        assert all(a.num_gpus > 0 for a in plan.inference)
    else:
        # a CPU server with its share of the CPUs (a third of a 2-core laptop, beside
        # the learner and the second server)
        assert server.num_cpus >= 0.33
    load = [plan.worker_server.count(s) for s in range(len(plan.inference))]
    assert load[plan.gate_server] == min(load)
    assert f"gate: leaves to inference server {plan.gate_server}" in plan.summary()


def test_the_gate_cost_share_is_the_gates_evaluations_over_a_generation_of_self_play():
    p, c = preset("cpu9").pipeline, preset("cpu9")
    # cpu9's defaults: playout cap randomization searches a quarter of the moves with 100
    # simulations and the rest with 25, 43.75 evaluations a move; a whole gate of 80-move
    # games (9x9 games under the pass rule average ~80) costs 23% of a generation
    per_move = c.search.mean_simulations()
    assert per_move == 0.25 * 100 + 0.75 * 25 == 43.75
    cpu9 = promotion.generation_evaluations(per_move, p.steps_per_generation,
                                            c.train.batch_size, p.samples_per_position)
    assert cpu9 == 200 * 128 / 2 * 43.75
    worst = p.gate_games * c.gate_search().num_simulations * 80
    assert worst / cpu9 == pytest.approx(0.2286, abs=1e-4) and worst / cpu9 <= 0.25
    generation = promotion.generation_evaluations(100.0, p.steps_per_generation,
                                                  c.train.batch_size, p.samples_per_position)
    assert generation == 200 * 128 / 2 * 100
    report = promotion.with_cost_share({"games": 64, "wins": 40, "losses": 24, "draws": 0,
                                        "promoted": True, "elo": 60.0,
                                        "evaluations": 256_000}, generation)
    assert report["gate_cost_share"] == 0.2
    gate = GateRecord.from_report(report, generation=1, candidate="ckpt-00000200.keras",
                                  best="ckpt-00000000.keras", time=0.0)
    assert gate.gate_cost_share == 0.2 and gate.evaluations == 256_000
    assert "gate_cost_share 0.200" in promotion.gate_line(gate)
    assert "gate_cost_share" not in promotion.with_cost_share({"games": 2}, generation)


class VersionedEvaluator:
    """Uniform priors and one value per network version (0.25, then -0.5); ``version``
    is that of the last answer, as ``RemoteEvaluator`` has it."""

    def __init__(self) -> None:
        self.board_size, self.history_length = 5, TINY.history_length
        self.serving, self.version = 0, None

    def evaluate(self, boards, to_play, legal):
        self.version = self.serving
        priors = legal / legal.sum(axis=1, keepdims=True)
        value = 0.25 if self.serving == 0 else -0.5
        return priors.astype(np.float32), np.full(len(boards), value, np.float32)


def _tree_values(search, g: int) -> list[float]:
    """The network values of the expanded nodes of game ``g``'s tree."""
    pool, stack, values = search.pool, [int(search._roots[g])], []
    while stack:
        node = stack.pop()
        if pool.node_state[node] == tk.EXPANDED:
            values.append(float(pool.node_value[node]))
            stack.extend(int(c) for c in pool.child[node] if c >= 0)
    return values


def test_trees_kept_across_a_promotion_are_dropped_so_none_holds_old_values():
    evaluator = VersionedEvaluator()
    worker = SelfPlayWorker(evaluator, RULES, SearchConfig(
        num_simulations=32, add_noise=False, resign_threshold=None), games=3, seed=0)
    search = worker._groups[0].search
    worker.play(min_games=10**6, max_steps=3)
    kept = [_tree_values(search, g) for g in range(3)]
    assert all(0.25 in values for values in kept)  # reused subtrees of version 0
    disabled = [search.resign_disabled(g) for g in range(3)]
    moves = [search.position(g).move_number for g in range(3)]
    evaluator.serving = evaluator.version = 1  # the promotion reached the server
    worker.play(min_games=10**6, max_steps=1)
    for g in range(3):
        values = _tree_values(search, g)
        assert values and set(values) == {-0.5}, values  # only the new network's
        assert search.position(g).move_number in (moves[g] + 1, 1)  # played on (or anew)
    assert worker.trees_dropped == 3
    assert [search.resign_disabled(g) for g in range(3)] == disabled
    worker.play(min_games=10**6, max_steps=1)
    assert worker.trees_dropped == 3  # same version: trees reused again
