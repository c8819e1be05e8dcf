"""Coordinates: flat index <-> GTP vertex <-> SGF point, corners of 9x9 and 19x19, errors."""

from __future__ import annotations

import pytest

from go import Position, coords


@pytest.mark.parametrize(
    ("size", "vertex", "sgf", "row", "col"),
    [
        (9, "A9", "aa", 0, 0),
        (9, "J9", "ia", 0, 8),
        (9, "A1", "ai", 8, 0),
        (9, "J1", "ii", 8, 8),
        (9, "E5", "ee", 4, 4),
        (9, "H2", "hh", 7, 7),
        (19, "A19", "aa", 0, 0),
        (19, "T19", "sa", 0, 18),
        (19, "A1", "as", 18, 0),
        (19, "T1", "ss", 18, 18),
        (19, "D4", "dp", 15, 3),
        (19, "Q16", "pd", 3, 15),
        (19, "K10", "jj", 9, 9),
    ],
)
def test_corners_and_known_points(size: int, vertex: str, sgf: str, row: int, col: int) -> None:
    move = row * size + col
    assert coords.to_gtp(move, size) == vertex
    assert coords.from_gtp(vertex, size) == move
    assert coords.from_gtp(vertex.lower(), size) == move
    assert coords.to_sgf(move, size) == sgf
    assert coords.from_sgf(sgf, size) == move
    assert coords.gtp_to_sgf(vertex, size) == sgf and coords.sgf_to_gtp(sgf, size) == vertex
    # The index is the one Position.board uses: row 0 is the top row (GTP row `size`).
    board = Position.new(size).play(move).board
    assert board[row, col] == 1


@pytest.mark.parametrize("size", [2, 5, 9, 13, 19])
def test_every_point_round_trips(size: int) -> None:
    seen_gtp, seen_sgf = set(), set()
    for move in range(size * size + 1):
        gtp, sgf = coords.to_gtp(move, size), coords.to_sgf(move, size)
        assert coords.from_gtp(gtp, size) == move and coords.from_sgf(sgf, size) == move
        seen_gtp.add(gtp)
        seen_sgf.add(sgf)
    assert len(seen_gtp) == len(seen_sgf) == size * size + 1
    assert not any("I" in v for v in seen_gtp)


def test_pass_forms() -> None:
    assert coords.to_gtp(81, 9) == "pass" and coords.to_sgf(81, 9) == ""
    for text in ("pass", "PASS", "Pass", " pass\n"):
        assert coords.from_gtp(text, 9) == 81
    assert coords.from_sgf("", 9) == 81
    assert coords.from_sgf("tt", 19) == 361 and coords.from_sgf("tt", 9) == 81


@pytest.mark.parametrize(
    ("text", "size", "message"),
    [
        ("I5", 9, "bad GTP column 'I' in 'I5'"),
        ("K5", 9, "'K5' is off a 9x9 board"),
        ("A10", 9, "'A10' is off a 9x9 board"),
        ("A0", 9, "'A0' is off a 9x9 board"),
        ("U1", 19, "bad GTP column 'U'"),
        ("", 9, "not a GTP vertex: ''"),
        ("D", 9, "not a GTP vertex: 'D'"),
        ("4D", 9, "not a GTP vertex: '4D'"),
        ("D-4", 9, "not a GTP vertex: 'D-4'"),
        ("resign", 9, "not a GTP vertex: 'resign'"),
    ],
)
def test_bad_gtp_vertices_are_named(text: str, size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        coords.from_gtp(text, size)


@pytest.mark.parametrize(
    ("text", "size", "message"),
    [
        ("jj", 9, "SGF point 'jj' is off a 9x9 board"),
        ("a", 9, "not an SGF point: 'a'"),
        ("abc", 9, "not an SGF point: 'abc'"),
        ("AA", 9, "two lowercase letters"),
        ("a1", 9, "two lowercase letters"),
    ],
)
def test_bad_sgf_points_are_named(text: str, size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        coords.from_sgf(text, size)


def test_bad_indices_and_sizes() -> None:
    with pytest.raises(ValueError, match="move 82 is off a 9x9 board"):
        coords.to_gtp(82, 9)
    with pytest.raises(ValueError, match="move -1 is off"):
        coords.to_sgf(-1, 9)
    with pytest.raises(ValueError, match="integer flat index, got 'D4'"):
        coords.to_gtp("D4", 9)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 2 and 19, got 20"):
        coords.from_gtp("A1", 20)


def test_board_sizes_and_their_check_live_in_coords():
    """``coords`` owns the sizes (``go`` and ``go.position`` re-export them) and names the bad
    value when it refuses one."""
    import go
    from go import position

    assert (coords.MIN_SIZE, coords.MAX_SIZE) == (2, 19)
    assert go.check_size is position.check_size is coords.check_size
    assert go.MAX_SIZE == position.MAX_SIZE == coords.MAX_SIZE
    assert coords.check_size(coords.MAX_SIZE) == 19
    with pytest.raises(ValueError, match="board size must be between 2 and 19, got 25"):
        coords.check_size(25)
    with pytest.raises(ValueError, match="board size must be an integer, got 9.0"):
        coords.check_size(9.0)
