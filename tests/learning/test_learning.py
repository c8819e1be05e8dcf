"""Proof that it learns: a short fixed-seed training run on 5x5, then the evaluation ladder.

One training run (``short_training``: self-play with the batched search, the replay buffer
and the trainer, in one process) writes a run directory with three promoted checkpoints:
the initial network, one from half-way and the final one. Then:

* the final network alone (one evaluation per move, no search) must beat the uniform-random
  player, its own initial network, and a panel of untrained networks (its initial one and
  four others) by margins that no untrained network reaches: untrained networks scored at
  most 0.875 against the random player (20 initialisations) and at most 0.826 on average
  against a panel of nine others (10 initialisations), while a single untrained pair can
  be as lopsided as 0.995, so the margin over the initial network alone proves nothing
  and is checked through the panel (``docs/learning.md`` has the distributions, made by
  ``python -m tests.learning.margin_distribution``);
* ``python -m arena.ladder`` must rate the run end to end (in-process games, GNU Go
  through the GTP referee, ratings.csv, elo.png, report.md, TensorBoard events), rank the
  final network above the initial one, and on a second run reuse every stored game.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from arena.match_loop import GameOutcome, play_match
from arena.players import PolicyPlayer, RandomPlayer
from tests.learning.short_training import RunDirWriter, ShortTraining, train

SEED = 1
SETTINGS = ShortTraining()
EVAL_GAMES = 200
PANEL_SEEDS = (101, 102, 103, 104)  # untrained networks the trained one must beat too
MIN_VS_RANDOM = 0.95  # untrained networks: at most 0.875
MIN_VS_PANEL = 0.9  # untrained networks: at most 0.826 on average against nine others
MIN_VS_INITIAL = 0.9

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The training run and its run directory."""
    from network import backend

    backend.hide_gpus()
    backend.configure(threads=1)  # one thread: the same numbers on every run
    root = tmp_path_factory.mktemp("learning") / "run"
    writer = RunDirWriter(root, SETTINGS)
    half = SETTINGS.rounds // 2
    result = train(SETTINGS, SEED, snapshot=writer.snapshot,
                   snapshot_rounds=(half, SETTINGS.rounds))
    writer.finish()
    return root, result


def policy_player(seed: int, weights=None) -> PolicyPlayer:
    """The network alone: a fresh initialisation from ``seed``, or ``weights``."""
    import keras

    from network import NetworkEvaluator, build_model

    config = SETTINGS.network()
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    if weights is not None:
        model.set_weights(weights)
    return PolicyPlayer(NetworkEvaluator(model, config, seed=seed + 100), f"net-{seed}")


def score(a, b, games: int = EVAL_GAMES) -> float:
    """``a``'s share of the points in ``games`` games, colours alternating."""
    outcomes = play_match(a, b, SETTINGS.rules(), games, parallel=100).games
    return sum(o.a_points for o in outcomes) / len(outcomes)


def margins(trained: PolicyPlayer, initial: PolicyPlayer) -> dict[str, float]:
    """The scores the thresholds apply to."""
    panel = [initial] + [policy_player(s) for s in PANEL_SEEDS]
    against_panel = [score(trained, p) for p in panel]
    return {"vs_random": score(trained, RandomPlayer(13)), "vs_initial": against_panel[0],
            "vs_panel": sum(against_panel) / len(panel),
            "initial_vs_random": score(initial, RandomPlayer(14))}


def test_the_trained_network_alone_beats_the_initial_one_and_the_random_player(run):
    _, result = run
    assert result.steps == SETTINGS.rounds * SETTINGS.steps_per_round
    assert result.losses[-1][0] < result.losses[0][0] - 0.5, result.losses
    found = margins(policy_player(SEED, result.final_weights),
                    policy_player(SEED, result.initial_weights))
    report = f"{found}; losses (total, policy, value) {result.losses}"
    assert found["vs_random"] >= MIN_VS_RANDOM, report
    assert found["vs_panel"] >= MIN_VS_PANEL, report
    assert found["vs_initial"] >= MIN_VS_INITIAL, report


def test_the_ladder_rates_the_run_and_reuses_its_games(run, capsys):
    from arena.ladder import main

    root, _ = run
    ladder = root / "ladder"
    shutil.rmtree(ladder, ignore_errors=True)
    flags = ["--run-dir", str(root), "--games", "6", "--playouts", "8",
             "--opponents", "random,policy,gnugo:0", "--seed", "3"]
    assert main(flags) == 0
    out = capsys.readouterr().out
    results = sorted((ladder / "results").glob("*.json"))
    # 3 generations: 3 vs random + 2 consecutive, with and without search; 2 vs GNU Go
    assert len(results) == 12, [p.name for p in results]
    assert "72 new games" in out, out
    for path in results:
        games = json.loads(path.read_text())["games"]
        assert sorted(g["a_colour"] for g in games) == [-1] * 3 + [1] * 3
    gnugo = json.loads(next(p for p in results if "gnugo" in p.name).read_text())
    assert all(not g["result"].endswith(("+F", "+T")) for g in gnugo["games"]), gnugo

    rows = {r["player"]: r for r in csv.DictReader((ladder / "ratings.csv").open())}
    assert rows["random"]["elo"] == "0.0"
    assert {r["kind"] for r in rows.values()} == {"random", "search", "policy", "gnugo"}
    names = [n for n in rows if n.endswith(".p8")]
    assert len(names) == 3 and [int(rows[n]["generation"]) for n in names] == [0, 1, 2]
    assert float(rows[names[-1]]["elo"]) > float(rows[names[0]]["elo"]), rows
    png = (ladder / "elo.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert "| generation |" in (ladder / "report.md").read_text()
    events = list((ladder / "logs").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 1000

    before = {p.name: p.read_bytes() for p in results}
    assert main(flags) == 0
    assert "0 new games" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in results} == before
    assert len(list((ladder / "logs").glob("events.out.tfevents.*"))) == 1

    assert main([*flags[:3], "8", *flags[4:7], "random"]) == 0
    assert "10 new games" in capsys.readouterr().out  # 2 more for each of 5 pairings

    broken = ladder / "results" / "ckpt-00000000.p8--random.json"
    broken.write_text("{}")
    assert main(flags) == 2
    assert "ckpt-00000000.p8--random.json" in capsys.readouterr().err


def test_compare_puts_two_runs_on_one_scale(run, tmp_path, capsys):
    """``arena.compare`` of the run against a copy that stopped at its initial network: the
    trained network beats the copy's, and the joint fit rates it above it."""
    from arena.compare import main

    root, _ = run
    shutil.rmtree(root / "ladder", ignore_errors=True)  # the ladder test leaves a broken file
    early = tmp_path / "early"
    shutil.copytree(root, early, ignore=shutil.ignore_patterns("ladder"))
    for meta in sorted((early / "checkpoints").glob("ckpt-*.keras.json")):
        data = json.loads(meta.read_text())
        if data.get("generation"):
            meta.write_text(json.dumps(dict(data, promoted=False)))
    out = tmp_path / "ab"
    flags = ["--run-dir", str(root), "--run-dir", str(early), "--label", "trained",
             "--label", "early", "--out", str(out), "--games", "4", "--cross-games", "4",
             "--final-games", "20", "--playouts", "8", "--seed", "5"]
    assert main(flags) == 0
    printed = capsys.readouterr().out
    rows = {r["player"]: r for r in csv.DictReader((out / "ratings.csv").open())}
    trained = sorted((r for r in rows.values() if r["run"] == "trained"),
                     key=lambda r: int(r["generation"]))
    (early_row,) = [r for r in rows.values() if r["run"] == "early"]
    assert len(trained) == 3 and early_row["generation"] == "0", rows
    # each of the trained run's 3 checkpoints meets the early run's only one
    results = {p.name for p in (out / "results").glob("*.json")}
    assert results == {f"{r['player']}--{early_row['player']}.json" for r in trained}, results
    assert rows["random"]["elo"] == "0.0" and rows["random"]["run"] == ""
    assert float(trained[-1]["elo"]) > float(early_row["elo"]), rows
    final = [GameOutcome.from_dict(g) for g in json.loads(
        (out / "results" / f"{trained[-1]['player']}--{early_row['player']}.json"
         ).read_text())["games"]]
    assert len(final) == 20 and sum(g.a_points for g in final) > 10, final
    assert (out / "elo.png").read_bytes().startswith(b"\x89PNG")
    report = (out / "report.md").read_text()
    assert f"| {trained[-1]['player']} | {early_row['player']} | " in report, report
    assert "new games" in printed
    assert main(flags) == 0 and "0 new games" in capsys.readouterr().out
