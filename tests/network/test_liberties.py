"""KataGo's liberty planes, checked against real GNU Go's ``countlib`` on random games."""

from __future__ import annotations

import numpy as np
import pytest

from go import coords
from network.config import NetworkConfig
from network.features import planes
from network.liberties import chain_liberties
from tests.go.gtp_process import GtpProcess, gnugo
from tests.go.test_gnugo_oracle import COLOUR_NAME, random_game


@pytest.fixture(scope="module")
def engine():
    with gnugo(9) as process:
        yield process


def _gnugo_liberties(engine: GtpProcess, positions: list, index: int) -> np.ndarray:
    """int32[N, N]: GNU Go's ``countlib`` on every stone of ``positions[index]``, 0 on
    empty points, after replaying the game up to it."""
    size = positions[0].size
    commands = ["clear_board"]
    for i in range(1, index + 1):
        mover = COLOUR_NAME[positions[i - 1].to_play]
        commands.append(f"play {mover} {coords.to_gtp(positions[i].last_move, size)}")
    stones = np.flatnonzero(positions[index].flat_board)
    commands += [f"countlib {coords.to_gtp(int(p), size)}" for p in stones]
    answers = engine.batch(commands)
    assert all(ok for ok, _ in answers), [t for ok, t in answers if not ok]
    out = np.zeros(size * size, np.int32)
    out[stones] = [int(text) for _, text in answers[-len(stones):]] if len(stones) else []
    return out.reshape(size, size)


def test_chain_liberties_equal_gnugo_countlib(engine):
    rng = np.random.default_rng(7)
    checked = atari = 0
    for _ in range(6):
        positions = random_game(9, 7.5, rng, fill_eyes=False, capture_bias=0.5,
                                max_moves=200)
        for index in range(10, len(positions), 15):
            ours = chain_liberties(positions[index].board[None])[0]
            assert np.array_equal(ours, _gnugo_liberties(engine, positions, index)), index
            checked += 1
            atari += int(np.sum(ours == 1))
    assert checked >= 40 and atari > 0        # positions with chains in atari were seen


def test_liberty_planes_mark_chains_of_one_two_three_liberties():
    #   0 1 2 3 4      B at (0,0): 2 liberties.  B (1,2)-(1,3): 4.  B (2,1): 3.
    # 0 B . . . .      W (2,2)-(2,3): 3 ((2,4), (3,2), (3,3)).
    # 1 . . B B .      W (3,4): 2 ((2,4), (3,3)).
    # 2 . B W W .      B (4,4): 1 ((4,3)), in atari.
    # 3 . . . . W
    # 4 . . . . B
    board = np.zeros((5, 5), np.int8)
    for r, c in ((0, 0), (1, 2), (1, 3), (2, 1), (4, 4)):
        board[r, c] = 1
    for r, c in ((2, 2), (2, 3), (3, 4)):
        board[r, c] = -1
    boards = np.zeros((1, 2, 5, 5), np.int8)
    boards[0, 0] = board
    boards[0, 1, 0, 0] = 1                  # history does not enter the liberty planes
    x = planes(boards, np.array([-1], np.int8), liberty_planes=True)
    assert x.shape == (1, 5, 5, 2 * 2 + 1 + 3)
    marked = [{tuple(map(int, p)) for p in np.argwhere(x[0, ..., 5 + k])} for k in range(3)]
    assert marked == [{(4, 4)}, {(0, 0), (3, 4)}, {(2, 1), (2, 2), (2, 3)}]
    # the first 2H + 1 planes are AlphaGo Zero's, unchanged
    assert np.array_equal(x[..., :5], planes(boards, np.array([-1], np.int8)))


def test_network_config_counts_the_liberty_planes():
    plain = NetworkConfig.tiny(history_length=2)
    with_libs = NetworkConfig(**{**plain.to_dict(), "liberty_planes": True})
    assert (plain.input_planes, with_libs.input_planes) == (5, 8)
    old = plain.to_dict()
    del old["liberty_planes"]                       # a config written before the field
    assert NetworkConfig.from_dict(old) == plain
    with pytest.raises(ValueError, match="liberty_planes must be true or false, got 1"):
        NetworkConfig(liberty_planes=1)


def test_chain_liberties_refuses_a_bad_shape():
    with pytest.raises(ValueError, match=r"int8\[B, N, N\], got shape \(2, 3\)"):
        chain_liberties(np.zeros((2, 3), np.int8))


def test_a_network_with_liberty_planes_trains_saves_loads_and_evaluates(tmp_path):
    import network
    from network.checkpoint import load_checkpoint, save_checkpoint
    from network.model import network_config_of
    from network.training import Trainer

    config = NetworkConfig(**{**NetworkConfig.tiny(board_size=5, history_length=2).to_dict(),
                              "liberty_planes": True, "auxiliary_heads": True})
    model = network.build_model(config)
    assert model.input_shape == (None, 5, 5, 8) and network_config_of(model) == config
    rng = np.random.default_rng(0)
    boards = (rng.integers(-1, 2, (16, 2, 5, 5)) * (rng.random((16, 2, 5, 5)) < 0.4)
              ).astype(np.int8)
    to_play = rng.choice(np.array([-1, 1], np.int8), 16)
    policy = rng.dirichlet(np.ones(26), 16).astype(np.float32)
    value = rng.choice(np.array([-1.0, 1.0], np.float32), 16)
    trainer = Trainer(model, config, seed=0)
    losses = [trainer.train_step(boards, to_play, policy, value)["total"] for _ in range(3)]
    assert all(np.isfinite(losses))
    path = tmp_path / "libs.keras"
    save_checkpoint(path, model, {"network": config})
    loaded, meta = load_checkpoint(path)
    assert NetworkConfig.from_dict(meta["network"]) == config
    assert network_config_of(loaded) == config
    legal = np.concatenate([boards[:, 0].reshape(16, -1) == 0, np.ones((16, 1), bool)], 1)
    before = network.NetworkEvaluator(model, config, random_symmetry=False)
    after = network.NetworkEvaluator(loaded, config, random_symmetry=False)
    (p0, v0), (p1, v1) = (e.evaluate(boards, to_play, legal) for e in (before, after))
    np.testing.assert_allclose(p0, p1, atol=1e-5)
    np.testing.assert_allclose(v0, v1, atol=1e-5)
    # the liberty planes reach the network: clearing them changes its output
    x = planes(boards, to_play, liberty_planes=True)
    cleared = x.copy()
    cleared[..., 5:] = 0
    out = [np.asarray(loaded(v, training=False)["value"]) for v in (x, cleared)]
    assert not np.allclose(out[0], out[1])
