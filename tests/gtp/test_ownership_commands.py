"""``final_status_list`` and ``final_score`` from a network's ownership head, checked
against GNU Go on 9x9 positions with clearly dead stones; ``kata-analyze`` ownership and
``scoreLead``; a network without the heads says what it cannot answer.

The network is real (a Keras model through ``NetworkEvaluator``, saved and loaded as a
checkpoint, the engine's user path); it is taught the right ownership of these positions
by a few hundred quick training steps on them (the trainer's symmetry augmentation on,
so every symmetry the evaluator may draw is learned). A hand-set network cannot judge
life and death, and a stub evaluator would test nothing of the network path.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from go import Position, coords
from gtp.client import GtpClient
from gtp.engine import GtpEngine
from gtp.search_player import PlayerConfig

SIZE = 9
KOMI = 7.5


def column(colour: str, letter: str) -> list[str]:
    return [f"{colour} {letter}{row}" for row in range(1, SIZE + 1)]


# (moves, dead stones): walls of adjacent columns split the board with no neutral point
# (GNU Go counts neutral points as if they were filled in turn), and single stones in
# the other side's area are dead.
POSITIONS = [
    (column("b", "D") + column("w", "E") + ["w B5", "b G5"], {"B5", "G5"}),
    (column("b", "F") + column("w", "G") + ["w B3", "w B7"], {"B3", "B7"}),
    (column("b", "D") + column("w", "E"), set()),
]


def play(moves: list[str]) -> Position:
    """The position after ``moves`` (GTP ``colour vertex``), without move alternation."""
    flat = np.zeros(SIZE * SIZE, np.int8)
    for move in moves:
        colour, vertex = move.split()
        flat[coords.from_gtp(vertex, SIZE)] = 1 if colour == "b" else -1
    last = 1 if moves[-1].split()[0] == "b" else -1
    return Position.setup(SIZE, KOMI, black=np.flatnonzero(flat == 1),
                          white=np.flatnonzero(flat == -1), to_play=-last)


def true_ownership(moves: list[str], dead: set[str]) -> np.ndarray:
    """int8[N, N] final ownership in absolute colours: the dead stones taken off, then
    Tromp-Taylor area."""
    alive = [m for m in moves if m.split()[1] not in dead]
    return play(alive).ownership()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny network with auxiliary heads, trained on ``POSITIONS``' ownership, saved."""
    import keras

    from network import NetworkConfig, TrainConfig, Trainer, build_model, save_checkpoint

    keras.utils.set_random_seed(5)
    config = NetworkConfig(board_size=SIZE, blocks=2, filters=16, history_length=1,
                           value_hidden=16, auxiliary_heads=True)
    model = build_model(config)
    trainer = Trainer(model, config, TrainConfig(
        batch_size=24, learning_rates=(0.02,), lr_boundaries=(), l2=0.0,
        ownership_loss_weight=4.0), seed=0)
    boards, to_play, own, score = [], [], [], []
    for moves, dead in POSITIONS:
        position = play(moves)
        boards.append(position.recent_boards(1))
        to_play.append(position.to_play)
        truth = true_ownership(moves, dead)
        own.append(position.to_play * truth)
        score.append(position.to_play * (truth.sum() - KOMI))
    reps = 8
    boards = np.repeat(np.array(boards), reps, axis=0)
    to_play = np.repeat(np.array(to_play, np.int8), reps)
    own = np.repeat(np.array(own, np.float32), reps, axis=0)
    score = np.repeat(np.array(score, np.float32), reps)
    policy = np.full((len(boards), SIZE * SIZE + 1), 1 / (SIZE * SIZE + 1), np.float32)
    value = np.sign(score).astype(np.float32)
    for _ in range(300):
        logs = trainer.train_step(boards, to_play, policy, value, own, score)
    assert logs["ownership"] < 0.05, logs
    path = tmp_path_factory.mktemp("aux") / "aux.keras"
    save_checkpoint(path, trainer.model, {"network": config})
    return path


def engine_over(path) -> GtpEngine:
    from network import NetworkEvaluator, load_checkpoint, network_config_of

    model, _ = load_checkpoint(path)
    config = network_config_of(model)
    assert config.auxiliary_heads
    return GtpEngine(NetworkEvaluator(model, config, seed=0), PlayerConfig(playouts=16),
                     seed=0, komi=KOMI, log=io.StringIO())


def ask(engine: GtpEngine, line: str) -> str:
    answer = engine.dispatcher.handle_line(line)
    assert answer.endswith("\n\n"), answer
    return answer[:-2]


def vertices(answer: str) -> set[str]:
    return {v.upper() for v in answer.removeprefix("=").split()}


def test_dead_stones_and_final_score_agree_with_gnu_go(checkpoint, gnugo):
    engine = engine_over(checkpoint)
    reference = GtpClient(gnugo, timeout=60)
    try:
        for moves, dead in POSITIONS:
            for program in (engine, reference):
                send = (lambda c, p=program: ask(p, c)) if program is engine else (
                    lambda c, p=program: p.send(c))
                send(f"boardsize {SIZE}")
                send("clear_board")
                send(f"komi {KOMI}")
                for move in moves:
                    send(f"play {move}")
            ours_dead = vertices(ask(engine, "final_status_list dead"))
            theirs_dead = vertices(reference.send("final_status_list dead"))
            assert ours_dead == theirs_dead == dead
            theirs_score = reference.send("final_score").strip()
            assert ask(engine, "final_score") == f"= {theirs_score}"
            alive = vertices(ask(engine, "final_status_list alive"))
            stones = {m.split()[1] for m in moves}
            assert alive == stones - dead
    finally:
        reference.send("quit")


def test_kata_analyze_reports_ownership_and_score_lead(checkpoint):
    engine = engine_over(checkpoint)
    moves, dead = POSITIONS[0]
    for move in moves:
        ask(engine, f"play {move}")
    colour = 1  # black analysed (black played last: a pass is put in between)
    line = ask(engine, "kata-genmove_analyze b interval 1 maxmoves 3 rootInfo true "
                       "ownership true").split("\n")[-2]
    assert re.search(r"info move \S+ visits \d+ .*scoreLead -?\d", line)
    own = [float(v) for v in line.split(" ownership ")[1].split()]
    assert len(own) == SIZE * SIZE
    # Ownership for the side to move (black here), top-left first: A9 is black's area,
    # J1 white's, dead B5 black's.
    truth = colour * true_ownership(moves, dead).ravel()
    assert np.mean(np.sign(own) == truth) > 0.95
    root_lead = float(re.search(r"rootInfo .* scoreLead (\S+)", line).group(1))
    assert abs(root_lead - colour * (true_ownership(moves, dead).sum() - KOMI)) < 4


def test_a_network_without_the_heads_plays_and_says_what_it_cannot_answer(tmp_path):
    import keras

    from network import NetworkConfig, build_model, save_checkpoint

    keras.utils.set_random_seed(1)
    path = tmp_path / "plain.keras"
    save_checkpoint(path, build_model(NetworkConfig.tiny(SIZE, history_length=1)))
    from network import NetworkEvaluator, load_checkpoint, network_config_of

    model, _ = load_checkpoint(path)
    engine = GtpEngine(NetworkEvaluator(model, network_config_of(model), seed=0),
                       PlayerConfig(playouts=8), seed=0, komi=KOMI, log=io.StringIO())
    for move in POSITIONS[0][0]:
        ask(engine, f"play {move}")
    assert ask(engine, "final_status_list dead") == (
        "? cannot tell dead stones: the network has no ownership head (every stone counts "
        "as alive)")
    # Every stone alive: the areas holding a stone of each colour are nobody's, so only
    # the 10 stones of each side count.
    assert ask(engine, "final_score") == "= W+7.5"
    assert ask(engine, "kata-genmove_analyze b 1 ownership true") == (
        "? cannot report ownership: the network has no ownership head")
    line = ask(engine, "kata-genmove_analyze b 1").split("\n")
    assert line[-1].startswith("play ") and "scoreLead" not in line[-2]
